import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { chartConfig, DEFAULT_CHART_CONFIG } from '../../../src/core/report/chartConfig';
import {
  BASE_SERIES,
  type ComponentCell,
  componentHeatmapSpec,
  diffCharts,
  LAYER_BRUSH,
  type LayerPoint,
  relativeUpdateSpec,
  RL_SERIES,
  type SectionBand,
} from '../../../src/core/report/diffSpecs';
import { LAYER_VALUES, sampleDiffResult } from './sampleDiffResult';

// The specs are plain JSON; these helpers reach into them the way a reader of the .vl.json would.
type Json = Record<string, any>;

function datasets(spec: TopLevelSpec): Json {
  return (spec as Json).datasets;
}

function layerNamed(spec: TopLevelSpec, name: string): Json {
  const layer = ((spec as Json).layer as Json[]).find((unit) => unit.name === name);
  assert.ok(layer, `layer ${name} exists`);
  return layer;
}

/** Compiles with a logger that collects Vega-Lite's warnings instead of printing them. */
function compileWarnings(spec: TopLevelSpec): string[] {
  const warnings: string[] = [];
  const logger = vega.logger(vega.Warn, undefined, (_method, _level, args) => warnings.push(args.map(String).join(' ')));
  compile(spec, { logger });
  return warnings;
}

describe('relativeUpdateSpec', () => {
  it('carries each layer’s IN→RL value, in unified order, with its identifiers', () => {
    const result = sampleDiffResult();
    const points = datasets(relativeUpdateSpec(result)).layers as LayerPoint[];
    assert.deepEqual(
      points.map((point) => [point.series, point.unifiedLayer, point.value]),
      LAYER_VALUES.map((values) => [RL_SERIES, values.unifiedLayer, values.rlDeltaRelMean]),
    );
    const llmLayer = points.find((point) => point.unifiedLayer === 3);
    assert.deepEqual(
      { hfLayer: llmLayer?.hfLayer, section: llmLayer?.section, layerName: llmLayer?.layerName, tensorCount: llmLayer?.tensorCount },
      { hfLayer: 2, section: 'llm', layerName: 'model.layers.2', tensorCount: 4 },
    );
    assert.equal(points.find((point) => point.unifiedLayer === -4)?.layerName, 'visual.blocks.0');
    assert.equal(points.find((point) => point.unifiedLayer === 0)?.hfLayer, null);
  });

  it('adds the Base→IN series only when the result has a Base', () => {
    const without = relativeUpdateSpec(sampleDiffResult());
    assert.ok((datasets(without).layers as LayerPoint[]).every((point) => point.series === RL_SERIES));
    assert.deepEqual(layerNamed(without, 'seriesPoints').encoding.color.scale.domain, [RL_SERIES]);

    const withBase = relativeUpdateSpec(sampleDiffResult({ withBase: true }));
    const basePoints = (datasets(withBase).layers as LayerPoint[]).filter((point) => point.series === BASE_SERIES);
    assert.deepEqual(
      basePoints.map((point) => [point.unifiedLayer, point.value]),
      LAYER_VALUES.map((values) => [values.unifiedLayer, values.inDeltaRelMean]),
    );
    assert.deepEqual(layerNamed(withBase, 'seriesPoints').encoding.color.scale.domain, [RL_SERIES, BASE_SERIES]);
  });

  it('shades one band per section over exactly its unified layers', () => {
    const bands = datasets(relativeUpdateSpec(sampleDiffResult())).sections as SectionBand[];
    assert.deepEqual(
      bands.map((band) => [band.section, band.firstLayer, band.lastLayer, band.x, band.x2, band.layerCount]),
      [
        ['vision', -4, -1, -4.5, -0.5, 4],
        ['projector', 0, 0, -0.5, 0.5, 1],
        ['llm', 1, 6, 0.5, 6.5, 6],
      ],
    );
    assert.deepEqual(
      bands.map((band) => band.label),
      ['vision encoder', 'projector', 'LLM decoder'],
    );
  });

  it('has only the LLM band for a decoder-only model', () => {
    const result = sampleDiffResult();
    result.layers = result.layers.filter((layer) => layer.section === 'llm');
    const bands = datasets(relativeUpdateSpec(result)).sections as SectionBand[];
    assert.deepEqual(
      bands.map((band) => [band.section, band.x, band.x2]),
      [['llm', 0.5, 6.5]],
    );
  });

  it('declares the layerBrush interval selection over unifiedLayer', () => {
    const points = layerNamed(relativeUpdateSpec(sampleDiffResult()), 'seriesPoints');
    assert.deepEqual(points.params, [{ name: LAYER_BRUSH, select: { type: 'interval', encodings: ['x'] } }]);
    assert.equal(points.encoding.x.field, 'unifiedLayer');
  });

  it('on a log scale, filters out non-positive values and ticks powers of ten', () => {
    const spec = relativeUpdateSpec(sampleDiffResult(), { logScale: true });
    const points = layerNamed(spec, 'seriesPoints');
    assert.equal(points.encoding.y.scale.type, 'log');
    assert.deepEqual(points.transform, [{ filter: 'datum.value > 0' }]);
    assert.deepEqual(layerNamed(spec, 'seriesLines').transform, [{ filter: 'datum.value > 0' }]);
    assert.deepEqual(points.encoding.y.axis.values, [1e-5, 1e-4, 1e-3, 1e-2]);
    // The zeros stay in the data: the spec still holds the result's values unchanged.
    assert.equal((datasets(spec).layers as LayerPoint[]).length, LAYER_VALUES.length);
    assert.match(JSON.stringify((spec as Json).title.subtitle), /2 point\(s\) with value ≤ 0/);
  });

  it('adds 2× and 5× log ticks when the values span two decades or less', () => {
    const result = sampleDiffResult();
    result.layers.forEach((layer, index) => (layer.rlDeltaRelMean = 1e-3 + index * 1e-4));
    const points = layerNamed(relativeUpdateSpec(result, { logScale: true }), 'seriesPoints');
    assert.deepEqual(points.encoding.y.axis.values, [1e-3, 2e-3, 5e-3, 1e-2]);
  });

  it('uses a linear scale and no filter by default', () => {
    const points = layerNamed(relativeUpdateSpec(sampleDiffResult()), 'seriesPoints');
    assert.notEqual(points.encoding.y.scale.type, 'log');
    assert.deepEqual(points.transform, []);
  });

  it('plots the chosen metric', () => {
    const unchanged = relativeUpdateSpec(sampleDiffResult({ withBase: true }), { metric: 'unchangedFraction' });
    assert.deepEqual(
      (datasets(unchanged).layers as LayerPoint[]).map((point) => point.value),
      LAYER_VALUES.map((values) => values.unchangedFraction),
    );
    // The cosine is undefined without a Base: no points rather than zeros.
    assert.deepEqual(datasets(relativeUpdateSpec(sampleDiffResult(), { metric: 'cosineMean' })).layers, []);
  });

  it('merges a theme config over the defaults without changing them', () => {
    const before = structuredClone(DEFAULT_CHART_CONFIG);
    const spec = relativeUpdateSpec(sampleDiffResult(), { config: { background: '#1e1e1e', axis: { labelColor: '#cccccc' } } });
    const config = (spec as Json).config;
    assert.equal(config.background, '#1e1e1e');
    assert.equal(config.axis.labelColor, '#cccccc');
    assert.equal(config.axis.gridColor, DEFAULT_CHART_CONFIG.axis?.gridColor);
    assert.deepEqual(DEFAULT_CHART_CONFIG, before);
    assert.notEqual(chartConfig(), chartConfig(), 'each spec gets its own config object');
  });
});

describe('componentHeatmapSpec', () => {
  it('has one cell per layer and component, holding that component’s mean relative update', () => {
    const cells = datasets(componentHeatmapSpec(sampleDiffResult())).cells as ComponentCell[];
    const expected = LAYER_VALUES.flatMap((values) =>
      (['attention', 'mlp', 'norm', 'other'] as const)
        .filter((component) => values.byComponent[component] !== undefined)
        .map((component) => [values.unifiedLayer, component, values.byComponent[component]]),
    );
    assert.deepEqual(
      cells.map((cell) => [cell.unifiedLayer, cell.component, cell.rlDeltaRelMean]),
      expected,
    );
  });

  it('orders the rows attention, mlp, norm, other and marks section boundaries', () => {
    const spec = componentHeatmapSpec(sampleDiffResult());
    assert.deepEqual(layerNamed(spec, 'componentCells').encoding.y.sort, ['attention', 'mlp', 'norm', 'other']);
    assert.deepEqual(datasets(spec).boundaries, [{ x: -0.5 }, { x: 0.5 }]);
  });

  it('on its default log colour scale, draws unchanged cells apart; linear draws them all on the scale', () => {
    const logSpec = componentHeatmapSpec(sampleDiffResult());
    assert.equal(layerNamed(logSpec, 'componentCells').encoding.color.scale.type, 'log');
    assert.ok(layerNamed(logSpec, 'unchangedCells'));
    assert.match(JSON.stringify((logSpec as Json).title.subtitle), /6 cell\(s\) without any change/);

    const linearSpec = componentHeatmapSpec(sampleDiffResult(), { logScale: false });
    assert.ok(!((linearSpec as Json).layer as Json[]).some((layer) => layer.name === 'unchangedCells'));
  });
});

describe('diffCharts', () => {
  it('lists the report’s charts in display order; the alignment chart needs a Base', () => {
    assert.deepEqual(
      diffCharts(sampleDiffResult()).map((chart) => chart.id),
      ['relative-update', 'relative-update-log', 'component-heatmap', 'unchanged-fraction'],
    );
    assert.deepEqual(
      diffCharts(sampleDiffResult({ withBase: true })).map((chart) => chart.id),
      ['relative-update', 'relative-update-log', 'component-heatmap', 'unchanged-fraction', 'update-alignment'],
    );
  });

  it('gives every chart the title its spec shows', () => {
    for (const chart of diffCharts(sampleDiffResult({ withBase: true }))) {
      assert.equal((chart.spec as Json).title.text, chart.title);
      assert.ok(chart.description.length > 0);
    }
  });

  for (const withBase of [false, true]) {
    it(`produces specs that survive JSON and compile without warnings (${withBase ? 'with' : 'without'} Base)`, () => {
      for (const chart of diffCharts(sampleDiffResult({ withBase }))) {
        assert.deepEqual(JSON.parse(JSON.stringify(chart.spec)), chart.spec, `${chart.id} is plain JSON`);
        assert.deepEqual(compileWarnings(chart.spec), [], `${chart.id} compiles cleanly`);
      }
    });
  }
});

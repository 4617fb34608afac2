/**
 * Vega-Lite specs for the update-characterization charts, built from a `DiffResult` alone.
 * Pure: the same result gives the same spec, and every data value sits inline in it
 * (`datasets`), so a saved `.vl.json` redraws without the result file.
 *
 *   DiffResult.layers → rows (one per layer and series) + section bands → layered spec + config
 *
 * Filters (log scales cannot show zeros) are transforms inside the spec, never edits of the
 * rows, so the data in a spec always equals the result's values.
 */
import type { Config, TopLevelSpec } from 'vega-lite';
import type { Component, Section } from '../checkpoint/tensorInfo';
import type { DiffResult, LayerAggregate, StatSummary } from '../diff/diffResult';
import { chartConfig } from './chartConfig';

/** Four significant digits, trailing zeros trimmed: 0.05009, 1.688e-7. */
const TOOLTIP_NUMBER = '.4~g';

const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Name of the interval selection over `unifiedLayer` that the webview listens to. */
export const LAYER_BRUSH = 'layerBrush';

export const RL_SERIES = 'IN→RL';
export const BASE_SERIES = 'Base→IN';

/** The per-layer statistics that `relativeUpdateSpec` can plot. */
export type LayerMetric = 'rlDeltaRelMean' | 'rlDeltaFroMean' | 'rlDeltaFroSum' | 'cosineMean' | 'unchangedFraction';

interface LayerMetricDefinition {
  title: string;
  axisTitle: string;
  /** Legend label of the IN→RL series (the cosine compares both deltas, so it is not "IN→RL"). */
  seriesLabel: string;
  /** The same statistic for Base→IN, drawn as a second series when the result has a Base. */
  baseField: keyof StatSummary | null;
  /** d3 format of the linear axis, without precision so that Vega fits it to the tick step. */
  axisFormat: string;
}

export const LAYER_METRICS: Readonly<Record<LayerMetric, LayerMetricDefinition>> = {
  rlDeltaRelMean: {
    title: 'Relative update per layer',
    axisTitle: 'mean ‖ΔW‖ / ‖W_IN‖ (Frobenius)',
    seriesLabel: RL_SERIES,
    baseField: 'inDeltaRelMean',
    axisFormat: '~g',
  },
  rlDeltaFroMean: {
    title: 'Update size per layer',
    axisTitle: 'mean ‖ΔW‖ per tensor (Frobenius)',
    seriesLabel: RL_SERIES,
    baseField: 'inDeltaFroMean',
    axisFormat: '~g',
  },
  rlDeltaFroSum: {
    title: 'Total update size per layer',
    axisTitle: 'sum of ‖ΔW‖ over tensors (Frobenius)',
    seriesLabel: RL_SERIES,
    baseField: 'inDeltaFroSum',
    axisFormat: '~g',
  },
  cosineMean: {
    title: 'Alignment of the RL update with the SFT update',
    axisTitle: 'mean cos(ΔW Base→IN, ΔW IN→RL)',
    seriesLabel: `cos(${BASE_SERIES}, ${RL_SERIES})`,
    baseField: null,
    axisFormat: '~f',
  },
  unchangedFraction: {
    title: 'Weights left unchanged by RL',
    axisTitle: 'fraction of entries bit-identical',
    seriesLabel: RL_SERIES,
    baseField: null,
    axisFormat: '%',
  },
};

const SECTION_LABELS: Readonly<Record<Section, string>> = {
  vision: 'vision encoder',
  projector: 'projector',
  llm: 'LLM decoder',
  embedding: 'embedding',
  head: 'head',
  other: 'other',
};

/** Tints for the section bands; drawn at low opacity so they read on light and dark themes. */
const SECTION_COLORS: Readonly<Record<Section, string>> = {
  vision: '#7950f2',
  projector: '#868e96',
  llm: '#37b24d',
  embedding: '#f59f00',
  head: '#f59f00',
  other: '#868e96',
};

const COMPONENT_ORDER: readonly Component[] = ['attention', 'mlp', 'norm', 'other'];

/** Cells of the heatmap without any change: grey, outside the colour scale. */
const UNCHANGED_CELL_COLOR = '#adb5bd';

export interface ChartOptions {
  /** Vega-Lite config merged over the default (the webview passes VS Code theme colours). */
  config?: Config;
  /** Plot width in pixels, or 'container' to follow the webview's width. */
  width?: number | 'container';
}

export interface RelativeUpdateOptions extends ChartOptions {
  metric?: LayerMetric;
  /** Log y scale; points whose value is ≤ 0 cannot sit on it and are filtered out (the subtitle says how many). */
  logScale?: boolean;
  height?: number;
}

export interface ComponentHeatmapOptions extends ChartOptions {
  /** Log colour scale (the default: component deltas span orders of magnitude); zero cells are drawn grey. */
  logScale?: boolean;
}

/** One point of a per-layer series. */
export interface LayerPoint {
  series: string;
  unifiedLayer: number;
  hfLayer: number | null;
  /** Scheme-independent name of the block: `visual.blocks.N`, `projector`, `model.layers.N`. */
  layerName: string;
  section: Section;
  value: number;
  tensorCount: number;
}

/** A shaded stretch of the unified axis covering one section's layers. */
export interface SectionBand {
  section: Section;
  label: string;
  firstLayer: number;
  lastLayer: number;
  layerCount: number;
  /** Band edges on the x scale: half a layer outside the first and last layer. */
  x: number;
  x2: number;
  center: number;
}

/** One cell of the component × layer heatmap. */
export interface ComponentCell {
  unifiedLayer: number;
  hfLayer: number | null;
  layerName: string;
  section: Section;
  component: Component;
  rlDeltaRelMean: number;
  tensorCount: number;
  parameterCount: number;
}

export interface DiffChart {
  /** Stable id, also the file name stem of the exported chart. */
  id: string;
  title: string;
  description: string;
  spec: TopLevelSpec;
}

const DEFAULT_WIDTH = 720;
const DEFAULT_HEIGHT = 280;
const HEATMAP_ROW_HEIGHT = 26;

function byUnifiedLayer(layers: readonly LayerAggregate[]): LayerAggregate[] {
  return [...layers].sort((a, b) => a.unifiedLayer - b.unifiedLayer);
}

/** Scheme-independent name of a layer's block, as tables and tooltips show it. */
export function layerDisplayName(layer: Pick<LayerAggregate, 'section' | 'unifiedLayer' | 'hfLayer'>, visionDepth: number | null): string {
  switch (layer.section) {
    case 'vision':
      return visionDepth === null ? 'visual.blocks' : `visual.blocks.${layer.unifiedLayer + visionDepth}`;
    case 'llm':
      return layer.hfLayer === null ? 'model.layers' : `model.layers.${layer.hfLayer}`;
    default:
      return layer.section;
  }
}

/** Rows of the per-layer chart: the IN→RL series, then Base→IN when defined; null values are absent. */
function layerPoints(result: DiffResult, metric: LayerMetric): LayerPoint[] {
  const definition = LAYER_METRICS[metric];
  const series: { label: string; field: keyof StatSummary }[] = [{ label: definition.seriesLabel, field: metric }];
  if (definition.baseField !== null) series.push({ label: BASE_SERIES, field: definition.baseField });
  const points: LayerPoint[] = [];
  for (const { label, field } of series) {
    for (const layer of byUnifiedLayer(result.layers)) {
      const value = layer[field];
      if (typeof value !== 'number') continue;
      points.push({
        series: label,
        unifiedLayer: layer.unifiedLayer,
        hfLayer: layer.hfLayer,
        layerName: layerDisplayName(layer, result.partition.visionDepth),
        section: layer.section,
        value,
        tensorCount: layer.tensorCount,
      });
    }
  }
  return points;
}

/** One band per section, in unified order, spanning its lowest to highest layer. */
function sectionBands(layers: readonly LayerAggregate[]): SectionBand[] {
  const ranges = new Map<Section, { first: number; last: number; count: number }>();
  for (const layer of byUnifiedLayer(layers)) {
    const range = ranges.get(layer.section);
    if (range) {
      range.last = layer.unifiedLayer;
      range.count += 1;
    } else {
      ranges.set(layer.section, { first: layer.unifiedLayer, last: layer.unifiedLayer, count: 1 });
    }
  }
  return [...ranges].map(([section, { first, last, count }]) => ({
    section,
    label: SECTION_LABELS[section],
    firstLayer: first,
    lastLayer: last,
    layerCount: count,
    x: first - 0.5,
    x2: last + 0.5,
    center: (first + last) / 2,
  }));
}

/** A layer number with a typographic minus, as the axis labels write it. */
function formatLayer(layer: number): string {
  return layer < 0 ? `−${-layer}` : `${layer}`;
}

/**
 * Ticks for a log axis: the powers of ten around the positive values, plus their 2× and 5×
 * multiples when the values span two decades or less (else a single tick could be all there is).
 */
function logTicks(values: readonly number[]): number[] {
  const positive = values.filter((value) => value > 0);
  if (positive.length === 0) return [];
  const low = Math.floor(Math.log10(Math.min(...positive)));
  const high = Math.ceil(Math.log10(Math.max(...positive)));
  const multiples = high - low <= 2 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let exponent = low; exponent <= high; exponent += 1) {
    // Parsed from text so that 1e-7 is exactly that literal, not 10 ** -7's rounding.
    for (const multiple of multiples) if (exponent < high || multiple === 1) ticks.push(Number(`${multiple}e${exponent}`));
  }
  return ticks;
}

/** "vision −32…−1 · projector 0 · LLM decoder 1…28": how the unified index maps to sections. */
function sectionLegend(bands: readonly SectionBand[]): string {
  const span = (band: SectionBand) =>
    band.firstLayer === band.lastLayer
      ? formatLayer(band.firstLayer)
      : `${formatLayer(band.firstLayer)}…${formatLayer(band.lastLayer)}`;
  return bands.map((band) => `${band.label} ${span(band)}`).join(' · ');
}

function layerAxisX(field: string) {
  return {
    field,
    type: 'quantitative' as const,
    title: 'unified layer (vision < 0, projector = 0, LLM > 0)',
    scale: { zero: false, nice: false },
    axis: { tickMinStep: 1, format: 'd', grid: false },
  };
}

const layerTooltip = [
  { field: 'unifiedLayer', type: 'quantitative' as const, title: 'unified layer' },
  { field: 'layerName', type: 'nominal' as const, title: 'layer' },
  // Nominal, so a missing HF index reads "null" instead of being formatted as 0.
  { field: 'hfLayer', type: 'nominal' as const, title: 'HF layer' },
  { field: 'section', type: 'nominal' as const, title: 'section' },
];

function relativeUpdateTitle(metric: LayerMetric, logScale: boolean): string {
  return LAYER_METRICS[metric].title + (logScale ? ' (log scale)' : '');
}

/**
 * Per-layer update over the unified index: IN→RL (and Base→IN with a Base), one line segment per
 * section so that no slope is drawn across a module boundary, on shaded, labelled section bands.
 * Carries the `layerBrush` interval selection over `unifiedLayer`.
 */
export function relativeUpdateSpec(result: DiffResult, options: RelativeUpdateOptions = {}): TopLevelSpec {
  const metric = options.metric ?? 'rlDeltaRelMean';
  const definition = LAYER_METRICS[metric];
  const logScale = options.logScale ?? false;
  const points = layerPoints(result, metric);
  const bands = sectionBands(result.layers);
  const seriesDomain = [...new Set(points.map((point) => point.series))];
  const hiddenCount = logScale ? points.filter((point) => point.value <= 0).length : 0;

  const subtitle = [`${sectionLegend(bands)} · inclusion rule: ${result.config.inclusionRule.id}`];
  if (hiddenCount > 0) subtitle.push(`${hiddenCount} point(s) with value ≤ 0 not shown on the log scale`);

  const x = layerAxisX('unifiedLayer');
  const y = {
    field: 'value',
    type: 'quantitative' as const,
    title: definition.axisTitle,
    scale: logScale ? { type: 'log' as const } : { zero: true },
    // Explicit log ticks: Vega's default labels every 2…9 multiple, too busy to read.
    axis: logScale ? { format: '.0e', values: logTicks(points.map((point) => point.value)) } : { format: definition.axisFormat },
  };
  const color = {
    field: 'series',
    type: 'nominal' as const,
    title: null,
    scale: { domain: seriesDomain },
    legend: { orient: 'top' as const, direction: 'horizontal' as const, labelLimit: 0 },
  };
  const seriesTransform = logScale ? [{ filter: 'datum.value > 0' }] : [];

  return {
    $schema: VEGA_LITE_SCHEMA,
    title: { text: relativeUpdateTitle(metric, logScale), subtitle },
    width: options.width ?? DEFAULT_WIDTH,
    height: options.height ?? DEFAULT_HEIGHT,
    datasets: { layers: points, sections: bands },
    config: chartConfig(options.config),
    layer: [
      {
        name: 'sectionBands',
        data: { name: 'sections' },
        mark: { type: 'rect', fillOpacity: 0.1 },
        encoding: {
          x: layerAxisX('x'),
          x2: { field: 'x2' },
          fill: {
            field: 'section',
            type: 'nominal',
            scale: { domain: bands.map((band) => band.section), range: bands.map((band) => SECTION_COLORS[band.section]) },
            legend: null,
          },
          tooltip: [
            { field: 'label', type: 'nominal', title: 'section' },
            { field: 'firstLayer', type: 'quantitative', title: 'first unified layer' },
            { field: 'lastLayer', type: 'quantitative', title: 'last unified layer' },
            { field: 'layerCount', type: 'quantitative', title: 'layers' },
          ],
        },
      },
      {
        // Above the plot area, so that labels never sit on data points.
        name: 'sectionLabels',
        data: { name: 'sections' },
        mark: { type: 'text', baseline: 'bottom', fontWeight: 600, dy: -6 },
        encoding: { x: layerAxisX('center'), y: { value: 0 }, text: { field: 'label' } },
      },
      {
        name: 'seriesLines',
        data: { name: 'layers' },
        transform: seriesTransform,
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: { x, y, color, detail: [{ field: 'section', type: 'nominal' }] },
      },
      {
        name: 'seriesPoints',
        data: { name: 'layers' },
        transform: seriesTransform,
        params: [{ name: LAYER_BRUSH, select: { type: 'interval', encodings: ['x'] } }],
        mark: { type: 'point', filled: true, size: 36 },
        encoding: {
          x,
          y,
          color,
          tooltip: [
            ...layerTooltip,
            { field: 'series', type: 'nominal', title: 'series' },
            { field: 'value', type: 'quantitative', title: definition.axisTitle, format: TOOLTIP_NUMBER },
            { field: 'tensorCount', type: 'quantitative', title: 'tensors' },
          ],
        },
      },
    ],
  };
}

const COMPONENT_HEATMAP_TITLE = 'Relative update by component (IN→RL)';

/** Rows of the heatmap: one per layer and component that has tensors, in unified order. */
function componentCells(result: DiffResult): ComponentCell[] {
  const cells: ComponentCell[] = [];
  for (const layer of byUnifiedLayer(result.layers)) {
    for (const component of COMPONENT_ORDER) {
      const summary = layer.byComponent[component];
      if (!summary) continue;
      cells.push({
        unifiedLayer: layer.unifiedLayer,
        hfLayer: layer.hfLayer,
        layerName: layerDisplayName(layer, result.partition.visionDepth),
        section: layer.section,
        component,
        rlDeltaRelMean: summary.rlDeltaRelMean,
        tensorCount: summary.tensorCount,
        parameterCount: summary.parameterCount,
      });
    }
  }
  return cells;
}

/** Component (attention / mlp / norm / other) × layer heatmap of the mean relative IN→RL update. */
export function componentHeatmapSpec(result: DiffResult, options: ComponentHeatmapOptions = {}): TopLevelSpec {
  const logScale = options.logScale ?? true;
  const cells = componentCells(result);
  const bands = sectionBands(result.layers);
  const components = COMPONENT_ORDER.filter((component) => cells.some((cell) => cell.component === component));
  const unchangedCount = cells.filter((cell) => cell.rlDeltaRelMean <= 0).length;
  // Section boundaries: between consecutive bands, half-way between their facing layers.
  const boundaries = bands.slice(1).map((band) => ({ x: band.x }));

  const subtitle = [sectionLegend(bands)];
  if (logScale && unchangedCount > 0) subtitle.push(`grey: ${unchangedCount} cell(s) without any change (Δ = 0)`);

  const cellEdges = [
    { calculate: 'datum.unifiedLayer - 0.5', as: 'x' },
    { calculate: 'datum.unifiedLayer + 0.5', as: 'x2' },
  ];
  const cellEncoding = {
    x: layerAxisX('x'),
    x2: { field: 'x2' },
    y: { field: 'component', type: 'nominal' as const, title: 'component', sort: components },
    tooltip: [
      ...layerTooltip,
      { field: 'component', type: 'nominal' as const, title: 'component' },
      { field: 'rlDeltaRelMean', type: 'quantitative' as const, title: 'mean ‖ΔW‖ / ‖W_IN‖ (IN→RL)', format: TOOLTIP_NUMBER },
      { field: 'tensorCount', type: 'quantitative' as const, title: 'tensors' },
      { field: 'parameterCount', type: 'quantitative' as const, title: 'parameters', format: ',' },
    ],
  };

  return {
    $schema: VEGA_LITE_SCHEMA,
    title: { text: COMPONENT_HEATMAP_TITLE, subtitle },
    width: options.width ?? DEFAULT_WIDTH,
    height: Math.max(1, components.length) * HEATMAP_ROW_HEIGHT,
    datasets: { cells, boundaries },
    config: chartConfig(options.config),
    layer: [
      {
        name: 'componentCells',
        data: { name: 'cells' },
        transform: logScale ? [...cellEdges, { filter: 'datum.rlDeltaRelMean > 0' }] : cellEdges,
        mark: { type: 'rect' },
        encoding: {
          ...cellEncoding,
          color: {
            field: 'rlDeltaRelMean',
            type: 'quantitative',
            title: 'mean ‖ΔW‖ / ‖W_IN‖',
            // Whole decades (log) or from zero (linear): a domain fitted to a narrow spread
            // would paint near-equal updates in opposite colours.
            scale: logScale ? { type: 'log', nice: true } : { zero: true },
            legend: { format: logScale ? '.0e' : '~g', gradientLength: Math.max(80, components.length * HEATMAP_ROW_HEIGHT) },
          },
        },
      },
      ...(logScale
        ? [
            {
              name: 'unchangedCells',
              data: { name: 'cells' },
              transform: [...cellEdges, { filter: 'datum.rlDeltaRelMean <= 0' }],
              mark: { type: 'rect' as const, color: UNCHANGED_CELL_COLOR },
              encoding: cellEncoding,
            },
          ]
        : []),
      {
        name: 'sectionBoundaries',
        data: { name: 'boundaries' },
        mark: { type: 'rule', strokeWidth: 1.5, color: '#495057' },
        encoding: { x: layerAxisX('x') },
      },
    ],
  };
}

/** The charts of the diff report, in display order. */
export function diffCharts(result: DiffResult, options: ChartOptions = {}): DiffChart[] {
  const perLayer = (id: string, description: string, layerOptions: RelativeUpdateOptions): DiffChart => {
    const metric = layerOptions.metric ?? 'rlDeltaRelMean';
    return {
      id,
      title: relativeUpdateTitle(metric, layerOptions.logScale ?? false),
      description,
      spec: relativeUpdateSpec(result, { ...options, ...layerOptions }),
    };
  };
  const hasBase = result.inputs.base !== undefined;
  const relativeUpdateDescription = hasBase
    ? 'Mean relative Frobenius update of each layer over its included tensors: IN→RL (‖W_RL − W_IN‖ / ‖W_IN‖) and Base→IN (‖W_IN − W_Base‖ / ‖W_IN‖).'
    : 'Mean relative Frobenius update of each layer over its included tensors: IN→RL (‖W_RL − W_IN‖ / ‖W_IN‖).';
  const charts: DiffChart[] = [
    perLayer('relative-update', relativeUpdateDescription, {}),
    perLayer(
      'relative-update-log',
      'The same on a log scale, where updates orders of magnitude apart (vision tower, projector, decoder) stay readable. Layers without any change cannot be drawn on it.',
      { logScale: true },
    ),
    {
      id: 'component-heatmap',
      title: COMPONENT_HEATMAP_TITLE,
      description: 'The IN→RL relative update split by component: attention, MLP, norms and other tensors of each layer.',
      spec: componentHeatmapSpec(result, options),
    },
    perLayer(
      'unchanged-fraction',
      'Share of each layer’s weights that RL left bit-identical: frozen or sparsely updated layers stand out.',
      { metric: 'unchangedFraction' },
    ),
  ];
  if (hasBase && result.layers.some((layer) => layer.cosineMean !== null)) {
    charts.push(
      perLayer(
        'update-alignment',
        'Mean cosine, over each layer’s tensors, between the SFT update (Base→IN) and the RL update (IN→RL): whether RL continues SFT’s direction or turns away from it.',
        { metric: 'cosineMean' },
      ),
    );
  }
  return charts;
}

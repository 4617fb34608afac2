import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffCharts, LAYER_METRICS } from '../../src/core/report/diffSpecs';
import { layerResult } from '../../src/host/layerTensors';
import { availableMetrics, availableSections, DEFAULT_CHART_VIEW, layersOfSection, perLayerChart, restoreChartView } from '../../webview/chartView';
import { sampleDiffResult } from '../core/report/sampleDiffResult';

const yTitle = (spec: unknown): unknown => {
  const layers = (spec as { layer: { name?: string; encoding?: { y?: { title?: unknown } } }[] }).layer;
  return layers.find((layer) => layer.name === 'seriesPoints')?.encoding?.y?.title;
};

describe('chart view', () => {
  it('offers the cosine only with a Base', () => {
    assert.equal(availableMetrics(layerResult(sampleDiffResult())).includes('cosineMean'), false);
    assert.deepEqual(availableMetrics(layerResult(sampleDiffResult({ withBase: true }))), Object.keys(LAYER_METRICS));
  });

  it('offers the sections the result has', () => {
    assert.deepEqual(availableSections(layerResult(sampleDiffResult())), ['all', 'vision', 'projector', 'llm']);
    const llmOnly = layerResult(sampleDiffResult());
    llmOnly.layers = llmOnly.layers.filter((layer) => layer.section === 'llm');
    assert.deepEqual(availableSections(llmOnly), ['all', 'llm']);
  });

  it('restores a stored view only where it still applies', () => {
    const noBase = layerResult(sampleDiffResult());
    assert.deepEqual(restoreChartView(undefined, noBase), DEFAULT_CHART_VIEW);
    assert.deepEqual(restoreChartView({ metric: 'bogus', section: 'llm' }, noBase), DEFAULT_CHART_VIEW);
    assert.deepEqual(restoreChartView({ metric: 'rlDeltaFroSum', section: 'llm' }, noBase), { metric: 'rlDeltaFroSum', section: 'llm' });
    assert.deepEqual(restoreChartView({ metric: 'cosineMean', section: 'vision' }, noBase), { metric: 'rlDeltaRelMean', section: 'vision' });
  });

  it('keeps the host chart for the default view and builds one for any other', () => {
    const result = sampleDiffResult({ withBase: true });
    const original = diffCharts(result, { width: 'container' })[0]!;
    const trimmed = layerResult(result);
    assert.equal(perLayerChart(original, trimmed, DEFAULT_CHART_VIEW, 'All'), original);
    const sum = perLayerChart(original, trimmed, { metric: 'rlDeltaFroSum', section: 'all' }, 'All');
    assert.equal(sum.id, original.id);
    assert.equal(yTitle(sum.spec), LAYER_METRICS.rlDeltaFroSum.axisTitle);
    assert.notEqual(yTitle(sum.spec), yTitle(original.spec));
    const vision = perLayerChart(original, trimmed, { metric: 'rlDeltaRelMean', section: 'vision' }, 'Vision encoder');
    const points = (vision.spec as unknown as { datasets: { layers: { section: string }[] } }).datasets.layers;
    assert.ok(points.length > 0 && points.every((point) => point.section === 'vision'));
    assert.match(vision.description, /Vision encoder/);
    assert.deepEqual(layersOfSection(trimmed.layers, 'all'), trimmed.layers);
  });
});

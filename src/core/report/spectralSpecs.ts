/**
 * Vega-Lite specs for the spectral analysis, built from a `SpectralResult` alone, with every value
 * inline (`datasets`) like the diff specs:
 * - the singular values of ΔIN and ΔRL overlaid for the matrices of one layer (σᵢ/σ₁, log scale);
 * - a per-layer metric (stable rank, effective rank, spectral norm) of ΔRL and ΔIN over the unified index.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { MetricMeans, SpectralResult } from '../spectral/spectralResult';
import { chartConfig } from './chartConfig';
import { BASE_SERIES, layerDisplayName, RL_SERIES, type ChartOptions, type DiffChart } from './diffSpecs';

const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const TOOLTIP_NUMBER = '.4~g';
const DEFAULT_WIDTH = 720;
const DEFAULT_HEIGHT = 280;

export type SpectralLayerMetric = 'stableRank' | 'effectiveRank' | 'spectralNorm';

export const SPECTRAL_LAYER_METRICS: Readonly<Record<SpectralLayerMetric, { title: string; axisTitle: string }>> = {
  stableRank: { title: 'Stable rank of the update per layer', axisTitle: 'mean ‖ΔW‖_F² / σ₁²' },
  effectiveRank: { title: 'Effective rank of the update per layer', axisTitle: 'mean exp(entropy of σ/Σσ)' },
  spectralNorm: { title: 'Spectral norm of the update per layer', axisTitle: 'mean σ₁(ΔW)' },
};

export interface SpectralLayerPoint {
  series: string;
  unifiedLayer: number;
  hfLayer: number | null;
  layerName: string;
  section: string;
  value: number;
  tensorCount: number;
}

/** Mean `metric` per layer for ΔRL, and ΔIN when the result has a Base. */
export function spectralLayerPoints(result: SpectralResult, metric: keyof MetricMeans): SpectralLayerPoint[] {
  const points: SpectralLayerPoint[] = [];
  for (const [series, phase] of [[RL_SERIES, 'rl'], [BASE_SERIES, 'in']] as const) {
    for (const layer of result.layers) {
      const means = layer[phase];
      if (!means) continue;
      points.push({ series, unifiedLayer: layer.unifiedLayer, hfLayer: layer.hfLayer, layerName: layerDisplayName(layer, result.partition.visionDepth), section: layer.section, value: means[metric], tensorCount: layer.tensorCount });
    }
  }
  return points;
}

export function spectralLayerSpec(result: SpectralResult, metric: SpectralLayerMetric, options: ChartOptions = {}): TopLevelSpec {
  const definition = SPECTRAL_LAYER_METRICS[metric];
  const points = spectralLayerPoints(result, metric);
  const x = { field: 'unifiedLayer', type: 'quantitative' as const, title: 'unified layer (vision < 0, projector = 0, LLM > 0)', scale: { zero: false, nice: false }, axis: { tickMinStep: 1, format: 'd' } };
  const y = { field: 'value', type: 'quantitative' as const, title: definition.axisTitle, scale: { zero: true } };
  const color = { field: 'series', type: 'nominal' as const, title: null, legend: { orient: 'top' as const, direction: 'horizontal' as const } };
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: { text: definition.title, subtitle: [`${result.tensors.length} matrices, ${result.config.inclusionRule.id} rule, mode ${result.config.mode}`] },
    width: options.width ?? DEFAULT_WIDTH,
    height: DEFAULT_HEIGHT,
    datasets: { layers: points },
    config: chartConfig(options.config),
    data: { name: 'layers' },
    layer: [
      { mark: { type: 'line', strokeWidth: 1.5 }, encoding: { x, y, color, detail: [{ field: 'section', type: 'nominal' }] } },
      {
        mark: { type: 'point', filled: true, size: 36 },
        encoding: {
          x,
          y,
          color,
          tooltip: [
            { field: 'unifiedLayer', type: 'quantitative', title: 'unified layer' },
            { field: 'layerName', type: 'nominal', title: 'layer' },
            { field: 'series', type: 'nominal', title: 'update' },
            { field: 'value', type: 'quantitative', title: definition.axisTitle, format: TOOLTIP_NUMBER },
            { field: 'tensorCount', type: 'quantitative', title: 'matrices' },
          ],
        },
      },
    ],
  };
}

export interface SpectrumPoint {
  tensor: string;
  series: string;
  index: number;
  sigma: number;
  /** σᵢ/σ₁ of that matrix and update, the paper's spectrum plot. */
  relative: number;
}

/** The layer whose ΔRL has the largest mean spectral norm: where the spectrum is most worth a look. */
export function defaultSpectrumLayer(result: SpectralResult): number | null {
  const best = [...result.layers].sort((a, b) => b.rl.spectralNorm - a.rl.spectralNorm)[0];
  return best ? best.unifiedLayer : null;
}

export function spectrumPoints(result: SpectralResult, unifiedLayer: number): SpectrumPoint[] {
  const points: SpectrumPoint[] = [];
  for (const tensor of result.tensors.filter((record) => record.unifiedLayer === unifiedLayer)) {
    const label = tensor.canonicalName.replace(/^.*?(?:layers|blocks)\.\d+\./, '').replace(/\.weight$/, '');
    for (const [series, spectrum] of [[RL_SERIES, tensor.rl], [BASE_SERIES, tensor.in]] as const) {
      if (!spectrum || spectrum.spectralNorm === 0) continue;
      spectrum.topSingularValues.forEach((sigma, i) => {
        if (sigma > 0) points.push({ tensor: label, series, index: i + 1, sigma, relative: sigma / spectrum.spectralNorm });
      });
    }
  }
  return points;
}

/** σᵢ/σ₁ against i on a log scale for every matrix of one layer: solid ΔRL, dashed ΔIN. */
export function spectrumSpec(result: SpectralResult, unifiedLayer: number, options: ChartOptions = {}): TopLevelSpec {
  const layer = result.layers.find((candidate) => candidate.unifiedLayer === unifiedLayer);
  const name = layer ? layerDisplayName(layer, result.partition.visionDepth) : `unified layer ${unifiedLayer}`;
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: { text: `Singular values of the updates in ${name}`, subtitle: [`top ${result.config.topK} per matrix, each divided by its own σ₁; solid ${RL_SERIES}, dashed ${BASE_SERIES}`] },
    width: options.width ?? DEFAULT_WIDTH,
    height: DEFAULT_HEIGHT,
    datasets: { spectra: spectrumPoints(result, unifiedLayer) },
    config: chartConfig(options.config),
    data: { name: 'spectra' },
    mark: { type: 'line', point: { size: 12 } },
    encoding: {
      x: { field: 'index', type: 'quantitative', title: 'i (singular value index)', axis: { tickMinStep: 1, format: 'd' } },
      y: { field: 'relative', type: 'quantitative', title: 'σᵢ / σ₁', scale: { type: 'log' } },
      color: { field: 'tensor', type: 'nominal', title: 'matrix' },
      strokeDash: { field: 'series', type: 'nominal', title: 'update', scale: { domain: [RL_SERIES, BASE_SERIES], range: [[1, 0], [5, 3]] } },
      detail: [{ field: 'series', type: 'nominal' }],
      tooltip: [
        { field: 'tensor', type: 'nominal', title: 'matrix' },
        { field: 'series', type: 'nominal', title: 'update' },
        { field: 'index', type: 'quantitative', title: 'i' },
        { field: 'sigma', type: 'quantitative', title: 'σᵢ', format: TOOLTIP_NUMBER },
        { field: 'relative', type: 'quantitative', title: 'σᵢ / σ₁', format: TOOLTIP_NUMBER },
      ],
    },
  };
}

/** The charts of the spectral report, in display order. */
export function spectralCharts(result: SpectralResult, options: ChartOptions & { spectrumLayer?: number } = {}): DiffChart[] {
  const charts: DiffChart[] = (['stableRank', 'effectiveRank', 'spectralNorm'] as const).map((metric) => ({
    id: `spectral-${metric.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`,
    title: SPECTRAL_LAYER_METRICS[metric].title,
    description: `${SPECTRAL_LAYER_METRICS[metric].title}: the mean over the layer's matrices of ΔRL (and ΔIN with a Base).`,
    spec: spectralLayerSpec(result, metric, options),
  }));
  const layer = options.spectrumLayer ?? defaultSpectrumLayer(result);
  if (layer !== null) {
    charts.unshift({
      id: 'spectral-spectrum',
      title: 'Singular values of one layer’s updates',
      description: 'The top singular values of every matrix of one layer, relative to its largest: a fast drop means a low-rank update, a flat line a spread-out one.',
      spec: spectrumSpec(result, layer, options),
    });
  }
  return charts;
}

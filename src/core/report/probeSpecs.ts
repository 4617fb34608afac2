/**
 * Vega-Lite specs for the probe charts, built from a probe summary's rows alone (pure, data inline
 * in `datasets`, like diffSpecs.ts). Every chart has the decoder layer (HF 0-based) on x, IN and
 * RL overlaid as coloured lines, and the 95% interval of each point as a band.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { AblationRow } from '../probes/layerAblation';
import type { AttentionRow } from '../probes/attentionToVision';
import type { SwapRow } from '../probes/visualSwap';
import { chartConfig } from './chartConfig';
import type { ChartOptions } from './diffSpecs';

const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const MODEL_LABEL = { in: 'IN', rl: 'RL' } as const;

/** One point of a per-layer series with its interval. */
export interface ProbePoint {
  series: string;
  layer: number;
  value: number;
  lower: number;
  upper: number;
  /** Facet (e.g. the swap task); '' when the chart has one panel. */
  panel: string;
  n: number;
}

export interface ProbeChart {
  id: string;
  title: string;
  spec: TopLevelSpec;
}

function layerBandSpec(title: string, axisTitle: string, points: readonly ProbePoint[], options: ChartOptions & { zeroRule?: boolean; domain?: [number, number] } = {}): TopLevelSpec {
  const y = { field: 'value', type: 'quantitative' as const, title: axisTitle, ...(options.domain ? { scale: { domain: options.domain } } : {}) };
  const color = { field: 'series', type: 'nominal' as const, title: null };
  // x per layer (not shared): the rules below carry their own data without a layer field.
  const x = { field: 'layer', type: 'quantitative' as const, title: 'decoder layer (HF index)', axis: { tickMinStep: 1 } };
  const layers: Record<string, unknown>[] = [
    // fillOpacity, not opacity: the legend takes a mark's opacity and would draw the series as faint as the bands.
    { mark: { type: 'area', fillOpacity: 0.18 }, encoding: { x, y: { field: 'lower', type: 'quantitative' }, y2: { field: 'upper' }, color } },
    {
      mark: { type: 'line', point: true },
      encoding: {
        x, y, color,
        tooltip: [{ field: 'series' }, { field: 'layer', title: 'layer' }, { field: 'value', format: '.4~g' }, { field: 'lower', format: '.4~g' }, { field: 'upper', format: '.4~g' }, { field: 'n', title: 'n' }],
      },
    },
  ];
  if (options.zeroRule) layers.push({ data: { values: [{ zero: 0 }] }, mark: { type: 'rule', strokeDash: [4, 4] }, encoding: { y: { field: 'zero', type: 'quantitative' } } });
  const panels = [...new Set(points.map((point) => point.panel))];
  const inner = { layer: layers };
  const base = { $schema: VEGA_LITE_SCHEMA, title, datasets: { points }, data: { name: 'points' }, config: chartConfig(options.config) };
  const width = options.width ?? 420;
  if (panels.length > 1) return { ...base, facet: { field: 'panel', type: 'nominal', title: null }, columns: 2, spec: { width: width === 'container' ? 300 : width / 2, height: 160, ...inner }, resolve: { scale: { y: 'shared' } } } as unknown as TopLevelSpec;
  return { ...base, width, height: 240, ...inner } as unknown as TopLevelSpec;
}

export function attentionCharts(rows: readonly AttentionRow[], options: ChartOptions = {}): ProbeChart[] {
  const perLayer = rows.filter((row) => row.layer !== null);
  const means = perLayer.filter((row) => row.response === 'own').flatMap((row) => (['in', 'rl'] as const).map((model) => ({ series: MODEL_LABEL[model], layer: row.layer!, value: row[model], lower: row[model], upper: row[model], panel: '', n: row.items })));
  const differences = perLayer.map((row) => ({ series: `RL − IN (${row.response} responses)`, layer: row.layer!, value: row.difference, lower: row.lower, upper: row.upper, panel: '', n: row.items }));
  return [
    { id: 'attention-mass', title: 'Attention from reasoning tokens to image tokens', spec: layerBandSpec('Attention to vision per layer (own responses)', 'mean attention mass on image tokens', means, options) },
    { id: 'attention-difference', title: 'RL − IN attention to vision', spec: layerBandSpec('RL − IN attention to vision (95% paired bootstrap)', 'Δ attention mass', differences, { ...options, zeroRule: true }) },
  ];
}

export function ablationCharts(rows: readonly AblationRow[], options: ChartOptions = {}): ProbeChart[] {
  const points = rows.filter((row) => row.layer >= 0).map((row) => ({ series: MODEL_LABEL[row.model], layer: row.layer, value: row.accuracy.rate, lower: row.accuracy.lower, upper: row.accuracy.upper, panel: '', n: row.accuracy.n }));
  const spec = layerBandSpec('Accuracy with one decoder layer ablated (95% Wilson)', 'accuracy', points, { ...options, domain: [0, 1] }) as unknown as { layer: unknown[] };
  // Baselines as dashed rules in each model's colour.
  const baselines = rows.filter((row) => row.layer < 0).map((row) => ({ series: `${MODEL_LABEL[row.model]}`, baseline: row.accuracy.rate }));
  spec.layer.push({ data: { values: baselines }, mark: { type: 'rule', strokeDash: [6, 3] }, encoding: { y: { field: 'baseline', type: 'quantitative' }, color: { field: 'series', type: 'nominal', title: null } } });
  return [{ id: 'ablation-accuracy', title: 'Reasoning localization: accuracy per ablated layer', spec: spec as unknown as TopLevelSpec }];
}

export function swapCharts(rows: readonly SwapRow[], options: ChartOptions = {}): ProbeChart[] {
  const charts: ProbeChart[] = [];
  const variants = [...new Set(rows.map((row) => `${row.mode}|${row.decoding}`))];
  for (const variant of variants) {
    const [mode, decoding] = variant.split('|') as [SwapRow['mode'], SwapRow['decoding']];
    const chosen = rows.filter((row) => row.mode === mode && row.decoding === decoding);
    const label = `${mode === 'suffix' ? 'layers ≥ L' : 'layer L only'}, ${decoding} decoding`;
    for (const metric of ['change', 'adoption'] as const) {
      const points = chosen.map((row) => ({ series: MODEL_LABEL[row.model], layer: row.layer, value: row[metric].rate, lower: row[metric].lower, upper: row[metric].upper, panel: row.task, n: row[metric].n }));
      const title = metric === 'change' ? 'Answer change rate' : 'Source-adoption rate';
      charts.push({ id: `swap-${metric}-${mode}-${decoding}`, title: `${title} (${label})`, spec: layerBandSpec(`${title}, visual K/V swap at L (${label}; 95% Wilson)`, metric === 'change' ? 'answers changed' : 'answers giving the source image\'s answer', points, { ...options, domain: [0, 1] }) });
    }
  }
  return charts;
}

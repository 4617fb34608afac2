/**
 * Vega-Lite specs of a variant sweep (pure, data inline): accuracy with the real image of every
 * model with its Wilson 95% interval, overall and per category, and every model × measure
 * (accuracy per condition, M_vis, M_v2r, M_rea, the difference from IN with its paired bootstrap
 * interval) with intervals; IN and RL first and the variants in sweep order.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Accuracy } from '../bench/benchMetrics';
import type { VariantsSummary } from '../variants/variantComparison';
import { chartConfig } from './chartConfig';
import type { ChartOptions, DiffChart } from './diffSpecs';

const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

export interface VariantPoint {
  model: string;
  kind: string;
  category: string;
  accuracy: number;
  lower: number;
  upper: number;
  correct: number;
  total: number;
}

export function variantPoints(summary: VariantsSummary): { overall: VariantPoint[]; byCategory: VariantPoint[] } {
  const point = (model: string, kind: string, category: string, score: Accuracy): VariantPoint => ({
    model, kind, category, accuracy: score.accuracy, lower: score.interval.lower, upper: score.interval.upper, correct: score.correct, total: score.total,
  });
  return {
    overall: summary.rows.map((row) => point(row.model, row.kind, 'all', row.conditions.real!.overall)),
    byCategory: summary.rows.flatMap((row) => Object.entries(row.conditions.real!.byCategory).map(([category, score]) => point(row.model, row.kind, category, score))),
  };
}

/** One model's value of one measure with its 95% interval; `detail` gives the counts behind it. */
export interface MeasurePoint {
  model: string;
  kind: string;
  measure: string;
  value: number;
  lower: number;
  upper: number;
  detail: string;
}

const differenceMeasure = (baseline: string) => `Δ accuracy vs ${baseline}`;

export function variantMeasurePoints(summary: VariantsSummary): MeasurePoint[] {
  const { baseline } = summary.comparison;
  return summary.rows.flatMap(({ model, kind, conditions, metrics, versusBaseline }) => {
    const points: MeasurePoint[] = summary.settings.conditions.map((condition) => {
      const { accuracy, interval, correct, total } = conditions[condition]!.overall;
      return { model, kind, measure: `accuracy (${condition})`, value: accuracy, lower: interval.lower, upper: interval.upper, detail: `${correct}/${total} correct` };
    });
    for (const metric of Object.values(metrics)) {
      const pairs = metric.transitions ? `; TT ${metric.transitions.nTT}, TF ${metric.transitions.nTF}, FT ${metric.transitions.nFT}, FF ${metric.transitions.nFF}` : '';
      points.push({ model, kind, measure: metric.name, value: metric.value, lower: metric.interval.lower, upper: metric.interval.upper, detail: `${metric.count}/${metric.n}${pairs}` });
    }
    if (versusBaseline) {
      const { difference, bootstrap, mcnemar } = versusBaseline;
      points.push({ model, kind, measure: differenceMeasure(baseline), value: difference, lower: bootstrap.interval.lower, upper: bootstrap.interval.upper, detail: `b ${mcnemar.onlyFirst}, c ${mcnemar.onlySecond}, McNemar exact p ${mcnemar.pValue.toFixed(4)}` });
    }
    return points;
  });
}

/**
 * Every model × measure: one panel per proportion (accuracy per condition, M_*) on [0, 1], and
 * below them the paired differences from the baseline on [−1, 1] with a rule at 0.
 */
function measuresSpec(points: readonly MeasurePoint[], order: readonly string[], differenceMeasure: string, options: ChartOptions): TopLevelSpec {
  const y = { field: 'model', type: 'nominal' as const, sort: [...order], title: null };
  const color = { field: 'kind', type: 'nominal' as const, title: null };
  const marks = (domain: [number, number]) => [
    { mark: { type: 'rule' }, encoding: { y, x: { field: 'lower', type: 'quantitative', scale: { domain } }, x2: { field: 'upper' }, color } },
    {
      mark: { type: 'point', filled: true, size: 60 },
      encoding: { y, x: { field: 'value', type: 'quantitative', scale: { domain }, title: null }, color, tooltip: [{ field: 'model' }, { field: 'measure' }, { field: 'value', format: '.4f' }, { field: 'lower', format: '.4f' }, { field: 'upper', format: '.4f' }, { field: 'detail' }] },
    },
  ];
  const isDifference = { field: 'measure', equal: differenceMeasure };
  const proportions = [...new Set(points.filter((point) => point.measure !== differenceMeasure).map((point) => point.measure))];
  const panels: object[] = [
    { transform: [{ filter: { not: isDifference } }], facet: { field: 'measure', type: 'nominal', title: null, sort: proportions }, columns: 3, spec: { width: 200, height: { step: 18 }, layer: marks([0, 1]) } },
  ];
  if (points.some((point) => point.measure === differenceMeasure)) {
    panels.push({ transform: [{ filter: isDifference }], title: { text: `${differenceMeasure} (paired bootstrap 95%)`, fontSize: 12 }, width: 420, height: { step: 18 }, layer: [{ mark: { type: 'rule', strokeDash: [4, 3] }, encoding: { x: { datum: 0, type: 'quantitative' } } }, ...marks([-1, 1])] });
  }
  return { $schema: VEGA_LITE_SCHEMA, title: 'Every measure per model (95% intervals)', datasets: { points }, data: { name: 'points' }, config: chartConfig(options.config), vconcat: panels } as unknown as TopLevelSpec;
}

function accuracySpec(title: string, points: readonly VariantPoint[], order: readonly string[], options: ChartOptions, facet: boolean): TopLevelSpec {
  const y = { field: 'model', type: 'nominal' as const, sort: [...order], title: null };
  const x = { field: 'accuracy', type: 'quantitative' as const, scale: { domain: [0, 1] }, title: 'accuracy (Wilson 95%)' };
  const color = { field: 'kind', type: 'nominal' as const, title: null };
  const layer = [
    { mark: { type: 'rule' }, encoding: { y, x: { field: 'lower', type: 'quantitative' }, x2: { field: 'upper' }, color } },
    {
      mark: { type: 'point', filled: true, size: 60 },
      encoding: {
        y, x, color,
        tooltip: [{ field: 'model' }, { field: 'category' }, { field: 'accuracy', format: '.4f' }, { field: 'lower', format: '.4f' }, { field: 'upper', format: '.4f' }, { field: 'correct' }, { field: 'total' }],
      },
    },
  ];
  const base = { $schema: VEGA_LITE_SCHEMA, title, datasets: { points }, data: { name: 'points' }, config: chartConfig(options.config) };
  const width = options.width === 'container' || options.width === undefined ? 420 : options.width;
  if (facet) return { ...base, facet: { field: 'category', type: 'nominal', title: null }, columns: 3, spec: { width: 220, height: { step: 18 }, layer }, resolve: { scale: { y: 'shared' } } } as unknown as TopLevelSpec;
  return { ...base, width, height: { step: 22 }, layer } as unknown as TopLevelSpec;
}

export function variantCharts(summary: VariantsSummary, options: ChartOptions = {}): DiffChart[] {
  const { overall, byCategory } = variantPoints(summary);
  const order = summary.rows.map((row) => row.model);
  const charts: DiffChart[] = [
    { id: 'variant-accuracy', title: 'Accuracy per model', description: `Accuracy of IN, RL and each variant on ${summary.items} items with the real image, with Wilson 95% intervals.`, spec: accuracySpec('Accuracy per model', overall, order, options, false) },
    {
      id: 'variant-measures',
      title: 'Every measure per model',
      description: `Accuracy per input condition and the paper's M_vis, M_v2r, M_rea (Wilson 95%), and the accuracy difference from ${summary.comparison.baseline} on the same items (paired bootstrap 95%, seed ${summary.comparison.bootstrap.seed}).`,
      spec: measuresSpec(variantMeasurePoints(summary), order, differenceMeasure(summary.comparison.baseline), options),
    },
  ];
  if (new Set(byCategory.map((point) => point.category)).size > 1) {
    charts.push({ id: 'variant-accuracy-by-category', title: 'Accuracy per model and category', description: 'The same, per item category.', spec: accuracySpec('Accuracy per model and category', byCategory, order, options, true) });
  }
  return charts;
}

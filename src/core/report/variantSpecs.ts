/**
 * Vega-Lite specs of a variant sweep (pure, data inline): accuracy of every model with its Wilson
 * 95% interval, overall and per category, IN and RL first and the variants in sweep order.
 */
import type { TopLevelSpec } from 'vega-lite';
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
  const point = (model: string, kind: string, category: string, score: VariantsSummary['rows'][number]['summary']['overall']): VariantPoint => ({
    model, kind, category, accuracy: score.accuracy, lower: score.interval.lower, upper: score.interval.upper, correct: score.correct, total: score.total,
  });
  return {
    overall: summary.rows.map((row) => point(row.model, row.kind, 'all', row.summary.overall)),
    byCategory: summary.rows.flatMap((row) => Object.entries(row.summary.byCategory).map(([category, score]) => point(row.model, row.kind, category, score))),
  };
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
    { id: 'variant-accuracy', title: 'Accuracy per model', description: `Accuracy of IN, RL and each variant on ${summary.items} items, with Wilson 95% intervals.`, spec: accuracySpec('Accuracy per model', overall, order, options, false) },
  ];
  if (new Set(byCategory.map((point) => point.category)).size > 1) {
    charts.push({ id: 'variant-accuracy-by-category', title: 'Accuracy per model and category', description: 'The same, per item category.', spec: accuracySpec('Accuracy per model and category', byCategory, order, options, true) });
  }
  return charts;
}

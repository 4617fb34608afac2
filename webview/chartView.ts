/**
 * The per-layer chart's switches (metric, section) and the spec they give: pure, so they are tested
 * without a page. The spec comes from core's `relativeUpdateSpec`, fed the layers of one section.
 */
import type { LayerAggregate } from '../src/core/diff/diffResult';
import { LAYER_METRICS, relativeUpdateSpec, type DiffChart, type LayerMetric } from '../src/core/report/diffSpecs';
import { isChartViewState, SECTION_FILTERS, type ChartViewState, type LayerResult, type SectionFilter } from './protocol';

/** The chart the switches drive. */
export const PER_LAYER_CHART_ID = 'relative-update';

export const DEFAULT_CHART_VIEW: ChartViewState = { metric: 'rlDeltaRelMean', section: 'all' };

/** The metrics the result can plot: the cosine needs a Base and at least one defined value. */
export function availableMetrics(result: LayerResult): LayerMetric[] {
  const hasCosine = result.inputs.base !== undefined && result.layers.some((layer) => layer.cosineMean !== null);
  return (Object.keys(LAYER_METRICS) as LayerMetric[]).filter((metric) => metric !== 'cosineMean' || hasCosine);
}

/** "all" and the sections the result has layers in. */
export function availableSections(result: LayerResult): SectionFilter[] {
  return SECTION_FILTERS.filter((section) => section === 'all' || result.layers.some((layer) => layer.section === section));
}

/** The stored view when it is still valid for this result, else the default for what is invalid. */
export function restoreChartView(stored: unknown, result: LayerResult): ChartViewState {
  if (!isChartViewState(stored)) return DEFAULT_CHART_VIEW;
  return {
    metric: availableMetrics(result).includes(stored.metric) ? stored.metric : DEFAULT_CHART_VIEW.metric,
    section: availableSections(result).includes(stored.section) ? stored.section : DEFAULT_CHART_VIEW.section,
  };
}

export function layersOfSection(layers: readonly LayerAggregate[], section: SectionFilter): LayerAggregate[] {
  return section === 'all' ? [...layers] : layers.filter((layer) => layer.section === section);
}

/**
 * The per-layer chart for a view. The default view keeps the host's chart as it is (its caption
 * included); any other gets a spec built for it, captioned with what its y axis shows.
 */
export function perLayerChart(original: DiffChart, result: LayerResult, view: ChartViewState, sectionName: string): DiffChart {
  if (view.metric === DEFAULT_CHART_VIEW.metric && view.section === DEFAULT_CHART_VIEW.section) return original;
  const definition = LAYER_METRICS[view.metric];
  const spec = relativeUpdateSpec({ ...result, layers: layersOfSection(result.layers, view.section), tensors: [] }, { metric: view.metric, width: 'container' });
  const where = view.section === 'all' ? '' : ` (${sectionName})`;
  return { id: original.id, title: definition.title, description: `${definition.title}${where}: ${definition.axisTitle}.`, spec };
}

/** The metric and section switches above the per-layer chart: labelled native <select>s. */
import type { LayerMetric } from '../src/core/report/diffSpecs';
import { element } from './dom';
import type { ChartViewState, PanelStrings, SectionFilter } from './protocol';

let controlCount = 0;

function select<T extends string>(label: string, className: string, options: readonly T[], names: Record<T, string>, value: T, onChange: (value: T) => void): HTMLElement {
  const id = `chart-control-${++controlCount}`;
  const box = element('select', className);
  box.id = id;
  for (const option of options) {
    const item = element('option', null, names[option]);
    item.value = option;
    box.append(item);
  }
  box.value = value;
  box.addEventListener('change', () => onChange(box.value as T));
  const labelElement = element('label', null, label);
  labelElement.htmlFor = id;
  return element('div', 'chart-control', labelElement, box);
}

export function chartControls(
  strings: PanelStrings,
  metrics: readonly LayerMetric[],
  sections: readonly SectionFilter[],
  view: ChartViewState,
  onChange: (view: ChartViewState) => void,
): HTMLElement {
  let current = view;
  const update = (next: Partial<ChartViewState>) => {
    current = { ...current, ...next };
    onChange(current);
  };
  return element(
    'div',
    'chart-controls',
    select(strings.metricLabel, 'metric-select', metrics, strings.metricNames, view.metric, (metric) => update({ metric })),
    select(strings.sectionLabel, 'section-select', sections, strings.sectionNames, view.section, (section) => update({ section })),
  );
}

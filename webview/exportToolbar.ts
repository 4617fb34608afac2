/** The row of export buttons above a chart or a table: one labelled button per format, in order. */
import { element } from './dom';
import type { ChartExportFormat } from './protocol';

export function exportToolbar(formats: readonly ChartExportFormat[], labels: Record<ChartExportFormat, string>, onExport: (format: ChartExportFormat) => void): HTMLElement {
  const toolbar = element('div', 'chart-export');
  toolbar.setAttribute('role', 'toolbar');
  for (const format of formats) {
    const button = element('button', 'chart-export-button', labels[format]);
    button.type = 'button';
    button.dataset.format = format;
    button.addEventListener('click', () => onExport(format));
    toolbar.append(button);
  }
  return toolbar;
}

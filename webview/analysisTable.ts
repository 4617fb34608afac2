/**
 * A table of an analysis (e.g. one row per model of a variant sweep) with CSV and JSON export, and,
 * when it has details, a second table for the row picked with its first-column button (mouse or
 * keyboard): a model's per-item answers, each with the rule that decided it.
 */
import { tableCsv } from '../src/core/report/csv';
import { element } from './dom';
import { exportToolbar } from './exportToolbar';
import type { AnalysisTable, ExportChartMessage, PanelStrings } from './protocol';

type Grid = { columns: string[]; rows: string[][] };

const NUMBER = /^-?\d+(\.\d+)?$/;

function exportButtons(strings: PanelStrings, id: string, grid: () => Grid, onExport: (message: ExportChartMessage) => void): HTMLElement {
  return exportToolbar(['csv', 'data'], strings.exportFormats, (format) => {
    const { columns, rows } = grid();
    const content = format === 'csv' ? tableCsv({ columns, rows }) : JSON.stringify(rows.map((row) => Object.fromEntries(columns.map((column, i) => [column, row[i]]))), null, 2);
    onExport({ type: 'exportChart', chartId: id, format, content });
  });
}

function renderGrid(caption: string, grid: Grid, firstCell?: (value: string) => Node): HTMLTableElement {
  const table = element('table', null, element('caption', null, caption));
  table.append(element('thead', null, element('tr', null, ...grid.columns.map((column) => element('th', null, column)))));
  const body = element('tbody', null);
  for (const row of grid.rows) {
    const [first, ...rest] = row;
    const head = element('th', null, firstCell ? firstCell(first) : first);
    head.scope = 'row';
    body.append(element('tr', null, head, ...rest.map((value) => element('td', NUMBER.test(value) ? 'number' : null, value))));
  }
  table.append(body);
  return table;
}

export function analysisTable(strings: PanelStrings, table: AnalysisTable, onExport: (message: ExportChartMessage) => void): HTMLElement {
  const details = element('section', 'analysis-details');
  details.setAttribute('aria-live', 'polite');
  details.append(element('p', 'tensor-hint', strings.detailsHint));
  const showDetails = (key: string) => {
    const grid = table.details?.[key];
    if (!grid) return;
    const caption = strings.detailsCaption.replaceAll('{0}', key);
    details.dataset.row = key;
    details.replaceChildren(exportButtons(strings, `${table.id}-${key}`, () => grid, onExport), element('div', 'tensor-table-scroll', renderGrid(caption, grid)));
  };
  const pick = table.details
    ? (value: string) => {
        const button = element('button', 'row-pick', value);
        button.type = 'button';
        button.addEventListener('click', () => showDetails(value));
        return button;
      }
    : undefined;
  const main = element('div', 'tensor-table-scroll', renderGrid(table.caption, table, pick));
  const section = element('section', 'tensor-table analysis-table', exportButtons(strings, table.id, () => table, onExport), main);
  if (table.details) section.append(details);
  return section;
}

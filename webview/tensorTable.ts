/**
 * The tensors of the clicked layer, below the charts: one row per tensor, largest ‖ΔRL‖ first (the
 * host sorts), numbers to four significant digits with the exact value in their title.
 */
import { element } from './dom';
import { exactNumber, formatShape, formatSignificant } from './numberFormat';
import { TENSOR_COLUMNS, type LayerTensorRow, type LayerTensorsResponse, type PanelStrings, type TensorColumn } from './protocol';

const NUMERIC_COLUMNS: ReadonlySet<TensorColumn> = new Set(['inFro', 'rlDeltaFro', 'rlDeltaRel', 'cosine', 'unchangedFraction', 'maxAbsDelta']);

function layerNumber(unifiedLayer: number): string {
  return unifiedLayer < 0 ? `−${-unifiedLayer}` : String(unifiedLayer);
}

function cell(row: LayerTensorRow, column: TensorColumn): HTMLTableCellElement {
  if (NUMERIC_COLUMNS.has(column)) {
    const value = row[column as keyof LayerTensorRow] as number | null;
    const td = element('td', 'number', formatSignificant(value));
    if (value !== null) td.title = exactNumber(value);
    return td;
  }
  switch (column) {
    case 'name': {
      const th = element('th', 'tensor-name', element('code', null, row.name));
      th.scope = 'row';
      return th;
    }
    case 'shape':
      return element('td', 'number', formatShape(row.shape));
    default:
      return element('td', null, String(row[column as 'component' | 'dtype']));
  }
}

export class TensorTable {
  readonly element: HTMLElement;
  private latestRequest = -1;

  constructor(private readonly strings: PanelStrings) {
    this.element = element('section', 'tensor-table', element('p', 'tensor-hint', strings.tensorTableHint));
    this.element.id = 'layer-tensors';
    this.element.setAttribute('aria-live', 'polite');
  }

  /** Shows that the tensors of a layer were asked for; only the answer to the latest request is drawn. */
  loading(requestId: number): void {
    this.latestRequest = requestId;
    this.element.setAttribute('aria-busy', 'true');
    this.element.replaceChildren(element('p', 'tensor-hint', this.strings.tensorTableLoading));
  }

  show(answer: LayerTensorsResponse): void {
    if (answer.requestId !== this.latestRequest) return;
    this.element.setAttribute('aria-busy', 'false');
    this.element.dataset.unifiedLayer = String(answer.unifiedLayer);
    if (answer.tensors.length === 0) {
      this.element.replaceChildren(element('p', 'tensor-hint', this.strings.tensorTableEmpty));
      return;
    }
    // The cosine column only when some tensor has one (a Base was given and both deltas are non-zero).
    const columns = TENSOR_COLUMNS.filter((column) => column !== 'cosine' || answer.tensors.some((row) => row.cosine !== null));
    const caption = this.strings.tensorTableCaption
      .replaceAll('{0}', layerNumber(answer.unifiedLayer))
      .replaceAll('{1}', answer.layerName)
      .replaceAll('{2}', String(answer.tensors.length));
    const head = element('tr', null);
    for (const column of columns) {
      const th = element('th', NUMERIC_COLUMNS.has(column) ? 'number' : null, this.strings.tensorColumns[column]);
      th.scope = 'col';
      head.append(th);
    }
    const body = element('tbody', null);
    for (const row of answer.tensors) {
      const tr = element('tr', row.included ? null : 'excluded', ...columns.map((column) => cell(row, column)));
      if (!row.included) tr.title = this.strings.excludedTensor;
      body.append(tr);
    }
    const table = element('table', null, element('caption', null, caption), element('thead', null, head), body);
    this.element.replaceChildren(element('div', 'tensor-table-scroll', table));
  }
}

/**
 * "Merge this range" / "Freeze this range": shown while the brush holds LLM layers, labelled with
 * the HF decoder range they act on. The host runs the merge with the panel's own IN/RL pair.
 */
import { decoderSelection } from './decoderRange';
import { element } from './dom';
import type { LayerRange } from './layerBrush';
import type { FromPanel, HfLayerRange, PanelStrings } from './protocol';

/** "6–11", or "6" for one layer. */
function rangeText({ hfStart, hfEnd }: HfLayerRange): string {
  return hfStart === hfEnd ? String(hfStart) : `${hfStart}–${hfEnd}`;
}

function fill(template: string, value: string): string {
  return template.replaceAll('{0}', value);
}

export class MergeActions {
  readonly element: HTMLElement;
  private readonly hint: HTMLElement;
  private readonly buttons: HTMLElement;
  private readonly mergeButton: HTMLButtonElement;
  private readonly freezeButton: HTMLButtonElement;
  private readonly note: HTMLElement;
  private selected: HfLayerRange | undefined;

  constructor(
    private readonly strings: PanelStrings,
    private readonly llmLayers: number | null,
    post: (message: FromPanel) => void,
  ) {
    this.hint = element('p', 'merge-hint', strings.brushHint);
    this.mergeButton = element('button', 'merge-button primary');
    this.freezeButton = element('button', 'merge-button secondary');
    for (const button of [this.mergeButton, this.freezeButton]) button.type = 'button';
    this.mergeButton.addEventListener('click', () => this.selected && post({ type: 'mergeLayerRange', ...this.selected }));
    this.freezeButton.addEventListener('click', () => this.selected && post({ type: 'freezeLayerRange', ...this.selected }));
    this.note = element('p', 'merge-note', strings.nonDecoderIgnored);
    this.buttons = element('div', 'merge-buttons', this.mergeButton, this.freezeButton, this.note);
    // Announced when the buttons appear or change, since they follow a pointer gesture elsewhere.
    this.element = element('section', 'merge-actions', this.hint, this.buttons);
    this.element.setAttribute('aria-live', 'polite');
    this.show(undefined);
  }

  /** Updates the buttons for the brushed unified range (undefined: no brush). */
  show(range: LayerRange | undefined): void {
    const selection = range && decoderSelection(range, this.llmLayers);
    this.selected = selection?.range;
    this.hint.hidden = selection !== undefined;
    this.buttons.hidden = selection === undefined;
    if (!selection) return;
    const layers = rangeText(selection.range);
    this.mergeButton.textContent = fill(this.strings.mergeRangeButton, layers);
    this.freezeButton.textContent = fill(this.strings.freezeRangeButton, layers);
    this.note.hidden = !selection.ignoredNonDecoder;
  }
}

/**
 * The keyboard's way to what the mouse does on the per-layer chart: pick a layer range (as the
 * brush does, for Merge and Freeze) or list one layer's tensors (as a click on a point does).
 * Labelled native <select>s over the result's layers, so screen readers and the Tab key reach them.
 */
import type { LayerAggregate } from '../src/core/diff/diffResult';
import { element } from './dom';
import type { LayerRange } from './layerBrush';
import type { PanelStrings } from './protocol';

let pickerCount = 0;

function fill(template: string, ...values: string[]): string {
  return values.reduce((text, value, index) => text.replaceAll(`{${index}}`, value), template);
}

function layerSelect(id: string, strings: PanelStrings, layers: readonly LayerAggregate[], initial: number): HTMLSelectElement {
  const box = element('select', 'layer-picker-select');
  box.id = id;
  for (const layer of layers) {
    const label =
      layer.hfLayer === null
        ? fill(strings.layerOptionOther, String(layer.unifiedLayer), (strings.sectionNames as Record<string, string>)[layer.section] ?? layer.section)
        : fill(strings.layerOptionDecoder, String(layer.unifiedLayer), String(layer.hfLayer));
    const option = element('option', null, label);
    option.value = String(layer.unifiedLayer);
    box.append(option);
  }
  box.value = String(initial);
  return box;
}

export function layerPicker(
  strings: PanelStrings,
  layers: readonly LayerAggregate[],
  onRange: (range: LayerRange) => void,
  onLayer: (unifiedLayer: number) => void,
): HTMLElement {
  const ordered = [...layers].sort((a, b) => a.unifiedLayer - b.unifiedLayer);
  const id = ++pickerCount;
  const first = ordered.find((layer) => layer.hfLayer !== null) ?? ordered[0];
  const from = layerSelect(`layer-picker-from-${id}`, strings, ordered, first?.unifiedLayer ?? 0);
  const to = layerSelect(`layer-picker-to-${id}`, strings, ordered, first?.unifiedLayer ?? 0);
  const fromLabel = element('label', null, strings.layerPickerFrom);
  fromLabel.htmlFor = from.id;
  const toLabel = element('label', null, strings.layerPickerTo);
  toLabel.htmlFor = to.id;

  const selectButton = element('button', 'picker-button layer-picker-range', strings.layerPickerSelect);
  const tensorsButton = element('button', 'picker-button layer-picker-tensors', strings.layerPickerTensors);
  selectButton.type = 'submit';
  tensorsButton.type = 'button';
  const form = element('form', 'layer-picker', fromLabel, from, toLabel, to, selectButton, tensorsButton);
  form.setAttribute('aria-label', strings.layerPickerLabel);
  // Enter in either list selects the range, like a brush from the first to the second (either order).
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const a = Number(from.value);
    const b = Number(to.value);
    onRange({ startUnified: Math.min(a, b), endUnified: Math.max(a, b) });
  });
  tensorsButton.addEventListener('click', () => onLayer(Number(from.value)));
  return form;
}

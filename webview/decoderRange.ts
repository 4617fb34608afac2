/** From a brushed range of the unified layer axis to the decoder layers a merge or freeze takes. */
import type { LayerRange } from './layerBrush';
import type { HfLayerRange } from './protocol';

export interface DecoderSelection {
  range: HfLayerRange;
  /** The brush also covered vision blocks or the projector (unified ≤ 0), which merges leave alone. */
  ignoredNonDecoder: boolean;
}

/**
 * Unified LLM layer i (≥ 1) is HF decoder layer i − 1; the end is clamped to the last layer when
 * the count is known. Undefined when the brush holds no LLM layer.
 */
export function decoderSelection(range: LayerRange, llmLayers: number | null): DecoderSelection | undefined {
  const hfStart = Math.max(range.startUnified, 1) - 1;
  const hfEnd = llmLayers === null ? range.endUnified - 1 : Math.min(range.endUnified - 1, llmLayers - 1);
  if (hfEnd < hfStart) return undefined;
  return { range: { hfStart, hfEnd }, ignoredNonDecoder: range.startUnified < 1 };
}

/**
 * The plans behind "Merge Layer Range…" and "Freeze Layer Range…", from an inclusive HF range as
 * the UI shows it. Pure, so the rules are testable without VS Code.
 */
import { FrankenlensError } from '../core/errors';
import { validatePlan, type LayerSlice, type MergePlan } from '../core/merge/mergePlan';
import { freezePlan, type PairPaths } from '../core/merge/presets';
import type { HfLayerRange } from '../../webview/protocol';

/** The model whose layers go into the other one. */
export type RangeSupplier = 'in' | 'rl';

const LABEL: Record<RangeSupplier, string> = { in: 'IN', rl: 'RL' };

function checkRange({ hfStart, hfEnd }: HfLayerRange, layers: number): void {
  if (!(Number.isInteger(hfStart) && Number.isInteger(hfEnd) && 0 <= hfStart && hfStart <= hfEnd && hfEnd < layers)) {
    throw new FrankenlensError('InvalidPlan', `layers ${hfStart}–${hfEnd} are not within the checkpoint's HF decoder layers 0–${layers - 1}`);
  }
}

/** "6-11" for file names and plan names, like the CLI's `--layers`. */
export function rangeLabel({ hfStart, hfEnd }: HfLayerRange): string {
  return `${hfStart}-${hfEnd}`;
}

/**
 * The other model with layers hfStart..hfEnd from `supplier`. Everything outside the decoder
 * comes from the first slice's model (the paper's rule), so a range that starts at layer 0 also
 * brings the supplier's vision tower, projector and embeddings; the description says so.
 */
export function layerRangeMergePlan(paths: PairPaths, layers: number, range: HfLayerRange, supplier: RangeSupplier): MergePlan {
  checkRange(range, layers);
  const host: RangeSupplier = supplier === 'rl' ? 'in' : 'rl';
  const end = range.hfEnd + 1;
  const slices: (LayerSlice & { source: RangeSupplier })[] = [
    ...(range.hfStart > 0 ? [{ start: 0, end: range.hfStart, source: host }] : []),
    { start: range.hfStart, end, source: supplier },
    ...(end < layers ? [{ start: end, end: layers, source: host }] : []),
  ];
  const nonDecoderFrom = LABEL[slices[0]!.source];
  return validatePlan({
    name: `${LABEL[host]} with layers ${rangeLabel(range)} from ${LABEL[supplier]}`,
    kind: 'frankenstein',
    description: `Decoder layers ${slices.map((slice) => `[${slice.start}, ${slice.end}) from ${LABEL[slice.source]}`).join(', ')}; vision tower, projector, embeddings, final norm, lm_head, config and tokenizer from ${nonDecoderFrom} (the model of the first slice, the paper's rule).`,
    models: { in: paths.in, rl: paths.rl },
    layerIndex: 'hf',
    slices,
    nonDecoder: { rule: 'first-model' },
  });
}

/** RL with layers hfStart..hfEnd held at IN. */
export function layerRangeFreezePlan(paths: PairPaths, layers: number, range: HfLayerRange): MergePlan {
  checkRange(range, layers);
  return freezePlan(paths, layers, [range.hfStart, range.hfEnd + 1]);
}

/** "6-11", "6 - 11", "6–11", "6..11" or "6" (one layer); undefined when the text is none of these. */
export function parseLayerRange(text: string): HfLayerRange | undefined {
  const match = /^\s*(\d+)\s*(?:(?:-|–|\.\.)\s*(\d+)\s*)?$/.exec(text);
  if (!match) return undefined;
  const hfStart = Number(match[1]);
  const hfEnd = match[2] === undefined ? hfStart : Number(match[2]);
  return hfStart <= hfEnd ? { hfStart, hfEnd } : undefined;
}

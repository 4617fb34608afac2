/**
 * Ready-made plans: the paper's six "Frankenstein" thirds variants (reference §3.2) for any layer
 * count and cuts, and the freeze counterfactual (RL with a range held at IN).
 */
import { defaultRegionCuts, regionCutsProblem } from '../checkpoint/canonicalNames';
import { FrankenlensError } from '../errors';
import { MERGE_PLAN_SCHEMA, type LayerSlice, type MergePlan } from './mergePlan';

export interface PairPaths {
  in: string;
  rl: string;
}

type Part = 'in' | 'rl';

const LABEL: Record<Part, string> = { in: 'IN', rl: 'RL' };

/** One slice per contiguous run; consecutive parts from the same model are joined. */
function slicesFor(parts: readonly { start: number; end: number; source: Part }[]): LayerSlice[] {
  const slices: LayerSlice[] = [];
  for (const part of parts) {
    const last = slices.at(-1);
    if (last && last.source === part.source && last.end === part.start) last.end = part.end;
    else slices.push({ ...part });
  }
  return slices;
}

/**
 * The six variants of the paper's transfer test, in its order. Two-way variants cut at the first
 * cut ("1/3") or the second ("2/3"); everything outside the decoder comes from the early model.
 */
export function thirdsVariants(paths: PairPaths, layers: number, cuts: [number, number] = defaultRegionCuts(layers)): MergePlan[] {
  const cutsProblem = regionCutsProblem(cuts, layers);
  if (cutsProblem) throw new FrankenlensError('InvalidPlan', cutsProblem);
  const [a, b] = cuts;
  const other = (part: Part): Part => (part === 'in' ? 'rl' : 'in');
  const variants: { name: string; parts: { start: number; end: number; source: Part }[] }[] = [];
  for (const [early, fraction, cut] of [['in', '1/3', a], ['rl', '1/3', a], ['in', '2/3', b], ['rl', '2/3', b]] as const) {
    const late = other(early);
    const lateFraction = fraction === '1/3' ? '2/3' : '1/3';
    variants.push({ name: `${LABEL[early]} early ${fraction} + ${LABEL[late]} late ${lateFraction}`, parts: [{ start: 0, end: cut, source: early }, { start: cut, end: layers, source: late }] });
  }
  for (const outer of ['in', 'rl'] as const) {
    const middle = other(outer);
    variants.push({
      name: `${LABEL[outer]} early 1/3 + ${LABEL[middle]} middle 1/3 + ${LABEL[outer]} late 1/3`,
      parts: [{ start: 0, end: a, source: outer }, { start: a, end: b, source: middle }, { start: b, end: layers, source: outer }],
    });
  }
  // The paper's order: IN/RL 1/3 pairs, then 2/3 pairs, then the sandwiches.
  return variants.map(({ name, parts }) => ({
    schema: MERGE_PLAN_SCHEMA,
    name,
    kind: 'frankenstein',
    description: `Decoder layers ${parts.map((part) => `[${part.start}, ${part.end}) from ${LABEL[part.source]}`).join(', ')}; vision tower, projector, embeddings, final norm, lm_head, config and tokenizer from ${LABEL[parts[0]!.source]} (the paper's rule). Cuts ${a},${b} of ${layers} layers.`,
    models: { in: paths.in, rl: paths.rl },
    layerIndex: 'hf',
    slices: slicesFor(parts),
    nonDecoder: { rule: 'first-model' },
  }));
}

/**
 * RL with HF layers [start, end) held at IN: the inference-time counterfactual of freezing that
 * range during RL. It is not a model trained with the range frozen, and says so.
 */
export function freezePlan(paths: PairPaths, layers: number, range: [number, number]): MergePlan {
  const [start, end] = range;
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start < end && end <= layers)) {
    throw new FrankenlensError('InvalidPlan', `freeze range [${start}, ${end}) must lie within HF layers [0, ${layers})`);
  }
  const parts: { start: number; end: number; source: Part }[] = [];
  if (start > 0) parts.push({ start: 0, end: start, source: 'rl' });
  parts.push({ start, end, source: 'in' });
  if (end < layers) parts.push({ start: end, end: layers, source: 'rl' });
  return {
    schema: MERGE_PLAN_SCHEMA,
    name: `RL with layers ${start}-${end - 1} frozen at IN`,
    kind: 'freeze',
    description: `Inference-time counterfactual of freezing HF decoder layers [${start}, ${end}) during RL: the RL checkpoint with those layers replaced by IN's. This is not a model trained with the layers frozen (RL's other layers adapted to the changed ones). Everything outside the decoder comes from RL.`,
    models: { in: paths.in, rl: paths.rl },
    layerIndex: 'hf',
    slices: slicesFor(parts),
    nonDecoder: { rule: 'model', source: 'rl' },
  };
}

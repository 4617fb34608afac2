/**
 * Pairs the tensors of two or three checkpoints by canonical name, so a pair saved under different
 * naming schemes, shard splits or float dtypes still lines up. Anything that does not pair is
 * refused with the list of differences.
 */
import { FrankenlensError } from '../errors';
import { canonicalName } from './canonicalNames';
import type { Checkpoint } from './checkpoint';
import type { LayerPlacement, TensorLocation } from './tensorInfo';

export type Role = 'in' | 'rl' | 'base';

export interface PairedTensor {
  canonicalName: string;
  in: TensorLocation;
  rl: TensorLocation;
  base?: TensorLocation;
}

/** Which tensor a per-tensor result is about (diff and spectral records): its names in each checkpoint and its place in the model. */
export interface PairedTensorIdentity extends LayerPlacement {
  /** The tensor's name in the IN checkpoint. */
  name: string;
  names: { in: string; rl: string; base?: string };
  shape: number[];
  /** Stored dtype per role. */
  dtypes: { in: string; rl: string; base?: string };
}

export function pairedTensorIdentity(pair: PairedTensor, placement: LayerPlacement): PairedTensorIdentity {
  const names: PairedTensorIdentity['names'] = { in: pair.in.name, rl: pair.rl.name };
  const dtypes: PairedTensorIdentity['dtypes'] = { in: pair.in.dtype, rl: pair.rl.dtype };
  if (pair.base) {
    names.base = pair.base.name;
    dtypes.base = pair.base.dtype;
  }
  return {
    name: pair.in.name,
    canonicalName: placement.canonicalName,
    names,
    unifiedLayer: placement.unifiedLayer,
    hfLayer: placement.hfLayer,
    visionBlock: placement.visionBlock,
    section: placement.section,
    component: placement.component,
    region: placement.region,
    shape: pair.in.shape,
    dtypes,
  };
}

const LISTED_DIFFERENCES = 10;

export function pairCheckpoints(checkpoints: { in: Checkpoint; rl: Checkpoint; base?: Checkpoint }): PairedTensor[] {
  const labelled = (['in', 'rl', 'base'] as const).filter((role) => checkpoints[role]).map((role) => ({ label: role.toUpperCase(), checkpoint: checkpoints[role]! }));
  const matched = matchTensorSets(labelled);
  const [inTensors, rlTensors, baseTensors] = matched;
  return [...inTensors!].map(([name, inTensor]) => {
    const pair: PairedTensor = { canonicalName: name, in: inTensor, rl: rlTensors!.get(name)! };
    const base = baseTensors?.get(name);
    if (base) pair.base = base;
    return pair;
  });
}

/**
 * Checks that every checkpoint holds the same tensors (by canonical name) with the same shapes as
 * the first, and returns each one's tensors by canonical name, in the first one's order.
 */
export function matchTensorSets(checkpoints: readonly { label: string; checkpoint: Checkpoint }[]): Map<string, TensorLocation>[] {
  const indexed = checkpoints.map(({ checkpoint }) => indexByCanonicalName(checkpoint));
  const [first, ...others] = checkpoints;
  const reference = indexed[0]!;
  others.forEach(({ label, checkpoint }, i) => {
    const tensors = indexed[i + 1]!;
    const onlyFirst = [...reference.keys()].filter((name) => !tensors.has(name));
    const onlyOther = [...tensors.keys()].filter((name) => !reference.has(name));
    if (onlyFirst.length > 0 || onlyOther.length > 0) {
      const list = (names: string[]) => names.slice(0, LISTED_DIFFERENCES).join(', ') + (names.length > LISTED_DIFFERENCES ? `, … (${names.length} in all)` : '');
      const parts = [
        onlyFirst.length > 0 ? `only in ${first!.label} (${first!.checkpoint.path}): ${list(onlyFirst)}` : '',
        onlyOther.length > 0 ? `only in ${label} (${checkpoint.path}): ${list(onlyOther)}` : '',
      ].filter(Boolean);
      throw new FrankenlensError('UnpairedTensors', `${first!.label} and ${label} do not hold the same tensors. ${parts.join('; ')}`, checkpoint.path, onlyOther[0] ?? onlyFirst[0]);
    }
    for (const [name, tensor] of reference) {
      const other = tensors.get(name)!;
      if (!sameShape(other.shape, tensor.shape)) {
        throw new FrankenlensError('ShapeMismatch', `${other.file}: tensor "${other.name}" has shape [${other.shape}] but ${first!.label}'s "${tensor.name}" (${tensor.file}) has [${tensor.shape}]`, other.file, other.name);
      }
    }
  });
  return indexed;
}

function indexByCanonicalName(checkpoint: Checkpoint): Map<string, TensorLocation> {
  const result = new Map<string, TensorLocation>();
  for (const tensor of checkpoint.tensors) {
    const name = canonicalName(tensor.name);
    const previous = result.get(name);
    if (previous) {
      throw new FrankenlensError('DuplicateTensor', `${tensor.file}: tensors "${previous.name}" and "${tensor.name}" are the same tensor under two naming schemes`, tensor.file, tensor.name);
    }
    result.set(name, tensor);
  }
  return result;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}

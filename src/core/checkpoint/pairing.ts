/**
 * Pairs the tensors of two or three checkpoints by canonical name, so a pair saved under different
 * naming schemes, shard splits or float dtypes still lines up. Anything that does not pair is
 * refused with the list of differences.
 */
import { FrankenlensError } from '../errors';
import { canonicalName } from './canonicalNames';
import type { Checkpoint } from './checkpoint';
import type { TensorLocation } from './tensorInfo';

export type Role = 'in' | 'rl' | 'base';

export interface PairedTensor {
  canonicalName: string;
  in: TensorLocation;
  rl: TensorLocation;
  base?: TensorLocation;
}

const LISTED_DIFFERENCES = 10;

export function pairCheckpoints(checkpoints: { in: Checkpoint; rl: Checkpoint; base?: Checkpoint }): PairedTensor[] {
  const byRole = new Map<Role, Map<string, TensorLocation>>();
  for (const role of ['in', 'rl', 'base'] as const) {
    const checkpoint = checkpoints[role];
    if (checkpoint) byRole.set(role, indexByCanonicalName(checkpoint));
  }
  const inTensors = byRole.get('in')!;
  for (const [role, tensors] of byRole) {
    if (role === 'in') continue;
    const onlyIn = [...inTensors.keys()].filter((name) => !tensors.has(name));
    const onlyOther = [...tensors.keys()].filter((name) => !inTensors.has(name));
    if (onlyIn.length > 0 || onlyOther.length > 0) {
      const list = (names: string[]) => names.slice(0, LISTED_DIFFERENCES).join(', ') + (names.length > LISTED_DIFFERENCES ? `, … (${names.length} in all)` : '');
      const parts = [
        onlyIn.length > 0 ? `only in IN (${checkpoints.in.path}): ${list(onlyIn)}` : '',
        onlyOther.length > 0 ? `only in ${role.toUpperCase()} (${checkpoints[role]!.path}): ${list(onlyOther)}` : '',
      ].filter(Boolean);
      throw new FrankenlensError('UnpairedTensors', `IN and ${role.toUpperCase()} do not hold the same tensors. ${parts.join('; ')}`, checkpoints[role]!.path, onlyOther[0] ?? onlyIn[0]);
    }
  }

  const pairs: PairedTensor[] = [];
  for (const [name, inTensor] of inTensors) {
    const pair: PairedTensor = { canonicalName: name, in: inTensor, rl: byRole.get('rl')!.get(name)! };
    const base = byRole.get('base')?.get(name);
    if (base) pair.base = base;
    for (const other of [pair.rl, pair.base]) {
      if (other && !sameShape(other.shape, inTensor.shape)) {
        throw new FrankenlensError('ShapeMismatch', `${other.file}: tensor "${other.name}" has shape [${other.shape}] but IN's "${inTensor.name}" (${inTensor.file}) has [${inTensor.shape}]`, other.file, other.name);
      }
    }
    pairs.push(pair);
  }
  return pairs;
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

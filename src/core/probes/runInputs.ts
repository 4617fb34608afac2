/**
 * What a resumable run (probes, variant sweeps) reads, fingerprinted into its settings file so a
 * resume can tell whether any of it changed since the run started: every checkpoint (weight-file
 * sizes, times and header hashes, config.json's hash: fingerprint.ts), the item files (content
 * hash: they are small), the images (size and time: they are many and large) and the items as the
 * run read them. A resume that finds a change is refused, saying what changed: answers of the old
 * inputs must never be mixed with answers of the new ones.
 */
import { createHash } from 'node:crypto';
import { openCheckpoint, type Checkpoint } from '../checkpoint/checkpoint';
import { fileStampChange, fingerprintChange, fingerprintCheckpoint, stampFile, type CheckpointFingerprint, type FileStamp } from '../checkpoint/fingerprint';
import type { BenchmarkItem } from '../bench/benchmarkItems';
import type { SourceFolder } from '../outputFolder';
import type { ProbeModel } from './probeModel';

export interface RunInputs {
  /** Checkpoints by the name messages give them ("IN", "RL", "describer"), opened or as folders. */
  checkpoints: Record<string, Checkpoint | string>;
  /** Files the items are read from (benchmark JSONL, swap pair tables). */
  files?: readonly string[];
  /** Images the items show. */
  images?: readonly string[];
  /** The items as the run uses them: an edit shows even when no file is named. */
  items?: unknown;
}

/** Where a probe's or sweep's items and describer come from, beyond the items themselves (optional: fingerprinted when given). */
export interface ItemSources {
  /** The file the items were read from. */
  itemsFile?: string;
  /** The checkpoint of a local describer model. */
  describerDir?: string;
}

/** The inputs of a probe over benchmark items: its models' checkpoints, the items, their images and file, the describer. */
export function itemRunInputs(models: readonly ProbeModel[], items: readonly BenchmarkItem[], sources: ItemSources): RunInputs {
  return {
    checkpoints: { ...Object.fromEntries(models.map((model) => [model.role.toUpperCase(), model.runtime.checkpoint])), ...(sources.describerDir ? { describer: sources.describerDir } : {}) },
    files: sources.itemsFile ? [sources.itemsFile] : [],
    images: items.flatMap((item) => item.images),
    items,
  };
}

export interface SavedRunInputs {
  checkpoints: Record<string, CheckpointFingerprint>;
  files: FileStamp[];
  images: FileStamp[];
  itemsSha256: string | null;
}

export function fingerprintRunInputs(inputs: RunInputs): SavedRunInputs {
  const checkpoints = Object.fromEntries(Object.entries(inputs.checkpoints).map(([name, checkpoint]) => [name, fingerprintCheckpoint(typeof checkpoint === 'string' ? openCheckpoint(checkpoint) : checkpoint)]));
  return {
    checkpoints,
    files: unique(inputs.files).map((path) => stampFile(path, { hash: true })),
    images: unique(inputs.images).map((path) => stampFile(path, { hash: false })),
    itemsSha256: inputs.items === undefined ? null : createHash('sha256').update(JSON.stringify(inputs.items)).digest('hex'),
  };
}

/** Whether a value read back from a run file has the shape of saved inputs (so comparing them cannot crash). */
export function isSavedRunInputs(value: unknown): value is SavedRunInputs {
  const object = (item: unknown): item is Record<string, unknown> => typeof item === 'object' && item !== null && !Array.isArray(item);
  const stamps = (items: unknown) => Array.isArray(items) && items.every((stamp) => object(stamp) && typeof stamp.path === 'string' && typeof stamp.bytes === 'number');
  return object(value) && object(value.checkpoints) && stamps(value.files) && stamps(value.images)
    && Object.values(value.checkpoints).every((checkpoint) => object(checkpoint) && typeof checkpoint.path === 'string' && Array.isArray(checkpoint.files) && checkpoint.files.every((file) => object(file) && typeof file.name === 'string'));
}

/** The checkpoint folders of a run, which its output folder may not be inside of. */
export function inputSources(inputs: SavedRunInputs): SourceFolder[] {
  return Object.entries(inputs.checkpoints).map(([name, checkpoint]) => ({ label: name, path: checkpoint.path }));
}

/** What changed between the inputs a run started with and the current ones, in words ("the RL checkpoint changed (…)"); null when nothing did. */
export function runInputsChange(saved: SavedRunInputs, current: SavedRunInputs): string | null {
  for (const [name, now] of Object.entries(current.checkpoints)) {
    const then = saved.checkpoints[name];
    if (!then) return `the ${name} checkpoint was not part of the run`;
    if (then.path !== now.path) return `the ${name} checkpoint is another folder (${then.path} → ${now.path})`;
    const change = fingerprintChange(then, now);
    if (change) return `the ${name} checkpoint changed (${change})`;
  }
  for (const [kind, savedStamps, currentStamps] of [['items file', saved.files, current.files], ['image', saved.images, current.images]] as const) {
    const byPath = new Map(savedStamps.map((stamp) => [stamp.path, stamp]));
    for (const now of currentStamps) {
      const then = byPath.get(now.path);
      const change = then ? fileStampChange(then, now) : `${now.path} was not part of the run`;
      if (change) return `an ${kind} changed (${change})`;
    }
  }
  if (saved.itemsSha256 !== current.itemsSha256) return 'the items changed (a question, answer, choice or description differs)';
  return null;
}

function unique(paths: readonly string[] = []): string[] {
  return [...new Set(paths)];
}

/**
 * Whether a saved `diff.json` still describes the checkpoints on disk: same folders, and for each
 * one the same config.json and weight files (size, mtime, header hash). Reading headers only, it
 * answers in milliseconds where recomputing reads every weight.
 */
import { resolve } from 'node:path';
import { openCheckpoint } from '../checkpoint/checkpoint';
import { fingerprintChange, fingerprintFiles } from '../checkpoint/fingerprint';
import type { DiffResult } from './diffResult';

export interface DiffInputs {
  inDir: string;
  rlDir: string;
  baseDir?: string;
}

/** Null when the saved result can be reused; otherwise why not, in words. */
export function savedDiffStaleness(saved: DiffResult, inputs: DiffInputs): string | null {
  const roles = [
    ['IN', saved.inputs.in, inputs.inDir],
    ['RL', saved.inputs.rl, inputs.rlDir],
    ['Base', saved.inputs.base, inputs.baseDir],
  ] as const;
  for (const [label, summary, dir] of roles) {
    if ((summary === undefined) !== (dir === undefined)) return dir === undefined ? `the saved comparison has a Base checkpoint` : `the saved comparison has no Base checkpoint`;
    if (!summary || dir === undefined) continue;
    if (resolve(summary.path) !== resolve(dir)) return `the saved comparison used ${label} ${summary.path}`;
    let current;
    try {
      const checkpoint = openCheckpoint(dir);
      current = { configSha256: checkpoint.configSha256, files: fingerprintFiles(checkpoint) };
    } catch (error) {
      return `${label} cannot be read (${(error as Error).message})`;
    }
    const change = fingerprintChange(summary, current);
    if (change) return `${label} changed since it was compared: ${change}`;
  }
  return null;
}

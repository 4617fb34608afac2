import { join } from 'node:path';
import { writeJsonAtomic } from '../atomicWrite';
import { withOutputFolder, type SourceFolder } from '../outputFolder';
import type { DiffResult } from './diffResult';

export const DIFF_JSON = 'diff.json';

/**
 * Writes `diff.json` into `outDir` (missing, empty or written by the tool: outputFolder.ts) under a
 * temporary name first, so a partial file never looks complete.
 */
export function writeDiffJson(result: DiffResult, outDir: string): string {
  return withOutputFolder(outDir, { kind: 'diff', sources: inputFolders(result.inputs) }, (dir) => {
    const path = join(dir, DIFF_JSON);
    writeJsonAtomic(path, result);
    return path;
  });
}

/** The checkpoints a diff or spectral result was computed from, which its output may not be inside of. */
export function inputFolders(inputs: { in: { path: string }; rl: { path: string }; base?: { path: string } }): SourceFolder[] {
  return [{ label: 'IN', path: inputs.in.path }, { label: 'RL', path: inputs.rl.path }, ...(inputs.base ? [{ label: 'Base', path: inputs.base.path }] : [])];
}

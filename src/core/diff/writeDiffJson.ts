import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DiffResult } from './diffResult';

export const DIFF_JSON = 'diff.json';

/** Writes `diff.json` into `outDir` under a temporary name first, so a partial file never looks complete. */
export function writeDiffJson(result: DiffResult, outDir: string): string {
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, DIFF_JSON);
  writeFileSync(`${path}.partial`, JSON.stringify(result, null, 2) + '\n');
  renameSync(`${path}.partial`, path);
  return path;
}

import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SpectralResult } from './spectralResult';

export const SPECTRAL_JSON = 'spectral.json';

/** Writes `spectral.json` into `outDir` under a temporary name first, so a partial file never looks complete. */
export function writeSpectralJson(result: SpectralResult, outDir: string): string {
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, SPECTRAL_JSON);
  writeFileSync(`${path}.partial`, JSON.stringify(result, null, 2) + '\n');
  renameSync(`${path}.partial`, path);
  return path;
}

import { join } from 'node:path';
import { writeJsonAtomic } from '../atomicWrite';
import { inputFolders } from '../diff/writeDiffJson';
import { withOutputFolder } from '../outputFolder';
import type { SpectralResult } from './spectralResult';

export const SPECTRAL_JSON = 'spectral.json';

/**
 * Writes `spectral.json` into `outDir` (missing, empty or written by the tool: outputFolder.ts)
 * under a temporary name first, so a partial file never looks complete.
 */
export function writeSpectralJson(result: SpectralResult, outDir: string): string {
  return withOutputFolder(outDir, { kind: 'spectral', sources: inputFolders(result.inputs) }, (dir) => {
    const path = join(dir, SPECTRAL_JSON);
    writeJsonAtomic(path, result);
    return path;
  });
}

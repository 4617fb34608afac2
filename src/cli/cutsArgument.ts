import { defaultRegionCuts, paperScriptRegionCuts } from '../core/checkpoint/canonicalNames';
import { openCheckpoint } from '../core/checkpoint/checkpoint';
import { UsageError } from './cliErrors';

/** What --cuts takes, for usage texts. */
export const CUTS_USAGE = 'A,B (HF 0-based), thirds (floor(n/3),floor(2n/3), the default) or paper-svd (the paper\'s SVD script: n//3,2*(n//3))';

/**
 * `--cuts 8,20` → [8, 20]; `thirds` and `paper-svd` are presets from the decoder's layer count,
 * read only when a preset is named. Whether numbers fit the model is the core's check.
 */
export function parseCuts(text: string, llmLayers: () => number | null): [number, number] {
  const preset = text.trim();
  if (preset === 'thirds' || preset === 'paper-svd') {
    const layers = llmLayers();
    if (layers === null) throw new UsageError(`--cuts ${preset}: the decoder's layer count is not known (no num_hidden_layers in config.json); give the cuts as A,B`);
    return preset === 'thirds' ? defaultRegionCuts(layers) : paperScriptRegionCuts(layers);
  }
  const parts = text.split(',').map((part) => Number(part.trim()));
  if (parts.length !== 2 || !parts.every(Number.isInteger)) throw new UsageError(`--cuts must be two integers like 8,20, thirds or paper-svd, not "${text}"`);
  return [parts[0]!, parts[1]!];
}

/** --cuts when given, its presets counted on the IN checkpoint's decoder. */
export function cutsFlag(text: string | undefined, inDir: string): [number, number] | undefined {
  return text === undefined ? undefined : parseCuts(text, () => openCheckpoint(inDir).info.llmLayers);
}

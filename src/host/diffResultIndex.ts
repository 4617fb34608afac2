/**
 * The saved comparisons under the results folder, indexed by their IN and RL folders, so a
 * CodeLens can say what RL changed in a checkpoint without rerunning anything. Each `diff.json` is
 * parsed once per modification time and reduced to the few facts the lenses need. Everything is
 * read with fs/promises (and the same regular-file and size checks as the CLI), never blocking the
 * extension host's thread.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DIFF_SCHEMA, type DiffResult, type LayerAggregate } from '../core/diff/diffResult';
import { DIFF_JSON } from '../core/diff/writeDiffJson';
import { readJsonFileAsync, TABLE_FILE_BYTES } from '../core/regularFile';

const TOP_CHANGED_COUNT = 3;

export interface SavedComparison {
  file: string;
  inPath: string;
  rlPath: string;
  createdAt: string;
  /** HF decoder indices of the layers RL moved most, in layer order. */
  topChangedHfLayers: number[];
}

/** HF indices of the `count` decoder layers with the largest mean relative update, ascending. */
export function topChangedHfLayers(layers: readonly Pick<LayerAggregate, 'hfLayer' | 'rlDeltaRelMean'>[], count = TOP_CHANGED_COUNT): number[] {
  return layers
    .filter((layer): layer is typeof layer & { hfLayer: number } => layer.hfLayer !== null && layer.rlDeltaRelMean > 0)
    .sort((a, b) => b.rlDeltaRelMean - a.rlDeltaRelMean)
    .slice(0, count)
    .map((layer) => layer.hfLayer)
    .sort((a, b) => a - b);
}

/** The newest saved comparison that has `folder` as its IN or RL input. */
export function comparisonFor(comparisons: readonly SavedComparison[], folder: string): SavedComparison | undefined {
  const target = resolve(folder);
  return comparisons
    .filter((comparison) => resolve(comparison.inPath) === target || resolve(comparison.rlPath) === target)
    .reduce<SavedComparison | undefined>((newest, comparison) => (newest === undefined || comparison.createdAt > newest.createdAt ? comparison : newest), undefined);
}

/** The lens facts of one parsed `diff.json`; undefined when it is not one. */
export function summarizeSavedComparison(file: string, parsed: unknown): SavedComparison | undefined {
  const result = parsed as Partial<DiffResult> | null;
  if (typeof result !== 'object' || result === null || result.schema !== DIFF_SCHEMA) return undefined;
  const inPath = result.inputs?.in?.path;
  const rlPath = result.inputs?.rl?.path;
  if (typeof inPath !== 'string' || typeof rlPath !== 'string' || !Array.isArray(result.layers)) return undefined;
  return { file, inPath, rlPath, createdAt: String(result.createdAt ?? ''), topChangedHfLayers: topChangedHfLayers(result.layers) };
}

/** Every `diff.json` below `folder`; a missing folder has none. */
export async function findDiffFiles(folder: string): Promise<string[]> {
  try {
    return (await readdir(folder, { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile() && entry.name === DIFF_JSON)
      .map((entry) => join(entry.parentPath, entry.name));
  } catch {
    return [];
  }
}

export class DiffResultIndex {
  private readonly parsed = new Map<string, { mtimeMs: number; comparison: SavedComparison | undefined }>();

  /** The saved comparisons now in `resultsFolder`; unchanged files are not read again. */
  async comparisons(resultsFolder: string): Promise<SavedComparison[]> {
    const comparisons = await Promise.all((await findDiffFiles(resultsFolder)).map((file) => this.read(file)));
    return comparisons.filter((comparison): comparison is SavedComparison => comparison !== undefined);
  }

  private async read(file: string): Promise<SavedComparison | undefined> {
    try {
      const { mtimeMs } = await stat(file);
      const cached = this.parsed.get(file);
      if (cached?.mtimeMs === mtimeMs) return cached.comparison;
      const comparison = summarizeSavedComparison(file, await readJsonFileAsync(file, { code: 'InvalidArgument', maxBytes: TABLE_FILE_BYTES }));
      this.parsed.set(file, { mtimeMs, comparison });
      return comparison;
    } catch {
      // Being written, or not JSON: the lens simply has no result for it yet.
      return undefined;
    }
  }
}

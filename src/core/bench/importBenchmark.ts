/**
 * Imports a benchmark from another tool into a folder of our own format: items.jsonl, images/ and,
 * when the source holds model outputs, responses.jsonl. Written into a staging folder and renamed
 * into place at the end, so a failed import never leaves a folder that looks complete.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { FrankenlensError } from '../errors';
import { benchmarkItemLine, readBenchmarkItems } from './benchmarkItems';
import { importLmmsEvalLog } from './lmmsEvalLog';
import { modelResponseLine } from './modelResponses';
import { importVlmEvalKitTsv } from './vlmEvalKitTsv';

export type BenchmarkSource = { format: 'vlmevalkit-tsv'; file: string } | { format: 'lmms-eval'; file: string };

export const ITEMS_FILE = 'items.jsonl';
export const RESPONSES_FILE = 'responses.jsonl';

export interface ImportSummary {
  outDir: string;
  itemsFile: string;
  /** Present when the source held model responses. */
  responsesFile?: string;
  items: number;
  images: number;
}

export function importBenchmark(source: BenchmarkSource, outDir: string, options: { overwrite?: boolean } = {}): ImportSummary {
  const target = resolve(outDir);
  if (existsSync(target) && !options.overwrite) throw new FrankenlensError('FileExists', `${target} already exists (pass --overwrite to replace it)`, target);
  mkdirSync(dirname(target), { recursive: true });
  const staging = join(dirname(target), `.${basename(target)}.partial-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  const imageDir = join(staging, 'images');
  mkdirSync(imageDir, { recursive: true });
  try {
    const imported = source.format === 'vlmevalkit-tsv' ? importVlmEvalKitTsv(source.file, imageDir) : importLmmsEvalLog(source.file);
    writeFileSync(join(staging, ITEMS_FILE), imported.items.map((item) => benchmarkItemLine(item, staging) + '\n').join(''));
    if (imported.responses.length > 0) writeFileSync(join(staging, RESPONSES_FILE), imported.responses.map((response) => modelResponseLine(response) + '\n').join(''));
    const images = new Set(imported.items.flatMap((item) => item.images)).size;
    if (images === 0) rmSync(imageDir, { recursive: true });
    if (existsSync(target)) rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
    // The written file must read back as valid items (image paths now relative to the final folder).
    readBenchmarkItems(join(target, ITEMS_FILE));
    return {
      outDir: target,
      itemsFile: join(target, ITEMS_FILE),
      ...(imported.responses.length > 0 ? { responsesFile: join(target, RESPONSES_FILE) } : {}),
      items: imported.items.length,
      images,
    };
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

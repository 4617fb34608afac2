/**
 * Imports a benchmark from another tool into a folder of our own format: items.jsonl, images/ and,
 * when the source holds model outputs (or a prediction file is joined to it), responses.jsonl.
 * Written into a staging folder and renamed into place at the end, so a failed import never leaves
 * a folder that looks complete. Every image an item names is decoded as the probes will decode it:
 * one that does not (truncated, corrupt, over the decompression-bomb limit, a format we do not read)
 * fails the import, naming the row. What the import kept but a person should know (text-only rows,
 * relettered options, rows missing on either side of a join) comes back as warnings.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FrankenlensError, isFrankenlensError } from '../errors';
import { readRegularFile } from '../regularFile';
import { decodeImage, IMAGE_FILE_BYTES } from '../vision/imageDecode';
import { benchmarkItemLine, readBenchmarkItems, type BenchmarkItem } from './benchmarkItems';
import { importLmmsEvalLog } from './lmmsEvalLog';
import { modelResponseLine } from './modelResponses';
import { importVlmEvalKitTsv, type ImportWarnings } from './vlmEvalKitTsv';
import { stageOutputFolder } from '../outputFolder';

export type BenchmarkSource =
  /** `predictions`: a VLMEvalKit prediction file (.xlsx, .tsv, .csv, .json) joined to the TSV by index. */
  | { format: 'vlmevalkit-tsv'; file: string; predictions?: string }
  | { format: 'lmms-eval'; file: string };

export const ITEMS_FILE = 'items.jsonl';
export const RESPONSES_FILE = 'responses.jsonl';

export interface ImportSummary {
  outDir: string;
  itemsFile: string;
  /** Present when the source held model responses. */
  responsesFile?: string;
  items: number;
  images: number;
  responses: number;
  warnings: ImportWarnings;
}

export function importBenchmark(source: BenchmarkSource, outDir: string, options: { overwrite?: boolean } = {}): ImportSummary {
  const target = resolve(outDir);
  if (existsSync(target) && !options.overwrite) throw new FrankenlensError('FileExists', `${target} already exists (pass --overwrite to replace it)`, target);
  // Written whole beside the target, then put in place: only a folder frankenlens wrote is ever replaced.
  const output = stageOutputFolder(target, { kind: 'benchmark', overwrite: options.overwrite });
  const staging = output.staging;
  const imageDir = join(staging, 'images');
  mkdirSync(imageDir, { recursive: true });
  try {
    const imported = source.format === 'vlmevalkit-tsv' ? importVlmEvalKitTsv(source.file, imageDir, { predictions: source.predictions }) : importLmmsEvalLog(source.file);
    checkImagesDecode(imported.items, source.file);
    writeFileSync(join(staging, ITEMS_FILE), imported.items.map((item) => benchmarkItemLine(item, staging) + '\n').join(''));
    if (imported.responses.length > 0) writeFileSync(join(staging, RESPONSES_FILE), imported.responses.map((response) => modelResponseLine(response) + '\n').join(''));
    const images = new Set(imported.items.flatMap((item) => item.images)).size;
    if (images === 0) rmSync(imageDir, { recursive: true });
    output.commit();
    // The written file must read back as valid items (image paths now relative to the final folder).
    readBenchmarkItems(join(target, ITEMS_FILE));
    return {
      outDir: target,
      itemsFile: join(target, ITEMS_FILE),
      ...(imported.responses.length > 0 ? { responsesFile: join(target, RESPONSES_FILE) } : {}),
      items: imported.items.length,
      images,
      responses: imported.responses.length,
      warnings: imported.warnings,
    };
  } catch (error) {
    output.discard();
    throw error;
  }
}

/** Decodes each distinct image once, one at a time; errors name the source file and the row. */
function checkImagesDecode(items: BenchmarkItem[], sourceFile: string): void {
  const checked = new Set<string>();
  for (const item of items) {
    item.images.forEach((path, k) => {
      if (checked.has(path)) return;
      checked.add(path);
      const where = `${sourceFile}, row "${item.id}"${item.images.length > 1 ? `, image ${k + 1}` : ''}`;
      try {
        decodeImage(readRegularFile(path, { code: 'InvalidImage', maxBytes: IMAGE_FILE_BYTES }), where);
      } catch (error) {
        if (!isFrankenlensError(error)) throw error;
        // Read errors name the image file; decode errors already start with `where`.
        const message = error.message.startsWith(where) ? error.message : `${where}: ${error.message}`;
        throw new FrankenlensError(error.code, message, sourceFile);
      }
    });
  }
}

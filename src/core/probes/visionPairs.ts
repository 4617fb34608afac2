/**
 * The paper's vision-localization pairs as published: `<root>/<task>/data.jsonl`, one pair per line
 * (id, task, target_image, source_image relative to the task folder, prompt, meta). Read as they
 * are: the paper uses the first 50 rows of each task; `<image>` in a counting prompt is plain text;
 * recognition sources are blank canvases; some OCR pairs share the word. Expected answers are taken
 * from meta as the paper's result files store them (grounding boxes as "[x1, y1, x2, y2]").
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FrankenlensError } from '../errors';
import { jsonProblem, MAX_NESTING, nestedTooDeeply, nestingExceeds, previewValue, quoted, readRegularFileText, TABLE_FILE_BYTES } from '../regularFile';

export const VISION_TASKS = ['counting', 'grounding', 'ocr', 'recognition'] as const;
export type VisionTask = (typeof VISION_TASKS)[number];
/** The paper's sample count per task: the first rows of each file, not a random subset. */
export const PAPER_ROWS_PER_TASK = 50;

export interface VisionPair {
  id: string;
  task: VisionTask;
  targetImage: string;
  sourceImage: string;
  prompt: string;
  meta: Record<string, unknown>;
  targetAnswer: string | null;
  sourceAnswer: string | null;
  /** Where the row came from, for error messages. */
  file: string;
  line: number;
}

export interface VisionPairsOptions {
  tasks?: readonly VisionTask[];
  /** Rows read from the top of each task file (default the paper's 50). */
  rowsPerTask?: number;
}

export function readVisionPairs(root: string, options: VisionPairsOptions = {}): VisionPair[] {
  const rows = options.rowsPerTask ?? PAPER_ROWS_PER_TASK;
  return (options.tasks ?? VISION_TASKS).flatMap((task) => readTaskFile(resolve(root), task, rows));
}

function readTaskFile(root: string, task: VisionTask, rows: number): VisionPair[] {
  const taskDir = join(root, task);
  const file = join(taskDir, 'data.jsonl');
  if (!existsSync(file)) throw new FrankenlensError('InvalidBenchmarkItem', `${file}: missing (expected <root>/<task>/data.jsonl for task "${task}")`, file);
  const pairs: VisionPair[] = [];
  const lines = readRegularFileText(file, { code: 'InvalidBenchmarkItem', maxBytes: TABLE_FILE_BYTES }).split('\n');
  for (let index = 0; index < lines.length && pairs.length < rows; index++) {
    const text = lines[index]!.trim();
    if (text === '') continue;
    const line = index + 1;
    const fail = (problem: string) => new FrankenlensError('InvalidBenchmarkItem', `${file}:${line}: ${problem}`, file);
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw fail(`not JSON (${jsonProblem(error)})`);
    }
    // Rows are kept (meta goes into results), so nothing may nest deeper than writers can follow.
    if (nestingExceeds(row, MAX_NESTING)) throw nestedTooDeeply(file, `${file}:${line}`);
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw fail('a row must be a JSON object');
    const string = (key: string): string => {
      const value = row[key];
      if (typeof value !== 'string' || value === '') throw fail(`"${key}" must be a non-empty string, got ${previewValue(value)}`);
      return value;
    };
    if (string('task') !== task) throw fail(`"task" is ${quoted(row.task as string)} in the ${task} file`);
    const meta = row.meta ?? {};
    if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw fail('"meta" must be an object');
    const image = (key: string) => {
      const path = resolve(taskDir, string(key));
      if (!existsSync(path)) throw fail(`${key} ${path} does not exist`);
      return path;
    };
    const answers = expectedAnswers(task, meta as Record<string, unknown>, fail);
    pairs.push({ id: string('id'), task, targetImage: image('target_image'), sourceImage: image('source_image'), prompt: string('prompt'), meta: meta as Record<string, unknown>, ...answers, file, line });
  }
  const seen = new Set<string>();
  for (const pair of pairs) {
    if (seen.has(pair.id)) throw new FrankenlensError('InvalidBenchmarkItem', `${file}:${pair.line}: duplicate id "${pair.id}"`, file);
    seen.add(pair.id);
  }
  return pairs;
}

function expectedAnswers(task: VisionTask, meta: Record<string, unknown>, fail: (problem: string) => FrankenlensError): { targetAnswer: string | null; sourceAnswer: string | null } {
  const text = (key: string): string | null => {
    const value = meta[key];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string' && typeof value !== 'number') throw fail(`meta.${key} must be a string or number, got ${previewValue(value)}`);
    return String(value);
  };
  if (task === 'grounding') return { targetAnswer: boxText(meta, 'target_bbox_xyxy', fail), sourceAnswer: boxText(meta, 'source_bbox_xyxy', fail) };
  if (task === 'ocr') return { targetAnswer: text('target_text'), sourceAnswer: text('source_text') };
  return { targetAnswer: text('target_answer'), sourceAnswer: text('source_answer') };
}

/** A grounding box from meta, checked: four numbers x1, y1, x2, y2. */
export function metaBox(meta: Record<string, unknown>, key: string): [number, number, number, number] | null {
  const value = meta[key];
  if (!Array.isArray(value) || value.length !== 4 || !value.every((x) => typeof x === 'number' && Number.isFinite(x))) return null;
  return value as [number, number, number, number];
}

function boxText(meta: Record<string, unknown>, key: string, fail: (problem: string) => FrankenlensError): string | null {
  if (meta[key] === undefined) return null;
  const box = metaBox(meta, key);
  if (!box) throw fail(`meta.${key} must be four numbers [x1, y1, x2, y2], got ${previewValue(meta[key])}`);
  return `[${box.join(', ')}]`;
}

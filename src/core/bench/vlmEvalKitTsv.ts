/**
 * Importer for VLMEvalKit benchmark TSVs (MathVista_MINI.tsv, MMBench_DEV_EN.tsv, …): columns
 * index, image (base64) or image_path, question, option columns A, B, … for multiple choice,
 * answer, and metadata such as hint, category, question_type, answer_type, choices. A prediction
 * column (a result file saved as TSV) becomes model responses; so does a separate prediction file
 * (`{model}_{dataset}.xlsx`, .tsv, .csv or .json: the dataset without its image column, plus
 * `prediction`), joined to the dataset by index.
 *
 * The TSV is read one row at a time (tsvReader.ts) and each row's images are written as it goes, so
 * memory stays bounded whatever the file's size. As VLMEvalKit does, an image cell of at most 64
 * characters is the index of another row whose image it shares (before or after it), and a cell
 * holding a Python list holds several images. Images are decoded into the folder the caller gives,
 * one file per image, named by ImportedImageNames (collision-free, length-bounded). A row whose image
 * cell is empty is kept as a text-only item and counted.
 */
import { closeSync, readSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { FrankenlensError } from '../errors';
import { openRegularFile, readJsonFile, TABLE_FILE_BYTES } from '../regularFile';
import { CHOICE_LETTERS } from './choiceLetters';
import { importedGold, importedItemFields, validateBenchmarkItem, type BenchmarkItem } from './benchmarkItems';
import { lineError } from './jsonLines';
import type { ModelResponse } from './modelResponses';
import { parsePythonStringList } from './pythonLiteral';
import { ImportedImageNames } from './importedImageNames';
import { parseTableText, readTableRecords, type TableRecord } from './tsvReader';
import { readXlsxSheet } from './xlsxSheet';

/** A count, with the first few ids it counts (for messages). */
export interface CountedIds {
  count: number;
  first: string[];
}

/** What an import kept but a person should know about. */
export interface ImportWarnings {
  /** Rows whose image cell was empty, kept as text-only items. */
  textOnly: CountedIds;
  /** Rows with an empty option column between filled ones: the later options (and a gold letter among them) moved up a letter. */
  relettered: CountedIds;
  /** With a prediction file: dataset rows without a prediction (items kept, no response). */
  withoutPrediction?: CountedIds;
  /** With a prediction file: prediction rows whose index is not in the dataset (dropped). */
  unmatchedPredictions?: CountedIds;
}

export interface ImportedBenchmark {
  items: BenchmarkItem[];
  /** Model responses found in the source (a prediction column or file, or the log's responses). */
  responses: ModelResponse[];
  warnings: ImportWarnings;
}

const FIRST_IDS = 5;

export function countedIds(): CountedIds {
  return { count: 0, first: [] };
}

function count(counted: CountedIds, id: string): void {
  counted.count++;
  if (counted.first.length < FIRST_IDS) counted.first.push(id);
}

export function noWarnings(): ImportWarnings {
  return { textOnly: countedIds(), relettered: countedIds() };
}

/** Tab-separated values with pandas' quoting, parsed from memory (the importer streams the file instead). */
export function parseTsv(text: string, file: string): TableRecord[] {
  return parseTableText(text, { file });
}

/** pandas writes missing values as empty cells or "nan". */
function isMissing(value: string | undefined): boolean {
  if (value === undefined) return true;
  const trimmed = value.trim();
  return trimmed === '' || (trimmed.length === 3 && trimmed.toLowerCase() === 'nan');
}

const IMAGE_TYPES: { extension: string; matches: (bytes: Buffer) => boolean }[] = [
  { extension: 'png', matches: (bytes) => bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { extension: 'jpg', matches: (bytes) => bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff },
  { extension: 'gif', matches: (bytes) => bytes.subarray(0, 4).toString('latin1') === 'GIF8' },
  { extension: 'webp', matches: (bytes) => bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP' },
  { extension: 'bmp', matches: (bytes) => bytes.subarray(0, 2).toString('latin1') === 'BM' },
];

/** Decodes one base64 image and says what it is; undefined when it is not base64 or not an image. */
function decodeImage(base64: string): { bytes: Buffer; extension: string } | undefined {
  const compact = /\s/.test(base64) ? base64.replace(/\s+/g, '') : base64;
  const padding = compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0;
  if (compact.length === padding || compact.length % 4 === 1 || compact.includes('-') || compact.includes('_')) return undefined;
  const bytes = Buffer.from(compact, 'base64');
  // Node's decoder skips characters outside the alphabet and stops at a "=": either gives fewer bytes.
  if (bytes.length !== Math.floor(((compact.length - padding) * 3) / 4)) return undefined;
  const type = IMAGE_TYPES.find((candidate) => candidate.matches(bytes));
  return type && { bytes, extension: type.extension };
}

/**
 * Row indices as a join key: pandas reads an all-integer index column as integers, so a prediction
 * file may hold 101 (or 101.0, 1.01E2 from a spreadsheet) where the dataset holds "101".
 */
export function indexKey(index: string): string {
  const text = index.trim();
  if (/^[+-]?\d+(\.0*)?$/.test(text) || /^[+-]?\d+(\.\d+)?[eE]\+?\d+$/.test(text)) {
    const value = Number(text);
    if (Number.isSafeInteger(value)) return String(value);
  }
  return text;
}

interface PredictionRow {
  where: string;
  index: string;
  prediction: string;
}

/** The prediction file's rows, by the index key; its format by extension (.xlsx, .tsv, .csv, .json), else by content. */
export function readPredictionFile(file: string): Map<string, PredictionRow> {
  const rows = predictionRows(file);
  const byIndex = new Map<string, PredictionRow>();
  for (const row of rows) {
    const key = indexKey(row.index);
    const earlier = byIndex.get(key);
    if (earlier) throw new FrankenlensError('InvalidBenchmarkItem', `${row.where}: duplicate index "${row.index}" (first at ${earlier.where.slice(file.length + 2)})`, file);
    byIndex.set(key, row);
  }
  if (byIndex.size === 0) throw new FrankenlensError('InvalidBenchmarkItem', `${file}: no prediction rows`, file);
  return byIndex;
}

function predictionFormat(file: string): 'xlsx' | 'tsv' | 'csv' | 'json' {
  const extension = extname(file).toLowerCase();
  if (extension === '.xlsx' || extension === '.tsv' || extension === '.csv' || extension === '.json') return extension.slice(1) as 'xlsx' | 'tsv' | 'csv' | 'json';
  const { fd } = openRegularFile(file, 'InvalidBenchmarkItem');
  let head: Buffer;
  try {
    const buffer = Buffer.alloc(4096);
    head = buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0));
  } finally {
    closeSync(fd);
  }
  if (head.subarray(0, 4).toString('latin1') === 'PK\x03\x04') return 'xlsx';
  const text = head.toString('utf8').replace(/^\uFEFF/, '').trimStart();
  if (text.startsWith('[')) return 'json';
  return text.split('\n')[0]!.includes('\t') ? 'tsv' : 'csv';
}

function* predictionRows(file: string): Generator<PredictionRow> {
  const format = predictionFormat(file);
  const fail = (where: string, problem: string) => new FrankenlensError('InvalidBenchmarkItem', `${where}: ${problem}`, file);
  const hint = 'a VLMEvalKit prediction file has "index" and "prediction" columns';
  if (format === 'json') {
    const value = readJsonFile(file, { code: 'InvalidBenchmarkItem', maxBytes: TABLE_FILE_BYTES });
    if (!Array.isArray(value)) throw fail(file, `expected a JSON array of rows (${hint})`);
    for (const [k, row] of value.entries()) {
      const where = `${file}, row ${k + 1}`;
      if (typeof row !== 'object' || row === null || Array.isArray(row)) throw fail(where, 'expected an object');
      const { index, prediction } = row as Record<string, unknown>;
      const text = (cell: unknown) => (typeof cell === 'string' ? cell : typeof cell === 'number' && Number.isFinite(cell) ? String(cell) : typeof cell === 'boolean' ? (cell ? 'True' : 'False') : undefined);
      if (text(index) === undefined || text(index)!.trim() === '') throw fail(where, `no "index" (${hint})`);
      if (!('prediction' in row)) throw fail(where, `no "prediction" (${hint})`);
      yield { where, index: text(index)!.trim(), prediction: text(prediction) ?? '' };
    }
    return;
  }
  const records: Iterable<{ where: string; fields: string[] }> =
    format === 'xlsx'
      ? readXlsxSheet(file).map((row) => ({ where: `${file}, row ${row.row}`, fields: row.cells }))
      : mapRecords(readTableRecords(file, { delimiter: format === 'csv' ? ',' : '\t' }), (record) => ({ where: `${file}, line ${record.line}`, fields: record.fields }));
  let header: string[] | undefined;
  let indexColumn = -1;
  let predictionColumn = -1;
  for (const { where, fields } of records) {
    if (!header) {
      header = fields.map((name) => name.trim());
      indexColumn = header.indexOf('index');
      predictionColumn = header.indexOf('prediction');
      if (indexColumn < 0 || predictionColumn < 0) throw fail(where, `no "${indexColumn < 0 ? 'index' : 'prediction'}" column (columns: ${header.join(', ')}; ${hint})`);
      continue;
    }
    if (fields.every((field) => field === '')) continue;
    const index = fields[indexColumn];
    if (isMissing(index)) throw fail(where, 'empty "index"');
    const prediction = fields[predictionColumn];
    yield { where, index: index!.trim(), prediction: isMissing(prediction) ? '' : prediction! };
  }
  if (!header) throw fail(file, 'empty');
}

function* mapRecords<T, U>(records: Iterable<T>, map: (record: T) => U): Generator<U> {
  for (const record of records) yield map(record);
}

/** A row waiting for the row whose image it names, which comes later in the file. */
interface Waiting {
  slot: number;
  line: number;
  index: string;
  candidate: Record<string, unknown>;
}

export interface VlmEvalKitOptions {
  /** A prediction file to join by index: its `prediction` column becomes the responses (the dataset's own is then ignored). */
  predictions?: string;
}

export function importVlmEvalKitTsv(file: string, imageDir: string, options: VlmEvalKitOptions = {}): ImportedBenchmark {
  const predictions = options.predictions === undefined ? undefined : readPredictionFile(options.predictions);
  const records = readTableRecords(file, { code: 'InvalidBenchmarkItem' });
  try {
    return importRecords(file, records, imageDir, predictions, options.predictions);
  } finally {
    records.return(undefined); // closes the file when an error stops the import early
  }
}

function importRecords(file: string, records: Generator<TableRecord>, imageDir: string, predictions: Map<string, PredictionRow> | undefined, predictionFile: string | undefined): ImportedBenchmark {
  const first = records.next();
  if (first.done) throw new FrankenlensError('InvalidBenchmarkItem', `${file}: empty`, file);
  const header = first.value.fields.map((name) => name.trim());
  const column = new Map(header.map((name, i) => [name, i]));
  for (const required of ['index', 'question', 'answer']) {
    if (!column.has(required)) throw lineError('InvalidBenchmarkItem', file, 1, `no "${required}" column (columns: ${header.join(', ')})`);
  }
  if (!column.has('image') && !column.has('image_path')) {
    const prediction = column.has('prediction') ? '; a VLMEvalKit prediction file? Pass it with --predictions and its dataset TSV with --tsv' : '';
    throw lineError('InvalidBenchmarkItem', file, 1, `no "image" or "image_path" column (columns: ${header.join(', ')})${prediction}`);
  }
  const optionColumns = [...CHOICE_LETTERS].filter((letter) => column.has(letter));
  const baseDir = dirname(file);

  /** Every index seen: its line, and the files of its own image (undefined when it has none of its own). */
  const seen = new Map<string, { line: number; files?: string[] }>();
  const waiting = new Map<string, Waiting[]>();
  const names = new ImportedImageNames();
  const items: (BenchmarkItem | undefined)[] = [];
  const responses: ModelResponse[] = [];
  const warnings = noWarnings();
  if (predictions) {
    warnings.withoutPrediction = countedIds();
    warnings.unmatchedPredictions = countedIds();
  }
  const matched = new Set<string>();

  for (const { line, fields } of records) {
    if (fields.length !== header.length) throw lineError('InvalidBenchmarkItem', file, line, `${fields.length} fields, the header has ${header.length}`);
    const cell = (name: string) => {
      const at = column.get(name);
      return at === undefined || isMissing(fields[at]) ? undefined : fields[at]!;
    };
    const index = cell('index');
    if (index === undefined) throw lineError('InvalidBenchmarkItem', file, line, 'empty "index"');
    const earlier = seen.get(index);
    if (earlier) throw lineError('InvalidBenchmarkItem', file, line, `duplicate index "${index}" (first on line ${earlier.line})`);
    const fail = (problem: string) => lineError('InvalidBenchmarkItem', file, line, `row "${index}": ${problem}`);
    const entry: { line: number; files?: string[] } = { line };
    seen.set(index, entry);

    const candidate = itemCandidate(cell, { index, optionColumns, fail, relettered: () => count(warnings.relettered, index) });
    const slot = items.length;
    items.push(undefined);
    const place = (images: string[]) => {
      items[slot] = validateBenchmarkItem({ ...candidate, images }, { file, line, baseDir });
    };

    const image = cell('image');
    const imagePath = cell('image_path');
    if (image !== undefined && image.length <= 64) {
      // VLMEvalKit stores a repeated image once; other rows name that row's index instead.
      const owner = image.trim();
      const ownerEntry = seen.get(owner);
      if (owner === index || (ownerEntry && !ownerEntry.files)) throw fail(`"image" refers to row "${owner}", which holds no image`);
      if (ownerEntry) place(ownerEntry.files!);
      else {
        const rows = waiting.get(owner) ?? [];
        rows.push({ slot, line, index, candidate });
        waiting.set(owner, rows);
      }
    } else if (image !== undefined) {
      const encoded = parsePythonStringList(image) ?? [image];
      entry.files = encoded.map((base64, k) => {
        const decoded = decodeImage(base64);
        if (!decoded) throw fail(`image${encoded.length > 1 ? ` ${k + 1}` : ''} is not base64 of a PNG, JPEG, GIF, WebP or BMP file`);
        const path = join(imageDir, names.next(index, encoded.length > 1 ? k + 1 : undefined, decoded.extension));
        writeFileSync(path, decoded.bytes);
        return path;
      });
      place(entry.files);
      for (const row of waiting.get(index) ?? []) items[row.slot] = validateBenchmarkItem({ ...row.candidate, images: entry.files }, { file, line: row.line, baseDir });
      waiting.delete(index);
    } else if (imagePath !== undefined && !column.has('image')) {
      place((parsePythonStringList(imagePath) ?? [imagePath]).map((path) => resolve(baseDir, path)));
    } else {
      count(warnings.textOnly, index);
      place([]);
    }

    if (predictions) {
      const key = indexKey(index);
      const prediction = predictions.get(key);
      if (prediction && !matched.has(key)) {
        matched.add(key);
        responses.push({ id: index, response: prediction.prediction });
      } else count(warnings.withoutPrediction!, index);
    } else if (column.has('prediction')) responses.push({ id: index, response: cell('prediction') ?? '' });
  }

  for (const [owner, rows] of waiting) {
    const row = rows[0]!;
    throw lineError('InvalidBenchmarkItem', file, row.line, `row "${row.index}": "image" refers to row "${owner}", which holds no image`);
  }
  if (predictions) {
    for (const [key, row] of predictions) if (!matched.has(key)) count(warnings.unmatchedPredictions!, row.index);
    if (matched.size === 0) {
      const someItem = items[0]?.id;
      const somePrediction = predictions.values().next().value?.index;
      throw new FrankenlensError('InvalidBenchmarkItem', `${predictionFile}: no prediction row matches a row of ${file} by index (dataset indices such as "${someItem}", prediction indices such as "${somePrediction}"); is it the prediction file of another dataset?`, predictionFile);
    }
  }
  return { items: items as BenchmarkItem[], responses, warnings };
}

/**
 * The item fields of one row, images aside. Options come from every option column A…Z that is
 * filled: an empty one between filled ones is skipped, the later options move up a letter, and a
 * gold letter moves with its option (`relettered` is called).
 */
function itemCandidate(
  cell: (name: string) => string | undefined,
  { index, optionColumns, fail, relettered }: { index: string; optionColumns: string[]; fail: (problem: string) => Error; relettered: () => void },
): Record<string, unknown> {
  const filled = optionColumns.flatMap((letter) => {
    const option = cell(letter);
    return option === undefined ? [] : [{ letter, option }];
  });
  const options = filled.map(({ option }) => option);
  const listed = cell('choices') === undefined ? undefined : parsePythonStringList(cell('choices')!);
  const fromOptions = options.length >= 2;
  const choices = fromOptions ? options : listed && listed.length >= 2 ? listed : undefined;
  const hint = cell('hint');
  const question = hint === undefined ? cell('question') : `Hint: ${hint}\n${cell('question') ?? ''}`;
  const raw = cell('answer');
  const category = cell('category');
  const gold = raw === undefined ? undefined : importedGold(raw, choices !== undefined, cell('answer_type'));
  if (gold && fromOptions && filled.some(({ letter }, k) => letter !== CHOICE_LETTERS[k])) {
    relettered();
    const moved = new Map(filled.map(({ letter }, k) => [letter, CHOICE_LETTERS[k]!]));
    const reletter = (answer: string) => {
      const letter = answer.trim().toUpperCase();
      if (optionColumns.includes(letter) && !moved.has(letter)) throw fail(`the answer "${answer}" names option column ${letter}, which is empty`);
      return moved.get(letter) ?? answer;
    };
    gold.answer = reletter(gold.answer);
    if (gold.answers) gold.answers = gold.answers.map(reletter);
  }
  return importedItemFields(index, question, choices, gold, category);
}

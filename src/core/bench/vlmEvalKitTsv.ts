/**
 * Importer for VLMEvalKit benchmark TSVs (MathVista_MINI.tsv, MMBench_DEV_EN.tsv, …): columns
 * index, image (base64) or image_path, question, option columns A, B, … for multiple choice,
 * answer, and metadata such as hint, category, question_type, answer_type, choices. A prediction
 * column (VLMEvalKit's result files saved as TSV) becomes model responses.
 *
 * As VLMEvalKit does, an image cell of at most 64 characters is the index of another row whose image
 * it shares, and a cell holding a Python list holds several images. Images are decoded into the
 * folder the caller gives, one file per image, named by ImportedImageNames (collision-free, length-bounded).
 */
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { FrankenlensError } from '../errors';
import { readRegularFileText, TABLE_FILE_BYTES } from '../regularFile';
import { CHOICE_LETTERS } from './choiceLetters';
import { inferAnswerType, validateBenchmarkItem, type BenchmarkItem } from './benchmarkItems';
import { lineError } from './jsonLines';
import type { ModelResponse } from './modelResponses';
import { parsePythonStringList } from './pythonLiteral';
import { ImportedImageNames } from './importedImageNames';

export interface ImportedBenchmark {
  items: BenchmarkItem[];
  /** Model responses found in the source (a prediction column, or the log's responses). */
  responses: ModelResponse[];
}

interface TsvRecord {
  /** 1-based line on which the record starts. */
  line: number;
  fields: string[];
}

/** Tab-separated values with pandas' quoting: a field in double quotes may hold tabs, newlines and "" for ". */
export function parseTsv(text: string, file: string): TsvRecord[] {
  const records: TsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let atFieldStart = true;
  while (i < text.length) {
    const char = text[i]!;
    if (atFieldStart && char === '"') {
      const quotedLine = line;
      i++;
      for (;;) {
        if (i >= text.length) throw new FrankenlensError('InvalidBenchmarkItem', `${file}, line ${quotedLine}: a quoted field never closes`, file);
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (text[i] === '\n') line++;
        field += text[i++];
      }
      atFieldStart = false;
      continue;
    }
    if (char === '\t') {
      fields.push(field);
      field = '';
      atFieldStart = true;
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      fields.push(field);
      if (fields.length > 1 || fields[0] !== '') records.push({ line: recordLine, fields });
      fields = [];
      field = '';
      atFieldStart = true;
      line++;
      recordLine = line;
    } else {
      field += char;
      atFieldStart = false;
    }
    i++;
  }
  if (!atFieldStart || field !== '' || fields.length > 0) {
    fields.push(field);
    records.push({ line: recordLine, fields });
  }
  return records;
}

/** pandas writes missing values as empty cells or "nan". */
const isMissing = (value: string | undefined) => value === undefined || value.trim() === '' || value.trim().toLowerCase() === 'nan';

const IMAGE_TYPES: { extension: string; matches: (bytes: Buffer) => boolean }[] = [
  { extension: 'png', matches: (bytes) => bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { extension: 'jpg', matches: (bytes) => bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff },
  { extension: 'gif', matches: (bytes) => bytes.subarray(0, 4).toString('latin1') === 'GIF8' },
  { extension: 'webp', matches: (bytes) => bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP' },
  { extension: 'bmp', matches: (bytes) => bytes.subarray(0, 2).toString('latin1') === 'BM' },
];

/** Decodes one base64 image and says what it is; undefined when it is not base64 or not an image. */
function decodeImage(base64: string): { bytes: Buffer; extension: string } | undefined {
  const compact = base64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact) || compact.length % 4 === 1) return undefined;
  const bytes = Buffer.from(compact, 'base64');
  const type = IMAGE_TYPES.find((candidate) => candidate.matches(bytes));
  return type && { bytes, extension: type.extension };
}

export function importVlmEvalKitTsv(file: string, imageDir: string): ImportedBenchmark {
  const records = parseTsv(readRegularFileText(file, { code: 'InvalidBenchmarkItem', maxBytes: TABLE_FILE_BYTES }), file);
  if (records.length === 0) throw new FrankenlensError('InvalidBenchmarkItem', `${file}: empty`, file);
  const header = records[0]!.fields.map((name) => name.trim());
  const column = new Map(header.map((name, i) => [name, i]));
  for (const required of ['index', 'question', 'answer']) {
    if (!column.has(required)) throw lineError('InvalidBenchmarkItem', file, 1, `no "${required}" column (columns: ${header.join(', ')})`);
  }
  if (!column.has('image') && !column.has('image_path')) throw lineError('InvalidBenchmarkItem', file, 1, `no "image" or "image_path" column (columns: ${header.join(', ')})`);
  const optionColumns = [...CHOICE_LETTERS].filter((letter) => column.has(letter));

  const firstLine = new Map<string, number>();
  const rows = records.slice(1).map(({ line, fields }) => {
    if (fields.length !== header.length) throw lineError('InvalidBenchmarkItem', file, line, `${fields.length} fields, the header has ${header.length}`);
    const cell = (name: string) => {
      const index = column.get(name);
      return index === undefined || isMissing(fields[index]) ? undefined : fields[index]!;
    };
    const index = cell('index');
    if (index === undefined) throw lineError('InvalidBenchmarkItem', file, line, 'empty "index"');
    if (firstLine.has(index)) throw lineError('InvalidBenchmarkItem', file, line, `duplicate index "${index}" (first on line ${firstLine.get(index)})`);
    firstLine.set(index, line);
    return { line, cell, index };
  });
  const imageCells = new Map(rows.map((row) => [row.index, row.cell('image')]));
  const written = new Map<string, string[]>(); // index of the row that holds the bytes → files
  const names = new ImportedImageNames();

  const items: BenchmarkItem[] = [];
  const responses: ModelResponse[] = [];
  for (const { line, cell, index } of rows) {
    const fail = (problem: string) => lineError('InvalidBenchmarkItem', file, line, `row "${index}": ${problem}`);
    let images: string[];
    if (column.has('image')) {
      const value = cell('image');
      if (value === undefined) throw fail('empty "image"');
      // VLMEvalKit stores a repeated image once; other rows name that row's index instead.
      const owner = value.length <= 64 ? value.trim() : index;
      const ownerValue = imageCells.get(owner);
      if (owner !== index && (ownerValue === undefined || ownerValue.length <= 64)) throw fail(`"image" refers to row "${owner}", which holds no image`);
      let files = written.get(owner);
      if (!files) {
        const encoded = parsePythonStringList(ownerValue!) ?? [ownerValue!];
        files = encoded.map((base64, k) => {
          const image = decodeImage(base64);
          if (!image) throw fail(`image${encoded.length > 1 ? ` ${k + 1}` : ''} is not base64 of a PNG, JPEG, GIF, WebP or BMP file`);
          const path = join(imageDir, names.next(owner, encoded.length > 1 ? k + 1 : undefined, image.extension));
          writeFileSync(path, image.bytes);
          return path;
        });
        written.set(owner, files);
      }
      images = files;
    } else {
      const value = cell('image_path');
      if (value === undefined) throw fail('empty "image_path"');
      images = (parsePythonStringList(value) ?? [value]).map((path) => resolve(dirname(file), path));
    }

    const options = [];
    for (const letter of optionColumns) {
      const option = cell(letter);
      if (option === undefined) break;
      options.push(option);
    }
    const listed = cell('choices') === undefined ? undefined : parsePythonStringList(cell('choices')!);
    const choices = options.length >= 2 ? options : listed && listed.length >= 2 ? listed : undefined;
    const hint = cell('hint');
    const question = hint === undefined ? cell('question') : `Hint: ${hint}\n${cell('question') ?? ''}`;
    const answer = cell('answer');
    const category = cell('category');
    const candidate = {
      id: index,
      images,
      question,
      ...(choices ? { choices } : {}),
      answer,
      answerType: answer === undefined ? undefined : inferAnswerType(answer, choices !== undefined, cell('answer_type')),
      ...(category !== undefined ? { category } : {}),
    };
    items.push(validateBenchmarkItem(candidate, { file, line, baseDir: dirname(file) }));
    const prediction = column.has('prediction') ? (cell('prediction') ?? '') : undefined;
    if (prediction !== undefined) responses.push({ id: index, response: prediction });
  }
  return { items, responses };
}

/**
 * Benchmark items: one JSON object per line of a .jsonl file.
 *
 *   {"id": "mv-12", "images": ["images/12.png"], "question": "How many ...?", "answer": "3",
 *    "answerType": "number", "choices": [...], "description": "...", "category": "general-vqa"}
 *
 * An item with several accepted answers (MMMU's ['A', 'C']) lists them all in "answers", "answer"
 * among them (importers put it first): a response matching any of them is right. Readers that know
 * only "answer" still see a valid gold answer.
 *
 * Image paths are relative to the file's folder (or absolute) and must exist. Every line is checked
 * before anything is used; a bad line is a FrankenlensError naming the file, the line and the field.
 */
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { fileKind, quoted, statIfPresent } from '../regularFile';
import { ANSWER_TYPES, goldChoiceIndex, type AnswerType } from './answerCheck';
import { plainNumber } from './answerNormalization';
import { CHOICE_LETTERS } from './choiceLetters';
import { lineError, readJsonLines } from './jsonLines';
import { parsePythonScalarList } from './pythonLiteral';

export interface BenchmarkItem {
  id: string;
  /** Absolute paths (resolved against the item file's folder when read). Empty for text-only items. */
  images: string[];
  question: string;
  /** Choice texts for multiple choice; letter A is the first. */
  choices?: string[];
  /** The gold answer: for 'choice', a letter or one of the choice texts. */
  answer: string;
  /** Every accepted gold answer, `answer` among them; present only when there are several. */
  answers?: string[];
  answerType: AnswerType;
  /** A text description of the image(s), for the paper's black image + description condition. */
  description?: string;
  /** A grouping for per-category results (MathVista's general-vqa, math-targeted-vqa, …). */
  category?: string;
}

const FIELDS = ['id', 'images', 'question', 'choices', 'answer', 'answers', 'answerType', 'description', 'category'] as const;

/** Where a value came from, for error messages. */
export interface ItemSource {
  file: string;
  line: number;
  /** Folder that relative image paths start from. */
  baseDir: string;
}

/** Checks one parsed line and returns the item with absolute image paths. */
export function validateBenchmarkItem(value: Record<string, unknown>, source: ItemSource): BenchmarkItem {
  const fail = (problem: string) => lineError('InvalidBenchmarkItem', source.file, source.line, problem);
  const unknown = Object.keys(value).filter((key) => !(FIELDS as readonly string[]).includes(key));
  if (unknown.length > 0) throw fail(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((key) => `"${key}"`).join(', ')} (fields: ${FIELDS.join(', ')})`);
  const text = (field: string, required: boolean): string | undefined => {
    const entry = value[field];
    if (entry === undefined && !required) return undefined;
    if (entry === undefined) throw fail(`missing "${field}"`);
    if (typeof entry !== 'string') throw fail(`"${field}" must be a string, got ${describeJson(entry)}`);
    if (required && !entry.trim()) throw fail(`"${field}" is empty`);
    return entry;
  };
  const textList = (field: string): string[] | undefined => {
    const entry = value[field];
    if (entry === undefined) return undefined;
    if (!Array.isArray(entry)) throw fail(`"${field}" must be an array of strings, got ${describeJson(entry)}`);
    entry.forEach((element, i) => {
      if (typeof element !== 'string' || !element.trim()) throw fail(`"${field}"[${i}] must be a non-empty string, got ${describeJson(element)}`);
    });
    return entry as string[];
  };

  const id = text('id', true)!;
  const question = text('question', true)!;
  const answer = text('answer', true)!;
  const answerType = text('answerType', true)! as AnswerType;
  if (!ANSWER_TYPES.includes(answerType)) throw fail(`"answerType" must be one of ${ANSWER_TYPES.join(', ')}, got "${answerType}"`);
  const imageList = textList('images');
  if (!imageList) throw fail('missing "images" (an array of paths; [] for a text-only item)');
  const images = imageList.map((path) => {
    const absolute = resolve(source.baseDir, path);
    const stats = statIfPresent(absolute);
    if (!stats) throw fail(`image ${quoted(path)} not found (looked for ${absolute})`);
    if (!stats.isFile()) throw fail(`image ${quoted(path)} is not a regular file (it is ${fileKind(stats)})`);
    return absolute;
  });
  const choices = textList('choices');
  const item: BenchmarkItem = { id, images, question, answer, answerType };
  if (answerType === 'choice') {
    if (!choices || choices.length < 2) throw fail('"answerType" "choice" needs "choices" with at least two entries');
    if (choices.length > CHOICE_LETTERS.length) throw fail(`${choices.length} choices; at most ${CHOICE_LETTERS.length} (letters A–Z)`);
    item.choices = choices;
    if (goldChoiceIndex(item) < 0) {
      throw fail(`"answer" "${answer}" is neither a choice letter (A–${CHOICE_LETTERS[choices.length - 1]}) nor one of the choice texts`);
    }
  } else if (choices) {
    throw fail(`"choices" given but "answerType" is "${answerType}"; use "choice" for multiple choice`);
  }
  if (answerType === 'number' && plainNumber(answer) === undefined) throw fail(`"answer" "${answer}" is not a number, but "answerType" is "number"`);
  const answers = textList('answers');
  if (answers !== undefined) {
    if (!answers.includes(answer)) throw fail(`"answers" must include "answer" ("${answer}")`);
    for (const accepted of answers) {
      if (answerType === 'choice' && goldChoiceIndex({ answer: accepted, answerType, choices: item.choices }) < 0) {
        throw fail(`"answers" entry "${accepted}" is neither a choice letter (A–${CHOICE_LETTERS[item.choices!.length - 1]}) nor one of the choice texts`);
      }
      if (answerType === 'number' && plainNumber(accepted) === undefined) throw fail(`"answers" entry "${accepted}" is not a number, but "answerType" is "number"`);
    }
    if (answers.length > 1) item.answers = answers;
  }
  const description = text('description', false);
  if (description !== undefined) item.description = description;
  const category = text('category', false);
  if (category !== undefined) item.category = category;
  return item;
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `"${value}"` : typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

/** Reads and checks every line of an item file; ids must be unique. */
export function readBenchmarkItems(file: string): BenchmarkItem[] {
  const baseDir = dirname(resolve(file));
  const firstLine = new Map<string, number>();
  return readJsonLines(file, 'InvalidBenchmarkItem').map(({ line, value }) => {
    const item = validateBenchmarkItem(value, { file, line, baseDir });
    const earlier = firstLine.get(item.id);
    if (earlier !== undefined) throw lineError('InvalidBenchmarkItem', file, line, `duplicate id "${item.id}" (first on line ${earlier})`);
    firstLine.set(item.id, line);
    return item;
  });
}

/** One line of an item file written in `dir`: image paths relative to it, fields in a fixed order. */
export function benchmarkItemLine(item: BenchmarkItem, dir: string): string {
  const images = item.images.map((path) => (isAbsolute(path) ? relative(dir, path).split('\\').join('/') : path));
  const { choices, answers, description, category } = item;
  return JSON.stringify({ id: item.id, images, question: item.question, ...(choices ? { choices } : {}), answer: item.answer, ...(answers ? { answers } : {}), answerType: item.answerType, ...(description !== undefined ? { description } : {}), ...(category !== undefined ? { category } : {}) });
}

/**
 * The answer type an importer gives an item: choice when it has choices; else the source's own
 * declaration (MathVista's integer/float → number); else number when the gold is a plain number,
 * expression when it holds LaTeX, text otherwise.
 */
export function inferAnswerType(answer: string, hasChoices: boolean, declared?: string): AnswerType {
  if (hasChoices) return 'choice';
  if ((declared === 'integer' || declared === 'float') && plainNumber(answer) !== undefined) return 'number';
  if (plainNumber(answer) !== undefined) return 'number';
  return /[\\^{}]/.test(answer) ? 'expression' : 'text';
}

/** The fields every importer fills the same way, before validation (images and description are its own). */
export function importedItemFields(id: string, question: string | undefined, choices: readonly string[] | undefined, gold: ReturnType<typeof importedGold> | undefined, category: string | undefined): Record<string, unknown> {
  return { id, question, ...(choices ? { choices } : {}), answer: gold?.answer, ...(gold?.answers ? { answers: gold.answers } : {}), answerType: gold?.answerType, ...(category !== undefined ? { category } : {}) };
}

/**
 * The gold answer of an imported row: a Python list (MMMU's "['A', 'C']", "['24/7', '3.429']")
 * gives several accepted answers, the first as `answer`; anything else is the answer as written.
 * The type is inferred over every accepted answer (number only when all are numbers).
 */
export function importedGold(raw: string, hasChoices: boolean, declared?: string): { answer: string; answers?: string[]; answerType: AnswerType } {
  const listed = parsePythonScalarList(raw)?.map((answer) => answer.trim()).filter((answer) => answer !== '');
  const accepted = listed && [...new Set(listed)];
  if (!accepted || accepted.length === 0) return { answer: raw, answerType: inferAnswerType(raw, hasChoices, declared) };
  const types = accepted.map((answer) => inferAnswerType(answer, hasChoices, declared));
  const answerType = types.includes('choice') ? 'choice' : types.every((type) => type === 'number') ? 'number' : types.includes('expression') ? 'expression' : 'text';
  return { answer: accepted[0]!, ...(accepted.length > 1 ? { answers: accepted } : {}), answerType };
}

/**
 * Importer for lmms-eval sample logs (`--log_samples`: `<date>_samples_<task>.jsonl`), in both shapes
 * lmms-eval has written:
 * - up to v0.3: each line holds doc_id, doc (the dataset row without its image fields), target,
 *   arguments, resps, filtered_resps and input (the prompt), plus one key per metric;
 * - from v0.4 on: doc and arguments are dropped; a line holds doc_id, input, target (as text),
 *   filtered_resps (a list of one response up to v0.6; from v0.7 the response itself), resps only
 *   when it differs, hashes and token counts, and one key per metric. A metric's value is often the
 *   task's own record of the doc (MathVista's question_id, query, choices, answer, metadata; MMMU's
 *   id, answer), so those records stand in for the doc.
 * Items come from the doc (or the metric records): pid/id, question (else the prompt), choices or
 * options, answer (else target); an answer that is a list (MMMU's ['A', 'C']) gives several accepted
 * answers. The response is the first string in filtered_resps (else resps). lmms-eval does not log
 * images, so imported items carry none: they are for re-scoring the logged responses.
 */
import { importedGold, importedItemFields, validateBenchmarkItem, type BenchmarkItem } from './benchmarkItems';
import { lineError, readJsonLines } from './jsonLines';
import type { ModelResponse } from './modelResponses';
import { parsePythonStringList } from './pythonLiteral';
import { noWarnings, type ImportedBenchmark } from './vlmEvalKitTsv';

const ID_FIELDS = ['pid', 'question_id', 'id', 'index'];
const QUESTION_FIELDS = ['question', 'problem', 'query'];
const CHOICE_FIELDS = ['choices', 'options'];
/** The keys lmms-eval itself writes on a sample line; every other object value is a metric's record. */
const SAMPLE_KEYS = new Set(['doc_id', 'doc', 'target', 'arguments', 'resps', 'filtered_resps', 'input', 'doc_hash', 'prompt_hash', 'target_hash', 'token_counts', 'input_media']);

/** A scalar as text: strings as they are, numbers as JavaScript writes them. */
function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function firstText(values: unknown[]): string | undefined {
  for (const value of values) {
    const text = scalarText(value);
    if (text !== undefined && text.trim() !== '') return text;
  }
  return undefined;
}

/** A gold answer as text; a JSON list of answers as a list literal, for importedGold to split. */
function answerText(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    const answers = value.map(scalarText).filter((answer): answer is string => answer !== undefined && answer.trim() !== '');
    return answers.length === 0 ? undefined : answers.length === 1 ? answers[0] : JSON.stringify(answers);
  }
  const text = scalarText(value);
  return text !== undefined && text.trim() !== '' ? text : undefined;
}

/** The first response string in filtered_resps (or resps), however deeply lmms-eval nested it (a loop: the nesting is the file's). */
function firstString(value: unknown): string | undefined {
  let first = value;
  while (Array.isArray(first) && first.length > 0) first = first[0];
  return typeof first === 'string' ? first : undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The metric records of a v0.4+ line merged into one doc-like record (the first metric's value wins per key). */
function metricRecords(line: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(line)) {
    if (SAMPLE_KEYS.has(key) || !isRecord(value)) continue;
    for (const [field, inner] of Object.entries(value)) if (!(field in merged) && inner !== null && inner !== undefined) merged[field] = inner;
  }
  return merged;
}

interface Sample {
  line: number;
  value: Record<string, unknown>;
  /** The doc (v0.3) or the metric records standing in for it (v0.4+). */
  fields: Record<string, unknown>;
  hasDoc: boolean;
}

export function importLmmsEvalLog(file: string): ImportedBenchmark {
  const samples: Sample[] = readJsonLines(file, 'InvalidBenchmarkItem').map(({ line, value }) => {
    if (isRecord(value.doc)) return { line, value, fields: value.doc, hasDoc: true };
    if (value.doc_id === undefined || (value.filtered_resps === undefined && value.resps === undefined)) {
      throw lineError('InvalidBenchmarkItem', file, line, 'no "doc" object (lmms-eval up to v0.3) and no "doc_id" with "filtered_resps" (v0.4 on): is this an lmms-eval samples file written with --log_samples?');
    }
    return { line, value, fields: metricRecords(value), hasDoc: false };
  });

  // Without a doc, an id from the metric records is used only when it names every line uniquely.
  const metricIds = samples.filter((sample) => !sample.hasDoc).map((sample) => firstText(ID_FIELDS.map((name) => sample.fields[name])));
  const metricIdsUsable = metricIds.every((id) => id !== undefined) && new Set(metricIds).size === metricIds.length;

  const items: BenchmarkItem[] = [];
  const responses: ModelResponse[] = [];
  const firstLine = new Map<string, number>();
  for (const { line, value, fields, hasDoc } of samples) {
    const fail = (problem: string) => lineError('InvalidBenchmarkItem', file, line, problem);
    const idSources = hasDoc || metricIdsUsable ? [...ID_FIELDS.map((name) => fields[name]), value.doc_id] : [value.doc_id];
    const id = firstText(idSources);
    if (id === undefined) throw fail(`no item id (looked for ${hasDoc ? `doc.${ID_FIELDS.join(', doc.')} and ` : ''}doc_id)`);
    if (firstLine.has(id)) throw fail(`duplicate id "${id}" (first on line ${firstLine.get(id)})`);
    firstLine.set(id, line);

    const question = firstText([...QUESTION_FIELDS.map((name) => fields[name]), value.input, ...(Array.isArray(value.arguments) ? value.arguments : [])]);
    let choices: string[] | undefined;
    for (const name of CHOICE_FIELDS) {
      const raw = fields[name];
      const list = typeof raw === 'string' ? parsePythonStringList(raw) : Array.isArray(raw) ? raw.map(scalarText) : undefined;
      if (list && list.length >= 2 && list.every((choice): choice is string => choice !== undefined && choice.trim() !== '')) {
        choices = list;
        break;
      }
    }
    const rawAnswer = answerText(fields.answer) ?? answerText(value.target);
    const gold = rawAnswer === undefined ? undefined : importedGold(rawAnswer, choices !== undefined, scalarText(fields.answer_type));
    const metadata = fields.metadata;
    const category = firstText([fields.category, isRecord(metadata) ? metadata.category : undefined]);
    const candidate = { ...importedItemFields(id, question, choices, gold, category), images: [] };
    items.push(validateBenchmarkItem(candidate, { file, line, baseDir: '.' }));

    const response = firstString(value.filtered_resps) ?? firstString(value.resps);
    if (response === undefined) throw fail('no response (filtered_resps and resps hold no text; loglikelihood tasks log scores, not responses)');
    responses.push({ id, response });
  }
  return { items, responses, warnings: noWarnings() };
}

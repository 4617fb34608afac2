/**
 * Importer for lmms-eval sample logs (`--log_samples`: `<date>_samples_<task>.jsonl`). Each line holds
 * doc_id, doc (the dataset row without its image fields), target, arguments, resps and
 * filtered_resps, plus one key per metric. Items come from the doc (pid/id, question, choices or
 * options, answer or target); the response is filtered_resps[0] (resps[0][0] when absent). lmms-eval
 * does not log images, so imported items carry none: they are for re-scoring the logged responses.
 */
import { inferAnswerType, validateBenchmarkItem, type BenchmarkItem } from './benchmarkItems';
import { lineError, readJsonLines } from './jsonLines';
import type { ModelResponse } from './modelResponses';
import { parsePythonStringList } from './pythonLiteral';
import type { ImportedBenchmark } from './vlmEvalKitTsv';

const ID_FIELDS = ['pid', 'question_id', 'id', 'index'];
const QUESTION_FIELDS = ['question', 'problem', 'query'];
const CHOICE_FIELDS = ['choices', 'options'];

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

/** The first response string in filtered_resps (or resps), however deeply lmms-eval nested it (a loop: the nesting is the file's). */
function firstString(value: unknown): string | undefined {
  let first = value;
  while (Array.isArray(first) && first.length > 0) first = first[0];
  return typeof first === 'string' ? first : undefined;
}

export function importLmmsEvalLog(file: string): ImportedBenchmark {
  const items: BenchmarkItem[] = [];
  const responses: ModelResponse[] = [];
  const firstLine = new Map<string, number>();
  for (const { line, value } of readJsonLines(file, 'InvalidBenchmarkItem')) {
    const fail = (problem: string) => lineError('InvalidBenchmarkItem', file, line, problem);
    const doc = value.doc;
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw fail('no "doc" object (is this an lmms-eval samples file written with --log_samples?)');
    const fields = doc as Record<string, unknown>;
    const id = firstText([...ID_FIELDS.map((name) => fields[name]), value.doc_id]);
    if (id === undefined) throw fail(`no item id (looked for doc.${ID_FIELDS.join(', doc.')} and doc_id)`);
    if (firstLine.has(id)) throw fail(`duplicate id "${id}" (first on line ${firstLine.get(id)})`);
    firstLine.set(id, line);

    const question = firstText([...QUESTION_FIELDS.map((name) => fields[name]), ...(Array.isArray(value.arguments) ? value.arguments : [])]);
    const answer = firstText([fields.answer, value.target]);
    let choices: string[] | undefined;
    for (const name of CHOICE_FIELDS) {
      const raw = fields[name];
      const list = typeof raw === 'string' ? parsePythonStringList(raw) : Array.isArray(raw) ? raw.map(scalarText) : undefined;
      if (list && list.length >= 2 && list.every((choice): choice is string => choice !== undefined && choice.trim() !== '')) {
        choices = list;
        break;
      }
    }
    const metadata = fields.metadata as Record<string, unknown> | undefined;
    const category = firstText([fields.category, typeof metadata === 'object' && metadata !== null ? metadata.category : undefined]);
    const candidate = {
      id,
      images: [],
      question,
      ...(choices ? { choices } : {}),
      answer,
      answerType: answer === undefined ? undefined : inferAnswerType(answer, choices !== undefined, scalarText(fields.answer_type)),
      ...(category !== undefined ? { category } : {}),
    };
    items.push(validateBenchmarkItem(candidate, { file, line, baseDir: '.' }));

    const response = firstString(value.filtered_resps) ?? firstString(value.resps);
    if (response === undefined) throw fail('no response (filtered_resps and resps are empty)');
    responses.push({ id, response });
  }
  return { items, responses };
}

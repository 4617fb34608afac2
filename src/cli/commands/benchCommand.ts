import { basename, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '../../core/atomicWrite';
import type { ScoringProtocol } from '../../core/bench/answerExtraction';
import { readBenchmarkItems } from '../../core/bench/benchmarkItems';
import { importBenchmark } from '../../core/bench/importBenchmark';
import type { CountedIds, ImportWarnings } from '../../core/bench/vlmEvalKitTsv';
import { readModelResponses } from '../../core/bench/modelResponses';
import { scoreResponses } from '../../core/bench/scoreResponses';
import { UsageError } from '../cliErrors';
import { withOutputFolder } from '../../core/outputFolder';
import { PAPER_TOLERANCE } from '../../core/bench/answerCheck';
import { oneOf } from '../choiceArgument';

export const BENCH_IMPORT_USAGE = `frankenlens bench-import (--tsv FILE [--predictions FILE] | --lmms-eval FILE) --out DIR [--overwrite]

Converts a benchmark to Frankenlens items (items.jsonl, images/, and responses.jsonl when the source
holds model outputs).

  --tsv FILE          a VLMEvalKit dataset TSV (index, image as base64, question, A/B/C/… options,
                      answer, …); a prediction column becomes responses.jsonl. Read a row at a time:
                      any size imports in bounded memory
  --predictions FILE  with --tsv: a VLMEvalKit prediction file ({model}_{dataset}.xlsx, VLMEvalKit's
                      default, or .tsv, .csv, .json: the dataset without its images, plus
                      "prediction"), joined to the TSV by index; items and images come from the TSV,
                      responses from this file. Rows missing on either side are counted and reported
  --lmms-eval FILE    an lmms-eval samples log (--log_samples; v0.3's lines with doc and arguments, or
                      v0.4 and later without them); its responses become responses.jsonl (lmms-eval
                      logs no images, so the items have none)
  --out DIR           the folder to create
  --overwrite         replace an existing folder

A row with an empty image cell is kept as a text-only item and counted in a warning. Options are
read from every option column A–Z that is filled: an empty one between filled ones is skipped, the
later options move up a letter (the gold letter with them), and such rows are counted. An answer
written as a Python list (MMMU's ['A', 'C']) gives the item several accepted answers ("answers").

Every image is decoded during the import; a row whose image does not decode (truncated, corrupt,
over PIL's 178,956,970-pixel limit, or GIF/BMP/WebP) stops the import with an error naming the TSV
and the row, and nothing is written. Image files are named collision-free and length-bounded.`;

export const SCORE_USAGE = `frankenlens score --items FILE --answers FILE [--out DIR] [--protocol transfer|ablation] [--numeric-tolerance none|paper]

Extracts the final answer of every response with the paper's extractors (without its truncation
bug), checks it against the gold answer(s) as Math-Verify does (docs/answer-checking.md says where
and why we differ), and writes scores.jsonl (per item: extracted answer, rules, correct) and
summary.json (accuracy with a 95% Wilson interval, per category too).

  --items FILE       benchmark items (JSONL: id, images, question, choices, answer, answerType, …)
  --answers FILE     responses (JSONL: {"id": …, "response": …})
  --out DIR          where to write (default .frankenlens/score-<answers file name>)
  --protocol P       transfer (default; the paper's transfer-test extractor) or ablation (its
                     reasoning-localization extractor)
  --numeric-tolerance T  none (default: Math-Verify's comparison) or paper (also accept plain
                     numbers within 1e-6 absolute or 1% relative, as the paper's scripts did)`;

export function benchImportCommand(argv: string[]): string {
  const { values } = parseArgs({
    args: argv,
    options: { tsv: { type: 'string' }, predictions: { type: 'string' }, 'lmms-eval': { type: 'string' }, out: { type: 'string' }, overwrite: { type: 'boolean', default: false } },
    strict: true,
  });
  if ((values.tsv === undefined) === (values['lmms-eval'] === undefined)) throw new UsageError('bench-import needs exactly one of --tsv FILE or --lmms-eval FILE');
  if (values.predictions !== undefined && values.tsv === undefined) throw new UsageError('--predictions FILE goes with --tsv FILE (the dataset TSV it was predicted on)');
  if (!values.out) throw new UsageError('bench-import needs --out DIR');
  const source =
    values.tsv !== undefined
      ? { format: 'vlmevalkit-tsv' as const, file: values.tsv, ...(values.predictions !== undefined ? { predictions: values.predictions } : {}) }
      : { format: 'lmms-eval' as const, file: values['lmms-eval']! };
  const summary = importBenchmark(source, values.out, { overwrite: values.overwrite });
  return [
    `imported ${plural(summary.items, 'item')}${summary.images > 0 ? ` and ${plural(summary.images, 'image')}` : ''} into ${summary.outDir}`,
    `  items      ${summary.itemsFile}`,
    ...(summary.responsesFile ? [`  responses  ${summary.responsesFile} (${plural(summary.responses, 'response')})`] : []),
    ...importWarnings(summary.warnings),
  ].join('\n');
}

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

/** One line per kind of warning: the count and the first few ids. */
function importWarnings(warnings: ImportWarnings): string[] {
  const ids = ({ count, first }: CountedIds) => ` (${first.map((id) => JSON.stringify(id)).join(', ')}${count > first.length ? ', …' : ''})`;
  const lines: string[] = [];
  const { textOnly, relettered, withoutPrediction, unmatchedPredictions } = warnings;
  if (textOnly.count > 0) lines.push(`warning: ${plural(textOnly.count, 'row')} without an image, kept as text-only items${ids(textOnly)}`);
  if (relettered.count > 0) lines.push(`warning: ${plural(relettered.count, 'row')} with an empty option column between filled ones; later options moved up a letter${ids(relettered)}`);
  if (withoutPrediction && withoutPrediction.count > 0) lines.push(`warning: ${plural(withoutPrediction.count, 'dataset row')} without a prediction, imported without a response${ids(withoutPrediction)}`);
  if (unmatchedPredictions && unmatchedPredictions.count > 0) lines.push(`warning: ${plural(unmatchedPredictions.count, 'prediction row')} whose index is not in the dataset, dropped${ids(unmatchedPredictions)}`);
  return lines;
}

export function scoreCommand(argv: string[]): string {
  const { values } = parseArgs({ args: argv, options: { items: { type: 'string' }, answers: { type: 'string' }, out: { type: 'string' }, protocol: { type: 'string', default: 'transfer' }, 'numeric-tolerance': { type: 'string', default: 'none' } }, strict: true });
  if (!values.items || !values.answers) throw new UsageError('score needs --items FILE and --answers FILE');
  if (values.protocol !== 'transfer' && values.protocol !== 'ablation') throw new UsageError(`--protocol must be transfer or ablation, got "${values.protocol}"`);
  const tolerance = oneOf('--numeric-tolerance', values['numeric-tolerance']!, ['none', 'paper'] as const) === 'paper' ? PAPER_TOLERANCE : null;
  const items = readBenchmarkItems(values.items);
  const responses = readModelResponses(values.answers);
  const { results, summary } = scoreResponses(items, responses, { protocol: values.protocol as ScoringProtocol, tolerance, responsesFile: values.answers });
  const outDir = resolve(values.out ?? join('.frankenlens', `score-${basename(values.answers, extname(values.answers))}`));
  const summaryJson = JSON.stringify({ items: resolve(values.items), answers: resolve(values.answers), ...summary }, null, 2) + '\n';
  // Only into a folder frankenlens wrote (or a new or empty one), under its lock.
  withOutputFolder(outDir, { kind: 'score' }, (dir) => {
    // summary.json is written last: when it is there, scores.jsonl is complete.
    const write = (name: string, content: string) => writeFileAtomic(join(dir, name), content);
    write('scores.jsonl', results.map((result) => JSON.stringify(result) + '\n').join(''));
    write('summary.json', summaryJson);
  });
  const { overall } = summary;
  const percent = (value: number) => `${(100 * value).toFixed(1)}%`;
  return [
    `accuracy ${percent(overall.accuracy)} (${overall.correct}/${overall.total}; 95% Wilson interval ${percent(overall.interval.lower)}–${percent(overall.interval.upper)})`,
    ...Object.entries(summary.byCategory).map(([category, accuracy]) => `  ${category}: ${percent(accuracy.accuracy)} (${accuracy.correct}/${accuracy.total})`),
    ...(summary.missing.length > 0 ? [`${summary.missing.length} of ${items.length} items have no response and are not counted`] : []),
    `wrote ${join(outDir, 'scores.jsonl')} and summary.json`,
  ].join('\n');
}

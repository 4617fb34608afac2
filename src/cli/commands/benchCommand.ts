import { basename, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '../../core/atomicWrite';
import type { ScoringProtocol } from '../../core/bench/answerExtraction';
import { readBenchmarkItems } from '../../core/bench/benchmarkItems';
import { importBenchmark } from '../../core/bench/importBenchmark';
import { readModelResponses } from '../../core/bench/modelResponses';
import { scoreResponses } from '../../core/bench/scoreResponses';
import { UsageError } from '../cliErrors';
import { prepareOutputFolder } from '../../core/outputFolder';

export const BENCH_IMPORT_USAGE = `frankenlens bench-import (--tsv FILE | --lmms-eval FILE) --out DIR [--overwrite]

Converts a benchmark to Frankenlens items (items.jsonl, images/, and responses.jsonl when the source
holds model outputs).

  --tsv FILE         a VLMEvalKit TSV (index, image as base64, question, A/B/C/… options, answer, …);
                     a prediction column becomes responses.jsonl
  --lmms-eval FILE   an lmms-eval samples log (--log_samples); its responses become responses.jsonl
                     (lmms-eval logs no images, so the items have none)
  --out DIR          the folder to create
  --overwrite        replace an existing folder

Every image is decoded during the import; a row whose image does not decode (truncated, corrupt,
over PIL's 178,956,970-pixel limit, or GIF/BMP/WebP) stops the import with an error naming the TSV
and the row, and nothing is written. Image files are named collision-free and length-bounded.`;

export const SCORE_USAGE = `frankenlens score --items FILE --answers FILE [--out DIR] [--protocol transfer|ablation]

Extracts the final answer of every response, checks it against the gold answer with the paper's
rules (without its truncation bug), and writes scores.jsonl (per item: extracted answer, rules,
correct) and summary.json (accuracy with a 95% Wilson interval, per category too).

  --items FILE       benchmark items (JSONL: id, images, question, choices, answer, answerType, …)
  --answers FILE     responses (JSONL: {"id": …, "response": …})
  --out DIR          where to write (default .frankenlens/score-<answers file name>)
  --protocol P       transfer (default; the paper's transfer-test extractor) or ablation (its
                     reasoning-localization extractor)`;

export function benchImportCommand(argv: string[]): string {
  const { values } = parseArgs({ args: argv, options: { tsv: { type: 'string' }, 'lmms-eval': { type: 'string' }, out: { type: 'string' }, overwrite: { type: 'boolean', default: false } }, strict: true });
  if ((values.tsv === undefined) === (values['lmms-eval'] === undefined)) throw new UsageError('bench-import needs exactly one of --tsv FILE or --lmms-eval FILE');
  if (!values.out) throw new UsageError('bench-import needs --out DIR');
  const source = values.tsv !== undefined ? { format: 'vlmevalkit-tsv' as const, file: values.tsv } : { format: 'lmms-eval' as const, file: values['lmms-eval']! };
  const summary = importBenchmark(source, values.out, { overwrite: values.overwrite });
  return [
    `imported ${summary.items} items${summary.images > 0 ? ` and ${summary.images} image${summary.images > 1 ? 's' : ''}` : ''} into ${summary.outDir}`,
    `  items      ${summary.itemsFile}`,
    ...(summary.responsesFile ? [`  responses  ${summary.responsesFile}`] : []),
  ].join('\n');
}

export function scoreCommand(argv: string[]): string {
  const { values } = parseArgs({ args: argv, options: { items: { type: 'string' }, answers: { type: 'string' }, out: { type: 'string' }, protocol: { type: 'string', default: 'transfer' } }, strict: true });
  if (!values.items || !values.answers) throw new UsageError('score needs --items FILE and --answers FILE');
  if (values.protocol !== 'transfer' && values.protocol !== 'ablation') throw new UsageError(`--protocol must be transfer or ablation, got "${values.protocol}"`);
  const items = readBenchmarkItems(values.items);
  const responses = readModelResponses(values.answers);
  const { results, summary } = scoreResponses(items, responses, { protocol: values.protocol as ScoringProtocol, responsesFile: values.answers });
  const outDir = resolve(values.out ?? join('.frankenlens', `score-${basename(values.answers, extname(values.answers))}`));
  // Only into a folder frankenlens wrote (or a new or empty one), under its lock.
  const output = prepareOutputFolder(outDir, { kind: 'score' });
  try {
    // summary.json is written last: when it is there, scores.jsonl is complete.
    const write = (name: string, content: string) => writeFileAtomic(join(outDir, name), content);
    write('scores.jsonl', results.map((result) => JSON.stringify(result) + '\n').join(''));
    write('summary.json', JSON.stringify({ items: resolve(values.items), answers: resolve(values.answers), ...summary }, null, 2) + '\n');
  } finally {
    output.release();
  }
  const { overall } = summary;
  const percent = (value: number) => `${(100 * value).toFixed(1)}%`;
  return [
    `accuracy ${percent(overall.accuracy)} (${overall.correct}/${overall.total}; 95% Wilson interval ${percent(overall.interval.lower)}–${percent(overall.interval.upper)})`,
    ...Object.entries(summary.byCategory).map(([category, accuracy]) => `  ${category}: ${percent(accuracy.accuracy)} (${accuracy.correct}/${accuracy.total})`),
    ...(summary.missing.length > 0 ? [`${summary.missing.length} of ${items.length} items have no response and are not counted`] : []),
    `wrote ${join(outDir, 'scores.jsonl')} and summary.json`,
  ].join('\n');
}

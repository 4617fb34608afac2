import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readBenchmarkItems } from '../../core/bench/benchmarkItems';
import { openCheckpoint } from '../../core/checkpoint/checkpoint';
import { FrankenlensError } from '../../core/errors';
import { thirdsVariants } from '../../core/merge/presets';
import type { ExecutionProviderChoice } from '../../core/model/sessions';
import type { CancelToken } from '../../core/progress';
import { runVariantSweep, type SweepModel, type SweepRow } from '../../core/variants/variantSweep';
import { UsageError } from '../cliErrors';
import { parseCuts } from '../cutsArgument';
import { terminalProgress } from '../terminalProgress';
import { wholeNumber } from '../wholeNumberArgument';
import { readPlanFile } from './mergeCommand';

export const VARIANTS_USAGE = `frankenlens variants --in DIR --rl DIR --items FILE.jsonl --out DIR [--thirds [--cuts A,B]] [--plan FILE]… [options]

Scores IN, RL and Frankenstein variants on a benchmark without writing merged copies: each variant's
graph reads IN's and RL's weight files in place (write one afterwards with "frankenlens merge --plan").
Greedy answers go to variants.jsonl as they finish (--resume skips finished model/item pairs), then
variants.summary.json (schema frankenlens.variants/1) gets accuracy with Wilson 95% intervals.

  --thirds               the paper's six thirds variants (the default when no --plan is given)
  --cuts A,B             HF 0-based cuts of the thirds (default floor(n/3),floor(2n/3))
  --plan FILE            a merge plan (.json or .yaml, from "frankenlens plan"); repeatable;
                         plans that interpolate (alpha strictly between 0 and 1) must be merged first
  --max-new-tokens N     at most N new tokens per answer (default 2048)
  --system TEXT          system prompt (default none: the chat template's default turn)
  --prefix TEXT          instruction before the question, followed by a blank line
  --resume               continue the sweep in --out
  --device D, --threads N, --cache-dir DIR   as for generate
  --quiet                no progress on stderr`;

export async function variantsCommand(argv: string[], cancel: CancelToken): Promise<{ summaryPath: string; rows: SweepRow[]; resumed: number }> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      in: { type: 'string' }, rl: { type: 'string' }, items: { type: 'string' }, out: { type: 'string' },
      thirds: { type: 'boolean', default: false }, cuts: { type: 'string' }, plan: { type: 'string', multiple: true },
      'max-new-tokens': { type: 'string', default: '2048' }, system: { type: 'string' }, prefix: { type: 'string' },
      resume: { type: 'boolean', default: false }, device: { type: 'string', default: 'auto' }, threads: { type: 'string', default: '0' }, 'cache-dir': { type: 'string' }, quiet: { type: 'boolean', default: false },
    },
    allowPositionals: false,
    strict: true,
  });
  if (positionals.length > 0) throw new UsageError('variants takes no positional arguments');
  for (const flag of ['in', 'rl', 'items', 'out'] as const) if (!values[flag]) throw new UsageError(`variants needs --${flag}`);
  if (!['auto', 'cpu', 'cuda'].includes(values.device!)) throw new UsageError(`--device must be auto, cpu or cuda, not "${values.device}"`);
  if (values.cuts !== undefined && !values.thirds && values.plan) throw new UsageError('--cuts applies to --thirds');
  const pair = { in: resolve(values.in!), rl: resolve(values.rl!) };
  const plans = (values.plan ?? []).map(readPlanFile);
  if (values.thirds || plans.length === 0) {
    const layers = openCheckpoint(pair.in).info.llmLayers;
    if (layers === null) throw new FrankenlensError('InvalidConfig', `${pair.in}: cannot tell the decoder layer count (no num_hidden_layers in config.json)`, pair.in);
    plans.unshift(...thirdsVariants(pair, layers, values.cuts === undefined ? undefined : parseCuts(values.cuts)));
  }
  const models: SweepModel[] = [{ name: 'IN', dir: pair.in }, { name: 'RL', dir: pair.rl }, ...plans.map((plan) => ({ name: plan.name, plan }))];
  const items = readBenchmarkItems(values.items!);
  const progress = terminalProgress('variants', values.quiet!);
  try {
    return await runVariantSweep({
      models,
      items,
      itemsFile: resolve(values.items!),
      settings: { maxNewTokens: wholeNumber('--max-new-tokens', values['max-new-tokens']!), style: { system: values.system, prefix: values.prefix } },
      outDir: resolve(values.out!),
      runtime: { executionProvider: values.device as ExecutionProviderChoice, intraOpThreads: wholeNumber('--threads', values.threads!), cacheDir: values['cache-dir'] },
      resume: values.resume,
      progress,
      cancel,
    });
  } finally {
    progress.done();
  }
}

/** One line per model: accuracy with its interval. */
export function describeSweep(rows: readonly SweepRow[]): string {
  const width = Math.max(...rows.map((row) => row.model.length));
  return rows.map(({ model, summary: { overall } }) => `${model.padEnd(width)}  ${(100 * overall.accuracy).toFixed(1)}% (${overall.correct}/${overall.total}; 95% CI ${(100 * overall.interval.lower).toFixed(1)}–${(100 * overall.interval.upper).toFixed(1)}%)`).join('\n');
}


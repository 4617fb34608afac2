import { parseArgs } from 'node:util';
import type { VariantsJob, VariantsJobResult } from '../../core/jobs/jobProtocol';
import { runVariantsJob, VARIANTS_MAX_NEW_TOKENS } from '../../core/jobs/variantsJob';
import { readPlanFile } from '../../core/merge/planFile';
import { CONDITIONS } from '../../core/probes/conditions';
import type { CancelToken } from '../../core/progress';
import type { ComparisonSettings, SweepRow } from '../../core/variants/variantMetrics';
import { executionProvider, listOf, weightPrecision } from '../choiceArgument';
import { UsageError } from '../cliErrors';
import { CUTS_USAGE, cutsFlag } from '../cutsArgument';
import { DESCRIBER_OPTIONS, DESCRIBER_USAGE, describerChoice } from '../describerArguments';
import { MEMORY_BUDGET_OPTION, MEMORY_BUDGET_USAGE, memoryBudgetFlag } from '../memoryBudgetArgument';
import { withTerminalContext } from '../terminalProgress';
import { CALIBRATION_OPTION, CALIBRATION_USAGE, calibrationItemsFlag } from '../calibrationArgument';
import { batchFlag, wholeNumber } from '../wholeNumberArgument';

export const VARIANTS_USAGE = `frankenlens variants --in DIR --rl DIR --items FILE.jsonl --out DIR [--thirds [--cuts A,B]] [--plan FILE]… [options]

Scores IN, RL and Frankenstein variants on a benchmark without writing merged copies: each variant's
graph reads IN's and RL's weight files in place (write one afterwards with "frankenlens merge --plan").
Greedy answers go to variants.jsonl as they finish (--resume skips finished model/condition/item
answers), then variants.summary.json (schema frankenlens.variants/2) gets per model the accuracy per
condition with Wilson 95% intervals, the paper's M_vis, M_v2r and M_rea with their paired counts,
and against IN on the real images McNemar's exact test (b, c) and a paired bootstrap 95% interval of
the accuracy difference.

  --thirds               the paper's six thirds variants (the default when no --plan is given)
  --cuts C               cuts of the thirds: ${CUTS_USAGE}
  --plan FILE            a merge plan (.json or .yaml, from "frankenlens plan"); repeatable;
                         plans that interpolate (alpha strictly between 0 and 1) must be merged first
  --conditions C,…       real, black (a black image of the same size), black+description (the
                         black image with a description of the real one before the question);
                         real is required (default: all three when every item with an image has
                         a "description" or a describer is given, else real,black; the black
                         ones cover the items with images)
${DESCRIBER_USAGE}
  --seed N               seed of the paired bootstrap (default 0; 10000 resamples)
  --max-new-tokens N     at most N new tokens per answer (default 2048)
  --system TEXT          system prompt (default none: the chat template's default turn)
  --prefix TEXT          instruction before the question, followed by a blank line
  --batch N              answers decoded together as rows of one batch, an item joining as another
                         ends (default: 16, or the most that fit the memory budget; answers do not
                         depend on it, so it is not part of the sweep's settings)
  --resume               continue the sweep in --out
  --device D, --threads N, --precision P, --cache-dir DIR   as for generate
${CALIBRATION_USAGE}
${MEMORY_BUDGET_USAGE}
                         (assumed: prompts of 1,024 tokens, images included; IN and RL held at
                         once, every variant built from their layers)
  --quiet                no progress on stderr`;

export async function variantsCommand(argv: string[], cancel: CancelToken): Promise<VariantsJobResult> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      in: { type: 'string' }, rl: { type: 'string' }, items: { type: 'string' }, out: { type: 'string' },
      thirds: { type: 'boolean', default: false }, cuts: { type: 'string' }, plan: { type: 'string', multiple: true }, conditions: { type: 'string' }, seed: { type: 'string', default: '0' }, ...DESCRIBER_OPTIONS,
      'max-new-tokens': { type: 'string', default: String(VARIANTS_MAX_NEW_TOKENS) }, system: { type: 'string' }, prefix: { type: 'string' },
      batch: { type: 'string' }, resume: { type: 'boolean', default: false }, device: { type: 'string', default: 'auto' }, threads: { type: 'string', default: '0' }, precision: { type: 'string', default: 'float32' }, 'cache-dir': { type: 'string' }, quiet: { type: 'boolean', default: false },
      ...MEMORY_BUDGET_OPTION,
      ...CALIBRATION_OPTION,
    },
    allowPositionals: false,
    strict: true,
  });
  if (positionals.length > 0) throw new UsageError('variants takes no positional arguments');
  for (const flag of ['in', 'rl', 'items', 'out'] as const) if (!values[flag]) throw new UsageError(`variants needs --${flag}`);
  if (values.cuts !== undefined && !values.thirds && values.plan) throw new UsageError('--cuts applies to --thirds');
  const job: VariantsJob = {
    kind: 'variants',
    inDir: values.in!,
    rlDir: values.rl!,
    items: values.items!,
    outDir: values.out!,
    thirds: values.thirds,
    cuts: cutsFlag(values.cuts, values.in!),
    plans: (values.plan ?? []).map(readPlanFile),
    conditions: values.conditions === undefined ? undefined : listOf('--conditions', values.conditions, CONDITIONS),
    describer: describerChoice(values),
    seed: wholeNumber('--seed', values.seed!),
    maxNewTokens: wholeNumber('--max-new-tokens', values['max-new-tokens']!),
    style: { system: values.system, prefix: values.prefix },
    batch: batchFlag(values.batch),
    resume: values.resume,
    runtime: { executionProvider: executionProvider(values.device!), intraOpThreads: wholeNumber('--threads', values.threads!), precision: weightPrecision(values.precision!), cacheDir: values['cache-dir'] },
    memoryBudget: memoryBudgetFlag(values['memory-budget']),
    calibrationItems: calibrationItemsFlag(values['calibration-items']),
  };
  return withTerminalContext('variants', values.quiet!, cancel, (context) => runVariantsJob(job, context));
}

const percent = (value: number) => `${(100 * value).toFixed(1)}%`;
const signedPoints = (value: number) => `${value >= 0 ? '+' : '−'}${Math.abs(100 * value).toFixed(1)}`;

/**
 * Per model: accuracy with the real image and its Wilson interval, then an indented line with the
 * other conditions' accuracies and the paper's metrics (count/N), and one with the comparison
 * against the baseline (accuracy difference in points with its paired bootstrap interval, the
 * discordant counts and McNemar's exact p).
 */
export function describeSweep(rows: readonly SweepRow[], comparison: ComparisonSettings): string {
  const width = Math.max(...rows.map((row) => row.model.length));
  const indent = ' '.repeat(width + 2);
  return rows
    .map(({ model, conditions, metrics, versusBaseline }) => {
      const { overall } = conditions.real!;
      const lines = [`${model.padEnd(width)}  ${percent(overall.accuracy)} (${overall.correct}/${overall.total}; 95% CI ${(100 * overall.interval.lower).toFixed(1)}–${percent(overall.interval.upper)})`];
      const others = (['black', 'black+description'] as const).flatMap((condition) => {
        const score = conditions[condition]?.overall;
        return score ? [`${condition} ${percent(score.accuracy)} (${score.correct}/${score.total})`] : [];
      });
      const paper = Object.values(metrics).map((metric) => `${metric.name} ${metric.value.toFixed(3)} (${metric.count}/${metric.n})`);
      if (others.length + paper.length > 0) lines.push(`${indent}${[...others, ...paper].join('  ')}`);
      if (versusBaseline) {
        const { difference, bootstrap, mcnemar } = versusBaseline;
        lines.push(`${indent}vs ${comparison.baseline}: ${signedPoints(difference)} points (paired bootstrap 95% CI ${signedPoints(bootstrap.interval.lower)} to ${signedPoints(bootstrap.interval.upper)}); b ${mcnemar.onlyFirst}, c ${mcnemar.onlySecond}, McNemar exact p ${mcnemar.pValue.toFixed(3)}`);
      }
      return lines.join('\n');
    })
    .join('\n');
}

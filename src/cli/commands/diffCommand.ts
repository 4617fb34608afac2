import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { InclusionRuleId } from '../../core/diff/inclusionRule';
import { runDiffJob } from '../../core/jobs/diffJob';
import type { DiffJob, DiffJobResult } from '../../core/jobs/jobProtocol';
import type { CancelToken } from '../../core/progress';
import { oneOf } from '../choiceArgument';
import { UsageError } from '../cliErrors';
import { CUTS_USAGE, cutsFlag } from '../cutsArgument';
import { withTerminalContext } from '../terminalProgress';
import { wholeNumber } from '../wholeNumberArgument';

export const DIFF_USAGE = `frankenlens diff --in DIR --rl DIR [--base DIR] [--out DIR] [options]

Per-tensor and per-layer weight updates of RL over IN (and of IN over Base).

  --in DIR          the SFT cold-start checkpoint (folder or .safetensors file)
  --rl DIR          the RL checkpoint trained from it
  --base DIR        optional base model IN was trained from (adds ΔIN and cos(ΔIN, ΔRL))
  --out DIR         where diff.json and the report go (default .frankenlens/diff-<in>-vs-<rl>)
  --include RULE    "paper" (default: weight matrices, no norms) or "all"
  --cuts C          region cuts: ${CUTS_USAGE}
  --threads N       worker threads (default: all cores)
  --no-report       write diff.json only
  --quiet           no progress on stderr`;

export async function diffCommand(argv: string[], cancel: CancelToken): Promise<DiffJobResult> {
  const { values } = parseArgs({
    args: argv,
    options: {
      in: { type: 'string' },
      rl: { type: 'string' },
      base: { type: 'string' },
      out: { type: 'string' },
      include: { type: 'string', default: 'paper' },
      cuts: { type: 'string' },
      threads: { type: 'string' },
      'no-report': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (!values.in || !values.rl) throw new UsageError('diff needs --in DIR and --rl DIR');
  const job: DiffJob = {
    kind: 'diff',
    inDir: values.in,
    rlDir: values.rl,
    baseDir: values.base,
    inclusion: oneOf<InclusionRuleId>('--include', values.include!, ['paper', 'all']),
    regionCuts: cutsFlag(values.cuts, values.in),
    threads: values.threads === undefined ? undefined : wholeNumber('--threads', values.threads),
    outDir: resolve(values.out ?? join('.frankenlens', `diff-${basename(resolve(values.in))}-vs-${basename(resolve(values.rl))}`)),
    report: !values['no-report'],
  };
  return withTerminalContext('diff', values.quiet!, cancel, (context) => runDiffJob(job, context));
}

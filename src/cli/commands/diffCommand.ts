import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runDiff } from '../../core/diff/runDiff';
import { writeDiffJson } from '../../core/diff/writeDiffJson';
import type { DiffResult } from '../../core/diff/diffResult';
import type { CancelToken } from '../../core/progress';
import { writeDiffReport } from '../../core/report/renderReport';
import { oneOf } from '../choiceArgument';
import { UsageError } from '../cliErrors';
import { parseCuts } from '../cutsArgument';
import { terminalProgress } from '../terminalProgress';

export const DIFF_USAGE = `frankenlens diff --in DIR --rl DIR [--base DIR] [--out DIR] [options]

Per-tensor and per-layer weight updates of RL over IN (and of IN over Base).

  --in DIR          the SFT cold-start checkpoint (folder or .safetensors file)
  --rl DIR          the RL checkpoint trained from it
  --base DIR        optional base model IN was trained from (adds ΔIN and cos(ΔIN, ΔRL))
  --out DIR         where diff.json and the report go (default .frankenlens/diff-<in>-vs-<rl>)
  --include RULE    "paper" (default: weight matrices, no norms) or "all"
  --cuts A,B        HF 0-based region cuts (default floor(n/3),floor(2n/3))
  --threads N       worker threads (default: all cores)
  --no-report       write diff.json only
  --quiet           no progress on stderr`;

export interface DiffCommandResult {
  result: DiffResult;
  outDir: string;
  files: string[];
}

export async function diffCommand(argv: string[], cancel: CancelToken): Promise<DiffCommandResult> {
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
  const inclusion = oneOf('--include', values.include!, ['paper', 'all']);
  const regionCuts = values.cuts === undefined ? undefined : parseCuts(values.cuts);
  const threads = values.threads === undefined ? undefined : parseThreads(values.threads);
  const outDir = resolve(values.out ?? join('.frankenlens', `diff-${basename(resolve(values.in))}-vs-${basename(resolve(values.rl))}`));

  const progress = terminalProgress('diff', values.quiet);
  let result: DiffResult;
  try {
    result = await runDiff({ inDir: values.in, rlDir: values.rl, baseDir: values.base, inclusion, regionCuts, threads, cancel, progress });
  } finally {
    progress.done();
  }
  const files = [writeDiffJson(result, outDir)];
  if (!values['no-report']) files.push(...(await writeDiffReport(result, outDir)).files);
  return { result, outDir, files };
}

function parseThreads(text: string): number {
  const threads = Number(text);
  if (!Number.isInteger(threads) || threads < 0) throw new UsageError(`--threads must be a non-negative integer, not "${text}"`);
  return threads;
}

/** The few lines a user reads first: where the update went. */
export function describeDiff(result: DiffResult): string {
  const top = [...result.layers].sort((a, b) => b.rlDeltaRelMean - a.rlDeltaRelMean).slice(0, 3);
  const lines = [
    `${result.tensors.length} tensors paired (${result.tensors.filter((t) => t.included).length} included by the ${result.config.inclusionRule.id} rule), ${(result.timing.bytesRead / 2 ** 30).toFixed(2)} GiB read in ${result.timing.seconds.toFixed(1)} s`,
    'most changed layers (mean relative update ‖ΔRL‖/‖W_IN‖):',
    ...top.map((layer) => `  unified ${String(layer.unifiedLayer).padStart(3)}  (${layer.section}${layer.hfLayer === null ? '' : `, HF layer ${layer.hfLayer}`})  ${layer.rlDeltaRelMean.toExponential(3)}`),
  ];
  return lines.join('\n');
}

import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CancelToken } from '../../core/progress';
import type { SpectralJob, SpectralJobResult } from '../../core/jobs/jobProtocol';
import { runSpectralJob } from '../../core/jobs/spectralJob';
import type { KernelChoice } from '../../core/spectral/runSpectral';
import type { SpectralInclusionId, SpectralModeChoice } from '../../core/spectral/spectralResult';
import { oneOf } from '../choiceArgument';
import { UsageError } from '../cliErrors';
import { CUTS_USAGE, cutsFlag } from '../cutsArgument';
import { withTerminalContext } from '../terminalProgress';

export const SPECTRAL_USAGE = `frankenlens spectral --in DIR --rl DIR [--base DIR] [--out DIR] [options]

Singular values of every included update matrix (ΔRL = RL − IN, and ΔIN = IN − Base with --base):
spectral, nuclear and Frobenius norms, stable and effective rank, condition number, log-volume of
the top 50 and the top-k singular values; per-layer, section and region means.

  --in DIR          the SFT cold-start checkpoint (folder or .safetensors file)
  --rl DIR          the RL checkpoint trained from it
  --base DIR        optional base model IN was trained from (adds ΔIN)
  --out DIR         where spectral.json and the charts go (default .frankenlens/spectral-<in>-vs-<rl>)
  --include RULE    "paper" (default: the paper's 358 matrices for Qwen2.5-VL-7B) or "all-matrices"
                    (adds embeddings, lm_head and the flattened patch embedding)
  --mode MODE       "auto" (default: exact for small matrices, fast otherwise), "exact" or "fast"
  --top-k N         singular values reported per matrix (default 50)
  --tolerance X     fast mode: stop when σ₁'s error bound is below X·σ₁ (default 1e-4)
  --kernel K        products for fast mode: "auto" (time both, keep the faster), "onnxruntime", "typed-array"
  --threads N       onnxruntime threads (default: all cores)
  --cuts C          region cuts: ${CUTS_USAGE}
  --seed N          seed of the random probes (default 1)
  --no-report       write spectral.json only (no charts, no spectral-report.html)
  --quiet           no progress on stderr`;

export async function spectralCommand(argv: string[], cancel: CancelToken): Promise<SpectralJobResult> {
  const { values } = parseArgs({
    args: argv,
    options: {
      in: { type: 'string' },
      rl: { type: 'string' },
      base: { type: 'string' },
      out: { type: 'string' },
      include: { type: 'string', default: 'paper' },
      mode: { type: 'string', default: 'auto' },
      'top-k': { type: 'string', default: '50' },
      tolerance: { type: 'string' },
      kernel: { type: 'string', default: 'auto' },
      threads: { type: 'string' },
      cuts: { type: 'string' },
      seed: { type: 'string', default: '1' },
      'no-report': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (!values.in || !values.rl) throw new UsageError('spectral needs --in DIR and --rl DIR');
  const integer = (flag: string, text: string, minimum: number) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < minimum) throw new UsageError(`--${flag} must be an integer ≥ ${minimum}, not "${text}"`);
    return value;
  };
  const inclusion = oneOf<SpectralInclusionId>('--include', values.include, ['paper', 'all-matrices']);
  const mode = oneOf<SpectralModeChoice>('--mode', values.mode, ['auto', 'exact', 'fast']);
  const kernel = oneOf<KernelChoice>('--kernel', values.kernel, ['auto', 'onnxruntime', 'typed-array']);
  const tolerance = values.tolerance === undefined ? undefined : Number(values.tolerance);
  if (tolerance !== undefined && !(tolerance > 0 && tolerance < 1)) throw new UsageError(`--tolerance must be a number between 0 and 1, not "${values.tolerance}"`);
  const job: SpectralJob = {
    kind: 'spectral',
    inDir: values.in,
    rlDir: values.rl,
    baseDir: values.base,
    inclusion,
    mode,
    topK: integer('top-k', values['top-k'], 1),
    tolerance,
    kernel,
    threads: values.threads === undefined ? undefined : integer('threads', values.threads, 0),
    regionCuts: cutsFlag(values.cuts, values.in),
    seed: integer('seed', values.seed, 0),
    outDir: resolve(values.out ?? join('.frankenlens', `spectral-${basename(resolve(values.in))}-vs-${basename(resolve(values.rl))}`)),
    report: !values['no-report'],
  };
  return withTerminalContext('spectral', values.quiet, cancel, (context) => runSpectralJob(job, context));
}

import { parseArgs } from 'node:util';
import type { ProbeJob, ProbeJobResult } from '../../core/jobs/jobProtocol';
import { runProbeJob } from '../../core/jobs/probeJob';
import type { CancelToken } from '../../core/progress';
import { CONDITIONS } from '../../core/probes/conditions';
import { VISION_TASKS } from '../../core/probes/visionPairs';
import { SWAP_DECODINGS, SWAP_MODES } from '../../core/probes/visualSwap';
import { executionProvider, listOf, oneOf, weightPrecision } from '../choiceArgument';
import { UsageError } from '../cliErrors';
import { DESCRIBER_OPTIONS, DESCRIBER_USAGE, describerChoice } from '../describerArguments';
import { MEMORY_BUDGET_OPTION, MEMORY_BUDGET_USAGE, memoryBudgetFlag } from '../memoryBudgetArgument';
import { withTerminalContext } from '../terminalProgress';
import { CALIBRATION_OPTION, CALIBRATION_USAGE, calibrationItemsFlag } from '../calibrationArgument';
import { batchFlag, wholeNumber } from '../wholeNumberArgument';

export const PROBE_USAGE = `frankenlens probe attention|ablation|swap --in DIR --rl DIR --items PATH --out DIR [options]

Functional localization on IN and RL (greedy, each checkpoint's generation_config.json applies).
Results: <probe>.jsonl (one line per finished item; --resume continues a stopped run), then
<probe>.summary.json (schema frankenlens.probe.<probe>/1) and one Vega-Lite spec per chart.

  attention  --items FILE.jsonl (benchmark items with images): attention mass from the response's
             tokens to the image tokens per layer, own and shared responses, RL − IN with bootstrap CIs
  ablation   --items FILE.jsonl: accuracy with each decoder layer replaced by the identity
  swap       --items DIR (the paper's vision_functionality_dataset layout): visual-token K/V swap

Options:
  --layers A-B|A,B,…     decoder layers, HF 0-based (default all)
  --max-new-tokens N     default: attention 1024, ablation 2048, swap 64 (the paper's)
  --condition C          attention/ablation: real, black or black+description (default real)
${DESCRIBER_USAGE}
  --system TEXT          system prompt (default none: the chat template's default turn)
  --prefix TEXT          instruction before the question, followed by a blank line
  --scope S              attention: response or think (tokens inside <think>…</think>; default response)
  --shared in|rl         attention: whose response both models are scored on (default in)
  --tasks T,…            swap: tasks (default all four); --rows N: first N rows per task (default 50)
  --modes M,…            swap: suffix (layers ≥ L, the paper's), single (default both)
  --decodings D,…        swap: corrected (swap in the prefill only), compat (the paper's duplication) (default both)
  --batch N              runs decoded together as rows of one batch, a run joining as another ends:
                         ablation and swap, an item's runs (two items in flight); attention, one
                         answer per item and model (default: 16, or the most that fit the memory
                         budget; answers do not depend on it, so it is not part of the settings)
  --resume               continue the run in --out
  --device D, --threads N, --precision P, --cache-dir DIR   as for generate
${CALIBRATION_USAGE}
${MEMORY_BUDGET_USAGE}
                         (assumed: prompts of 1,024 tokens, images included; the largest --batch
                         and --max-new-tokens that fit are named when it does not)
  --quiet                no progress on stderr`;

export async function probeCommand(argv: string[], cancel: CancelToken): Promise<ProbeJobResult> {
  const [probe, ...rest] = argv;
  if (probe !== 'attention' && probe !== 'ablation' && probe !== 'swap') throw new UsageError(`probe needs attention, ablation or swap first, not "${probe ?? ''}"`);
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      in: { type: 'string' }, rl: { type: 'string' }, items: { type: 'string' }, out: { type: 'string' },
      layers: { type: 'string' }, 'max-new-tokens': { type: 'string' }, condition: { type: 'string', default: 'real' },
      ...DESCRIBER_OPTIONS,
      system: { type: 'string' }, prefix: { type: 'string' }, scope: { type: 'string', default: 'response' }, shared: { type: 'string', default: 'in' },
      tasks: { type: 'string' }, rows: { type: 'string', default: '50' }, modes: { type: 'string' }, decodings: { type: 'string' }, batch: { type: 'string' },
      resume: { type: 'boolean', default: false }, device: { type: 'string', default: 'auto' }, threads: { type: 'string', default: '0' }, precision: { type: 'string', default: 'float32' }, 'cache-dir': { type: 'string' }, quiet: { type: 'boolean', default: false },
      ...MEMORY_BUDGET_OPTION,
      ...CALIBRATION_OPTION,
    },
    allowPositionals: false,
    strict: true,
  });
  if (positionals.length > 0) throw new UsageError('probe takes no positional arguments');
  for (const flag of ['in', 'rl', 'items', 'out'] as const) if (!values[flag]) throw new UsageError(`probe ${probe} needs --${flag}`);
  const batch = batchFlag(values.batch);
  const job: ProbeJob = {
    kind: 'probe',
    probe,
    inDir: values.in!,
    rlDir: values.rl!,
    items: values.items!,
    outDir: values.out!,
    layers: values.layers,
    maxNewTokens: values['max-new-tokens'] ? wholeNumber('--max-new-tokens', values['max-new-tokens']) : undefined,
    condition: oneOf('--condition', values.condition!, CONDITIONS),
    describer: describerChoice(values),
    style: { system: values.system, prefix: values.prefix },
    scope: oneOf('--scope', values.scope!, ['response', 'think'] as const),
    sharedFrom: oneOf('--shared', values.shared!, ['in', 'rl'] as const),
    tasks: values.tasks ? listOf('--tasks', values.tasks, VISION_TASKS) : undefined,
    rowsPerTask: wholeNumber('--rows', values.rows!),
    modes: values.modes ? listOf('--modes', values.modes, SWAP_MODES) : undefined,
    decodings: values.decodings ? listOf('--decodings', values.decodings, SWAP_DECODINGS) : undefined,
    batch,
    resume: values.resume,
    runtime: { executionProvider: executionProvider(values.device!), intraOpThreads: wholeNumber('--threads', values.threads!), precision: weightPrecision(values.precision!), cacheDir: values['cache-dir'] },
    memoryBudget: memoryBudgetFlag(values['memory-budget']),
    calibrationItems: calibrationItemsFlag(values['calibration-items']),
  };
  return withTerminalContext(`probe ${probe}`, values.quiet!, cancel, (context) => runProbeJob(job, context));
}

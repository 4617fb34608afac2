import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readBenchmarkItems } from '../../core/bench/benchmarkItems';
import { DEFAULT_BATCH_ROWS } from '../../core/model/batchedGenerate';
import type { CancelToken } from '../../core/progress';
import { runAttentionProbe, type ReasoningScope } from '../../core/probes/attentionToVision';
import { CONDITIONS } from '../../core/probes/conditions';
import { runAblationProbe } from '../../core/probes/layerAblation';
import { openProbeModel } from '../../core/probes/probeModel';
import { readVisionPairs, VISION_TASKS } from '../../core/probes/visionPairs';
import { runSwapProbe, SWAP_DECODINGS, SWAP_MODES, swappedLayers, type SwapMode } from '../../core/probes/visualSwap';
import { ablationCharts, attentionCharts, swapCharts, type ProbeChart } from '../../core/report/probeSpecs';
import { executionProvider, listOf, oneOf } from '../choiceArgument';
import { UsageError } from '../cliErrors';
import { DESCRIBER_OPTIONS, DESCRIBER_USAGE, DESCRIPTION_TOKENS, openDescriber, type OpenedDescriber } from '../describerArguments';
import { checkMemoryPlan, MEMORY_BUDGET_OPTION, MEMORY_BUDGET_USAGE, modelConfigOf } from '../memoryBudgetArgument';
import { wholeNumber } from '../wholeNumberArgument';
import { terminalProgress } from '../terminalProgress';

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
  --batch N              ablation and swap: runs of one item decoded together as one batch (default
                         16; answers do not depend on it, so it is not part of the run's settings)
  --resume               continue the run in --out
  --device D, --threads N, --cache-dir DIR   as for generate
${MEMORY_BUDGET_USAGE}
                         (assumed: prompts of 1,024 tokens, images included; the largest --batch
                         and --max-new-tokens that fit are named when it does not)
  --quiet                no progress on stderr`;

export async function probeCommand(argv: string[], cancel: CancelToken): Promise<{ summaryPath: string; files: string[] }> {
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
      resume: { type: 'boolean', default: false }, device: { type: 'string', default: 'auto' }, threads: { type: 'string', default: '0' }, 'cache-dir': { type: 'string' }, quiet: { type: 'boolean', default: false },
      ...MEMORY_BUDGET_OPTION,
    },
    allowPositionals: false,
    strict: true,
  });
  if (positionals.length > 0) throw new UsageError('probe takes no positional arguments');
  for (const flag of ['in', 'rl', 'items', 'out'] as const) if (!values[flag]) throw new UsageError(`probe ${probe} needs --${flag}`);
  const runtimeOptions = { executionProvider: executionProvider(values.device!), intraOpThreads: wholeNumber('--threads', values.threads!), cacheDir: values['cache-dir'] };
  const configs = { in: modelConfigOf(values.in!), rl: modelConfigOf(values.rl!) };
  const layerCount = configs.in.decoder.layers;
  const layers = values.layers ? layerList(values.layers, layerCount) : Array.from({ length: layerCount }, (_, layer) => layer);
  const maxNewTokens = values['max-new-tokens'] ? wholeNumber('--max-new-tokens', values['max-new-tokens']) : { attention: 1024, ablation: 2048, swap: 64 }[probe];
  const condition = oneOf('--condition', values.condition!, CONDITIONS);
  const style = { system: values.system, prefix: values.prefix };
  const batch = values.batch === undefined ? undefined : wholeNumber('--batch', values.batch);
  if (batch === 0) throw new UsageError('--batch must be at least 1');
  const outDir = values.out!;

  // What the probe will run, read before any model loads, for the memory plan.
  const swap = probe === 'swap'
    ? {
        pairs: readVisionPairs(values.items!, { tasks: values.tasks ? listOf('--tasks', values.tasks, VISION_TASKS) : [...VISION_TASKS], rowsPerTask: wholeNumber('--rows', values.rows!) }),
        modes: values.modes ? listOf('--modes', values.modes, SWAP_MODES) : [...SWAP_MODES],
        decodings: values.decodings ? listOf('--decodings', values.decodings, SWAP_DECODINGS) : [...SWAP_DECODINGS],
      }
    : undefined;
  const items = probe === 'swap' ? [] : readBenchmarkItems(values.items!);
  const runsPerItem = swap ? swapDecodingsPerPair(layers, swap.modes, layerCount) * swap.decodings.length : layers.length + 1;
  const describerModel = probe !== 'swap' && condition === 'black+description' ? values['describer-model'] : undefined;
  const plan = checkMemoryPlan(
    {
      command: `probe ${probe}`,
      models: [configs.in, configs.rl],
      rows: probe === 'attention' ? 1 : Math.min(batch ?? DEFAULT_BATCH_ROWS, runsPerItem),
      maxNewTokens,
      images: probe === 'swap' || items.some((item) => item.images.length > 0),
      describer: describerModel ? { config: modelConfigOf(describerModel), maxNewTokens: DESCRIPTION_TOKENS } : undefined,
    },
    { budget: values['memory-budget'], device: runtimeOptions.executionProvider, quiet: values.quiet },
  );

  const progress = terminalProgress(`probe ${probe}`, values.quiet!);
  const modelOptions = { ...runtimeOptions, releaseVisionAfterEncoding: plan.request.visionResident === false, onLoad: (message: string) => progress.note(message) };
  const models = { in: openProbeModel('in', values.in!, modelOptions), rl: openProbeModel('rl', values.rl!, modelOptions) };
  const common = { outDir, resume: values.resume, progress, cancel };
  let describer: OpenedDescriber | undefined;
  try {
    let summaryPath: string;
    let charts: ProbeChart[];
    if (swap) {
      const { pairs, modes, decodings } = swap;
      const result = await runSwapProbe({ ...common, models: [models.in, models.rl], pairs, settings: { layers, modes, decodings, maxNewTokens, batch } });
      summaryPath = result.summaryPath;
      charts = swapCharts(result.rows);
    } else {
      describer = openDescriber(values, outDir, runtimeOptions);
      if (probe === 'ablation') {
        const result = await runAblationProbe({ ...common, models: [models.in, models.rl], items, settings: { layers, maxNewTokens, condition, style, batch }, describer: describer.describer });
        summaryPath = result.summaryPath;
        charts = ablationCharts(result.rows);
      } else {
        const scope = oneOf<ReasoningScope>('--scope', values.scope!, ['response', 'think']);
        const sharedFrom = oneOf<'in' | 'rl'>('--shared', values.shared!, ['in', 'rl']);
        const result = await runAttentionProbe({ ...common, models, items, settings: { maxNewTokens, condition, style, scope, sharedFrom }, describer: describer.describer });
        summaryPath = result.summaryPath;
        charts = attentionCharts(result.rows);
      }
    }
    const files = charts.map((chart) => {
      const path = join(outDir, `${chart.id}.vl.json`);
      writeFileSync(path, `${JSON.stringify(chart.spec, null, 2)}\n`);
      return path;
    });
    return { summaryPath, files: [summaryPath, ...files] };
  } finally {
    progress.done();
    await Promise.all([models.in.runtime.unload(), models.rl.runtime.unload(), describer?.unload()]);
  }
}

/** Distinct swapped layer sets per pair (a suffix from the last layer is that layer alone), as runSwapProbe decodes them. */
function swapDecodingsPerPair(layers: readonly number[], modes: readonly SwapMode[], layerCount: number): number {
  return new Set(layers.flatMap((layer) => modes.map((mode) => swappedLayers(mode, layer, layerCount).join()))).size;
}

/** "0-27", "3,5,9" or a mix, within 0..count-1. */
function layerList(text: string, count: number): number[] {
  const layers = new Set<number>();
  for (const part of text.split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!match) throw new UsageError(`--layers: "${part}" is not a layer or a range A-B`);
    const [start, end] = [Number(match[1]), Number(match[2] ?? match[1])];
    if (end < start || end >= count) throw new UsageError(`--layers: ${part} is outside the decoder's layers 0-${count - 1}`);
    for (let layer = start; layer <= end; layer++) layers.add(layer);
  }
  return [...layers].sort((a, b) => a - b);
}

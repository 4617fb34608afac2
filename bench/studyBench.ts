/**
 * `npm run bench -- study`: what the paper's study of one 7B recipe costs on this machine, from the
 * runtime's measured per-layer costs at Qwen2.5-VL-7B width (the 2-layer checkpoint of `-- layers`),
 * float32 and int8 weights, with onnxruntime's default threads (one per core) and the CLI's malloc
 * settings (bench.ts starts it with them).
 *
 * Measured per decoder layer: prefill seconds per prompt token (a 1,024-token prompt) and decode
 * seconds per step at 1, 8 and 16 rows (each row with 1,024 cached positions). A 7B step is
 * 28 layers plus the LM head, which reads 152,064 × 3,584 weights: LM_HEAD_LAYERS layer-equivalents
 * of bytes (decoding is bound by reading weights).
 *
 * The study (issue #15's count): per model IN and RL, 300 ablation items × 29 runs, 400 swap pairs ×
 * 112 swapped decodings, 300 attention items (one answer, then 4 teacher-forced passes over prompt
 * + answer), and the sweep: 8 models (IN, RL, 6 variants) × 300 items × 3 conditions. Every prompt
 * is taken as 1,024 tokens, image included; answers as ANSWER_TOKENS (reasoning answers; swap: 64).
 * Ablation and swap prefill from the layer they change (on average (28 + 1) / 56 of the layers), and
 * a swap's two decodings share one prefill; the swap's reuse of the prompt before the image is not
 * counted. Time = prefills + answer tokens × step time at the batch ÷ rows. The GPU row is not
 * measured (no GPU was lent to this project): it is the floor an H100 sets, its memory bandwidth for
 * bf16 weights per decode step and its dense bf16 rate for prefills, and says so.
 */
import { availableParallelism } from 'node:os';
import { stackRows } from '../src/core/model/kvCache';
import { ModelRuntime, type KvCache } from '../src/core/model/modelRuntime';
import type { WeightPrecision } from '../src/core/model/graphOps';
import { ensureWideModel, WIDE_SHAPE } from './layersBench';
import { median } from './median';

const REPEATS = Number(process.env.FRANKENLENS_BENCH_REPEATS ?? 3);
const PROMPT_TOKENS = 1024;
const ANSWER_TOKENS = 512;
const ROWS = [1, 8, 16];
const LAYERS_7B = 28;
/** lm_head (152,064 × 3,584) over one 7B layer's weights (q, k, v, o, gate, up, down). */
const LM_HEAD_LAYERS = (152_064 * 3584) / (2 * 3584 * 3584 + 2 * 512 * 3584 + 3 * 3584 * 18944);
/** H100 SXM: 3.35 TB/s of HBM3; a 7B model's bf16 decoder weights: 15.2 GB. */
const H100_STEP_SECONDS = 15.2e9 / 3.35e12;
/** H100 SXM: 989 TFLOP/s dense bf16; a prompt token costs 2 FLOPs per decoder weight (7.6 G). */
const H100_PREFILL_SECONDS_PER_TOKEN = (2 * 7.6e9) / 989e12;
/** Ablation and swap prefill from the layer they change: on average this share of the decoder's layers. */
const LAYER_REUSE = (LAYERS_7B + 1) / (2 * LAYERS_7B);

interface LayerCosts {
  precision: WeightPrecision;
  /** Seconds per prompt token per layer. */
  prefillPerToken: number;
  /** Seconds per decode step per layer, by rows. */
  stepByRows: Record<number, number>;
}

async function measureLayers(dir: string, cacheDir: string, precision: WeightPrecision): Promise<LayerCosts> {
  const runtime = ModelRuntime.open(dir, { cacheDir, precision, executionProvider: 'cpu' });
  const { hiddenSize, layers } = runtime.config.decoder;
  const embeds = (tokens: number) => Float32Array.from({ length: tokens * hiddenSize }, (_, index) => Math.sin(index) * 0.5);
  const positions = (rows: number, from: number, count: number) => BigInt64Array.from({ length: 3 * rows * count }, (_, index) => BigInt(from + (index % count)));
  try {
    await runtime.load();
    const prefills: number[] = [];
    let cache: KvCache | undefined;
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      const started = performance.now();
      cache = (await runtime.decode({ embeds: embeds(PROMPT_TOKENS), positions: positions(1, 0, PROMPT_TOKENS), cache: runtime.emptyCache() }, { taps: {}, logits: 'last' })).cache;
      prefills.push((performance.now() - started) / 1000);
    }
    const stepByRows: Record<number, number> = {};
    for (const rows of ROWS) {
      let batch = stackRows(Array<KvCache>(rows).fill(cache!), PROMPT_TOKENS + 8 * REPEATS);
      const steps: number[] = [];
      for (let step = 0; step < 4 * REPEATS; step++) {
        const started = performance.now();
        batch = (await runtime.decode({ rows, embeds: embeds(rows), positions: positions(rows, batch.length, 1), cache: batch }, { taps: {}, logits: 'last' })).cache;
        steps.push((performance.now() - started) / 1000);
      }
      stepByRows[rows] = median(steps) / layers;
    }
    return { precision, prefillPerToken: median(prefills) / PROMPT_TOKENS / layers, stepByRows };
  } finally {
    await runtime.unload();
  }
}

/** Runs of the study per workload: [runs, prompt tokens prefilled per run, answer tokens per run]. */
function studyWorkloads(): { name: string; runs: number; prefillTokens: number; answerTokens: number }[] {
  const models = 2;
  return [
    // The baseline prefills every layer, each ablated run from its layer on.
    { name: 'ablation (300 items × 29 runs × IN, RL)', runs: 300 * 29 * models, prefillTokens: (PROMPT_TOKENS * (1 + LAYERS_7B * LAYER_REUSE)) / (LAYERS_7B + 1), answerTokens: ANSWER_TOKENS },
    // Two decodings (corrected, compat) share each swapped prefill, which starts at its layer.
    { name: 'swap (400 pairs × 112 decodings × IN, RL)', runs: 400 * 112 * models, prefillTokens: (PROMPT_TOKENS * LAYER_REUSE) / 2, answerTokens: 64 },
    // One answer, then teacher-forced passes (own and shared responses, each model): 4 × (prompt + answer) tokens.
    { name: 'attention (300 items × IN, RL)', runs: 300 * models, prefillTokens: PROMPT_TOKENS + 4 * (PROMPT_TOKENS + ANSWER_TOKENS) / models, answerTokens: ANSWER_TOKENS },
    { name: 'variant sweep (8 models × 300 items × 3 conditions)', runs: 8 * 300 * 3, prefillTokens: PROMPT_TOKENS, answerTokens: ANSWER_TOKENS },
  ];
}

const hours = (seconds: number) => +(seconds / 3600).toFixed(1);

export async function runStudyBench(benchDir: string): Promise<Record<string, unknown>> {
  const dir = ensureWideModel(benchDir);
  const cacheDir = `${benchDir}/graph-cache`;
  const costs: LayerCosts[] = [];
  for (const precision of ['float32', 'int8'] as const) costs.push(await measureLayers(dir, cacheDir, precision));
  const perModel = LAYERS_7B + LM_HEAD_LAYERS;
  const workloads = studyWorkloads();
  const modes = [
    ...costs.flatMap((cost) => ROWS.map((rows) => ({ mode: `this machine, ${cost.precision}, ${rows} row${rows === 1 ? '' : 's'}`, prefill: cost.prefillPerToken * LAYERS_7B, step: (cost.stepByRows[rows]! * perModel) / rows, measured: true }))),
    { mode: 'one H100, bf16, 16 rows (floor from its rates, not measured)', prefill: H100_PREFILL_SECONDS_PER_TOKEN, step: H100_STEP_SECONDS / 16, measured: false },
  ];
  const table = modes.map(({ mode, prefill, step, measured }) => {
    const row: Record<string, unknown> = { mode };
    let total = 0;
    for (const workload of workloads) {
      const seconds = workload.runs * (workload.prefillTokens * prefill + workload.answerTokens * step);
      row[workload.name.split(' (')[0]!] = hours(seconds);
      total += seconds;
    }
    row['total h'] = hours(total);
    row.measured = measured;
    return row;
  });
  const layerRows = costs.map((cost) => ({
    precision: cost.precision,
    'prefill ms/token/layer': +(cost.prefillPerToken * 1000).toFixed(3),
    ...Object.fromEntries(ROWS.map((rows) => [`step ms/layer, ${rows} row${rows === 1 ? '' : 's'}`, +(cost.stepByRows[rows]! * 1000).toFixed(1)])),
  }));
  console.log(`\nper-layer costs at Qwen2.5-VL-7B width (hidden ${WIDE_SHAPE.hiddenSize}, MLP ${WIDE_SHAPE.intermediateSize}), ${PROMPT_TOKENS}-token prompt, medians of ${REPEATS}; ${process.version}, ${availableParallelism()} cores, onnxruntime's default threads`);
  console.table(layerRows);
  console.log(`\nthe paper's study of one 7B recipe, hours (prompts of ${PROMPT_TOKENS} tokens, answers of ${ANSWER_TOKENS}, swap 64; a 7B step = ${LAYERS_7B} layers + the LM head ≈ ${LM_HEAD_LAYERS.toFixed(2)} layers)`);
  console.table(table);
  return { promptTokens: PROMPT_TOKENS, answerTokens: ANSWER_TOKENS, lmHeadLayers: LM_HEAD_LAYERS, layerCosts: layerRows, workloads, study: table };
}

/**
 * `npm run bench -- model`: greedy decoding speed of the per-layer runtime on the tiny fixture model
 * and on a generated ~0.5B-parameter random Qwen2 (Qwen2.5-0.5B's shape, bf16, written once into
 * .bench/), plain steps (no tap input, nothing collected) against the inputs and outputs of each
 * probe tap (attention mass, gates, K/V override, key bias) and every tap input at once: every
 * layer session has all taps compiled in, so this is what giving them costs; and, on a 2 GB float32
 * copy of that model, that building the graphs and starting the sessions adds no weight bytes on
 * disk; and benchmark items/s of IN against a Frankenstein variant run from referenced weights (and
 * its merged copy); and int8 weights against float32 on the tiny model and the 0.5B model: weight
 * memory (RSS gained by loading, each in a fresh process), decode tokens/s (both loaded in one
 * process, alternating) and teacher-forced top-1 agreement (`npm run bench -- model int8` runs only
 * that part). The runtime's speed and memory at 7B width: `npm run bench -- layers`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { writeCheckpointFolder } from '../src/core/checkpoint/safetensorsWriter';
import { encodeFloats } from '../src/core/checkpoint/floatEncode';
import { decoderWeightBytes } from '../src/core/model/decoderGraph';
import { generateGreedy, type GenerateOptions } from '../src/core/model/generate';
import type { WeightPrecision } from '../src/core/model/graphOps';
import { kvOverrideFrom, ModelRuntime, type KvCache, type TapInputs } from '../src/core/model/modelRuntime';
import { embedPrompt } from '../src/core/model/promptEmbedding';
import { teacherForcedTopOne } from '../src/core/model/teacherForced';
import { mallocEnvironment } from '../src/core/processMemory';
import { readBenchmarkItems } from '../src/core/bench/benchmarkItems';
import { scoreResponses } from '../src/core/bench/scoreResponses';
import { thirdsVariants } from '../src/core/merge/presets';
import { resolveMerge } from '../src/core/merge/resolveMerge';
import { writeMerge } from '../src/core/merge/writeMerge';
import { openVariantRuntime } from '../src/core/model/variantRuntime';
import { writeSyntheticBenchmark } from '../src/core/synthetic/syntheticBenchmark';
import { qwenProcessorFiles, qwenSpecialTokenIds } from '../src/core/synthetic/qwenProcessorFiles';
import { qwen2_5VlTensorSpecs, syntheticValueStream, writeSyntheticCheckpoint, type SyntheticShape } from '../src/core/synthetic/syntheticQwenVl';
import { answerItem, answeringModel, type AnsweringModel, type ItemAnswer } from '../src/core/variants/answerItems';
import { median } from './median';
import { selfMemory, settle } from './processPeak';

const REPEATS = Number(process.env.FRANKENLENS_BENCH_REPEATS ?? 5);

/** A tap configuration as a probe runs it: the outputs collected and the inputs of every step. */
interface TapCase {
  name: string;
  options: (context: { layers: number; promptLength: number; cleanCache: KvCache }) => GenerateOptions;
}

const MASS_KEYS = 8;
const massKeys = (total: number) => Float32Array.from({ length: total }, (_, position) => (position < MASS_KEYS ? 1 : 0));
const noOverride = (layers: number) => ({ positions: [], keys: new Float32Array(0), values: new Float32Array(0), layers: Array<boolean>(layers).fill(false) });

/** Each tap alone, the probes' set as they use it, then every tap's input at every step, neutral (the worst case). */
const TAP_CASES: TapCase[] = [
  { name: 'attention mass', options: ({ promptLength }) => ({ taps: { attentionMass: true }, prefillTaps: { massKeys: massKeys(promptLength) }, stepTaps: (length) => ({ massKeys: massKeys(length + 1) }) }) },
  { name: 'gates (all open)', options: ({ layers }) => ({ stepTaps: () => ({ gates: new Float32Array(2 * layers).fill(1) }) }) },
  {
    name: 'K/V override in the prefill (swap probe)',
    options: ({ layers, promptLength, cleanCache }) => {
      const positions = Array.from({ length: promptLength / 2 }, (_, index) => promptLength / 4 + index);
      return { prefillTaps: { kvOverride: kvOverrideFrom(cleanCache, positions, Array<boolean>(layers).fill(true)) } };
    },
  },
  { name: 'key bias (zeros)', options: ({ layers }) => ({ stepTaps: (length) => ({ keyBias: new Float32Array(layers * (length + 1)) }) }) },
  {
    name: 'probe taps: mass + gates every step, K/V override in the prefill',
    options: ({ layers, promptLength, cleanCache }) => {
      const gates = new Float32Array(2 * layers).fill(1);
      const positions = Array.from({ length: promptLength / 2 }, (_, index) => promptLength / 4 + index);
      const kvOverride = kvOverrideFrom(cleanCache, positions, Array<boolean>(layers).fill(true));
      return { taps: { attentionMass: true }, prefillTaps: { massKeys: massKeys(promptLength), gates, kvOverride }, stepTaps: (length) => ({ massKeys: massKeys(length + 1), gates }) };
    },
  },
  {
    name: 'every tap input at every step, neutral (worst case)',
    options: ({ layers, promptLength }) => {
      const neutral = (total: number): TapInputs => ({ massKeys: massKeys(total), gates: new Float32Array(2 * layers).fill(1), kvOverride: noOverride(layers), keyBias: new Float32Array(layers * total) });
      return { taps: { attentionMass: true }, prefillTaps: neutral(promptLength), stepTaps: (length) => neutral(length + 1) };
    },
  },
];

/** Qwen2.5-0.5B's decoder: 494M parameters with tied embeddings (vision fields unused). */
const HALF_B_SHAPE: SyntheticShape = {
  hiddenSize: 896, intermediateSize: 4864, llmLayers: 24, attentionHeads: 14, keyValueHeads: 2, vocabSize: 151936,
  visionDepth: 0, visionHidden: 0, visionIntermediate: 0, visionHeads: 0, fullAttentionBlocks: [],
};

function ensureQwen2(dir: string, dtype: 'BF16' | 'F32'): string {
  if (existsSync(join(dir, 'complete.json'))) return dir;
  console.log(`generating a random ${dtype} Qwen2 (~0.5B parameters) in ${dir} ...`);
  const specs = qwen2_5VlTensorSpecs(HALF_B_SHAPE).filter((spec) => spec.name.startsWith('model.'));
  const piece = 1 << 20;
  writeCheckpointFolder(dir, specs.map((spec) => ({
    name: spec.name,
    dtype,
    shape: spec.shape,
    produce(write) {
      const count = spec.shape.reduce((a, b) => a * b, 1);
      const next = syntheticValueStream(spec, { seed: 7 });
      for (let start = 0; start < count; start += piece) write(encodeFloats(next(Math.min(piece, count - start)), dtype));
    },
  })), {
    maxShardBytes: 2 ** 30,
    overwrite: true,
    files: {
      'config.json': JSON.stringify({
        architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', _frankenlens_synthetic: 'random weights for benchmarks, not a trained model',
        hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, vocab_size: 151936,
        rms_norm_eps: 1e-6, rope_theta: 1000000, tie_word_embeddings: true, torch_dtype: dtype === 'BF16' ? 'bfloat16' : 'float32',
      }, null, 2),
    },
  });
  writeFileSync(join(dir, 'complete.json'), '{}');
  return dir;
}

/**
 * Decode tokens/s and prefill time without taps and with each tap case: `repeats` rounds of
 * plain, tapped, tapped, plain generations of `newTokens` after a `promptLength`-token prompt (the
 * ABBA order cancels load that drifts during a round). Speeds are medians of per-token times; the
 * overhead is the median over rounds of the tapped/plain ratio of each round's medians. One
 * intra-op thread: on a shared 2-core machine a thread pool's parallel sections wait for threads
 * the OS has descheduled, which swamps the taps' own cost.
 */
async function speedRows(name: string, dir: string, cacheDir: string, promptLength: number, newTokens: number, repeats: number): Promise<Record<string, unknown>[]> {
  const runtime = ModelRuntime.open(dir, { cacheDir, intraOpThreads: 1 });
  const { layers } = runtime.config.decoder;
  const ids = Array.from({ length: promptLength }, (_, index) => (index * 7919) % 250);
  const prompt = await embedPrompt(runtime, ids);
  const settings = { maxNewTokens: newTokens, repetitionPenalty: 1, eosTokenIds: [] };
  const cleanCache = (await runtime.decode({ embeds: prompt.embeds, positions: prompt.positions, cache: runtime.emptyCache() }, { taps: {}, logits: 'last' })).cache;
  const rows: Record<string, unknown>[] = [];
  // Per-step times (between consecutive tokens): their median shrugs off bursts of load better than whole runs.
  const timed = async (options: GenerateOptions, stepMs: number[], prefillMs: number[]) => {
    let last = 0;
    const generation = await generateGreedy(runtime, ids, prompt, settings, {
      ...options,
      onStep: () => {
        const now = performance.now();
        if (last > 0) stepMs.push(now - last);
        last = now;
      },
    });
    prefillMs.push(generation.prefillSeconds * 1000);
  };
  for (const tapCase of TAP_CASES) {
    const options = tapCase.options({ layers, promptLength, cleanCache });
    const plain = { steps: [] as number[], prefills: [] as number[] };
    const tapped = { steps: [] as number[], prefills: [] as number[] };
    const ratios: number[] = [];
    for (const warmup of [{}, options]) await generateGreedy(runtime, ids, prompt, { ...settings, maxNewTokens: 2 }, warmup); // session start, first allocations
    for (let repeat = 0; repeat < repeats; repeat++) {
      const round = { plain: [] as number[], tapped: [] as number[] };
      await timed({}, round.plain, plain.prefills);
      await timed(options, round.tapped, tapped.prefills);
      await timed(options, round.tapped, tapped.prefills);
      await timed({}, round.plain, plain.prefills);
      ratios.push(median(round.tapped) / median(round.plain));
      plain.steps.push(...round.plain);
      tapped.steps.push(...round.tapped);
    }
    rows.push({
      model: name,
      'prompt + new': `${promptLength} + ${newTokens}`,
      taps: tapCase.name,
      'decode tok/s, plain': +(1000 / median(plain.steps)).toFixed(1),
      'decode tok/s, taps': +(1000 / median(tapped.steps)).toFixed(1),
      'decode overhead %': +((median(ratios) - 1) * 100).toFixed(1),
      'prefill ms, plain': +median(plain.prefills).toFixed(1),
      'prefill ms, taps': +median(tapped.prefills).toFixed(1),
    });
  }
  await runtime.unload();
  return rows;
}

/** Free bytes of the filesystem before and after building every decoder graph (prelude, layers, head) and starting their sessions. */
async function noCopyCheck(dir: string, cacheDir: string): Promise<Record<string, unknown>> {
  rmSync(cacheDir, { recursive: true, force: true });
  const weightBytes = readdirSync(dir).filter((name) => name.endsWith('.safetensors')).reduce((total, name) => total + statSync(join(dir, name)).size, 0);
  const free = () => { const stats = statfsSync(cacheDir.replace(/\/[^/]*$/, '')); return stats.bavail * stats.bsize; };
  const before = free();
  const started = performance.now();
  const runtime = ModelRuntime.open(dir, { cacheDir });
  await runtime.load();
  const seconds = (performance.now() - started) / 1000;
  const after = free();
  const graphs = ['prelude', 'head', ...Array.from({ length: runtime.config.decoder.layers }, (_, layer) => ({ layer }))] as const;
  const graphBytes = graphs.reduce((total, graph) => total + statSync(runtime.graphPath(graph)).size, 0);
  await runtime.unload();
  const links = readdirSync(cacheDir).flatMap((key) => readdirSync(join(cacheDir, key)).filter((name) => name.endsWith('.safetensors')));
  return {
    checkpoint: `${(weightBytes / 1e9).toFixed(2)} GB float32 (~0.5B parameters)`,
    [`${graphs.length} decoder graphs KB`]: +(graphBytes / 1024).toFixed(1),
    'weight files hard-linked': links.length,
    'disk used by graphs + session starts MB': +((before - after) / 1e6).toFixed(1),
    'graph build + session starts s': +seconds.toFixed(1),
  };
}

/** A ~50M-parameter Qwen2.5-VL for the variant sweep: big enough that reading weights matters, small enough for many items. */
const VARIANT_SHAPE: SyntheticShape = {
  hiddenSize: 512, intermediateSize: 1536, llmLayers: 12, attentionHeads: 8, keyValueHeads: 2, vocabSize: 4096,
  visionDepth: 4, visionHidden: 128, visionIntermediate: 320, visionHeads: 4, fullAttentionBlocks: [3],
};

/** A runnable bf16 IN/RL pair (tokenizer and processor files included; RL changed in the later half) and a synthetic visual benchmark. */
function ensureVariantInputs(benchDir: string): { pair: { in: string; rl: string }; itemsFile: string } {
  const root = join(benchDir, 'variant-sweep');
  const pair = { in: join(root, 'in'), rl: join(root, 'rl') };
  const itemsFile = join(root, 'benchmark', 'items.jsonl');
  if (!existsSync(join(root, 'complete.json'))) {
    console.log(`generating a bf16 IN/RL pair (~50M parameters) and a synthetic benchmark in ${root} ...`);
    const seed = 11;
    const extraFiles = qwenProcessorFiles({ specialTokenIds: qwenSpecialTokenIds(VARIANT_SHAPE.vocabSize), seed, minPixels: 3136, maxPixels: 12544 });
    const common = { shape: VARIANT_SHAPE, seed, dtype: 'BF16' as const, overwrite: true, extraFiles };
    writeSyntheticCheckpoint(pair.in, common);
    writeSyntheticCheckpoint(pair.rl, { ...common, update: { llmLayers: [6, 7, 8, 9, 10, 11], scale: 0.05 } });
    writeSyntheticBenchmark(join(root, 'benchmark'), { itemsPerKind: 4, seed });
    writeFileSync(join(root, 'complete.json'), '{}');
  }
  return { pair, itemsFile };
}

/**
 * Benchmark items/s of IN, of a thirds variant run from referenced weights, and of the same
 * variant written by the merge writer; they alternate, REPEATS passes over every item. The
 * variant's answers must equal the merged copy's.
 */
async function variantThroughput(benchDir: string, cacheDir: string, maxNewTokens: number): Promise<Record<string, unknown>[]> {
  const { pair, itemsFile } = ensureVariantInputs(benchDir);
  const items = readBenchmarkItems(itemsFile);
  const plan = thirdsVariants(pair, VARIANT_SHAPE.llmLayers)[0]!;
  const mergedDir = join(benchDir, 'variant-sweep', 'merged');
  if (!existsSync(mergedDir)) await writeMerge(resolveMerge(plan), { outDir: mergedDir });
  const models = [
    answeringModel('IN', ModelRuntime.open(pair.in, { cacheDir })),
    answeringModel(`${plan.name} (referenced)`, openVariantRuntime(plan, { cacheDir })),
    answeringModel(`${plan.name} (merged copy)`, ModelRuntime.open(mergedDir, { cacheDir })),
  ];
  const seconds = new Map(models.map((model) => [model, [] as number[]]));
  const answers = new Map<AnsweringModel, ItemAnswer[]>();
  for (const model of models) await answerItem(model, items[0]!, 2); // session starts
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    for (const model of models) {
      const started = performance.now();
      const answered: ItemAnswer[] = [];
      for (const item of items) answered.push(await answerItem(model, item, maxNewTokens));
      seconds.get(model)!.push((performance.now() - started) / 1000);
      answers.set(model, answered);
    }
  }
  for (const model of models) await model.runtime.unload();
  const [inModel, referenced, merged] = models as [AnsweringModel, AnsweringModel, AnsweringModel];
  const sameAnswers = answers.get(referenced)!.every((answer, index) => answer.response === answers.get(merged)![index]!.response);
  const inItemsPerSecond = items.length / median(seconds.get(inModel)!);
  return models.map((model) => {
    const itemsPerSecond = items.length / median(seconds.get(model)!);
    const tokens = answers.get(model)!.reduce((total, answer) => total + answer.tokens, 0);
    const { summary } = scoreResponses(items, new Map(answers.get(model)!.map((answer) => [answer.id, answer])));
    return {
      model: model.name,
      items: items.length,
      'new tokens': `${tokens} (≤ ${maxNewTokens}/item)`,
      'items/s': +itemsPerSecond.toFixed(2),
      'vs IN': +(itemsPerSecond / inItemsPerSecond).toFixed(3),
      'new tokens/s': +((tokens / items.length) * itemsPerSecond).toFixed(1),
      accuracy: +summary.overall.accuracy.toFixed(3),
      ...(model === referenced ? { 'answers = merged copy': sameAnswers } : {}),
    };
  });
}

const PRECISIONS: readonly WeightPrecision[] = ['float32', 'int8'];
const MiB = 2 ** 20;

/** Child mode: one precision's sessions started in a fresh process; the resident memory that added. */
async function precisionLoadChild(precision: WeightPrecision, dir: string, cacheDir: string): Promise<void> {
  await settle();
  const before = selfMemory();
  const started = performance.now();
  const runtime = ModelRuntime.open(dir, { cacheDir, intraOpThreads: 1, executionProvider: 'cpu', precision });
  await runtime.load();
  const loadSeconds = (performance.now() - started) / 1000;
  await settle();
  const loaded = selfMemory();
  await runtime.unload();
  console.log(JSON.stringify({ loadSeconds, before, loaded }));
}

/**
 * Child mode: both precisions loaded; `repeats` rounds of float32, int8, int8, float32 greedy
 * generations (per-step times, as speedRows); then float32's answer teacher-forced through both.
 */
async function precisionSpeedChild(dir: string, cacheDir: string, promptLength: number, newTokens: number, repeats: number): Promise<void> {
  const runtimes = Object.fromEntries(PRECISIONS.map((precision) => [precision, ModelRuntime.open(dir, { cacheDir, intraOpThreads: 1, executionProvider: 'cpu', precision })])) as Record<WeightPrecision, ModelRuntime>;
  const ids = Array.from({ length: promptLength }, (_, index) => (index * 7919) % 250);
  const settings = { maxNewTokens: newTokens, repetitionPenalty: 1, eosTokenIds: [] };
  const steps: Record<WeightPrecision, number[]> = { float32: [], int8: [] };
  const answers = {} as Record<WeightPrecision, number[]>;
  const ratios: number[] = [];
  const generate = async (precision: WeightPrecision, stepMs: number[], tokens = newTokens) => {
    const runtime = runtimes[precision];
    let last = 0;
    const generation = await generateGreedy(runtime, ids, await embedPrompt(runtime, ids), { ...settings, maxNewTokens: tokens }, {
      onStep: () => {
        const now = performance.now();
        if (last > 0) stepMs.push(now - last);
        last = now;
      },
    });
    answers[precision] = generation.tokens;
  };
  for (const precision of PRECISIONS) await runtimes[precision].load();
  for (const precision of PRECISIONS) await generate(precision, [], 2); // first allocations
  for (let repeat = 0; repeat < repeats; repeat++) {
    const round: Record<WeightPrecision, number[]> = { float32: [], int8: [] };
    for (const precision of ['float32', 'int8', 'int8', 'float32'] as const) await generate(precision, round[precision]);
    ratios.push(median(round.float32) / median(round.int8));
    for (const precision of PRECISIONS) steps[precision].push(...round[precision]);
  }
  const forced = await Promise.all(PRECISIONS.map(async (precision) => (await teacherForcedTopOne(runtimes[precision], ids, await embedPrompt(runtimes[precision], ids), answers.float32)).topOne));
  const agreeing = forced[0]!.filter((token, index) => token === forced[1]![index]).length;
  const samePrefix = answers.float32.findIndex((token, index) => token !== answers.int8[index]);
  for (const precision of PRECISIONS) await runtimes[precision].unload();
  console.log(JSON.stringify({ steps, ratios, agreeing, positions: answers.float32.length, greedyPrefix: samePrefix < 0 ? answers.float32.length : samePrefix }));
}

export async function precisionBenchChild(args: string[]): Promise<void> {
  const [mode, ...rest] = args as [string, ...string[]];
  if (mode === 'load') return precisionLoadChild(rest[0] as WeightPrecision, rest[1]!, rest[2]!);
  const [dir, cacheDir, promptLength, newTokens, repeats] = rest as [string, string, string, string, string];
  return precisionSpeedChild(dir, cacheDir, Number(promptLength), Number(newTokens), Number(repeats));
}

/** Children start with the CLI's malloc settings (src/cli/launch.ts), so freed session-start temporaries do not count as weights. */
function precisionChild<T>(args: string[]): T {
  const output = execFileSync(process.execPath, ['--expose-gc', process.argv[1]!, '--measure-precision', ...args], { encoding: 'utf8', env: { ...process.env, ...mallocEnvironment() }, stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * MiB });
  return JSON.parse(output.trim().split('\n').at(-1)!) as T;
}

/**
 * int8 against float32 on one model: graphs built here first (int8 quantizes every projection: its
 * time is the first run's cost only), then each precision loaded in a fresh process (the RSS it
 * adds: weights, plus the sessions' own small overheads), then decode speed and top-1 agreement
 * with both loaded in one process.
 */
async function precisionRow(name: string, dir: string, cacheDir: string, promptLength: number, newTokens: number, repeats: number): Promise<Record<string, unknown>> {
  const build: Partial<Record<WeightPrecision, number>> = {};
  for (const precision of PRECISIONS) {
    const runtime = ModelRuntime.open(dir, { cacheDir, precision });
    const started = performance.now();
    for (const graph of ['prelude', 'head', ...Array.from({ length: runtime.config.decoder.layers }, (_, layer) => ({ layer }))] as const) runtime.graphPath(graph);
    build[precision] = (performance.now() - started) / 1000;
  }
  type Load = { loadSeconds: number; before: { rssBytes: number }; loaded: { rssBytes: number } };
  const loads = Object.fromEntries(PRECISIONS.map((precision) => [precision, precisionChild<Load>(['load', precision, dir, cacheDir])])) as Record<WeightPrecision, Load>;
  const held = (precision: WeightPrecision) => loads[precision].loaded.rssBytes - loads[precision].before.rssBytes;
  type Speed = { steps: Record<WeightPrecision, number[]>; ratios: number[]; agreeing: number; positions: number; greedyPrefix: number };
  const speed = precisionChild<Speed>(['speed', dir, cacheDir, String(promptLength), String(newTokens), String(repeats)]);
  const decoder = ModelRuntime.open(dir).config.decoder;
  const tokensPerSecond = (precision: WeightPrecision) => +(1000 / median(speed.steps[precision])).toFixed(1);
  return {
    model: name,
    'planned weights MiB f32 / int8': `${(decoderWeightBytes(decoder) / MiB).toFixed(1)} / ${(decoderWeightBytes(decoder, 'int8') / MiB).toFixed(1)}`,
    'RSS after load MiB f32 / int8': `${Math.round(held('float32') / MiB)} / ${Math.round(held('int8') / MiB)}`,
    'memory f32/int8': +(held('float32') / held('int8')).toFixed(2),
    'load s f32 / int8': `${loads.float32.loadSeconds.toFixed(1)} / ${loads.int8.loadSeconds.toFixed(1)}`,
    'decode tok/s f32 / int8': `${tokensPerSecond('float32')} / ${tokensPerSecond('int8')}`,
    'speed int8/f32': +median(speed.ratios).toFixed(2),
    'top-1 agreement': `${speed.agreeing}/${speed.positions} (${((100 * speed.agreeing) / speed.positions).toFixed(1)}%)`,
    'same greedy tokens': `${speed.greedyPrefix}/${speed.positions}`,
    'int8 graph build s': +build.int8!.toFixed(1),
  };
}

/** A graph cache of its own, emptied first, so the int8 graphs' build (their quantization) is measured every run. */
async function precisionRows(benchDir: string): Promise<Record<string, unknown>[]> {
  const cacheDir = join(benchDir, 'graph-cache-int8');
  rmSync(cacheDir, { recursive: true, force: true });
  const tiny = join(__dirname, '..', 'test', 'fixtures', 'qwen2_5_vl_tiny');
  const bf16 = ensureQwen2(join(benchDir, 'qwen2-0.5b-bf16'), 'BF16');
  return [
    await precisionRow('tiny Qwen2.5-VL (fixture, f32)', tiny, cacheDir, 32, 128, 4 * REPEATS),
    await precisionRow('random Qwen2 0.5B (bf16)', bf16, cacheDir, 32, 24, REPEATS),
  ];
}

function printPrecision(rows: Record<string, unknown>[]): void {
  console.log(`\nint8 weights (MatMulNBits, 8-bit blocks of 32, accuracy level 4) against float32 on the CPU, one intra-op thread, ${process.version}, ${availableParallelism()} cores: RSS gained by starting every decoder session (fresh process each), decode speed (medians of per-token times, float32/int8/int8/float32 rounds), teacher-forced top-1 agreement over float32's greedy answer`);
  console.table(rows);
}

/** `only`: 'int8' runs the int8 section alone. */
export async function runModelBench(benchDir: string, only?: string): Promise<void> {
  mkdirSync(benchDir, { recursive: true });
  const cacheDir = join(benchDir, 'graph-cache');
  if (only === 'int8') {
    const precision = await precisionRows(benchDir);
    printPrecision(precision);
    writeFileSync(join(benchDir, 'model-int8-results.json'), JSON.stringify({ date: new Date().toISOString(), precision }, null, 2));
    return;
  }
  if (only !== undefined) throw new Error(`bench model: unknown part "${only}" (only "int8" runs alone)`);
  const tiny = join(__dirname, '..', 'test', 'fixtures', 'qwen2_5_vl_tiny');
  const bf16 = ensureQwen2(join(benchDir, 'qwen2-0.5b-bf16'), 'BF16');
  const f32 = ensureQwen2(join(benchDir, 'qwen2-0.5b-f32'), 'F32');
  const speed = [...(await speedRows('tiny Qwen2.5-VL (fixture, f32)', tiny, cacheDir, 32, 128, 4 * REPEATS)), ...(await speedRows('random Qwen2 0.5B (bf16 → f32 on CPU)', bf16, cacheDir, 32, 24, REPEATS))];
  const variants = await variantThroughput(benchDir, cacheDir, 32);
  const noCopy = await noCopyCheck(f32, join(benchDir, 'graph-cache-no-copy'));
  const precision = await precisionRows(benchDir);
  console.log(`\nmodel decoding on onnxruntime-node CPU, one intra-op thread, ${4 * REPEATS} (tiny) and ${REPEATS} (0.5B) plain/taps/taps/plain rounds, ${process.version}, ${availableParallelism()} cores; taps with the inputs a probe gives (worst case: every tap's input, neutral, at every step)`);
  console.table(speed);
  console.log(`\nbenchmark items/s: IN vs a Frankenstein variant run from IN's and RL's files (no merged copy) vs the same variant written to disk, medians of ${REPEATS} passes`);
  console.table(variants);
  console.log('\nno weight copy on disk: graph cache with hard links');
  console.table([noCopy]);
  printPrecision(precision);
  writeFileSync(join(benchDir, 'model-results.json'), JSON.stringify({ date: new Date().toISOString(), speed, variants, noCopy, precision }, null, 2));
}

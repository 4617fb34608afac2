/**
 * `npm run bench -- layers`: the model runtime on a generated checkpoint of 2 decoder layers at
 * Qwen2.5-VL-7B's width (hidden 3584, MLP 18944, 28 heads, 4 KV heads, head dim 128, M-RoPE
 * [16, 24, 24]; bf16 on disk). The vocabulary is kept at the tiny fixture's 300 tokens (and the
 * vision tower at one block of width 32), so the decoder layers are nearly all of the weights: F,
 * the float32 decoder bytes, is ≈ 1.87 GB, of which the LM head is 4.3 MB.
 *
 * - Load, each in its own process (so RSS belongs to one model alone): session start time
 *   (runtime.load()), RSS before and after, the high-water mark while starting and RSS after
 *   unload; the same for the bench's single whole-decoder graph (./wholeDecoderGraph.ts).
 *   Target: RSS increase per loaded model ≤ 1.15 × its float32 bytes.
 * - Speed, one process holding both: greedy generations of 32 new tokens after a 512-token prompt,
 *   whole graph and runtime alternating (ABBA, REPEATS rounds); prefill tokens/s and decode
 *   tokens/s (medians of per-step times), and the runtime's decode speed against the whole graph's
 *   (median over rounds of the per-round ratio). Target: within 10%.
 *
 * Graphs are built first, in this process, so every start is one from cached graphs. Children start
 * with the malloc settings the CLI starts with (src/core/processMemory.ts), and the runtime's load
 * once more with glibc's defaults, for comparison. The whole graph's session keeps onnxruntime's
 * defaults (a memory arena), as the whole-decoder sessions had; FRANKENLENS_BENCH_WHOLE_ARENA=off
 * starts it without arena and memory patterns, as the per-layer sessions are. One intra-op thread
 * by default for both (FRANKENLENS_BENCH_LAYER_THREADS): on a shared 2-core machine a thread pool's
 * parallel sections wait for descheduled threads, which swamps what is timed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { decoderWeightBytes } from '../src/core/model/decoderGraph';
import { generateGreedy } from '../src/core/model/generate';
import { ModelRuntime } from '../src/core/model/modelRuntime';
import { embedPrompt } from '../src/core/model/promptEmbedding';
import { mallocEnvironment } from '../src/core/processMemory';
import { writeSyntheticCheckpoint, type SyntheticShape } from '../src/core/synthetic/syntheticQwenVl';
import { selfMemory, settle } from './processPeak';
import { wholeDecoderGraphPath, WholeDecoder } from './wholeDecoderGraph';
import { median } from './median';

/** Qwen2.5-VL-7B's decoder width, 2 layers; the tiny fixture's vocabulary size. */
export const WIDE_SHAPE: SyntheticShape = {
  hiddenSize: 3584, intermediateSize: 18944, llmLayers: 2, attentionHeads: 28, keyValueHeads: 4, vocabSize: 300,
  visionDepth: 1, visionHidden: 32, visionIntermediate: 64, visionHeads: 2, fullAttentionBlocks: [0],
};
const SEED = 23;
const FIXTURE_VERSION = 1;
const PROMPT_TOKENS = Number(process.env.FRANKENLENS_BENCH_PROMPT_TOKENS ?? 512);
const NEW_TOKENS = 32;
const REPEATS = Number(process.env.FRANKENLENS_BENCH_REPEATS ?? 3);
const THREADS = Number(process.env.FRANKENLENS_BENCH_LAYER_THREADS ?? 1);
const GB = 1e9;

export function ensureWideModel(benchDir: string): string {
  const dir = join(benchDir, 'wide-2-layers');
  const marker = join(dir, 'complete.json');
  const wanted = JSON.stringify({ version: FIXTURE_VERSION, shape: WIDE_SHAPE, seed: SEED });
  if (!existsSync(marker) || readFileSync(marker, 'utf8') !== wanted) {
    console.log(`generating a seeded bf16 checkpoint with 2 decoder layers at Qwen2.5-VL-7B width in ${dir} ...`);
    writeSyntheticCheckpoint(dir, { shape: WIDE_SHAPE, seed: SEED, dtype: 'BF16', maxShardBytes: 2 ** 30, overwrite: true });
    writeFileSync(marker, wanted);
  }
  return dir;
}

const promptIds = () => Array.from({ length: PROMPT_TOKENS }, (_, index) => (index * 7919) % 280);

/** Starts every decoder session of the runtime (prelude, layers, head). */
async function startRuntime(runtime: ModelRuntime): Promise<string> {
  await runtime.load();
  return `runtime: ${runtime.config.decoder.layers} layer sessions, chained (+ prelude, head)`;
}

interface RuntimeGeneration {
  tokens: number[];
  prefillSeconds: number;
  stepMs: number[];
}

async function runtimeGenerate(runtime: ModelRuntime, ids: readonly number[], newTokens: number): Promise<RuntimeGeneration> {
  const prompt = await embedPrompt(runtime, ids);
  const stepMs: number[] = [];
  let last = 0;
  const generation = await generateGreedy(runtime, ids, prompt, { maxNewTokens: newTokens, repetitionPenalty: 1, eosTokenIds: [] }, {
    onStep: () => {
      const now = performance.now();
      if (last > 0) stepMs.push(now - last);
      last = now;
    },
  });
  return { tokens: generation.tokens, prefillSeconds: generation.prefillSeconds, stepMs };
}

type Subject = 'whole' | 'runtime';

/** Child mode: load one subject, one generation, unload; memory and times as JSON. */
async function loadChild(subject: Subject, dir: string, cacheRoot: string): Promise<void> {
  await settle();
  const before = selfMemory();
  const started = performance.now();
  let kind: string;
  let generate: (ids: readonly number[], newTokens: number) => Promise<RuntimeGeneration>;
  let release: () => Promise<void>;
  if (subject === 'whole') {
    const whole = await WholeDecoder.start(dir, cacheRoot, THREADS);
    kind = 'single whole-decoder graph (bench only)';
    generate = (ids, newTokens) => whole.generate(ids, newTokens);
    release = () => whole.release();
  } else {
    const runtime = ModelRuntime.open(dir, { cacheDir: cacheRoot, intraOpThreads: THREADS, executionProvider: 'cpu' });
    kind = await startRuntime(runtime);
    generate = (ids, newTokens) => runtimeGenerate(runtime, ids, newTokens);
    release = () => runtime.unload();
  }
  const loadSeconds = (performance.now() - started) / 1000;
  await settle();
  const loaded = selfMemory();
  const generation = await generate(promptIds(), 4);
  await settle();
  const afterRun = selfMemory();
  await release();
  await settle();
  const unloaded = selfMemory();
  console.log(JSON.stringify({ kind, loadSeconds, before, loaded, afterRun, unloaded, prefillSeconds: generation.prefillSeconds }));
}

/** Child mode: both subjects loaded; ABBA rounds of generations; per-step times as JSON. */
async function speedChild(dir: string, cacheRoot: string): Promise<void> {
  const whole = await WholeDecoder.start(dir, cacheRoot, THREADS);
  const runtime = ModelRuntime.open(dir, { cacheDir: cacheRoot, intraOpThreads: THREADS, executionProvider: 'cpu' });
  const kind = await startRuntime(runtime);
  const ids = promptIds();
  const run = (subject: Subject, newTokens: number) => (subject === 'whole' ? whole.generate(ids, newTokens) : runtimeGenerate(runtime, ids, newTokens));
  for (const subject of ['whole', 'runtime'] as const) await run(subject, 2); // first allocations
  const results: Record<Subject, { prefill: number[]; steps: number[]; tokens: string }> = { whole: { prefill: [], steps: [], tokens: '' }, runtime: { prefill: [], steps: [], tokens: '' } };
  const ratios: number[] = [];
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    const round: Record<Subject, number[]> = { whole: [], runtime: [] };
    for (const subject of ['whole', 'runtime', 'runtime', 'whole'] as const) {
      const generation = await run(subject, NEW_TOKENS);
      results[subject].prefill.push(generation.prefillSeconds);
      round[subject].push(...generation.stepMs);
      results[subject].tokens = generation.tokens.join(',');
    }
    ratios.push(median(round.runtime) / median(round.whole));
    results.whole.steps.push(...round.whole);
    results.runtime.steps.push(...round.runtime);
  }
  await whole.release();
  await runtime.unload();
  console.log(JSON.stringify({ kind, results, ratios }));
}

export async function layersBenchChild(args: string[]): Promise<void> {
  const [mode, dir, cacheRoot] = args as [string, string, string];
  if (mode === 'speed') return speedChild(dir, cacheRoot);
  return loadChild(mode as Subject, dir, cacheRoot);
}

/** Children start with the malloc settings the CLI starts with (src/cli/launch.ts), unless `plainMalloc`. */
function child<T>(args: string[], plainMalloc = false): T {
  const env = { ...process.env, ...(plainMalloc ? {} : mallocEnvironment()) };
  if (plainMalloc) {
    delete env.MALLOC_MMAP_THRESHOLD_;
    delete env.GLIBC_TUNABLES;
  }
  const output = execFileSync(process.execPath, ['--expose-gc', process.argv[1]!, '--measure-layers', ...args], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 2 ** 20 });
  return JSON.parse(output.trim().split('\n').at(-1)!) as T;
}

interface Memory {
  rssBytes: number;
  hwmBytes: number;
  anonBytes: number;
  fileBytes: number;
}

export async function runLayersBench(benchDir: string): Promise<Record<string, unknown>> {
  mkdirSync(benchDir, { recursive: true });
  const dir = ensureWideModel(benchDir);
  const cacheRoot = join(benchDir, 'wide-graphs');
  // Graphs built here, so every start below is one from cached graphs (building them is a first run's cost only).
  const runtime = ModelRuntime.open(dir, { cacheDir: cacheRoot });
  for (const graph of ['prelude', 'head', ...Array.from({ length: runtime.config.decoder.layers }, (_, layer) => ({ layer }))] as const) runtime.graphPath(graph);
  wholeDecoderGraphPath(dir, cacheRoot);
  const decoder = runtime.config.decoder;
  const f = decoderWeightBytes(decoder);
  const childArgs = (mode: string) => [mode, dir, cacheRoot];
  type Load = { kind: string; loadSeconds: number; before: Memory; loaded: Memory; afterRun: Memory; unloaded: Memory; prefillSeconds: number };
  const cases: { subject: Subject; plainMalloc: boolean }[] = [
    { subject: 'whole', plainMalloc: false },
    { subject: 'runtime', plainMalloc: false },
    { subject: 'runtime', plainMalloc: true },
  ];
  const loads = cases.map(({ subject, plainMalloc }) => ({ plainMalloc, ...child<Load>(childArgs(subject), plainMalloc) }));
  const loadRows = loads.map((load) => {
    const increase = load.loaded.rssBytes - load.before.rssBytes;
    return {
      sessions: load.kind,
      malloc: load.plainMalloc ? 'glibc defaults' : 'as the CLI (launch.ts)',
      'start s': +load.loadSeconds.toFixed(2),
      'RSS before GB': +(load.before.rssBytes / GB).toFixed(3),
      'RSS increase GB': +(increase / GB).toFixed(3),
      'increase ÷ F': +(increase / f).toFixed(3),
      'peak while starting ÷ F': +((load.loaded.hwmBytes - load.before.rssBytes) / f).toFixed(3),
      'after a run ÷ F': +((load.afterRun.rssBytes - load.before.rssBytes) / f).toFixed(3),
      'after unload GB': +((load.unloaded.rssBytes - load.before.rssBytes) / GB).toFixed(3),
      'target ≤ 1.15 F': increase <= 1.15 * f ? 'PASS' : 'FAIL',
    };
  });
  console.log(`\n2 decoder layers at Qwen2.5-VL-7B width (bf16 on disk, vocab 300): F = float32 decoder bytes = ${(f / GB).toFixed(3)} GB; each start (graphs cached) in its own process, ${THREADS} intra-op thread(s); RSS increase: after start vs before, the process's own /proc/self/status`);
  console.table(loadRows);

  type Speed = { kind: string; results: Record<Subject, { prefill: number[]; steps: number[]; tokens: string }>; ratios: number[] };
  const speed = child<Speed>(childArgs('speed')); // malloc settings as the CLI's
  const ratio = median(speed.ratios);
  const speedRows = (['whole', 'runtime'] as const).map((subject) => {
    const result = speed.results[subject];
    return {
      subject: subject === 'whole' ? 'single whole-decoder graph (bench only)' : speed.kind,
      'prefill tok/s': +(PROMPT_TOKENS / median(result.prefill)).toFixed(1),
      'prefill s': +median(result.prefill).toFixed(2),
      'decode tok/s': +(1000 / median(result.steps)).toFixed(2),
      'ms per step': +median(result.steps).toFixed(1),
    };
  });
  const sameTokens = speed.results.whole.tokens === speed.results.runtime.tokens;
  console.log(`\n${PROMPT_TOKENS}-token prompt + ${NEW_TOKENS} new tokens (greedy), whole graph and runtime alternating (ABBA) in one process, ${REPEATS} rounds, ${THREADS} intra-op thread(s), ${process.version}, ${availableParallelism()} cores`);
  console.table(speedRows);
  const verdict = ratio <= 1.1 ? 'PASS' : 'FAIL';
  console.log(`runtime decode time per token ÷ whole graph's: ${ratio.toFixed(3)} (median of per-round ratios ${speed.ratios.map((value) => value.toFixed(3)).join(', ')}): ${((ratio - 1) * 100).toFixed(1)}% ${ratio >= 1 ? 'slower' : 'faster'}; target within 10%: ${verdict}`);
  console.log(`same greedy tokens: ${sameTokens}`);
  return { f, threads: THREADS, promptTokens: PROMPT_TOKENS, newTokens: NEW_TOKENS, loads, loadRows, speed: { rows: speedRows, ratios: speed.ratios, ratio, verdict, sameTokens, kind: speed.kind } };
}

/**
 * `npm run bench -- probes`: the visual-swap sweep (every L, suffix and single, corrected and
 * compat) on the tiny fixture model and on a generated bigger Qwen2.5-VL, at each reuse level:
 * - 'batched' (the default): 'layers', with the pair's swapped decodings decoded together;
 * - 'layers': swapped prefills from the first visual token and from layer L only, one prefill for
 *   both decodings, one decoding at a time (as the other levels);
 * - 'visual-prefix': every layer from the first visual token, one prefill per decoding;
 * - 'none': the whole prompt per run (the encodings, clean and source runs still once per pair);
 * against L separate full runs (each encoding the images, answering cleanly, running the source and
 * prefilling the whole prompt). All give the same answers (checked); medians of REPEATS rounds, the
 * five alternating within a round. On the bigger model, peak RSS of one sweep per reuse level, each
 * in its own process (so the figure belongs to that sweep alone): with one session per decoder layer,
 * a sweep from layer L runs the same sessions as a whole run, so the levels should need the same
 * memory. Then the layer-ablation sweep on the same two models (./ablationBench.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { decoderWeightBytes } from '../src/core/model/decoderGraph';
import { ModelRuntime } from '../src/core/model/modelRuntime';
import { sharedSessionPaths } from '../src/core/model/sessions';
import { mallocEnvironment } from '../src/core/processMemory';
import { openProbeModel, type ProbeModel } from '../src/core/probes/probeModel';
import { readVisionPairs, type VisionPair } from '../src/core/probes/visionPairs';
import { swapPair, type SwapReuse, type SwapRun, type SwapSettings } from '../src/core/probes/visualSwap';
import { qwenProcessorFiles, qwenSpecialTokenIds } from '../src/core/synthetic/qwenProcessorFiles';
import { writeSyntheticCheckpoint, type SyntheticShape } from '../src/core/synthetic/syntheticQwenVl';
import { ablationBenchChild, ablationMemory, stepTimePerRow, timeAblation, type AblationBenchCase } from './ablationBench';
import { median } from './median';

const REPEATS = Number(process.env.FRANKENLENS_BENCH_REPEATS ?? 3);
const FIXTURES = join(__dirname, '..', 'test', 'fixtures');

/**
 * ~35M parameters (Qwen2.5-VL's layout; 8 decoder layers of width 512), images unresized as in the
 * paper (187 visual tokens for a counting pair: a 200-token prompt), answers of at most 4 tokens
 * (real answers are a digit or a word and a stop token; a random model never stops). Small enough
 * for the whole bench to take about two minutes on two cores.
 */
const BIGGER_SHAPE: SyntheticShape = {
  hiddenSize: 512, intermediateSize: 1536, llmLayers: 8, attentionHeads: 8, keyValueHeads: 2, vocabSize: 4096,
  visionDepth: 4, visionHidden: 128, visionIntermediate: 320, visionHeads: 4, fullAttentionBlocks: [3],
};

interface BenchCase {
  name: string;
  dir: string;
  pairs: VisionPair[];
  maxNewTokens: number;
}

function ensureBiggerModel(benchDir: string): string {
  const dir = join(benchDir, 'probe-swap-model');
  if (!existsSync(join(dir, 'complete.json'))) {
    console.log(`generating a random bf16 Qwen2.5-VL (~35M parameters) in ${dir} ...`);
    const seed = 13;
    const extraFiles = qwenProcessorFiles({ specialTokenIds: qwenSpecialTokenIds(BIGGER_SHAPE.vocabSize), seed, minPixels: 3136, maxPixels: 1280 * 28 * 28 });
    writeSyntheticCheckpoint(dir, { shape: BIGGER_SHAPE, seed, dtype: 'BF16', overwrite: true, extraFiles });
    writeFileSync(join(dir, 'complete.json'), '{}');
  }
  return dir;
}

function benchCases(benchDir: string): BenchCase[] {
  const pairsDir = join(FIXTURES, 'vision_functionality');
  return [
    { name: 'tiny Qwen2.5-VL (fixture: 4 layers, width 64)', dir: join(FIXTURES, 'qwen2_5_vl_tiny'), pairs: readVisionPairs(pairsDir, { rowsPerTask: 1 }), maxNewTokens: 4 },
    { name: 'random Qwen2.5-VL (8 layers, width 512, bf16)', dir: ensureBiggerModel(benchDir), pairs: readVisionPairs(pairsDir, { rowsPerTask: 1, tasks: ['counting'] }), maxNewTokens: 4 },
  ];
}

/** The reuse levels decode one swap at a time; 'batched' adds batched decoding (the probe's default) to 'layers'. */
type Scheme = SwapReuse | 'batched' | 'separate';
const SCHEMES: readonly Scheme[] = ['batched', 'layers', 'visual-prefix', 'none', 'separate'];

/** Every pair swept at every L with the scheme; the answers of every run, in a fixed order. */
async function sweep(model: ProbeModel, pairs: readonly VisionPair[], scheme: Scheme, maxNewTokens: number): Promise<string> {
  const layers = Array.from({ length: model.runtime.config.decoder.layers }, (_, layer) => layer);
  const settings: Omit<SwapSettings, 'layers'> = { modes: ['suffix', 'single'], decodings: ['corrected', 'compat'], maxNewTokens };
  const answers: string[] = [];
  for (const pair of pairs) {
    const runs: SwapRun[] = [];
    if (scheme === 'batched') runs.push(...(await swapPair(model, pair, { ...settings, layers, reuse: 'layers' })).runs);
    else if (scheme !== 'separate') runs.push(...(await swapPair(model, pair, { ...settings, layers, reuse: scheme, batch: 1 })).runs);
    else for (const layer of layers) runs.push(...(await swapPair(model, pair, { ...settings, layers: [layer], reuse: 'none', batch: 1 })).runs);
    for (const mode of settings.modes) for (const layer of layers) for (const decoding of settings.decodings) answers.push(runs.find((run) => run.mode === mode && run.layer === layer && run.decoding === decoding)!.tokens.join(','));
  }
  return answers.join('|');
}

async function timeSchemes(benchCase: BenchCase, benchDir: string): Promise<Record<string, unknown>> {
  const model = openProbeModel('in', benchCase.dir, { cacheDir: join(benchDir, 'graphs'), intraOpThreads: 1 });
  const layers = model.runtime.config.decoder.layers;
  const seconds = new Map(SCHEMES.map((scheme) => [scheme, [] as number[]]));
  try {
    for (const scheme of ['batched', 'layers', 'none'] as const) await sweep(model, benchCase.pairs.slice(0, 1), scheme, 2); // graphs built, sessions started
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      const answers = new Map<Scheme, string>();
      for (const scheme of SCHEMES) {
        const started = performance.now();
        answers.set(scheme, await sweep(model, benchCase.pairs, scheme, benchCase.maxNewTokens));
        seconds.get(scheme)!.push((performance.now() - started) / 1000);
      }
      for (const scheme of SCHEMES) if (answers.get(scheme) !== answers.get('separate')) throw new Error(`${benchCase.name}: reuse "${scheme}" and the separate runs gave different answers`);
    }
  } finally {
    await model.runtime.unload();
  }
  const [batched, reused, prefixOnly, none, separate] = SCHEMES.map((scheme) => median(seconds.get(scheme)!)) as [number, number, number, number, number];
  const saved = separate - batched;
  const share = (from: number, to: number) => `${Math.round((100 * (from - to)) / saved)}%`;
  return {
    model: benchCase.name,
    sweep: `${benchCase.pairs.length} pairs × ${layers} L × 2 modes × 2 decodings, ≤${benchCase.maxNewTokens} new tokens`,
    'L × full run s': +separate.toFixed(2),
    'sweep s (reuse: none)': +none.toFixed(2),
    'sweep s (visual prefix)': +prefixOnly.toFixed(2),
    'sweep s (layer L + shared prefill)': +reused.toFixed(2),
    'sweep s (+ batched decoding)': +batched.toFixed(2),
    'speed-up': +(separate / batched).toFixed(2),
    'saved by: per-pair runs': share(separate, none),
    'visual prefix': share(none, prefixOnly),
    'layer L + shared prefill': share(prefixOnly, reused),
    'batched decoding': share(reused, batched),
  };
}

/** The swap sweep with the pair's decodings one at a time ('layers') and batched, at a longer answer cap (batching saves decode steps only). */
async function timeSwapBatching(benchCase: BenchCase, benchDir: string, maxNewTokens: number): Promise<Record<string, unknown>> {
  const model = openProbeModel('in', benchCase.dir, { cacheDir: join(benchDir, 'graphs'), intraOpThreads: 1 });
  const schemes = ['layers', 'batched'] as const;
  const seconds = new Map(schemes.map((scheme) => [scheme, [] as number[]]));
  try {
    for (const scheme of schemes) await sweep(model, benchCase.pairs, scheme, 2);
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      const answers = new Map<Scheme, string>();
      for (const scheme of schemes) {
        const started = performance.now();
        answers.set(scheme, await sweep(model, benchCase.pairs, scheme, maxNewTokens));
        seconds.get(scheme)!.push((performance.now() - started) / 1000);
      }
      if (answers.get('layers') !== answers.get('batched')) throw new Error(`${benchCase.name}: batched and unbatched swap decodings gave different answers`);
    }
  } finally {
    await model.runtime.unload();
  }
  const [single, batched] = schemes.map((scheme) => median(seconds.get(scheme)!)) as [number, number];
  return { model: benchCase.name, 'new tokens': `≤${maxNewTokens}`, 'one decoding at a time s': +single.toFixed(2), 'batched s': +batched.toFixed(2), 'speed-up': +(single / batched).toFixed(2) };
}

interface MemoryCase {
  label: string;
  reuse: SwapReuse;
}

/** Child mode: one sweep on the bigger model (a swap sweep with these settings, or an ablation sweep); prints time and peak RSS as JSON. */
export async function probeBenchChild(args: string[]): Promise<void> {
  const [benchDir, json] = args as [string, string];
  const parsed = JSON.parse(json) as MemoryCase | { ablation: string; eosTokenIds: number[] };
  if ('ablation' in parsed) return ablationBenchChild(ablationCases(benchDir)[1]!, join(benchDir, 'graphs'), parsed.ablation, parsed.eosTokenIds);
  const memoryCase = parsed;
  const benchCase = benchCases(benchDir)[1]!;
  const model = openProbeModel('in', benchCase.dir, { cacheDir: join(benchDir, 'graphs'), intraOpThreads: 1 });
  const started = performance.now();
  await sweep(model, benchCase.pairs, memoryCase.reuse, benchCase.maxNewTokens);
  const seconds = (performance.now() - started) / 1000;
  const sessions = sharedSessionPaths().map((path) => basename(path, '.onnx'));
  const endRssMiB = process.memoryUsage().rss / 2 ** 20;
  await model.runtime.unload();
  console.log(JSON.stringify({ seconds, peakRssMiB: process.resourceUsage().maxRSS / 1024, endRssMiB, graphs: sessions.length, sessions }));
}

/** Peak RSS and time of one sweep (session starts included) per reuse level, each in a fresh process. */
function memoryRows(benchDir: string): Record<string, unknown>[] {
  const dir = benchCases(benchDir)[1]!.dir;
  const full = decoderWeightBytes(ModelRuntime.open(dir).config.decoder);
  const cases: MemoryCase[] = [
    { label: 'reuse none (every run from layer 0)', reuse: 'none' },
    { label: 'visual prefix', reuse: 'visual-prefix' },
    { label: 'layer L + shared prefill', reuse: 'layers' },
  ];
  console.log(`\ndecoder weights ${(full / 2 ** 20).toFixed(0)} MiB as float32`);
  return cases.map((memoryCase) => {
    const output = execFileSync(process.execPath, [process.argv[1]!, '--measure-probes', benchDir, JSON.stringify(memoryCase)], { encoding: 'utf8', env: { ...process.env, ...mallocEnvironment() } });
    const measured = JSON.parse(output.trim().split('\n').at(-1)!) as { seconds: number; peakRssMiB: number; endRssMiB: number; graphs: number };
    return {
      reuse: memoryCase.label, 'one sweep s (session starts included)': +measured.seconds.toFixed(2), 'peak RSS MiB': Math.round(measured.peakRssMiB),
      'peak ÷ decoder weights': +((measured.peakRssMiB * 2 ** 20) / full).toFixed(2), 'sessions loaded at the end': measured.graphs, 'RSS at the end MiB': Math.round(measured.endRssMiB),
    };
  });
}

/** The ablation sweep's cases: the swap bench's two models, ≤ 32 new tokens. */
function ablationCases(benchDir: string): AblationBenchCase[] {
  return benchCases(benchDir).map(({ name, dir }) => ({ name, dir, maxNewTokens: 32 }));
}

export async function runProbeBench(benchDir: string): Promise<Record<string, unknown>> {
  const speed: Record<string, unknown>[] = [];
  for (const benchCase of benchCases(benchDir)) speed.push(await timeSchemes(benchCase, benchDir));
  console.log(`\nvisual K/V swap sweep: reuse vs L separate full runs, onnxruntime CPU, one intra-op thread, medians of ${REPEATS} rounds, ${process.version}, ${availableParallelism()} cores; answers equal in every scheme`);
  console.table(speed);
  const batching = await timeSwapBatching(benchCases(benchDir)[1]!, benchDir, 16);
  console.log('\nswap sweep, layer L reuse, the pair\'s decodings one at a time vs batched, answers capped at 16 tokens');
  console.table([batching]);
  const memory = memoryRows(benchDir);
  console.log('\nbigger model: one sweep per reuse level, each in a fresh process started with the CLI\'s malloc settings');
  console.table(memory);

  const graphs = join(benchDir, 'graphs');
  const ablation: Record<string, unknown>[] = [];
  for (const benchCase of ablationCases(benchDir)) ablation.push(await timeAblation(benchCase, graphs));
  console.log(`\nlayer-ablation sweep (one text item, nothing ablated then each layer): plain 1 + L runs vs prefill reuse and batched decoding, medians of ${REPEATS} rounds; answers equal in every scheme`);
  console.table(ablation);
  const bigger = ablationCases(benchDir)[1]!;
  const perRow = await stepTimePerRow(bigger, graphs);
  console.log('\nbigger model: one decoder step (all-open gates given) per row against the rows decoded together');
  console.table(perRow);
  const ablationRss = await ablationMemory(bigger, graphs, (json) => [process.argv[1]!, '--measure-probes', benchDir, json]);
  console.log('\nbigger model: one ablation sweep per scheme, each in a fresh process');
  console.table(ablationRss);
  return { speed, batching, memory, ablation: { speed: ablation, perRow, memory: ablationRss } };
}

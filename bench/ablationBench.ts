/**
 * The layer-ablation sweep of `npm run bench -- probes`: one text item (the paper ablates on
 * MATH-500 and GSM8K) answered with nothing ablated and with each decoder layer ablated in turn,
 * - plain: 1 + L separate greedy runs, each prefilling the whole prompt (the probe before reuse);
 * - reuse: ablated prefills from layer L on (clean stream entering L, clean K/V below L), batch 1;
 * - reuse + batch: every run of the item decoding together, finished rows leaving the batch;
 * on the tiny fixture and the generated 8-layer model of the swap bench. A random model never
 * stops, so the stop tokens are taken from the plain runs' own answers: the runs then end at
 * different steps, as real ablations do. Answers are checked equal in every scheme; medians of
 * REPEATS rounds, schemes alternating within a round. Then, on the 8-layer model, the time of one
 * decoder step per row against the rows in the batch (what the default batch size rests on), and
 * the peak RSS of one sweep per scheme, each in a fresh process.
 */
import { execFileSync } from 'node:child_process';
import { stackRows } from '../src/core/model/kvCache';
import { generateGreedy, type Generation } from '../src/core/model/generate';
import { decodePositionIds } from '../src/core/model/ropeIndex';
import { mallocEnvironment } from '../src/core/processMemory';
import { conditionMessages } from '../src/core/probes/conditions';
import { ablationGates, ablationGenerations, BASELINE, type AblationReuse } from '../src/core/probes/layerAblation';
import { greedySettings, openProbeModel, preparePrompt, type PreparedPrompt, type ProbeModel } from '../src/core/probes/probeModel';
import { median } from './median';

const REPEATS = Number(process.env.FRANKENLENS_BENCH_REPEATS ?? 3);

const QUESTION = 'A baker makes 24 muffins in the morning and 3 times as many in the afternoon. She sells 70 of them and gives 5 to her neighbours. How many muffins are left at the end of the day?';
const STYLE = { prefix: 'Solve the problem step by step and put the final answer in a single \\boxed{}.' };

export interface AblationBenchCase {
  name: string;
  dir: string;
  maxNewTokens: number;
}

interface Scheme {
  name: string;
  /** Absent: the plain path. */
  reuse?: AblationReuse;
  batch?: number;
}

const SCHEMES: readonly Scheme[] = [
  { name: 'plain: 1 + L runs' },
  { name: 'reuse, batch 1', reuse: 'layers', batch: 1 },
  { name: 'reuse + batch', reuse: 'layers', batch: Infinity },
];

interface Prepared {
  model: ProbeModel;
  prompt: PreparedPrompt;
  layers: number[];
}

async function prepare(benchCase: AblationBenchCase, graphsDir: string, eosTokenIds?: number[]): Promise<Prepared> {
  const opened = openProbeModel('in', benchCase.dir, { cacheDir: graphsDir, intraOpThreads: 1 });
  const model = eosTokenIds ? { ...opened, generation: { ...opened.generation, eosTokenIds } } : opened;
  const item = { id: 'bench', images: [], question: QUESTION, answer: '', answerType: 'text' as const };
  const prompt = await preparePrompt(model, await conditionMessages(item, 'real', STYLE));
  return { model, prompt, layers: Array.from({ length: model.runtime.config.decoder.layers }, (_, layer) => layer) };
}

/** The sweep's answers (baseline, then every layer) with the scheme. */
async function sweep({ model, prompt, layers }: Prepared, scheme: Scheme, maxNewTokens: number): Promise<Generation[]> {
  if (scheme.reuse) return ablationGenerations(model, prompt, { layers, maxNewTokens, reuse: scheme.reuse, batch: Math.min(scheme.batch!, layers.length + 1) });
  const generations: Generation[] = [];
  for (const layer of [BASELINE, ...layers]) {
    const taps = layer === BASELINE ? undefined : { gates: ablationGates(layers.length, layer) };
    generations.push(await generateGreedy(model.runtime, prompt.ids, prompt.embedded, greedySettings(model, maxNewTokens), { prefillTaps: taps, stepTaps: () => taps }));
  }
  return generations;
}

const answers = (generations: readonly Generation[]) => generations.map((generation) => generation.tokens.join(',')).join('|');

/** Stop tokens from the plain runs' answers without any, so the runs end at a spread of steps. */
async function spreadStopTokens(benchCase: AblationBenchCase, graphsDir: string): Promise<number[]> {
  const prepared = await prepare(benchCase, graphsDir, []);
  try {
    const free = await sweep(prepared, SCHEMES[0]!, benchCase.maxNewTokens);
    const at = (run: number, fraction: number) => free[run]!.tokens[Math.floor(fraction * (benchCase.maxNewTokens - 1))]!;
    return [at(1, 0.25), at(Math.min(3, free.length - 1), 0.6)];
  } finally {
    await prepared.model.runtime.unload();
  }
}

export async function timeAblation(benchCase: AblationBenchCase, graphsDir: string): Promise<Record<string, unknown>> {
  const eosTokenIds = await spreadStopTokens(benchCase, graphsDir);
  const prepared = await prepare(benchCase, graphsDir, eosTokenIds);
  const seconds = new Map(SCHEMES.map((scheme) => [scheme.name, [] as number[]]));
  let lengths: number[] = [];
  try {
    for (const scheme of SCHEMES) await sweep(prepared, scheme, 2); // graphs built, sessions started
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      const results = new Map<string, string>();
      for (const scheme of SCHEMES) {
        const started = performance.now();
        const generations = await sweep(prepared, scheme, benchCase.maxNewTokens);
        seconds.get(scheme.name)!.push((performance.now() - started) / 1000);
        results.set(scheme.name, answers(generations));
        lengths = generations.map((generation) => generation.tokens.length);
      }
      for (const scheme of SCHEMES) if (results.get(scheme.name) !== results.get(SCHEMES[0]!.name)) throw new Error(`${benchCase.name}: ablation scheme "${scheme.name}" and the plain runs gave different answers`);
    }
  } finally {
    await prepared.model.runtime.unload();
  }
  const plain = median(seconds.get(SCHEMES[0]!.name)!);
  const row: Record<string, unknown> = {
    model: benchCase.name,
    sweep: `1 + ${prepared.layers.length} runs, ${prepared.prompt.ids.length}-token prompt, ${Math.min(...lengths)}–${Math.max(...lengths)} new tokens (mean ${(lengths.reduce((a, b) => a + b, 0) / lengths.length).toFixed(1)})`,
  };
  for (const scheme of SCHEMES) row[`${scheme.name} s`] = +median(seconds.get(scheme.name)!).toFixed(2);
  row['speed-up (compact)'] = +(plain / median(seconds.get(SCHEMES[2]!.name)!)).toFixed(2);
  return row;
}

/**
 * One decoder step's time per row against the rows decoded together (all-open gates given), over the first
 * 16 steps after the prompt; and how far the first row's logits at the first step (same token, same
 * cache in every batch) are from the same row decoded alone.
 */
export async function stepTimePerRow(benchCase: AblationBenchCase, graphsDir: string): Promise<Record<string, unknown>[]> {
  const prepared = await prepare(benchCase, graphsDir);
  const { runtime } = prepared.model;
  const { layers } = runtime.config.decoder;
  const rowsTried = [1, 2, 4, 8, 16, 32];
  const steps = 16;
  try {
    const prefill = await runtime.decode({ embeds: prepared.prompt.embedded.embeds, positions: prepared.prompt.embedded.positions, cache: runtime.emptyCache() }, { taps: {}, logits: 'last' });
    const result: Record<string, unknown>[] = [];
    let single = 0;
    let alone: Float32Array | undefined;
    for (const rows of rowsTried) {
      const gates = new Float32Array(rows * 2 * layers).fill(1);
      const times: number[] = [];
      let difference = 0;
      // Room for every step, so each appends to the cache in place (as generation does).
      const reserve = prefill.cache.length + steps + 1;
      let current = stackRows(Array.from({ length: rows }, () => prefill.cache), reserve);
      for (let step = 0; step <= steps; step++) {
        const positions = new BigInt64Array(3 * rows).fill(BigInt(decodePositionIds(current.length, 1, prepared.prompt.embedded.ropeDelta)[0]!));
        const { ids } = prepared.prompt;
        const embeds = await runtime.embed(Array.from({ length: rows }, (_, row) => ids[(step + row) % ids.length]!));
        const started = performance.now();
        const output = await runtime.decode({ rows, embeds, positions, cache: current, taps: { gates }, reserve }, { taps: {}, logits: 'last' });
        if (step > 0) times.push(performance.now() - started);
        else {
          const first = output.logits.slice(0, runtime.config.decoder.vocabSize);
          alone ??= first;
          difference = first.reduce((worst, value, index) => Math.max(worst, Math.abs(value - alone![index]!)), 0);
        }
        current = output.cache;
      }
      const perStep = median(times);
      if (rows === 1) single = perStep;
      result.push({ rows, 'ms per step': +perStep.toFixed(2), 'ms per row': +(perStep / rows).toFixed(2), 'speed-up per row vs 1': +(single / (perStep / rows)).toFixed(2), 'max |Δ logit| of row 0 vs alone': difference });
    }
    return result;
  } finally {
    await runtime.unload();
  }
}

/** Child mode: one sweep with the scheme on the case; prints time and peak RSS as JSON. */
export async function ablationBenchChild(benchCase: AblationBenchCase, graphsDir: string, schemeName: string, eosTokenIds: number[]): Promise<void> {
  const prepared = await prepare(benchCase, graphsDir, eosTokenIds);
  const started = performance.now();
  await sweep(prepared, SCHEMES.find((scheme) => scheme.name === schemeName)!, benchCase.maxNewTokens);
  const seconds = (performance.now() - started) / 1000;
  const endRssMiB = process.memoryUsage().rss / 2 ** 20;
  await prepared.model.runtime.unload();
  console.log(JSON.stringify({ seconds, peakRssMiB: process.resourceUsage().maxRSS / 1024, endRssMiB }));
}

/** Peak RSS of one sweep per scheme, each in a fresh process started with the CLI's malloc settings (`childArgs` start this bench's child mode). */
export async function ablationMemory(benchCase: AblationBenchCase, graphsDir: string, childArgs: (json: string) => string[]): Promise<Record<string, unknown>[]> {
  const eosTokenIds = await spreadStopTokens(benchCase, graphsDir);
  return SCHEMES.map((scheme) => {
    const output = execFileSync(process.execPath, childArgs(JSON.stringify({ ablation: scheme.name, eosTokenIds })), { encoding: 'utf8', env: { ...process.env, ...mallocEnvironment() } });
    const measured = JSON.parse(output.trim().split('\n').at(-1)!) as { seconds: number; peakRssMiB: number; endRssMiB: number };
    return { scheme: scheme.name, 'one sweep s (session starts included)': +measured.seconds.toFixed(2), 'peak RSS MiB': Math.round(measured.peakRssMiB), 'RSS at the end MiB': Math.round(measured.endRssMiB) };
  });
}

/**
 * Vision localization by visual-token K/V swapping (reference §1). For a pair (target image, source
 * image, one prompt): greedy answer on the target; one forward on the source keeps its K/V (post-
 * RoPE, per KV head); then for each layer L the target is answered again with the visual span's
 * K/V replaced by the source's, in layers ≥ L ('suffix', what the paper code does) or in L only
 * ('single'). Decoding is 'corrected' (the swap is written once, in the prefill, and the cache
 * keeps it) or 'compat': the paper code also appends the source K/V again at every decode step, so
 * the k-th token after the first attends over k extra copies of them in every swapped layer. A
 * copy counted m times weighs exp(score + log m), so compat adds log(1 + k) to the visual keys'
 * scores of the swapped layers (the keyBias tap) instead of growing the cache.
 *
 * Reuse: the target's and source's vision encodings and embeddings are computed once per pair, and
 * every swapped prefill starts from the clean prefill's cache up to the first visual token (those
 * positions cannot see the swap).
 */
import { FrankenlensError } from '../errors';
import { generateGreedy, type Generation } from '../model/generate';
import type { KvCache, TapInputs } from '../model/modelRuntime';
import { kvOverrideFrom } from '../model/modelRuntime';
import type { CancelToken, ProgressSink } from '../progress';
import { readImageFile } from '../vision/imageDecode';
import * as ort from 'onnxruntime-node';
import { answerText, greedySettings, modelRecord, preparePrompt, type ModelRole, type PreparedPrompt, type ProbeModel } from './probeModel';
import { swapRows, writeProbeSummary, type SwapRow } from './probeResult';
import { runProbeUnits } from './probeRun';
import { adoptsSource, answerChanged } from './swapMetrics';
import type { VisionPair, VisionTask } from './visionPairs';

export type SwapMode = 'suffix' | 'single';
export type SwapDecoding = 'corrected' | 'compat';
export const SWAP_MODES: readonly SwapMode[] = ['suffix', 'single'];
export const SWAP_DECODINGS: readonly SwapDecoding[] = ['corrected', 'compat'];

export interface SwapSettings {
  /** Decoder layers L to swap at (HF 0-based). */
  layers: readonly number[];
  modes: readonly SwapMode[];
  decodings: readonly SwapDecoding[];
  /** The paper's 64. */
  maxNewTokens: number;
  /** Start swapped prefills from the clean cache before the image (default true; false recomputes, for the bench). */
  reusePrefix?: boolean;
}

export interface SwapRun {
  mode: SwapMode;
  decoding: SwapDecoding;
  layer: number;
  answer: string;
  tokens: number[];
  changed: boolean;
  adoptsSource: boolean | null;
}

export interface SwapItem {
  /** `<model>:<pair id>`: what a resumed run skips. */
  key: string;
  model: ModelRole;
  id: string;
  task: VisionTask;
  originalAnswer: string;
  originalTokens: number[];
  targetAnswer: string | null;
  sourceAnswer: string | null;
  visualTokens: number;
  runs: SwapRun[];
}

/** Which layers a swap at `layer` replaces. */
export function swappedLayers(mode: SwapMode, layer: number, layers: number): boolean[] {
  return Array.from({ length: layers }, (_, index) => (mode === 'suffix' ? index >= layer : index === layer));
}

export async function swapPair(model: ProbeModel, pair: VisionPair, settings: SwapSettings, cancel?: CancelToken): Promise<SwapItem> {
  const { layers } = model.runtime.config.decoder;
  for (const layer of settings.layers) {
    if (!Number.isInteger(layer) || layer < 0 || layer >= layers) throw new FrankenlensError('InvalidArgument', `swap layer ${layer} is outside the decoder's layers 0..${layers - 1}`);
  }
  const chat = (image: string) => [{ role: 'user' as const, content: [{ type: 'image' as const, image: readImageFile(image), name: image }, { type: 'text' as const, text: pair.prompt }] }];
  const target = await preparePrompt(model, chat(pair.targetImage));
  const source = await preparePrompt(model, chat(pair.sourceImage));
  const visual = target.embedded.imageTokenPositions;
  if (visual.length === 0 || visual.join() !== source.embedded.imageTokenPositions.join() || target.ids.length !== source.ids.length) {
    throw new FrankenlensError('InvalidBenchmarkItem', `${pair.file}:${pair.line}: pair "${pair.id}": target and source give different visual token layouts (${visual.length} vs ${source.embedded.imageTokenPositions.length} tokens); the swap needs images of the same size`, pair.file);
  }
  const greedy = greedySettings(model, settings.maxNewTokens);
  const sourceRun = await model.runtime.decode({ embeds: source.embedded.embeds, positions: source.embedded.positions, cache: model.runtime.emptyCache() }, { taps: {}, logits: 'last' });

  let cleanCache: KvCache | undefined;
  const clean = await generateGreedy(model.runtime, target.ids, target.embedded, greedy, { cancel, onStep: (step) => (cleanCache ??= step.result.cache) });
  const originalAnswer = answerText(model, clean.tokens);
  const prefix = settings.reusePrefix === false ? undefined : cachePrefix(cleanCache!, visual[0]!);

  const runs: SwapRun[] = [];
  for (const mode of settings.modes) {
    for (const layer of settings.layers) {
      const selected = swappedLayers(mode, layer, layers);
      const kvOverride = kvOverrideFrom(sourceRun.cache, visual, selected);
      for (const decoding of settings.decodings) {
        const generation = await swappedGeneration(model, target, kvOverride, selected, decoding, greedy, prefix, cancel);
        const answer = answerText(model, generation.tokens);
        runs.push({ mode, decoding, layer, answer, tokens: generation.tokens, changed: answerChanged(originalAnswer, answer), adoptsSource: adoptsSource(pair, answer) });
      }
    }
  }
  return {
    key: `${model.role}:${pair.id}`, model: model.role, id: pair.id, task: pair.task, originalAnswer, originalTokens: clean.tokens,
    targetAnswer: pair.targetAnswer, sourceAnswer: pair.sourceAnswer, visualTokens: visual.length, runs,
  };
}

function swappedGeneration(
  model: ProbeModel, target: PreparedPrompt, kvOverride: NonNullable<TapInputs['kvOverride']>, selected: readonly boolean[],
  decoding: SwapDecoding, greedy: ReturnType<typeof greedySettings>, prefix: KvCache | undefined, cancel: CancelToken | undefined,
): Promise<Generation> {
  const compat = decoding === 'compat';
  const promptLength = target.ids.length;
  const visual = target.embedded.imageTokenPositions;
  return generateGreedy(model.runtime, target.ids, target.embedded, greedy, {
    cancel,
    prefix,
    taps: { kvOverride: true, keyBias: compat },
    prefillTaps: { kvOverride },
    // Decode step k (k = 1 for the token after the first) sees k appended copies besides the swapped span.
    stepTaps: compat ? (cacheLength) => ({ keyBias: duplicationBias(selected, visual, cacheLength + 1, Math.log(2 + cacheLength - promptLength)) }) : undefined,
  });
}

/** [layers · total]: `bias` at the visual keys of the selected layers, 0 elsewhere. */
function duplicationBias(selected: readonly boolean[], visual: readonly number[], total: number, bias: number): Float32Array {
  const values = new Float32Array(selected.length * total);
  selected.forEach((on, layer) => on && visual.forEach((position) => (values[layer * total + position] = bias)));
  return values;
}

/** The first `length` positions of a cache (a copy: the source tensors stay intact). */
export function cachePrefix(cache: KvCache, length: number): KvCache {
  const cut = (tensor: ort.Tensor) => {
    const [batch, heads, total, headDim] = tensor.dims as number[];
    const data = tensor.data as Float32Array;
    const out = new Float32Array(batch! * heads! * length * headDim!);
    for (let row = 0; row < batch! * heads!; row++) out.set(data.subarray(row * total! * headDim!, (row * total! + length) * headDim!), row * length * headDim!);
    return new ort.Tensor('float32', out, [batch!, heads!, length, headDim!]);
  };
  return { length, keys: cache.keys.map(cut), values: cache.values.map(cut) };
}

export interface SwapProbeOptions {
  models: readonly ProbeModel[];
  pairs: readonly VisionPair[];
  settings: SwapSettings;
  outDir: string;
  resume?: boolean;
  progress?: ProgressSink;
  cancel?: CancelToken;
}

/** Every pair on every model, resumable; writes swap.jsonl and swap.summary.json. */
export async function runSwapProbe(options: SwapProbeOptions): Promise<{ summaryPath: string; rows: SwapRow[]; resumed: number }> {
  const { models, pairs, settings } = options;
  const units = models.flatMap((model) => pairs.map((pair) => ({ key: `${model.role}:${pair.id}`, label: `${model.role.toUpperCase()} ${pair.id}`, run: () => swapPair(model, pair, settings, options.cancel) })));
  const recorded = { ...settings, pairs: pairs.map((pair) => pair.id), models: models.map((model) => ({ role: model.role, dir: model.dir })) };
  const { records, resumed } = await runProbeUnits<SwapItem>({ probe: 'swap', outDir: options.outDir, settings: recorded, units, resume: options.resume, progress: options.progress, cancel: options.cancel });
  const rows = swapRows(records);
  const { path } = writeProbeSummary(options.outDir, 'swap', { settings: recorded, models: models.map(modelRecord), layers: models[0]!.runtime.config.decoder.layers, items: pairs.length, rows });
  return { summaryPath: path, rows, resumed };
}

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
 * Reuse (settings.reuse, default 'layers'): the target's and source's vision encodings and
 * embeddings are computed once per pair. Positions before the first visual token cannot see the
 * swap, and neither can layers below L (suffix or single swap at L): so a swapped prefill covers
 * only the positions from the first visual token on, and only layers L..N-1 (a layer-slice graph),
 * starting from the clean prefill's residual stream entering L, with the clean K/V below L. The
 * corrected and compat decodings differ only from the second token on and share that prefill, and
 * a single swap at the last layer is the suffix swap there (computed once).
 */
import { FrankenlensError } from '../errors';
import { generateGreedy, type Generation } from '../model/generate';
import type { DecoderResult, KvCache, TapInputs } from '../model/modelRuntime';
import { kvOverrideFrom } from '../model/modelRuntime';
import { promptFrom, type EmbeddedPrompt } from '../model/promptEmbedding';
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
/** What swapped runs take from the clean run: see the file comment; 'none' recomputes the whole prompt per run (the plain path, for checks and the bench). */
export type SwapReuse = 'layers' | 'visual-prefix' | 'none';

/**
 * The whole-decoder prefills (source, clean, and swapped ones that start at layer 0): one graph, so
 * one session; the clean prefill's hidden states feed the layer slices.
 */
const PREFILL_GRAPH = { taps: { kvOverride: true, hiddenStates: true }, logits: 'last' } as const;

export interface SwapSettings {
  /** Decoder layers L to swap at (HF 0-based). */
  layers: readonly number[];
  modes: readonly SwapMode[];
  decodings: readonly SwapDecoding[];
  /** The paper's 64. */
  maxNewTokens: number;
  /** Default 'layers'. */
  reuse?: SwapReuse;
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
  const { runtime } = model;
  const wholePrompt = (prompt: EmbeddedPrompt) => runtime.decode({ embeds: prompt.embeds, positions: prompt.positions, cache: runtime.emptyCache() }, PREFILL_GRAPH);
  const sourceRun = await wholePrompt(source.embedded);
  const cleanPrefill = await wholePrompt(target.embedded);
  const clean = await generateGreedy(runtime, target.ids, target.embedded, greedy, { cancel, prefilled: cleanPrefill });
  const originalAnswer = answerText(model, clean.tokens);

  const reuse = settings.reuse ?? 'layers';
  const prefix = reuse === 'none' ? runtime.emptyCache() : cachePrefix(cleanPrefill.cache, visual[0]!);
  const { hiddenSize } = runtime.config.decoder;
  const swappedPrefill = (kvOverride: SwapOverride, layer: number): Promise<DecoderResult> => {
    const { embeds, positions } = promptFrom(target.embedded, prefix.length, hiddenSize);
    if (reuse !== 'layers' || layer === 0) return runtime.decode({ embeds, positions, cache: prefix, taps: { kvOverride } }, PREFILL_GRAPH);
    const stream = streamEntering(cleanPrefill, layer, prefix.length, hiddenSize);
    return runtime.decode({ embeds: stream, positions, cache: prefix, taps: { kvOverride }, lowerLayers: cleanPrefill.cache }, { taps: { kvOverride: true }, logits: 'last', fromLayer: layer });
  };

  const runs = new Map(settings.modes.map((mode) => [mode, [] as SwapRun[]]));
  /** Generations by swapped layer set, when reused (a single swap at the last layer is the suffix swap there). */
  const bySelection = new Map<string, Map<SwapDecoding, Generation>>();
  // Layer-major, so each layer slice serves both modes while it is loaded.
  for (const layer of settings.layers) {
    for (const mode of settings.modes) {
      const selected = swappedLayers(mode, layer, layers);
      const kvOverride = kvOverrideFrom(sourceRun.cache, visual, selected);
      let generations = reuse === 'layers' ? bySelection.get(selected.join()) : undefined;
      if (!generations) {
        generations = new Map();
        const shared = reuse === 'layers' ? await swappedPrefill(kvOverride, layer) : undefined;
        for (const decoding of settings.decodings) {
          const prefilled = shared ?? (await swappedPrefill(kvOverride, layer));
          generations.set(decoding, await swappedDecoding(model, target, prefilled, selected, decoding, greedy, cancel));
        }
        bySelection.set(selected.join(), generations);
      }
      for (const decoding of settings.decodings) {
        const { tokens } = generations.get(decoding)!;
        const answer = answerText(model, tokens);
        runs.get(mode)!.push({ mode, decoding, layer, answer, tokens, changed: answerChanged(originalAnswer, answer), adoptsSource: adoptsSource(pair, answer) });
      }
    }
  }
  return {
    key: `${model.role}:${pair.id}`, model: model.role, id: pair.id, task: pair.task, originalAnswer, originalTokens: clean.tokens,
    targetAnswer: pair.targetAnswer, sourceAnswer: pair.sourceAnswer, visualTokens: visual.length, runs: [...runs.values()].flat(),
  };
}

type SwapOverride = NonNullable<TapInputs['kvOverride']>;

/** A whole-prompt prefill's residual stream entering `layer` (its hiddenStates tap) at the positions from `start` on. */
function streamEntering(prefill: DecoderResult, layer: number, start: number, hiddenSize: number): Float32Array {
  const length = prefill.cache.length;
  return prefill.hiddenStates!.subarray((layer * length + start) * hiddenSize, (layer + 1) * length * hiddenSize);
}

/** Greedy decoding after a swapped prefill; compat adds the paper code's duplicated visual K/V from the second token on. */
function swappedDecoding(model: ProbeModel, target: PreparedPrompt, prefilled: DecoderResult, selected: readonly boolean[], decoding: SwapDecoding, greedy: ReturnType<typeof greedySettings>, cancel: CancelToken | undefined): Promise<Generation> {
  const compat = decoding === 'compat';
  const promptLength = target.ids.length;
  const visual = target.embedded.imageTokenPositions;
  return generateGreedy(model.runtime, target.ids, target.embedded, greedy, {
    cancel,
    prefilled,
    taps: { keyBias: compat },
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

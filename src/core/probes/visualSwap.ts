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
 * only the positions from the first visual token on, and only layers L..N-1 (the layer chain
 * started at L), from the clean prefill's residual stream entering L, with the clean K/V below L. The
 * corrected and compat decodings differ only from the second token on and share that prefill, and
 * a single swap at the last layer is the suffix swap there (computed once).
 *
 * Batching (settings.batch): the swapped decodings of one pair share the prompt, so up to `batch` of
 * them decode together as rows of one batch (batchedGenerate.ts), compat rows with their own key
 * bias. The prefills stay one per swap: each starts at its own layer slice. Neither reuse nor
 * batching changes an answer, so neither is part of the recorded settings.
 */
import { FrankenlensError } from '../errors';
import { decodeAll, type DecodeRun, type SharedBatch } from '../model/batchedGenerate';
import { DEFAULT_BATCH_ROWS, ITEMS_IN_FLIGHT } from '../model/batchSizes';
import { cachePrefix } from '../model/kvCache';
import type { DecoderResult, StepOptions, TapInputs } from '../model/modelRuntime';
import { kvOverrideFrom, streamEntering } from '../model/modelRuntime';
import { promptFrom, type EmbeddedPrompt } from '../model/promptEmbedding';
import type { CancelToken, ProgressSink } from '../progress';
import { readImageFile } from '../vision/imageDecode';
import { answerText, greedySettings, modelRecord, preparePrompt, type ModelRole, type PreparedPrompt, type ProbeModel } from './probeModel';
import { proportion, writeProbeSummary, type Proportion } from './probeResult';
import { ProbeBatches, runProbeUnits } from './probeRun';
import { adoptsSource, answerChanged } from './swapMetrics';
import type { VisionPair, VisionTask } from './visionPairs';
import { swapCalibration } from './precisionCalibration';
import type { CalibrationOptions, PrecisionReport } from '../model/precisionReport';

export type SwapMode = 'suffix' | 'single';
export type SwapDecoding = 'corrected' | 'compat';
export const SWAP_MODES: readonly SwapMode[] = ['suffix', 'single'];
export const SWAP_DECODINGS: readonly SwapDecoding[] = ['corrected', 'compat'];
/** What swapped runs take from the clean run: see the file comment; 'none' recomputes the whole prompt per run (the plain path, for checks and the bench). */
export type SwapReuse = 'layers' | 'visual-prefix' | 'none';

/** Prefills over the whole decoder; the clean one also keeps the residual stream, which the swaps from layer L start from. */
const PREFILL = { taps: {}, logits: 'last' } as const;
const CLEAN_PREFILL = { taps: { hiddenStates: true }, logits: 'last' } as const;

export interface SwapSettings {
  /** Decoder layers L to swap at (HF 0-based). */
  layers: readonly number[];
  modes: readonly SwapMode[];
  decodings: readonly SwapDecoding[];
  /** The paper's 64. */
  maxNewTokens: number;
  /** Default 'layers'. */
  reuse?: SwapReuse;
  /** Swapped decodings of one pair decoded together; default DEFAULT_BATCH_ROWS. */
  batch?: number;
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

/** The pair's clean and swapped decodings; in `batch` (the probe's batch, shared with other pairs in flight) when given. */
export async function swapPair(model: ProbeModel, pair: VisionPair, settings: SwapSettings, cancel?: CancelToken, batch?: SharedBatch): Promise<SwapItem> {
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
  const wholePrompt = (prompt: EmbeddedPrompt, options: StepOptions) => runtime.decode({ embeds: prompt.embeds, positions: prompt.positions, cache: runtime.emptyCache() }, options);
  const sourceRun = await wholePrompt(source.embedded, PREFILL);
  const cleanPrefill = await wholePrompt(target.embedded, CLEAN_PREFILL);

  const reuse = settings.reuse ?? 'layers';
  const rows = settings.batch ?? DEFAULT_BATCH_ROWS;
  if (!(Number.isInteger(rows) && rows >= 1)) throw new FrankenlensError('InvalidArgument', `swap batch ${rows}: must be a whole number of decodings, at least 1`);
  const prefix = reuse === 'none' ? runtime.emptyCache() : cachePrefix(cleanPrefill.cache, visual[0]!);
  const { hiddenSize } = runtime.config.decoder;
  const swappedPrefill = (kvOverride: SwapOverride, layer: number): Promise<DecoderResult> => {
    const { embeds, positions } = promptFrom(target.embedded, prefix.length, hiddenSize);
    if (reuse !== 'layers' || layer === 0) return runtime.decode({ embeds, positions, cache: prefix, taps: { kvOverride } }, PREFILL);
    const stream = streamEntering(cleanPrefill, layer, prefix.length, hiddenSize);
    return runtime.decode({ embeds: stream, positions, cache: prefix, taps: { kvOverride }, lowerLayers: cleanPrefill.cache }, { taps: {}, logits: 'last', fromLayer: layer });
  };

  // One decoding per swapped layer set and decoding, layer-major; with reuse, a swap's decodings
  // share one prefill (computed when the first of them is batched, kept until the next swap's) and a repeated layer set is decoded once.
  const decodings: SwapDecodingJob[] = [];
  const jobOf = new Map<string, number>();
  const runOrder: { mode: SwapMode; layer: number; decoding: SwapDecoding; job: number }[] = [];
  let shared: { key: string; prefill: Promise<DecoderResult> } | undefined;
  for (const layer of settings.layers) {
    for (const mode of settings.modes) {
      const selected = swappedLayers(mode, layer, layers);
      const key = selected.join();
      for (const decoding of settings.decodings) {
        const jobKey = reuse === 'layers' ? `${key}|${decoding}` : `${mode}|${layer}|${decoding}`;
        if (!jobOf.has(jobKey)) {
          const prefill = () => {
            const kvOverride = kvOverrideFrom(sourceRun.cache, visual, selected);
            if (reuse !== 'layers') return swappedPrefill(kvOverride, layer);
            if (shared?.key !== key) shared = { key, prefill: swappedPrefill(kvOverride, layer) };
            return shared.prefill;
          };
          jobOf.set(jobKey, decodings.length);
          decodings.push({ selected, decoding, prefill });
        }
        runOrder.push({ mode, layer, decoding, job: jobOf.get(jobKey)! });
      }
    }
  }
  // The clean decoding and the swapped ones, as rows of one batch (the probe's, shared with other pairs in flight).
  const run = (prefilled: () => Promise<DecoderResult>, stepTaps?: DecodeRun['stepTaps']) => async (): Promise<DecodeRun> => ({ promptIds: target.ids, ropeDelta: target.embedded.ropeDelta, settings: greedy, prefilled: await prefilled(), stepTaps });
  const cleanRun = run(async () => cleanPrefill);
  const swappedRuns = decodings.map((job) => run(job.prefill, job.decoding === 'compat' ? compatStepTaps(target, job.selected) : undefined));
  const [clean, ...generations] = await decodeAll(runtime, [cleanRun, ...swappedRuns], { rows, cancel, batch });
  const originalAnswer = answerText(model, clean!.tokens);

  const runs = settings.modes.flatMap((mode) => runOrder.filter((run) => run.mode === mode).map(({ layer, decoding, job }): SwapRun => {
    const { tokens } = generations[job]!;
    const answer = answerText(model, tokens);
    return { mode, decoding, layer, answer, tokens, changed: answerChanged(originalAnswer, answer), adoptsSource: adoptsSource(pair, answer) };
  }));
  return {
    key: `${model.role}:${pair.id}`, model: model.role, id: pair.id, task: pair.task, originalAnswer, originalTokens: clean!.tokens,
    targetAnswer: pair.targetAnswer, sourceAnswer: pair.sourceAnswer, visualTokens: visual.length, runs,
  };
}

/** One swapped decoding: the layers it swaps, corrected or compat, and the prefill it starts from. */
interface SwapDecodingJob {
  selected: boolean[];
  decoding: SwapDecoding;
  prefill: () => Promise<DecoderResult>;
}

type SwapOverride = NonNullable<TapInputs['kvOverride']>;

/** Compat's key bias at each decode step: the paper code's duplicated visual K/V from the second token on. */
function compatStepTaps(target: PreparedPrompt, selected: readonly boolean[]): (cacheLength: number) => { keyBias: Float32Array } {
  const promptLength = target.ids.length;
  const visual = target.embedded.imageTokenPositions;
  // Decode step k (k = 1 for the token after the first) sees k appended copies besides the swapped span.
  return (cacheLength) => ({ keyBias: duplicationBias(selected, visual, cacheLength + 1, Math.log(2 + cacheLength - promptLength)) });
}

/** [layers · total]: `bias` at the visual keys of the selected layers, 0 elsewhere. */
function duplicationBias(selected: readonly boolean[], visual: readonly number[], total: number, bias: number): Float32Array {
  const values = new Float32Array(selected.length * total);
  selected.forEach((on, layer) => on && visual.forEach((position) => (values[layer * total + position] = bias)));
  return values;
}

export interface SwapRow {
  model: ModelRole;
  task: VisionTask;
  mode: SwapMode;
  decoding: SwapDecoding;
  layer: number;
  /** Swapped answers that differ from the model's own unswapped answer (the paper's change rate). */
  change: Proportion;
  /** Swapped answers that give the source image's answer, over the pairs where that can be told. */
  adoption: Proportion;
}

export function swapRows(items: readonly SwapItem[]): SwapRow[] {
  const groups = new Map<string, SwapRow & { changed: number; runs: number; adopted: number; decidable: number }>();
  for (const item of items) {
    for (const run of item.runs) {
      const key = [item.model, item.task, run.mode, run.decoding, run.layer].join('|');
      let group = groups.get(key);
      if (!group) {
        group = { model: item.model, task: item.task, mode: run.mode, decoding: run.decoding, layer: run.layer, change: proportion(0, 0), adoption: proportion(0, 0), changed: 0, runs: 0, adopted: 0, decidable: 0 };
        groups.set(key, group);
      }
      group.runs++;
      if (run.changed) group.changed++;
      if (run.adoptsSource !== null) {
        group.decidable++;
        if (run.adoptsSource) group.adopted++;
      }
    }
  }
  return [...groups.values()].map(({ changed, runs, adopted, decidable, ...row }) => ({ ...row, change: proportion(changed, runs), adoption: proportion(adopted, decidable) }));
}

export interface SwapProbeOptions {
  models: readonly ProbeModel[];
  pairs: readonly VisionPair[];
  settings: SwapSettings;
  outDir: string;
  resume?: boolean;
  progress?: ProgressSink;
  cancel?: CancelToken;
  /** int8 runs: the float32 calibration (precisionCalibration.ts); not part of the run's settings. */
  calibration?: CalibrationOptions;
}

/** Every pair on every model, resumable; writes swap.jsonl and swap.summary.json. */
export async function runSwapProbe(options: SwapProbeOptions): Promise<{ summaryPath: string; rows: SwapRow[]; resumed: number; precisionAgreement?: PrecisionReport }> {
  const { models, pairs, settings } = options;
  const batches = new ProbeBatches(settings.batch ?? DEFAULT_BATCH_ROWS);
  const units = models.flatMap((model) => {
    const release = () => batches.release(model.runtime);
    return pairs.map((pair) => ({ key: `${model.role}:${pair.id}`, label: `${model.role.toUpperCase()} ${pair.id}`, run: (cancel: CancelToken) => swapPair(model, pair, settings, cancel, batches.of(model.runtime, cancel)), release }));
  });
  const { reuse: _reuse, batch: _batch, ...defining } = settings;
  const recorded = { ...defining, pairs: pairs.map((pair) => pair.id), models: models.map((model) => ({ role: model.role, dir: model.dir })) };
  const inputs = {
    checkpoints: Object.fromEntries(models.map((model) => [model.role.toUpperCase(), model.runtime.checkpoint])),
    files: pairs.map((pair) => pair.file),
    images: pairs.flatMap((pair) => [pair.targetImage, pair.sourceImage]),
    items: pairs,
  };
  const { records, resumed } = await runProbeUnits<SwapItem>({ probe: 'swap', outDir: options.outDir, settings: recorded, inputs, precision: models[0]!.runtime.precision, checkRecord: (record) => (Array.isArray(record.runs) ? null : 'not a swap result (no "runs")'), units, batches, concurrency: ITEMS_IN_FLIGHT, resume: options.resume, progress: options.progress, cancel: options.cancel });
  const rows = swapRows(records);
  const precisionAgreement = await swapCalibration(options, records);
  const { path } = writeProbeSummary(options.outDir, 'swap', { settings: recorded, models: models.map(modelRecord), ...(precisionAgreement && { precisionAgreement }), layers: models[0]!.runtime.config.decoder.layers, items: pairs.length, rows });
  return { summaryPath: path, rows, resumed, precisionAgreement };
}

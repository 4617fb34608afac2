/**
 * A runnable checkpoint: its config, weights and graph cache, with onnxruntime sessions started on
 * first use and released on demand. A decoder call runs one prompt, or several rows of the same
 * length decoded together (a batch without padding: see batchedGenerate.ts); each graph variant
 * (tap set, logits mode, first layer) has its own session so a plain run never pays for a tap.
 *
 * Each session holds its own float32 copy of its weights, so layer slices (graphs from layer L, one
 * per L) could hold up to N/2 models' worth of weights: they share a byte budget (sliceSessionBytes).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { openCheckpoint, type Checkpoint } from '../checkpoint/checkpoint';
import { FrankenlensError } from '../errors';
import { buildDecoderGraph, buildEmbeddingGraph, decoderInputName, decoderWeightBytes, pastKeyName, pastValueName, presentKeyName, presentValueName, type DecoderGraphOptions } from './decoderGraph';
import { cachedGraph, checkpointKey } from './graphCache';
import { readModelConfig, type DecoderConfig, type ModelConfig } from './modelConfig';
import { ModelWeights } from './modelWeights';
import { startSession, type SessionSettings, type StartedSession } from './sessions';
import { TAP_NAMES, tapsKey } from './taps';
import { buildVisionGraph } from './visionGraph';
import type { VisionInputs } from './visionInputs';

export interface RuntimeOptions extends SessionSettings {
  /** Graph cache root; default ~/.cache/frankenlens/graphs (see graphCache.ts for the layout). */
  cacheDir?: string;
  /**
   * Float32 weight bytes (decoderWeightBytes) that layer-slice sessions (fromLayer > 0) keep loaded
   * together, first come first kept. A slice that does not fit stays loaded only until the next
   * slice starts. Default: the whole decoder's weight bytes, so slices at most double the weight
   * memory of one full graph (plus the one slice that did not fit), and at least 1 GiB, so a small
   * model keeps every slice instead of restarting sessions. 0 keeps no slice.
   */
  sliceSessionBytes?: number;
}

export function defaultGraphCacheDir(): string {
  return join(homedir(), '.cache', 'frankenlens', 'graphs');
}

/** Per-layer keys and values of the positions seen so far, as the decoder's present.* returned them. */
export interface KvCache {
  length: number;
  keys: ort.Tensor[];
  values: ort.Tensor[];
}

export interface TapInputs {
  /** [total] 1 at the key positions whose attention mass is measured. Default: none. */
  massKeys?: Float32Array;
  /** [rows · layers · 2] attention and MLP multipliers per layer, row after row. Default: all 1. */
  gates?: Float32Array;
  /**
   * Replacement K/V at absolute `positions`, which must be among this step's new positions:
   * `keys`/`values` are [layers, 1, kv_heads, positions.length, head_dim]. Default: none. One row only.
   */
  kvOverride?: { positions: readonly number[]; keys: Float32Array; values: Float32Array; layers: readonly boolean[] };
  /** [layers · rows · total] added to each layer's attention scores at every key position. Default: all 0. */
  keyBias?: Float32Array;
}

export interface DecoderStep {
  /** Rows decoded together (default 1): every row has the same past and new lengths, nothing is padded. */
  rows?: number;
  /** [rows · sequence · hidden] embeddings of the new positions; for a layer slice, the residual stream entering its first layer. */
  embeds: Float32Array;
  /** [3 · rows · sequence] M-RoPE positions (t rows, h rows, w rows). */
  positions: BigInt64Array;
  /** The past positions' K/V, batch dimension = rows (a layer slice reads only its own layers'). */
  cache: KvCache;
  taps?: TapInputs;
  /**
   * For a layer slice (fromLayer > 0): a cache over every past and new position (e.g. a clean
   * run's, when the layers below the slice cannot see what differs) whose layers below fromLayer
   * the result's cache takes as they are.
   */
  lowerLayers?: KvCache;
}

export interface DecoderResult {
  /** [rows, 1 or sequence, vocab] */
  logits: Float32Array;
  cache: KvCache;
  /** [layers − fromLayer, sequence] when the attentionMass tap is on. */
  attentionMass?: Float32Array;
  /** [layers − fromLayer + 1, sequence, hidden] when the hiddenStates tap is on (the first: the graph's input). */
  hiddenStates?: Float32Array;
}

/**
 * A whole-decoder, one-row result's residual stream entering `layer` (its hiddenStates tap) at the
 * positions from `start` on: what a layer slice from `layer` takes as input.
 */
export function streamEntering(result: DecoderResult, layer: number, start: number, hiddenSize: number): Float32Array {
  const length = result.cache.length;
  return result.hiddenStates!.subarray((layer * length + start) * hiddenSize, (layer + 1) * length * hiddenSize);
}

/** Weights that need not all come from the runtime's checkpoint (a merge variant: see variantRuntime.ts). */
export interface RuntimeWeights {
  weights: ModelWeights;
  /** The graph cache key: must change whenever any tensor's bytes or source can. */
  cacheKey: string;
}

export class ModelRuntime {
  readonly config: ModelConfig;
  readonly weights: ModelWeights;
  private readonly key: string;
  private readonly sessions = new Map<string, Promise<StartedSession>>();
  /** Slice sessions kept within the budget (name → weight bytes), and the one that did not fit. */
  private readonly keptSlices = new Map<string, number>();
  private passingSlice: string | undefined;

  /**
   * @param checkpoint gives config.json (and, to callers, the tokenizer and processor files).
   * @param source the weights, by default the checkpoint's own.
   */
  constructor(
    readonly checkpoint: Checkpoint,
    private readonly options: RuntimeOptions = {},
    source: RuntimeWeights = { weights: ModelWeights.of(checkpoint), cacheKey: checkpointKey([checkpoint]) },
  ) {
    this.config = readModelConfig(checkpoint);
    this.weights = source.weights;
    this.key = source.cacheKey;
  }

  static open(dir: string, options: RuntimeOptions = {}): ModelRuntime {
    return new ModelRuntime(openCheckpoint(dir), options);
  }

  /** Path of a graph file (building it if not cached), for inspection or tests. */
  graphPath(graph: GraphSpec): string {
    const { decoder, vision } = this.config;
    const cacheRoot = this.options.cacheDir ?? defaultGraphCacheDir();
    return cachedGraph(cacheRoot, this.key, graphName(graph), this.weights.files(), (builder) => {
      if (graph === 'embedding') buildEmbeddingGraph(builder, decoder, this.weights);
      else if (graph === 'vision') {
        if (!vision) throw new FrankenlensError('InvalidArgument', `${this.checkpoint.path}: a ${this.config.modelType} model has no vision tower`, this.checkpoint.path);
        buildVisionGraph(builder, vision, this.weights);
      } else buildDecoderGraph(builder, decoder, this.weights, graph);
    }).path;
  }

  /** The provider a graph's session runs on (starting it if needed). */
  async provider(graph: GraphSpec): Promise<'cpu' | 'cuda'> {
    return (await this.session(graph)).provider;
  }

  private session(graph: GraphSpec): Promise<StartedSession> {
    const name = graphName(graph);
    let started = this.sessions.get(name);
    if (!started) {
      const fromLayer = typeof graph === 'string' ? 0 : graph.fromLayer ?? 0;
      const path = this.graphPath(graph);
      started = fromLayer > 0 ? this.admitSlice(name, fromLayer).then(() => startSession(path, this.options)) : startSession(path, this.options);
      this.sessions.set(name, started);
      started.catch(() => {
        this.sessions.delete(name);
        this.keptSlices.delete(name);
      });
    }
    return started;
  }

  /** Makes room for a new slice session: releases the slice that did not fit, and keeps this one if the budget allows. */
  private async admitSlice(name: string, fromLayer: number): Promise<void> {
    const passing = this.passingSlice;
    this.passingSlice = undefined;
    if (passing !== undefined) await this.unloadNamed(passing);
    if (this.sliceFits(fromLayer)) this.keptSlices.set(name, decoderWeightBytes(this.config.decoder, fromLayer));
    else this.passingSlice = name;
  }

  private sliceFits(fromLayer: number): boolean {
    const budget = this.options.sliceSessionBytes ?? Math.max(decoderWeightBytes(this.config.decoder), 2 ** 30);
    const kept = [...this.keptSlices.values()].reduce((total, size) => total + size, 0);
    return kept + decoderWeightBytes(this.config.decoder, fromLayer) <= budget;
  }

  /**
   * Whether a layer slice's session is kept, or would be if it started now. A caller that can do
   * without the slice (run the whole decoder instead) uses it only then, so that it does not start
   * and release the same sessions item after item.
   */
  keepsSlice(graph: DecoderGraphOptions): boolean {
    return this.keptSlices.has(graphName(graph)) || (!this.sessions.has(graphName(graph)) && this.sliceFits(graph.fromLayer ?? 0));
  }

  async embed(ids: readonly number[]): Promise<Float32Array> {
    const { session } = await this.session('embedding');
    const out = await session.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]) });
    return out.inputs_embeds!.data as Float32Array;
  }

  async encodeImages(inputs: VisionInputs): Promise<Float32Array> {
    const { session } = await this.session('vision');
    const patches = inputs.rotaryPositionIds.length / 2;
    const out = await session.run({
      pixel_values: new ort.Tensor('float32', inputs.pixelValues, [patches, inputs.pixelValues.length / patches]),
      rotary_position_ids: new ort.Tensor('int64', inputs.rotaryPositionIds, [patches, 2]),
      window_index: new ort.Tensor('int64', inputs.windowIndex, [inputs.windowIndex.length]),
      inverse_window_index: new ort.Tensor('int64', inputs.inverseWindowIndex, [inputs.inverseWindowIndex.length]),
      window_segments: new ort.Tensor('int64', inputs.windowSegments, [patches]),
      full_attention_segments: new ort.Tensor('int64', inputs.fullAttentionSegments, [patches]),
    });
    return out.image_embeds!.data as Float32Array;
  }

  emptyCache(): KvCache {
    const { layers, kvHeads, headDim } = this.config.decoder;
    const empty = () => new ort.Tensor('float32', new Float32Array(0), [1, kvHeads, 0, headDim]);
    return { length: 0, keys: Array.from({ length: layers }, empty), values: Array.from({ length: layers }, empty) };
  }

  async decode(step: DecoderStep, graph: DecoderGraphOptions): Promise<DecoderResult> {
    const { hiddenSize, layers, kvHeads, headDim } = this.config.decoder;
    const rows = step.rows ?? 1;
    const sequence = step.embeds.length / (rows * hiddenSize);
    if (!Number.isInteger(sequence) || step.positions.length !== 3 * rows * sequence) {
      throw new FrankenlensError('InvalidArgument', `decoder step: ${step.embeds.length} embedding values and ${step.positions.length} position ids do not describe ${rows} row(s) of one sequence of hidden size ${hiddenSize}`);
    }
    const total = step.cache.length + sequence;
    const fromLayer = graph.fromLayer ?? 0;
    const cacheRows = step.cache.keys[fromLayer]!.dims[0];
    if (cacheRows !== rows) throw new FrankenlensError('InvalidArgument', `decoder step of ${rows} row(s): the cache holds ${cacheRows}`);
    if (rows > 1 && step.taps?.kvOverride) throw new FrankenlensError('InvalidArgument', `decoder step of ${rows} rows: a K/V override applies to one row only`);
    const lowerLayers = step.lowerLayers;
    if (fromLayer > 0 && lowerLayers?.length !== total) {
      throw new FrankenlensError('InvalidArgument', `decoder step from layer ${fromLayer}: the K/V of layers 0..${fromLayer - 1} must cover all ${total} positions, got ${lowerLayers ? lowerLayers.length : 'none'}`);
    }
    const { session } = await this.session(graph);
    const feeds: Record<string, ort.Tensor> = {
      [decoderInputName(fromLayer)]: new ort.Tensor('float32', step.embeds, [rows, sequence, hiddenSize]),
      position_ids: new ort.Tensor('int64', step.positions, [3, rows, sequence]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(rows * total).fill(1n), [rows, total]),
    };
    for (let layer = fromLayer; layer < layers; layer++) {
      feeds[pastKeyName(layer)] = step.cache.keys[layer]!;
      feeds[pastValueName(layer)] = step.cache.values[layer]!;
    }
    const taps = step.taps ?? {};
    if (graph.taps.attentionMass) feeds[TAP_NAMES.massKeys] = new ort.Tensor('float32', taps.massKeys ?? new Float32Array(total), [1, 1, total, 1]);
    if (graph.taps.gates) feeds[TAP_NAMES.gates] = new ort.Tensor('float32', taps.gates ?? new Float32Array(rows * layers * 2).fill(1), [rows, layers * 2]);
    if (graph.taps.kvOverride) {
      const { mask, keys, values } = denseKvOverride(taps.kvOverride, step.cache.length, sequence, this.config.decoder);
      feeds[TAP_NAMES.overrideMask] = new ort.Tensor('bool', mask, [layers, 1, sequence, 1]);
      feeds[TAP_NAMES.overrideKeys] = new ort.Tensor('float32', keys, [layers, kvHeads, sequence, headDim]);
      feeds[TAP_NAMES.overrideValues] = new ort.Tensor('float32', values, [layers, kvHeads, sequence, headDim]);
    }
    if (graph.taps.keyBias) feeds[TAP_NAMES.keyBias] = new ort.Tensor('float32', taps.keyBias ?? new Float32Array(layers * rows * total), [layers, rows, 1, 1, total]);
    const out = await session.run(feeds);
    const result: DecoderResult = {
      logits: out.logits!.data as Float32Array,
      cache: {
        length: total,
        keys: Array.from({ length: layers }, (_, layer) => (layer < fromLayer ? lowerLayers!.keys[layer]! : out[presentKeyName(layer)]!)),
        values: Array.from({ length: layers }, (_, layer) => (layer < fromLayer ? lowerLayers!.values[layer]! : out[presentValueName(layer)]!)),
      },
    };
    if (graph.taps.attentionMass) result.attentionMass = out[TAP_NAMES.mass]!.data as Float32Array;
    if (graph.taps.hiddenStates) result.hiddenStates = out[TAP_NAMES.hiddenStates]!.data as Float32Array;
    return result;
  }

  /** Names (graphName) of the graphs whose sessions are loaded or starting. */
  loadedGraphs(): string[] {
    return [...this.sessions.keys()];
  }

  /** Releases one graph's session (or all): its memory is freed, the graph file stays cached. */
  async unload(graph?: GraphSpec): Promise<void> {
    const names = graph === undefined ? [...this.sessions.keys()] : [graphName(graph)];
    for (const name of names) await this.unloadNamed(name);
  }

  private async unloadNamed(name: string): Promise<void> {
    const started = this.sessions.get(name);
    this.sessions.delete(name);
    this.keptSlices.delete(name);
    if (this.passingSlice === name) this.passingSlice = undefined;
    if (started) await (await started).session.release();
  }
}

/** Which graph: the token embedding, the vision tower, or a decoder variant. */
export type GraphSpec = 'embedding' | 'vision' | DecoderGraphOptions;

/** The graph's file name in the cache (decoder variants by their taps, logits mode and first layer). */
export function graphName(graph: GraphSpec): string {
  if (typeof graph === 'string') return graph;
  const slice = graph.fromLayer ? `-from${graph.fromLayer}` : '';
  return `decoder-${tapsKey(graph.taps)}-${graph.logits}${slice}`;
}

/**
 * The graph's K/V override inputs for a step whose new positions are [past, past + sequence): a
 * mask [layers, 1, sequence, 1] and keys/values [layers, kv_heads, sequence, head_dim], the override
 * written at its positions of the selected layers.
 */
function denseKvOverride(override: TapInputs['kvOverride'], past: number, sequence: number, config: DecoderConfig): { mask: Uint8Array; keys: Float32Array; values: Float32Array } {
  const { layers, kvHeads, headDim } = config;
  const mask = new Uint8Array(layers * sequence);
  const keys = new Float32Array(layers * kvHeads * sequence * headDim);
  const values = new Float32Array(keys.length);
  if (!override) return { mask, keys, values };
  const count = override.positions.length;
  const expected = layers * kvHeads * count * headDim;
  if (override.keys.length !== expected || override.values.length !== expected || override.layers.length !== layers) {
    throw new FrankenlensError('InvalidArgument', `K/V override: expected keys and values of ${expected} values ([${layers}, 1, ${kvHeads}, ${count}, ${headDim}]) and ${layers} layer flags, got ${override.keys.length}, ${override.values.length} and ${override.layers.length}`);
  }
  for (const position of override.positions) {
    if (!(Number.isInteger(position) && position >= past && position < past + sequence)) {
      throw new FrankenlensError('InvalidArgument', `K/V override position ${position} is not among this step's new positions ${past}..${past + sequence - 1}; earlier positions come from the cache`);
    }
  }
  for (let layer = 0; layer < layers; layer++) {
    if (!override.layers[layer]) continue;
    for (const position of override.positions) mask[layer * sequence + position - past] = 1;
    for (let head = 0; head < kvHeads; head++) {
      override.positions.forEach((position, slot) => {
        const from = ((layer * kvHeads + head) * count + slot) * headDim;
        const to = ((layer * kvHeads + head) * sequence + position - past) * headDim;
        keys.set(override.keys.subarray(from, from + headDim), to);
        values.set(override.values.subarray(from, from + headDim), to);
      });
    }
  }
  return { mask, keys, values };
}

/**
 * A K/V override that carries a source run's cached keys and values at `positions` into the same
 * positions of the `layers` marked true (the visual-token swap: single layer or suffix).
 */
export function kvOverrideFrom(source: KvCache, positions: readonly number[], layers: readonly boolean[]): NonNullable<TapInputs['kvOverride']> {
  const [, kvHeads, total, headDim] = source.keys[0]!.dims as number[];
  const count = positions.length;
  const block = kvHeads! * count * headDim!;
  const keys = new Float32Array(source.keys.length * block);
  const values = new Float32Array(keys.length);
  for (let layer = 0; layer < source.keys.length; layer++) {
    const layerKeys = source.keys[layer]!.data as Float32Array;
    const layerValues = source.values[layer]!.data as Float32Array;
    for (let head = 0; head < kvHeads!; head++) {
      positions.forEach((position, slot) => {
        if (!(position >= 0 && position < total!)) throw new FrankenlensError('InvalidArgument', `K/V override position ${position} is outside the source run's ${total} positions`);
        const from = (head * total! + position) * headDim!;
        const to = layer * block + (head * count + slot) * headDim!;
        keys.set(layerKeys.subarray(from, from + headDim!), to);
        values.set(layerValues.subarray(from, from + headDim!), to);
      });
    }
  }
  return { positions, keys, values, layers };
}

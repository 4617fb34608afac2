/**
 * A runnable checkpoint, one session per decoder layer chained in JS: a weight-free prelude (rotary
 * tables and mask, once per step), the layers (every analysis tap compiled in, neutral unless a step
 * gives it), and a head (final norm and LM head, logits only for the positions asked for). Each
 * weight is held once per loaded model, as float32 (decoderWeightBytes), or, opted in, with the
 * projections and LM head in 8-bit blocks (precision 'int8'); token embeddings are read from the
 * weight files; the vision tower (always float32) is loaded on the first image (and, when memory is
 * short, only while images are encoded).
 *
 * Sessions are shared by graph file (sessions.ts), and a layer's graph file depends only on the
 * checkpoint it comes from, so a Frankenstein variant (variantRuntime.ts) is a choice of each
 * layer's session from IN or RL and costs no memory beyond the two models. A layer slice is a step
 * that starts the chain at layer L; ablation is a gate. The K/V cache is held here (kvCache.ts):
 * each layer writes only its new positions, straight into the cache.
 */
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { openCheckpoint, type Checkpoint } from '../checkpoint/checkpoint';
import { FrankenlensError } from '../errors';
import { oneAtATime } from '../exclusive';
import { buildHeadGraph, buildLayerGraph, buildPreludeGraph, DECODER_NAMES as N, headWeightName } from './decoderGraph';
import { cachedGraph, checkpointKey } from './graphCache';
import { WEIGHT_PRECISIONS, type WeightPrecision } from './graphOps';
import { appendTarget, emptyKvCache, kvAt, positionsView, type KvCache } from './kvCache';
import { readModelConfig, type DecoderConfig, type ModelConfig } from './modelConfig';
import { ModelWeights } from './modelWeights';
import type { GraphBuilder } from './onnxGraph';
import { acquireSession, releaseSession, type SessionSettings, type StartedSession } from './sessions';
import { TAP_NAMES, type DecoderTaps } from './taps';
import { TokenEmbedding } from './tokenEmbedding';
import { buildVisionGraph } from './visionGraph';
import type { VisionInputs } from './visionInputs';

export type { KvCache } from './kvCache';

export interface RuntimeOptions extends SessionSettings {
  /** Graph cache root; default ~/.cache/frankenlens/graphs (see graphCache.ts for the layout). */
  cacheDir?: string;
  /**
   * How the decoder's projections and LM head are held (graphOps.ts): float32 (default) or int8,
   * opt-in, for when float32 does not fit; it changes the results, so it is part of a run's identity.
   */
  precision?: WeightPrecision;
  /**
   * Release the vision tower after each encoding (default: kept until unload). Starting it costs
   * seconds to a minute on a 7B model (its weights are cast and transposed at session start), so
   * this is for when its float32 weights do not fit beside the decoder's (the memory planner says).
   */
  releaseVisionAfterEncoding?: boolean;
  /**
   * Told before each session this runtime starts ("loading in: layer 7 of 28"): starting a 7B
   * model's sessions takes minutes on a CPU box (its weights are cast to float32 at load).
   */
  onLoad?: (message: string) => void;
}

/** Every runtime's vision encodings, one at a time (see encodeImages). */
const encodingOneAtATime = oneAtATime();

export function defaultGraphCacheDir(): string {
  return join(homedir(), '.cache', 'frankenlens', 'graphs');
}

export interface TapInputs {
  /** [total] 1 at the key positions whose attention mass is measured. Default: none. */
  massKeys?: Float32Array;
  /** [rows · layers · 2] attention and MLP multipliers per layer, row after row. Default: all 1. */
  gates?: Float32Array;
  /**
   * Replacement K/V at absolute `positions`, which must be among this step's new positions:
   * `keys`/`values` are [layers, positions.length, kv_heads, head_dim]. Default: none. One row only.
   */
  kvOverride?: { positions: readonly number[]; keys: Float32Array; values: Float32Array; layers: readonly boolean[] };
  /** [layers · rows · total] added to each layer's attention scores at every key position. Default: all 0. */
  keyBias?: Float32Array;
}

export interface DecoderStep {
  /** Rows decoded together (default 1): every row has the same past and new lengths; shorter rows are left-padded and masked (attentionMask). */
  rows?: number;
  /** [rows · sequence · hidden] embeddings of the new positions; from layer L > 0, the residual stream entering L. */
  embeds: Float32Array;
  /** [3 · rows · sequence] M-RoPE positions (t rows, h rows, w rows). */
  positions: BigInt64Array;
  /** The past positions' K/V, rows = rows (a step from layer L reads only layers ≥ L). */
  cache: KvCache;
  /** [rows · (past + sequence)] 1 = attend, 0 = padding (rows of different lengths, left-padded). Default: all 1. */
  attentionMask?: BigInt64Array;
  taps?: TapInputs;
  /**
   * From layer L > 0: a cache over every past and new position (e.g. a clean run's, when the layers
   * below L cannot see what differs) whose layers below L the result's cache takes as they are.
   */
  lowerLayers?: KvCache;
  /** Positions the result's cache should have room for (e.g. prompt + answer cap), so later steps append in place. */
  reserve?: number;
}

/** What one step runs and collects. */
export interface StepOptions {
  /** Outputs to collect (the tap inputs are in DecoderStep.taps). */
  taps: DecoderTaps;
  /** 'last': logits of the last position only (decoding); 'all': every position. */
  logits: 'last' | 'all';
  /** First layer the step runs (default 0: the whole decoder from the embeddings). */
  fromLayer?: number;
}

export interface DecoderResult {
  /** [rows, 1 or sequence, vocab] */
  logits: Float32Array;
  cache: KvCache;
  /** [layers − fromLayer, rows, sequence] when the attentionMass tap is on. */
  attentionMass?: Float32Array;
  /** [layers − fromLayer + 1, rows, sequence, hidden] when the hiddenStates tap is on (the first: the step's input). */
  hiddenStates?: Float32Array;
}

/**
 * A whole-decoder, one-row result's residual stream entering `layer` (its hiddenStates tap) at the
 * positions from `start` on: what a step from `layer` takes as input.
 */
export function streamEntering(result: DecoderResult, layer: number, start: number, hiddenSize: number): Float32Array {
  const length = result.cache.length;
  return result.hiddenStates!.subarray((layer * length + start) * hiddenSize, (layer + 1) * length * hiddenSize);
}

/** Weights that need not all come from the runtime's checkpoint (a merge variant: see variantRuntime.ts). */
export interface RuntimeWeights {
  weights: ModelWeights;
  /** Every checkpoint the weights point into: a graph's cache folder is that of the checkpoints its tensors come from. */
  sources: readonly Checkpoint[];
}

/** The graphs a runtime runs. */
export type GraphSpec = 'prelude' | 'head' | 'vision' | { layer: number };

function graphName(graph: GraphSpec): string {
  return typeof graph === 'string' ? graph : `layer-${graph.layer}`;
}

function describeGraph(graph: GraphSpec, layers: number): string {
  if (typeof graph !== 'string') return `layer ${graph.layer + 1} of ${layers}`;
  return { prelude: 'rotary and mask', head: 'final norm and LM head', vision: 'vision tower' }[graph];
}

export class ModelRuntime {
  readonly config: ModelConfig;
  /** The provider this model's sessions ran on, once one has started (kept after unload, for results). */
  providerUsed: 'cpu' | 'cuda' | undefined;
  /** How the decoder's projections and LM head are held (recorded in results beside the provider). */
  readonly precision: WeightPrecision;
  readonly weights: ModelWeights;
  private readonly sources: readonly Checkpoint[];
  private readonly owners = new Map<string, number>();
  private readonly graphPaths = new Map<string, string>();
  /** Graph files this runtime holds a shared session of (one use each). */
  private readonly held = new Map<string, Promise<StartedSession>>();
  private embedding: TokenEmbedding | undefined;
  private readonly prefillOneAtATime = oneAtATime();
  /** Encodings in flight: the vision tower is released when the last one ends. */
  private encodings = 0;

  /**
   * @param checkpoint gives config.json (and, to callers, the tokenizer and processor files).
   * @param source the weights, by default the checkpoint's own.
   */
  constructor(
    readonly checkpoint: Checkpoint,
    /** As opened (a float32 twin for an int8 run's calibration is opened with the same ones). */
    readonly options: RuntimeOptions = {},
    source: RuntimeWeights = { weights: ModelWeights.of(checkpoint), sources: [checkpoint] },
  ) {
    this.config = readModelConfig(checkpoint);
    this.precision = options.precision ?? 'float32';
    if (!WEIGHT_PRECISIONS.includes(this.precision)) throw new FrankenlensError('InvalidArgument', `precision "${String(this.precision)}" is not one of ${WEIGHT_PRECISIONS.join(', ')}`);
    // The 8-bit kernels measured and tested are the CPU provider's; a GPU runs float32 weights.
    if (this.precision === 'int8' && options.executionProvider === 'cuda') throw new FrankenlensError('InvalidArgument', `${checkpoint.path}: int8 weights are a CPU mode; run with --device cpu, or with float32 weights on CUDA`, checkpoint.path);
    this.weights = source.weights;
    this.sources = source.sources;
    source.sources.forEach((owner, index) => owner.files.forEach((file) => this.owners.set(file.path, index)));
  }

  /** What messages call this model: its folder's name, or the plan's. */
  get name(): string {
    return this.sources.length === 1 && this.sources[0] === this.checkpoint ? basename(this.checkpoint.path) : this.weights.source;
  }

  static open(dir: string, options: RuntimeOptions = {}): ModelRuntime {
    return new ModelRuntime(openCheckpoint(dir), options);
  }

  /**
   * Path of a graph file (building it if not cached). A graph's folder is keyed by the checkpoints
   * its tensors come from, the config it is built with and its precision (the layers and head take
   * the runtime's; the prelude and vision tower are float32 in every runtime), so the same layer of
   * the same checkpoint in the same precision is the same file for every runtime that runs it.
   */
  graphPath(graph: GraphSpec): string {
    const name = graphName(graph);
    const known = this.graphPaths.get(name);
    if (known) return known;
    const { decoder, vision } = this.config;
    let build: (builder: GraphBuilder) => void;
    let tensors: string[];
    let shape: unknown = decoder;
    let precision: WeightPrecision = 'float32';
    if (graph === 'prelude') {
      tensors = [];
      build = (builder) => buildPreludeGraph(builder, decoder);
    } else if (graph === 'head') {
      tensors = ['model.norm.weight', headWeightName(decoder)];
      precision = this.precision;
      build = (builder) => buildHeadGraph(builder, decoder, this.weights, precision);
    } else if (graph === 'vision') {
      if (!vision) throw new FrankenlensError('InvalidArgument', `${this.checkpoint.path}: a ${this.config.modelType} model has no vision tower`, this.checkpoint.path);
      tensors = this.weights.names().filter((tensor) => tensor.startsWith('visual.'));
      shape = vision;
      build = (builder) => buildVisionGraph(builder, vision, this.weights);
    } else {
      if (!(Number.isInteger(graph.layer) && graph.layer >= 0 && graph.layer < decoder.layers)) throw new FrankenlensError('InvalidArgument', `decoder layer ${graph.layer} is outside the decoder's layers 0..${decoder.layers - 1}`);
      tensors = this.weights.names().filter((tensor) => tensor.startsWith(`model.layers.${graph.layer}.`));
      precision = this.precision;
      build = (builder) => buildLayerGraph(builder, decoder, this.weights, graph.layer, precision);
    }
    const owners = [...new Set(tensors.map((tensor) => this.ownerOf(tensor)))].sort((a, b) => a - b);
    if (owners.length === 0) owners.push(this.ownerOf(undefined));
    const selection = owners.length > 1 ? tensors.map((tensor) => [tensor, this.ownerOf(tensor)]) : undefined;
    const checkpoints = owners.map((owner) => this.sources[owner]!);
    const key = checkpointKey(checkpoints, { shape, selection }, precision);
    const files = checkpoints.flatMap((checkpoint) => checkpoint.files.map((file) => file.path));
    const path = cachedGraph(this.options.cacheDir ?? defaultGraphCacheDir(), key, name, files, build).path;
    this.graphPaths.set(name, path);
    return path;
  }

  /** Index in `sources` of the checkpoint a tensor's bytes come from (the runtime's own checkpoint for none). */
  private ownerOf(tensor: string | undefined): number {
    if (tensor === undefined) return Math.max(0, this.sources.indexOf(this.checkpoint));
    const file = this.weights.location(tensor).file;
    const owner = this.owners.get(file);
    if (owner === undefined) throw new FrankenlensError('InvalidArgument', `${file}: tensor "${tensor}" lies in no checkpoint of this model`, file, tensor);
    return owner;
  }

  private session(graph: GraphSpec): Promise<StartedSession> {
    const path = this.graphPath(graph);
    let started = this.held.get(path);
    if (!started) {
      started = acquireSession(path, this.options, this.options.onLoad && (() => this.options.onLoad!(`loading ${this.name}: ${describeGraph(graph, this.config.decoder.layers)}`)));
      this.held.set(path, started);
      started.then(({ provider }) => (this.providerUsed = provider), () => this.held.delete(path));
    }
    return started;
  }

  /** Starts every decoder session now (prelude, layers, head) instead of on first use. */
  async load(): Promise<void> {
    const { layers } = this.config.decoder;
    await Promise.all([this.session('prelude'), ...Array.from({ length: layers }, (_, layer) => this.session({ layer })), this.session('head')]);
  }

  /** The provider the decoder runs on (starting its head session if needed). */
  async provider(): Promise<'cpu' | 'cuda'> {
    return (await this.session('head')).provider;
  }

  async embed(ids: readonly number[]): Promise<Float32Array> {
    this.embedding ??= new TokenEmbedding(this.weights.get('model.embed_tokens.weight', [this.config.decoder.vocabSize, this.config.decoder.hiddenSize]));
    return this.embedding.rows(ids);
  }

  /** The vision tower encodes one request at a time, across runtimes: its activations are the largest a command holds. */
  async encodeImages(inputs: VisionInputs): Promise<Float32Array> {
    return encodingOneAtATime(() => this.encodeNow(inputs));
  }

  private async encodeNow(inputs: VisionInputs): Promise<Float32Array> {
    this.encodings++;
    try {
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
    } finally {
      if (--this.encodings === 0 && this.options.releaseVisionAfterEncoding) await this.release(this.graphPath('vision'));
    }
  }

  emptyCache(rows = 1): KvCache {
    const { layers, kvHeads, headDim } = this.config.decoder;
    return emptyKvCache(layers, rows, kvHeads, headDim);
  }

  /**
   * One decoder step. Steps over several positions (prefills, teacher-forced passes) of one runtime
   * run one at a time, so items in flight hold one prefill's activations per model; single-position
   * steps (decoding) run as they come.
   */
  async decode(step: DecoderStep, options: StepOptions): Promise<DecoderResult> {
    const rows = step.rows ?? 1;
    if (step.embeds.length > rows * this.config.decoder.hiddenSize) return this.prefillOneAtATime(() => this.decodeNow(step, options));
    return this.decodeNow(step, options);
  }

  private async decodeNow(step: DecoderStep, options: StepOptions): Promise<DecoderResult> {
    const { hiddenSize, layers } = this.config.decoder;
    const rows = step.rows ?? 1;
    const sequence = step.embeds.length / (rows * hiddenSize);
    if (!Number.isInteger(sequence) || sequence < 1 || step.positions.length !== 3 * rows * sequence) {
      throw new FrankenlensError('InvalidArgument', `decoder step: ${step.embeds.length} embedding values and ${step.positions.length} position ids do not describe ${rows} row(s) of one sequence of hidden size ${hiddenSize}`);
    }
    const past = step.cache.length;
    const total = past + sequence;
    const fromLayer = options.fromLayer ?? 0;
    if (!(Number.isInteger(fromLayer) && fromLayer >= 0 && fromLayer < layers)) throw new FrankenlensError('InvalidArgument', `decoder step: first layer ${fromLayer} is outside the decoder's layers 0..${layers - 1}`);
    if (step.cache.rows !== rows) throw new FrankenlensError('InvalidArgument', `decoder step of ${rows} row(s): the cache holds ${step.cache.rows}`);
    const taps = step.taps ?? {};
    if (rows > 1 && taps.kvOverride) throw new FrankenlensError('InvalidArgument', `decoder step of ${rows} rows: a K/V override applies to one row only`);
    const lowerLayers = step.lowerLayers;
    if (fromLayer > 0 && (lowerLayers?.length !== total || lowerLayers.rows !== rows)) {
      throw new FrankenlensError('InvalidArgument', `decoder step from layer ${fromLayer}: the K/V of layers 0..${fromLayer - 1} must cover all ${total} positions, got ${lowerLayers ? lowerLayers.length : 'none'}`);
    }
    checkTapSizes(taps, rows, layers, total);
    if (step.attentionMask && step.attentionMask.length !== rows * total) throw new FrankenlensError('InvalidArgument', `decoder step: the attention mask has ${step.attentionMask.length} values, expected ${rows * total} ([${rows} rows · ${total} positions])`);

    const prelude = await (await this.session('prelude')).session.run({
      [N.positions]: new ort.Tensor('int64', step.positions, [3, rows, sequence]),
      [N.attentionMask]: new ort.Tensor('int64', step.attentionMask ?? new BigInt64Array(rows * total).fill(1n), [rows, total]),
    });
    const shared = { [N.cos]: prelude[N.cos]!, [N.sin]: prelude[N.sin]!, [N.maskBias]: prelude[N.maskBias]! };
    const override = denseKvOverride(taps.kvOverride, past, sequence, this.config.decoder);
    // Mass keys have one entry per key position (the tap's MatMul does not broadcast them): all 0 when not asked.
    const massKeys = new ort.Tensor('float32', taps.massKeys ?? new Float32Array(total), [1, 1, total, 1]);
    const neutral = {
      keyBias: new ort.Tensor('float32', new Float32Array(1), [1, 1, 1, 1]),
      gates: new ort.Tensor('float32', new Float32Array([1, 1]), [1, 2]),
      overrideMask: new ort.Tensor('bool', new Uint8Array(1), [1, 1, 1, 1]),
      overrideKeys: new ort.Tensor('float32', new Float32Array(1), [1, 1, 1, 1]),
    };

    const stepSize = rows * sequence * hiddenSize;
    const slots = layers - fromLayer + 1;
    const hiddenStates = options.taps.hiddenStates ? new Float32Array(slots * stepSize) : undefined;
    hiddenStates?.set(step.embeds);
    const attentionMass = options.taps.attentionMass ? new Float32Array((layers - fromLayer) * rows * sequence) : undefined;
    const pingPong = hiddenStates ? [] : [new Float32Array(stepSize), new Float32Array(stepSize)];
    const cache: KvCache = { ...step.cache, length: total, keys: [...step.cache.keys], values: [...step.cache.values] };
    let hidden = step.embeds;
    for (let layer = fromLayer; layer < layers; layer++) {
      const slot = layer - fromLayer;
      const keys = appendTarget(step.cache.keys[layer]!, past, sequence, step.reserve);
      const values = appendTarget(step.cache.values[layer]!, past, sequence, step.reserve);
      cache.keys[layer] = keys;
      cache.values[layer] = values;
      const out = hiddenStates ? hiddenStates.subarray((slot + 1) * stepSize, (slot + 2) * stepSize) : pingPong[slot % 2]!;
      const last = layer === layers - 1;
      const target = last && hiddenStates ? new Float32Array(stepSize) : out;
      const feeds: Record<string, ort.Tensor> = {
        ...shared,
        [N.hidden]: new ort.Tensor('float32', hidden, [rows, sequence, hiddenSize]),
        [N.pastKey]: positionsView(step.cache, keys, 0, past),
        [N.pastValue]: positionsView(step.cache, values, 0, past),
        [TAP_NAMES.keyBias]: taps.keyBias ? new ort.Tensor('float32', taps.keyBias.subarray(layer * rows * total, (layer + 1) * rows * total), [rows, 1, 1, total]) : neutral.keyBias,
        [TAP_NAMES.gates]: taps.gates ? new ort.Tensor('float32', layerGates(taps.gates, rows, layers, layer), [rows, 2]) : neutral.gates,
        [TAP_NAMES.massKeys]: massKeys,
        ...(override?.[layer] ?? { [TAP_NAMES.overrideMask]: neutral.overrideMask, [TAP_NAMES.overrideKeys]: neutral.overrideKeys, [TAP_NAMES.overrideValues]: neutral.overrideKeys }),
      };
      const fetches: Record<string, ort.Tensor | null> = {
        [N.hiddenOut]: new ort.Tensor('float32', target, [rows, sequence, hiddenSize]),
        [N.newKey]: positionsView(step.cache, keys, past, sequence),
        [N.newValue]: positionsView(step.cache, values, past, sequence),
      };
      if (attentionMass) fetches[TAP_NAMES.mass] = new ort.Tensor('float32', attentionMass.subarray(slot * rows * sequence, (slot + 1) * rows * sequence), [rows, sequence]);
      await (await this.session({ layer })).session.run(feeds, fetches);
      hidden = target;
    }
    for (let layer = 0; layer < fromLayer; layer++) {
      cache.keys[layer] = lowerLayers!.keys[layer]!;
      cache.values[layer] = lowerLayers!.values[layer]!;
    }

    const headFetches: Record<string, ort.Tensor | null> = { [N.logits]: null };
    if (hiddenStates) headFetches[N.normed] = new ort.Tensor('float32', hiddenStates.subarray((slots - 1) * stepSize), [rows, sequence, hiddenSize]);
    const head = await (await this.session('head')).session.run({
      [N.hidden]: new ort.Tensor('float32', hidden, [rows, sequence, hiddenSize]),
      [N.logitsStart]: new ort.Tensor('int64', BigInt64Array.of(options.logits === 'last' ? -1n : 0n), [1]),
    }, headFetches);
    const result: DecoderResult = { logits: head[N.logits]!.data as Float32Array, cache };
    if (attentionMass) result.attentionMass = attentionMass;
    if (hiddenStates) result.hiddenStates = hiddenStates;
    return result;
  }

  /** Releases this runtime's sessions (a session another runtime still uses stays loaded); graph files stay cached. */
  async unload(): Promise<void> {
    for (const path of [...this.held.keys()]) await this.release(path);
    this.embedding?.close();
    this.embedding = undefined;
  }

  private async release(path: string): Promise<void> {
    if (!this.held.delete(path)) return;
    await releaseSession(path, this.options);
  }
}

function checkTapSizes(taps: TapInputs, rows: number, layers: number, total: number): void {
  const check = (name: string, values: Float32Array | undefined, expected: number, layout: string) => {
    if (values && values.length !== expected) throw new FrankenlensError('InvalidArgument', `decoder step: ${name} has ${values.length} values, expected ${expected} (${layout})`);
  };
  check('massKeys', taps.massKeys, total, `[${total}]`);
  check('gates', taps.gates, rows * layers * 2, `[${rows} rows · ${layers} layers · 2]`);
  check('keyBias', taps.keyBias, layers * rows * total, `[${layers} layers · ${rows} rows · ${total} positions]`);
}

/** Row-major [rows, 2] gates of one layer out of [rows · layers · 2]. */
function layerGates(gates: Float32Array, rows: number, layers: number, layer: number): Float32Array {
  const out = new Float32Array(rows * 2);
  for (let row = 0; row < rows; row++) out.set(gates.subarray((row * layers + layer) * 2, (row * layers + layer) * 2 + 2), row * 2);
  return out;
}

/**
 * Each overridden layer's K/V override inputs for a step whose new positions are [past, past +
 * sequence): a mask [sequence, 1, 1, 1] and keys/values [sequence, 1, kv_heads, head_dim] with the
 * override written at its positions; undefined for the layers it leaves alone (neutral inputs).
 */
function denseKvOverride(override: TapInputs['kvOverride'], past: number, sequence: number, config: DecoderConfig): (Record<string, ort.Tensor> | undefined)[] | undefined {
  if (!override) return undefined;
  const { layers, kvHeads, headDim } = config;
  const count = override.positions.length;
  const size = kvHeads * headDim;
  const expected = layers * count * size;
  if (override.keys.length !== expected || override.values.length !== expected || override.layers.length !== layers) {
    throw new FrankenlensError('InvalidArgument', `K/V override: expected keys and values of ${expected} values ([${layers}, ${count}, ${kvHeads}, ${headDim}]) and ${layers} layer flags, got ${override.keys.length}, ${override.values.length} and ${override.layers.length}`);
  }
  for (const position of override.positions) {
    if (!(Number.isInteger(position) && position >= past && position < past + sequence)) {
      throw new FrankenlensError('InvalidArgument', `K/V override position ${position} is not among this step's new positions ${past}..${past + sequence - 1}; earlier positions come from the cache`);
    }
  }
  return Array.from({ length: layers }, (_, layer) => {
    if (!override.layers[layer]) return undefined;
    const mask = new Uint8Array(sequence);
    const keys = new Float32Array(sequence * size);
    const values = new Float32Array(sequence * size);
    override.positions.forEach((position, slot) => {
      mask[position - past] = 1;
      const from = (layer * count + slot) * size;
      keys.set(override.keys.subarray(from, from + size), (position - past) * size);
      values.set(override.values.subarray(from, from + size), (position - past) * size);
    });
    return {
      [TAP_NAMES.overrideMask]: new ort.Tensor('bool', mask, [sequence, 1, 1, 1]),
      [TAP_NAMES.overrideKeys]: new ort.Tensor('float32', keys, [sequence, 1, kvHeads, headDim]),
      [TAP_NAMES.overrideValues]: new ort.Tensor('float32', values, [sequence, 1, kvHeads, headDim]),
    };
  });
}

/**
 * A K/V override that carries a source run's cached keys and values at `positions` into the same
 * positions of the `layers` marked true (the visual-token swap: single layer or suffix).
 */
export function kvOverrideFrom(source: KvCache, positions: readonly number[], layers: readonly boolean[]): NonNullable<TapInputs['kvOverride']> {
  const size = source.kvHeads * source.headDim;
  const count = positions.length;
  const keys = new Float32Array(source.keys.length * count * size);
  const values = new Float32Array(keys.length);
  for (let layer = 0; layer < source.keys.length; layer++) {
    positions.forEach((position, slot) => {
      keys.set(kvAt(source, 'keys', layer, position), (layer * count + slot) * size);
      values.set(kvAt(source, 'values', layer, position), (layer * count + slot) * size);
    });
  }
  return { positions, keys, values, layers };
}

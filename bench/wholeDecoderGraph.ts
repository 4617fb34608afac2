/**
 * The whole Qwen2 decoder as ONE onnxruntime graph: what every session was before the per-layer
 * runtime (commit 3a3b1e4's src/core/model/decoderGraph.ts, buildDecoderGraph with its helpers
 * mropeCosSin and causalMaskBias), kept here for `npm run bench -- layers` only, as the baseline
 * the chained per-layer sessions are timed against. Plain: no taps, logits of the last position,
 * the K/V cache in and out as past_key_values.{i}.* / present.{i}.* (the whole cache re-emitted
 * every step, as that runtime did).
 *
 * Built through the project's graph cache and builder (weights referenced from the safetensors
 * files as ONNX external data, bf16 cast to float32 when the session starts) and run with
 * onnxruntime-node directly; the token embeddings are read from the safetensors file in JS.
 */
import * as ort from 'onnxruntime-node';
import { openCheckpoint } from '../src/core/checkpoint/checkpoint';
import type { TensorLocation } from '../src/core/checkpoint/tensorInfo';
import { causalMaskBias, headWeightName, mropeCosSin } from '../src/core/model/decoderGraph';
import { chooseGreedy } from '../src/core/model/generate';
import { cachedGraph, checkpointKey } from '../src/core/model/graphCache';
import { applyRotary, gatedMlp, linear, rmsNorm } from '../src/core/model/graphOps';
import { readModelConfig, type DecoderConfig } from '../src/core/model/modelConfig';
import { ModelWeights } from '../src/core/model/modelWeights';
import type { GraphBuilder } from '../src/core/model/onnxGraph';
import { TokenEmbedding } from '../src/core/model/tokenEmbedding';

const pastKeyName = (layer: number) => `past_key_values.${layer}.key`;
const pastValueName = (layer: number) => `past_key_values.${layer}.value`;
const presentKeyName = (layer: number) => `present.${layer}.key`;
const presentValueName = (layer: number) => `present.${layer}.value`;

/** The old buildDecoderGraph with every tap off, logits 'last', from layer 0. */
function buildWholeDecoderGraph(b: GraphBuilder, config: DecoderConfig, weight: (name: string, shape: number[]) => TensorLocation): void {
  const { hiddenSize, layers, heads, kvHeads, headDim, intermediateSize } = config;
  const embeds = b.input('inputs_embeds', 'float', ['batch', 'sequence', hiddenSize]);
  const positions = b.input('position_ids', 'int64', [3, 'batch', 'sequence']);
  const attentionMask = b.input('attention_mask', 'int64', ['batch', 'total_sequence']);
  const kvDims = ['batch', kvHeads, 'past_sequence', headDim];
  for (let layer = 0; layer < layers; layer++) {
    b.input(pastKeyName(layer), 'float', kvDims);
    b.input(pastValueName(layer), 'float', kvDims);
  }
  const past = b.op('Shape', [pastKeyName(0)], { start: 2, end: 3 });
  const maskBias = causalMaskBias(b, past, b.op('Add', [past, b.op('Shape', [embeds], { start: 1, end: 2 })]), attentionMask);
  const { cos, sin } = mropeCosSin(b, positions, config, 1);
  const scale = b.scalar(1 / Math.sqrt(headDim));

  let hidden = embeds;
  for (let layer = 0; layer < layers; layer++) {
    const p = `model.layers.${layer}.`;
    const w = (name: string, shape: number[]) => weight(p + name, shape);
    const normed = rmsNorm(b, hidden, w('input_layernorm.weight', [hiddenSize]), config.rmsNormEps);
    const project = (name: string, count: number) => {
      const projected = linear(b, normed, w(`self_attn.${name}.weight`, [count * headDim, hiddenSize]), w(`self_attn.${name}.bias`, [count * headDim]), name);
      return b.op('Transpose', [b.op('Reshape', [projected, b.int64s([0, 0, count, headDim])])], { perm: [0, 2, 1, 3] });
    };
    const query = applyRotary(b, project('q_proj', heads), cos, sin);
    const newKeys = applyRotary(b, project('k_proj', kvHeads), cos, sin);
    const newValues = project('v_proj', kvHeads);
    const keys = b.op('Concat', [pastKeyName(layer), newKeys], { axis: 2 }, 'present_key');
    const values = b.op('Concat', [pastValueName(layer), newValues], { axis: 2 }, 'present_value');
    b.output(presentKeyName(layer), keys, 'float', ['batch', kvHeads, 'total_sequence', headDim]);
    b.output(presentValueName(layer), values, 'float', ['batch', kvHeads, 'total_sequence', headDim]);

    // GQA without repeating K/V: the query heads that share a KV head are stacked along the rows.
    const grouped = b.op('Reshape', [query, b.int64s([0, kvHeads, -1, headDim])]);
    const scores = b.op('Reshape', [b.op('MatMul', [grouped, b.op('Transpose', [keys], { perm: [0, 1, 3, 2] })]), b.int64s([0, heads, -1, 0])], {}, 'scores');
    const probabilities = b.op('Softmax', [b.op('Add', [b.op('Mul', [scores, scale]), maskBias])], { axis: -1 }, 'attention');
    const context = b.op('MatMul', [b.op('Reshape', [probabilities, b.int64s([0, kvHeads, -1, 0])]), values]);
    const merged = b.op('Reshape', [b.op('Transpose', [b.op('Reshape', [context, b.int64s([0, heads, -1, headDim])])], { perm: [0, 2, 1, 3] }), b.int64s([0, 0, hiddenSize])]);
    const attention = linear(b, merged, w('self_attn.o_proj.weight', [hiddenSize, hiddenSize]), undefined, 'o_proj');
    hidden = b.op('Add', [hidden, attention], {}, 'residual');

    const mlpInput = rmsNorm(b, hidden, w('post_attention_layernorm.weight', [hiddenSize]), config.rmsNormEps);
    const mlp = gatedMlp(b, mlpInput, {
      gate: w('mlp.gate_proj.weight', [intermediateSize, hiddenSize]),
      up: w('mlp.up_proj.weight', [intermediateSize, hiddenSize]),
      down: w('mlp.down_proj.weight', [hiddenSize, intermediateSize]),
    });
    hidden = b.op('Add', [hidden, mlp], {}, 'residual');
  }

  const final = rmsNorm(b, hidden, weight('model.norm.weight', [hiddenSize]), config.rmsNormEps);
  const head = headWeightName(config);
  const headInput = b.op('Slice', [final, b.int64s([-1]), b.int64s([Number.MAX_SAFE_INTEGER]), b.int64s([1])]);
  b.output('logits', linear(b, headInput, weight(head, [config.vocabSize, hiddenSize]), undefined, 'lm_head'), 'float', ['batch', 1, config.vocabSize]);
}

function wholeGraph(dir: string, cacheRoot: string) {
  const checkpoint = openCheckpoint(dir);
  const config = readModelConfig(checkpoint).decoder;
  const weights = ModelWeights.of(checkpoint);
  const weight = (name: string, shape: number[]) => weights.get(name, shape);
  const files = [...new Set(checkpoint.tensors.map((tensor) => tensor.file))].sort();
  const graph = cachedGraph(cacheRoot, checkpointKey([checkpoint], 'bench-whole-decoder'), 'bench-whole-decoder-plain-last', files, (builder) => buildWholeDecoderGraph(builder, config, weight));
  return { checkpoint, config, weight, path: graph.path };
}

/** The graph file of a checkpoint's whole decoder (built if not cached yet). */
export function wholeDecoderGraphPath(dir: string, cacheRoot: string): string {
  return wholeGraph(dir, cacheRoot).path;
}

export interface WholeGeneration {
  tokens: number[];
  prefillSeconds: number;
  /** Time of each decode step after the first token (ms). */
  stepMs: number[];
}

/** One checkpoint's whole decoder in one session, with greedy decoding (arg-max, first index on ties; no penalty, no stop token). */
export class WholeDecoder {
  private constructor(
    readonly config: DecoderConfig,
    readonly graphPath: string,
    private readonly session: ort.InferenceSession,
    private readonly embeddings: TokenEmbedding,
  ) {}

  /** Builds (or reuses) the graph in `cacheRoot` and starts its session on the CPU (the runtime's session options). */
  static async start(dir: string, cacheRoot: string, intraOpThreads: number): Promise<WholeDecoder> {
    const { config, weight, path } = wholeGraph(dir, cacheRoot);
    // onnxruntime's defaults (a memory arena per session), as the whole-decoder sessions had them;
    // FRANKENLENS_BENCH_WHOLE_ARENA=off starts it without arena and memory patterns, as the per-layer runtime's sessions.
    const arena = process.env.FRANKENLENS_BENCH_WHOLE_ARENA !== 'off';
    const session = await ort.InferenceSession.create(path, { graphOptimizationLevel: 'all', logSeverityLevel: 3, intraOpNumThreads: intraOpThreads, interOpNumThreads: 0, enableCpuMemArena: arena, enableMemPattern: arena, executionProviders: ['cpu'] });
    return new WholeDecoder(config, path, session, new TokenEmbedding(weight('model.embed_tokens.weight', [config.vocabSize, config.hiddenSize])));
  }

  embed(ids: readonly number[]): Float32Array {
    return this.embeddings.rows(ids);
  }

  async generate(ids: readonly number[], newTokens: number): Promise<WholeGeneration> {
    const { layers, kvHeads, headDim, hiddenSize } = this.config;
    const empty = () => new ort.Tensor('float32', new Float32Array(0), [1, kvHeads, 0, headDim]);
    let keys: ort.Tensor[] = Array.from({ length: layers }, empty);
    let values: ort.Tensor[] = Array.from({ length: layers }, empty);
    let past = 0;
    const step = async (embeds: Float32Array, sequence: number): Promise<Float32Array> => {
      const total = past + sequence;
      const positions = new BigInt64Array(3 * sequence);
      for (let row = 0; row < 3; row++) for (let index = 0; index < sequence; index++) positions[row * sequence + index] = BigInt(past + index);
      const feeds: Record<string, ort.Tensor> = {
        inputs_embeds: new ort.Tensor('float32', embeds, [1, sequence, hiddenSize]),
        position_ids: new ort.Tensor('int64', positions, [3, 1, sequence]),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
      };
      for (let layer = 0; layer < layers; layer++) {
        feeds[pastKeyName(layer)] = keys[layer]!;
        feeds[pastValueName(layer)] = values[layer]!;
      }
      const out = await this.session.run(feeds);
      keys = Array.from({ length: layers }, (_, layer) => out[presentKeyName(layer)]!);
      values = Array.from({ length: layers }, (_, layer) => out[presentValueName(layer)]!);
      past = total;
      return out.logits!.data as Float32Array;
    };
    const started = performance.now();
    let logits = await step(this.embed(ids), ids.length);
    const prefillSeconds = (performance.now() - started) / 1000;
    const tokens: number[] = [];
    const stepMs: number[] = [];
    let last = 0;
    while (true) {
      const token = chooseGreedy(logits, new Set(), 1);
      tokens.push(token);
      const now = performance.now();
      if (last > 0) stepMs.push(now - last);
      last = now;
      if (tokens.length === newTokens) break;
      logits = await step(this.embed([token]), 1);
    }
    return { tokens, prefillSeconds, stepMs };
  }

  async release(): Promise<void> {
    this.embeddings.close();
    await this.session.release();
  }
}

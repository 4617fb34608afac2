/**
 * The Qwen2 decoder as an ONNX graph (Qwen2.5-VL's language model and plain Qwen2): RMSNorm,
 * q/k/v with biases, GQA, M-RoPE (1-D rotary when all sections are in the first row), SwiGLU and a
 * KV cache, plus the analysis taps of ./taps.ts. Also the token-embedding graph that feeds it.
 *
 * Inputs: inputs_embeds [batch, sequence, hidden]; position_ids [3, batch, sequence] (t, h, w rows,
 * identical for text); attention_mask [batch, past + sequence] (1 = attend, 0 = padding);
 * past_key_values.{i}.key/value [batch, kv_heads, past, head_dim] (past = 0 on the first step).
 * Outputs: logits [batch, 1 or sequence, vocab]; present.{i}.key/value.
 *
 * A layer slice (fromLayer = L > 0) runs layers L..N-1 only: its input is `layer_input`, the
 * residual stream entering layer L, and past/present exist for layers ≥ L. When layers < L see
 * nothing of an intervention (a visual swap at L), their K/V and the stream entering L are a clean
 * run's, so the slice computes only what can differ.
 */
import { FrankenlensError } from '../errors';
import type { DecoderConfig } from './modelConfig';
import type { ModelWeights } from './modelWeights';
import type { GraphBuilder } from './onnxGraph';
import { applyRotary, gatedMlp, linear, MASKED, rmsNorm, rotaryCosSin } from './graphOps';
import { TAP_NAMES, type DecoderTaps } from './taps';

export interface DecoderGraphOptions {
  taps: DecoderTaps;
  /** 'last': logits of the last position only (decoding); 'all': every position. */
  logits: 'last' | 'all';
  /** First layer the graph runs (default 0: the whole decoder from the embeddings). */
  fromLayer?: number;
}

/** The decoder's main input: the token embeddings, or for a layer slice the residual stream entering its first layer. */
export const decoderInputName = (fromLayer: number) => (fromLayer === 0 ? 'inputs_embeds' : 'layer_input');

export const pastKeyName = (layer: number) => `past_key_values.${layer}.key`;
export const pastValueName = (layer: number) => `past_key_values.${layer}.value`;
export const presentKeyName = (layer: number) => `present.${layer}.key`;
export const presentValueName = (layer: number) => `present.${layer}.value`;

export function buildEmbeddingGraph(b: GraphBuilder, config: DecoderConfig, weights: ModelWeights): void {
  const ids = b.input('input_ids', 'int64', ['batch', 'sequence']);
  const table = b.weight(weights.get('model.embed_tokens.weight', [config.vocabSize, config.hiddenSize]));
  b.output('inputs_embeds', b.op('Gather', [table, ids], { axis: 0 }), 'float', ['batch', 'sequence', config.hiddenSize]);
}

export function buildDecoderGraph(b: GraphBuilder, config: DecoderConfig, weights: ModelWeights, options: DecoderGraphOptions): void {
  const { hiddenSize, layers, heads, kvHeads, headDim, intermediateSize } = config;
  const { taps } = options;
  const fromLayer = options.fromLayer ?? 0;
  if (!(Number.isInteger(fromLayer) && fromLayer >= 0 && fromLayer < layers)) throw new FrankenlensError('InvalidArgument', `decoder graph: first layer ${fromLayer} is outside the decoder's layers 0..${layers - 1}`);
  const embeds = b.input(decoderInputName(fromLayer), 'float', ['batch', 'sequence', hiddenSize]);
  const positions = b.input('position_ids', 'int64', [3, 'batch', 'sequence']);
  const attentionMask = b.input('attention_mask', 'int64', ['batch', 'total_sequence']);
  const kvDims = ['batch', kvHeads, 'past_sequence', headDim];
  for (let layer = fromLayer; layer < layers; layer++) {
    b.input(pastKeyName(layer), 'float', kvDims);
    b.input(pastValueName(layer), 'float', kvDims);
  }
  // Key-mass weights as [batch, 1, total, 1], so one MatMul sums each probability row over chosen keys.
  const massColumn = taps.attentionMass ? b.input(TAP_NAMES.massKeys, 'float', ['batch', 1, 'total_sequence', 1]) : null;
  // Per-layer tap inputs are split once, before the layers, so each layer costs one op per tap.
  // Gates are per row ([batch, 2·layers]): each branch gets a [batch, 1, 1] multiplier.
  const gates = taps.gates ? b.opMulti('Split', [b.op('Unsqueeze', [b.input(TAP_NAMES.gates, 'float', ['batch', 2 * layers]), b.int64s([2])])], 2 * layers, { axis: 1, num_outputs: 2 * layers }, 'layer_gate') : null;
  const override = taps.kvOverride ? kvOverrideInputs(b, config) : null;
  const maskBias = causalMaskBias(b, embeds, pastKeyName(fromLayer), attentionMask);
  const layerBiases = taps.keyBias ? keyBiasPerLayer(b, b.input(TAP_NAMES.keyBias, 'float', [layers, 'batch', 1, 1, 'total_sequence']), maskBias, layers) : null;

  const { cos, sin } = mropeCosSin(b, positions, config);
  const scale = b.scalar(1 / Math.sqrt(headDim));
  const perHeadMasses: string[] = [];
  const hiddenStates: string[] = [embeds];

  let hidden = embeds;
  for (let layer = fromLayer; layer < layers; layer++) {
    const p = `model.layers.${layer}.`;
    const w = (name: string, shape: number[]) => weights.get(p + name, shape);
    const normed = rmsNorm(b, hidden, w('input_layernorm.weight', [hiddenSize]), config.rmsNormEps);
    const project = (name: string, count: number) => {
      const projected = linear(b, normed, w(`self_attn.${name}.weight`, [count * headDim, hiddenSize]), w(`self_attn.${name}.bias`, [count * headDim]), name);
      return b.op('Transpose', [b.op('Reshape', [projected, b.int64s([0, 0, count, headDim])])], { perm: [0, 2, 1, 3] });
    };
    const query = applyRotary(b, project('q_proj', heads), cos, sin);
    let newKeys = applyRotary(b, project('k_proj', kvHeads), cos, sin);
    let newValues = project('v_proj', kvHeads);
    if (override) {
      // Only this step's new positions can be overridden: earlier ones come in through the cache.
      newKeys = b.op('Where', [override.masks[layer]!, override.keys[layer]!, newKeys], {}, 'kv_override');
      newValues = b.op('Where', [override.masks[layer]!, override.values[layer]!, newValues], {}, 'kv_override');
    }
    const keys = b.op('Concat', [pastKeyName(layer), newKeys], { axis: 2 }, 'present_key');
    const values = b.op('Concat', [pastValueName(layer), newValues], { axis: 2 }, 'present_value');
    b.output(presentKeyName(layer), keys, 'float', ['batch', kvHeads, 'total_sequence', headDim]);
    b.output(presentValueName(layer), values, 'float', ['batch', kvHeads, 'total_sequence', headDim]);

    // GQA without repeating K/V: the query heads that share a KV head are stacked along the rows.
    const grouped = b.op('Reshape', [query, b.int64s([0, kvHeads, -1, headDim])]);
    const scores = b.op('Reshape', [b.op('MatMul', [grouped, b.op('Transpose', [keys], { perm: [0, 1, 3, 2] })]), b.int64s([0, heads, -1, 0])], {}, 'scores');
    const probabilities = b.op('Softmax', [b.op('Add', [b.op('Mul', [scores, scale]), layerBiases?.[layer] ?? maskBias])], { axis: -1 }, 'attention');
    const context = b.op('MatMul', [b.op('Reshape', [probabilities, b.int64s([0, kvHeads, -1, 0])]), values]);
    const merged = b.op('Reshape', [b.op('Transpose', [b.op('Reshape', [context, b.int64s([0, heads, -1, headDim])])], { perm: [0, 2, 1, 3] }), b.int64s([0, 0, hiddenSize])]);
    let attention = linear(b, merged, w('self_attn.o_proj.weight', [hiddenSize, hiddenSize]), undefined, 'o_proj');
    if (massColumn) perHeadMasses.push(b.op('MatMul', [probabilities, massColumn], {}, 'attention_mass')); // [batch, heads, sequence, 1]
    if (gates) attention = b.op('Mul', [attention, gates[2 * layer]!], {}, 'attention_gate');
    hidden = b.op('Add', [hidden, attention], {}, 'residual');

    const mlpInput = rmsNorm(b, hidden, w('post_attention_layernorm.weight', [hiddenSize]), config.rmsNormEps);
    let mlp = gatedMlp(b, mlpInput, {
      gate: w('mlp.gate_proj.weight', [intermediateSize, hiddenSize]),
      up: w('mlp.up_proj.weight', [intermediateSize, hiddenSize]),
      down: w('mlp.down_proj.weight', [hiddenSize, intermediateSize]),
    });
    if (gates) mlp = b.op('Mul', [mlp, gates[2 * layer + 1]!], {}, 'mlp_gate');
    hidden = b.op('Add', [hidden, mlp], {}, 'residual');
    if (layer < layers - 1) hiddenStates.push(hidden);
  }

  const final = rmsNorm(b, hidden, weights.get('model.norm.weight', [hiddenSize]), config.rmsNormEps);
  hiddenStates.push(final);
  const head = config.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
  const headInput = options.logits === 'last' ? b.op('Slice', [final, b.int64s([-1]), b.int64s([Number.MAX_SAFE_INTEGER]), b.int64s([1])]) : final;
  b.output('logits', linear(b, headInput, weights.get(head, [config.vocabSize, hiddenSize]), undefined, 'lm_head'), 'float', ['batch', options.logits === 'last' ? 1 : 'sequence', config.vocabSize]);

  if (massColumn) {
    // [batch, heads, sequence, layers] → mean over heads → [layers, batch, sequence].
    const byLayer = b.op('Concat', perHeadMasses, { axis: 3 });
    b.output(TAP_NAMES.mass, b.op('Transpose', [b.op('ReduceMean', [byLayer, b.int64s([1])], { keepdims: 0 })], { perm: [2, 0, 1] }), 'float', [layers - fromLayer, 'batch', 'sequence']);
  }
  if (taps.hiddenStates) b.output(TAP_NAMES.hiddenStates, stack(b, hiddenStates), 'float', [layers - fromLayer + 1, 'batch', 'sequence', hiddenSize]);
}

/**
 * Float32 bytes of the weights a decoder graph starting at `fromLayer` holds (the layers it runs,
 * the final norm and the LM head): what its session keeps in memory, whatever the stored dtype.
 */
export function decoderWeightBytes(config: DecoderConfig, fromLayer = 0): number {
  const { hiddenSize, heads, kvHeads, headDim, intermediateSize, vocabSize, layers } = config;
  const attention = (heads * headDim + 2 * kvHeads * headDim) * (hiddenSize + 1) + hiddenSize * hiddenSize;
  const perLayer = attention + 3 * hiddenSize * intermediateSize + 2 * hiddenSize;
  return 4 * ((layers - fromLayer) * perLayer + hiddenSize + vocabSize * hiddenSize);
}

/**
 * M-RoPE: angle = position · inv_freq, where frequency pair j takes its position from row t, h or w
 * by mrope_section. Returns cos/sin as [batch, 1, sequence, head_dim] for broadcasting over heads.
 */
function mropeCosSin(b: GraphBuilder, positions: string, config: DecoderConfig): { cos: string; sin: string } {
  const pairs = config.headDim / 2;
  const inverseFrequencies = Array.from({ length: pairs }, (_, j) => Math.fround(1 / Math.fround(config.ropeTheta ** Math.fround((2 * j) / config.headDim))));
  const sectionOfPair = config.mropeSection.flatMap((count, row) => Array<number>(count).fill(row));
  const rowMask = [0, 1, 2].flatMap((row) => sectionOfPair.map((section) => (section === row ? 1 : 0)));
  const perRow = b.op('Mul', [b.op('Unsqueeze', [b.op('Cast', [positions], { to: 1 }), b.int64s([-1])]), b.floats(inverseFrequencies)]); // [3, batch, sequence, pairs]
  const angles = b.op('ReduceSum', [b.op('Mul', [perRow, b.floats(rowMask, [3, 1, 1, pairs])]), b.int64s([0])], { keepdims: 0 }, 'mrope_angles');
  const { cos, sin } = rotaryCosSin(b, angles);
  const headAxis = b.int64s([1]);
  return { cos: b.op('Unsqueeze', [cos, headAxis]), sin: b.op('Unsqueeze', [sin, headAxis]) };
}

/** Additive mask [batch, 1, sequence, total]: query i (at position past + i) sees keys ≤ past + i that are not padding. */
function causalMaskBias(b: GraphBuilder, embeds: string, pastKey: string, attentionMask: string): string {
  const past = b.op('Shape', [pastKey], { start: 2, end: 3 });
  const sequence = b.op('Shape', [embeds], { start: 1, end: 2 });
  const scalar = (value: string) => b.op('Squeeze', [value, b.int64s([0])]);
  const total = b.op('Add', [past, sequence]);
  const one = b.int64s([1], []);
  const keyPositions = b.op('Unsqueeze', [b.op('Range', [b.int64s([0], []), scalar(total), one]), b.int64s([0])]);
  const queryPositions = b.op('Unsqueeze', [b.op('Range', [scalar(past), scalar(total), one]), b.int64s([1])]);
  const causal = b.op('LessOrEqual', [keyPositions, queryPositions]);
  const notPadding = b.op('Unsqueeze', [b.op('Cast', [attentionMask], { to: 9 }), b.int64s([1, 2])]);
  return b.op('Where', [b.op('And', [causal, notPadding]), b.scalar(0), b.scalar(MASKED)], {}, 'mask_bias');
}

/**
 * The K/V override inputs, split per layer: masks [1, 1, sequence, 1] (true = take the override at
 * that new position) and keys/values [batch, kv_heads, sequence, head_dim] (layer-major rows).
 */
function kvOverrideInputs(b: GraphBuilder, config: DecoderConfig): { masks: string[]; keys: string[]; values: string[] } {
  const { layers, kvHeads, headDim } = config;
  const perLayer = (input: string) => b.opMulti('Split', [input], layers, { axis: 0, num_outputs: layers }, 'kv_override_layer');
  return {
    masks: perLayer(b.input(TAP_NAMES.overrideMask, 'bool', [layers, 1, 'sequence', 1])),
    keys: perLayer(b.input(TAP_NAMES.overrideKeys, 'float', ['layers_batch', kvHeads, 'sequence', headDim])),
    values: perLayer(b.input(TAP_NAMES.overrideValues, 'float', ['layers_batch', kvHeads, 'sequence', headDim])),
  };
}

/** Each layer's additive attention bias [batch, 1, sequence, total]: the causal mask plus that layer's key bias. */
function keyBiasPerLayer(b: GraphBuilder, keyBias: string, maskBias: string, layers: number): string[] {
  const combined = b.op('Add', [b.op('Unsqueeze', [maskBias, b.int64s([0])]), keyBias], {}, 'key_bias'); // [layers, batch, 1, sequence, total]
  const axis = b.int64s([0]);
  return b.opMulti('Split', [combined], layers, { axis: 0, num_outputs: layers }, 'key_bias').map((bias) => b.op('Squeeze', [bias, axis]));
}

function stack(b: GraphBuilder, values: string[]): string {
  const axis = b.int64s([0]);
  return b.op('Concat', values.map((value) => b.op('Unsqueeze', [value, axis])), { axis: 0 });
}

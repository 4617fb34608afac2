/**
 * The Qwen2 decoder (Qwen2.5-VL's language model and plain Qwen2) as ONNX graphs of one concern
 * each, chained by the runtime (modelRuntime.ts), so each weight is held once per loaded model and
 * any layer can start or be swapped for another checkpoint's:
 *
 * - prelude (no weights): what every layer of a step shares, computed once. Inputs position_ids
 *   [3, batch, sequence] (t, h, w rows, identical for text) and attention_mask [batch, total]
 *   (1 = attend, 0 = padding); outputs rope_cos, rope_sin [batch, sequence, 1, head_dim] (M-RoPE;
 *   1-D rotary when all sections are in the first row) and mask_bias [batch, 1, sequence, total].
 * - layer-i: RMSNorm, q/k/v with biases, GQA attention over the past and new K/V, SwiGLU, with every
 *   analysis tap of ./taps.ts compiled in (absent = a neutral input, which changes no bit). Past
 *   and new K/V are position-major, [positions, batch, kv_heads, head_dim], so the runtime's cache
 *   feeds the first `past` positions as one view and receives this step's K/V straight into it.
 * - head: the final RMSNorm (output `normed`, the last hidden state) and the LM head over the
 *   positions from `logits_start` on (−1: the last only).
 *
 * In int8 (graphOps.ts's WeightPrecision) every projection of a layer (q/k/v/o, gate/up/down) and
 * the LM head are 8-bit blocks multiplied by MatMulNBits; norms and biases stay float32.
 *
 * Token embeddings are read from the weight files by the runtime (tokenEmbedding.ts): no session.
 */
import type { DecoderConfig } from './modelConfig';
import type { ModelWeights } from './modelWeights';
import type { GraphBuilder } from './onnxGraph';
import { blockLayout, sessionBytes } from './blockQuantize';
import { applyRotary, gatedMlp, INT8_BLOCK_SIZE, linear, MASKED, rmsNorm, rotaryCosSin, type WeightPrecision } from './graphOps';
import { TAP_NAMES } from './taps';

/** Tensor names shared by the graphs and the runtime that chains them. */
export const DECODER_NAMES = {
  positions: 'position_ids',
  attentionMask: 'attention_mask',
  cos: 'rope_cos',
  sin: 'rope_sin',
  maskBias: 'mask_bias',
  hidden: 'hidden',
  hiddenOut: 'hidden_out',
  pastKey: 'past_key',
  pastValue: 'past_value',
  newKey: 'new_key',
  newValue: 'new_value',
  logitsStart: 'logits_start',
  normed: 'normed',
  logits: 'logits',
} as const;

export function buildPreludeGraph(b: GraphBuilder, config: DecoderConfig): void {
  const positions = b.input(DECODER_NAMES.positions, 'int64', [3, 'batch', 'sequence']);
  const attentionMask = b.input(DECODER_NAMES.attentionMask, 'int64', ['batch', 'total_sequence']);
  const { cos, sin } = mropeCosSin(b, positions, config, 2);
  b.output(DECODER_NAMES.cos, cos, 'float', ['batch', 'sequence', 1, config.headDim]);
  b.output(DECODER_NAMES.sin, sin, 'float', ['batch', 'sequence', 1, config.headDim]);
  const total = b.op('Shape', [attentionMask], { start: 1, end: 2 });
  const past = b.op('Sub', [total, b.op('Shape', [positions], { start: 2, end: 3 })]);
  b.output(DECODER_NAMES.maskBias, causalMaskBias(b, past, total, attentionMask), 'float', ['batch', 1, 'sequence', 'total_sequence']);
}

export function buildLayerGraph(b: GraphBuilder, config: DecoderConfig, weights: ModelWeights, layer: number, precision: WeightPrecision = 'float32'): void {
  const { hiddenSize, heads, kvHeads, headDim, intermediateSize } = config;
  const n = DECODER_NAMES;
  const hidden = b.input(n.hidden, 'float', ['batch', 'sequence', hiddenSize]);
  const cos = b.input(n.cos, 'float', ['batch', 'sequence', 1, headDim]);
  const sin = b.input(n.sin, 'float', ['batch', 'sequence', 1, headDim]);
  const maskBias = b.input(n.maskBias, 'float', ['batch', 1, 'sequence', 'total_sequence']);
  const pastKey = b.input(n.pastKey, 'float', ['past_sequence', 'batch', kvHeads, headDim]);
  const pastValue = b.input(n.pastValue, 'float', ['past_sequence', 'batch', kvHeads, headDim]);
  // Taps: each input broadcasts, so a neutral one is a single element (mass keys: one per key).
  const keyBias = b.input(TAP_NAMES.keyBias, 'float', ['key_bias_batch', 1, 1, 'key_bias_total']);
  const gateInput = b.input(TAP_NAMES.gates, 'float', ['gates_batch', 2]);
  const massKeys = b.input(TAP_NAMES.massKeys, 'float', ['mass_batch', 1, 'total_sequence', 1]);
  const overrideMask = b.input(TAP_NAMES.overrideMask, 'bool', ['override_sequence', 1, 1, 1]);
  const overrideKeys = b.input(TAP_NAMES.overrideKeys, 'float', ['override_sequence', 'override_batch', 'override_heads', 'override_dim']);
  const overrideValues = b.input(TAP_NAMES.overrideValues, 'float', ['override_sequence', 'override_batch', 'override_heads', 'override_dim']);

  const p = `model.layers.${layer}.`;
  const w = (name: string, shape: number[]) => weights.get(p + name, shape);
  const normed = rmsNorm(b, hidden, w('input_layernorm.weight', [hiddenSize]), config.rmsNormEps);
  // [batch, sequence, count, head_dim]: rotary broadcasts over the heads axis.
  const project = (name: string, count: number) => b.op('Reshape', [linear(b, normed, w(`self_attn.${name}.weight`, [count * headDim, hiddenSize]), w(`self_attn.${name}.bias`, [count * headDim]), name, precision), b.int64s([0, 0, count, headDim])]);
  const query = b.op('Transpose', [applyRotary(b, project('q_proj', heads), cos, sin)], { perm: [0, 2, 1, 3] }); // [batch, heads, sequence, head_dim]
  const positionMajor = (x: string) => b.op('Transpose', [x], { perm: [1, 0, 2, 3] });
  // Only this step's new positions can be overridden: earlier ones come in through the cache.
  const newKeys = b.op('Where', [overrideMask, overrideKeys, positionMajor(applyRotary(b, project('k_proj', kvHeads), cos, sin))], {}, 'kv_override');
  const newValues = b.op('Where', [overrideMask, overrideValues, positionMajor(project('v_proj', kvHeads))], {}, 'kv_override');
  b.output(n.newKey, newKeys, 'float', ['sequence', 'batch', kvHeads, headDim]);
  b.output(n.newValue, newValues, 'float', ['sequence', 'batch', kvHeads, headDim]);
  const keys = b.op('Transpose', [b.op('Concat', [pastKey, newKeys], { axis: 0 }, 'keys')], { perm: [1, 2, 3, 0] }); // [batch, kv_heads, head_dim, total]
  const values = b.op('Transpose', [b.op('Concat', [pastValue, newValues], { axis: 0 }, 'values')], { perm: [1, 2, 0, 3] }); // [batch, kv_heads, total, head_dim]

  // GQA without repeating K/V: the query heads that share a KV head are stacked along the rows.
  const grouped = b.op('Reshape', [query, b.int64s([0, kvHeads, -1, headDim])]);
  const scores = b.op('Reshape', [b.op('MatMul', [grouped, keys]), b.int64s([0, heads, -1, 0])], {}, 'scores');
  const bias = b.op('Add', [maskBias, keyBias], {}, 'key_bias');
  const probabilities = b.op('Softmax', [b.op('Add', [b.op('Mul', [scores, b.scalar(1 / Math.sqrt(headDim))]), bias])], { axis: -1 }, 'attention');
  const context = b.op('MatMul', [b.op('Reshape', [probabilities, b.int64s([0, kvHeads, -1, 0])]), values]);
  const merged = b.op('Reshape', [b.op('Transpose', [b.op('Reshape', [context, b.int64s([0, heads, -1, headDim])])], { perm: [0, 2, 1, 3] }), b.int64s([0, 0, hiddenSize])]);
  // [batch, heads, sequence, 1] → mean over heads → [batch, sequence].
  const mass = b.op('ReduceMean', [b.op('MatMul', [probabilities, massKeys], {}, 'attention_mass'), b.int64s([1, 3])], { keepdims: 0 });
  b.output(TAP_NAMES.mass, mass, 'float', ['batch', 'sequence']);

  // Gates [batch, 2] → one [batch, 1, 1] multiplier per branch.
  const [attentionGate, mlpGate] = b.opMulti('Split', [b.op('Unsqueeze', [gateInput, b.int64s([2])])], 2, { axis: 1, num_outputs: 2 }, 'layer_gate');
  const attention = b.op('Mul', [linear(b, merged, w('self_attn.o_proj.weight', [hiddenSize, hiddenSize]), undefined, 'o_proj', precision), attentionGate!], {}, 'attention_gate');
  const afterAttention = b.op('Add', [hidden, attention], {}, 'residual');
  const mlpInput = rmsNorm(b, afterAttention, w('post_attention_layernorm.weight', [hiddenSize]), config.rmsNormEps);
  const mlp = gatedMlp(b, mlpInput, {
    gate: w('mlp.gate_proj.weight', [intermediateSize, hiddenSize]),
    up: w('mlp.up_proj.weight', [intermediateSize, hiddenSize]),
    down: w('mlp.down_proj.weight', [hiddenSize, intermediateSize]),
  }, precision);
  b.output(n.hiddenOut, b.op('Add', [afterAttention, b.op('Mul', [mlp, mlpGate!], {}, 'mlp_gate')], {}, 'residual'), 'float', ['batch', 'sequence', hiddenSize]);
}

export function buildHeadGraph(b: GraphBuilder, config: DecoderConfig, weights: ModelWeights, precision: WeightPrecision = 'float32'): void {
  const { hiddenSize, vocabSize } = config;
  const hidden = b.input(DECODER_NAMES.hidden, 'float', ['batch', 'sequence', hiddenSize]);
  const start = b.input(DECODER_NAMES.logitsStart, 'int64', [1]);
  const normed = rmsNorm(b, hidden, weights.get('model.norm.weight', [hiddenSize]), config.rmsNormEps);
  b.output(DECODER_NAMES.normed, normed, 'float', ['batch', 'sequence', hiddenSize]);
  const head = weights.get(headWeightName(config), [vocabSize, hiddenSize]);
  const selected = b.op('Slice', [normed, start, b.int64s([Number.MAX_SAFE_INTEGER]), b.int64s([1])]);
  b.output(DECODER_NAMES.logits, linear(b, selected, head, undefined, 'lm_head', precision), 'float', ['batch', 'logit_positions', vocabSize]);
}

export const headWeightName = (config: DecoderConfig) => (config.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');

/**
 * Bytes of the weights one loaded model holds: every layer, the final norm and the LM head (a tied
 * head once). Embeddings are read from the files per token and the vision tower is loaded only
 * while images are encoded, so neither counts here. float32: 4 bytes a weight. int8: each
 * projection and the LM head as onnxruntime's MatMulNBits holds them once started (1 byte a weight
 * plus scales, zero points and its packing's block sums: ≈ 1.41 bytes a weight, blockQuantize.ts's
 * sessionBytes); norms and biases float32.
 */
export function decoderWeightBytes(config: DecoderConfig, precision: WeightPrecision = 'float32'): number {
  const { hiddenSize, vocabSize, layers } = config;
  if (precision === 'float32') return 4 * (layers * layerWeightElements(config) + hiddenSize + vocabSize * hiddenSize);
  const matrix = (n: number, k: number) => sessionBytes(blockLayout(n, k, 8, INT8_BLOCK_SIZE));
  const { heads, kvHeads, headDim, intermediateSize } = config;
  const projections = matrix(heads * headDim, hiddenSize) + 2 * matrix(kvHeads * headDim, hiddenSize) + matrix(hiddenSize, hiddenSize)
    + 2 * matrix(intermediateSize, hiddenSize) + matrix(hiddenSize, intermediateSize);
  const floats = (heads * headDim + 2 * kvHeads * headDim) + 2 * hiddenSize; // q/k/v biases, two norms
  return layers * (projections + 4 * floats) + 4 * hiddenSize + matrix(vocabSize, hiddenSize);
}

/** Elements of one decoder layer's weights (what a layer session holds, as float32). */
export function layerWeightElements(config: DecoderConfig): number {
  const { hiddenSize, heads, kvHeads, headDim, intermediateSize } = config;
  const attention = (heads * headDim + 2 * kvHeads * headDim) * (hiddenSize + 1) + hiddenSize * hiddenSize;
  return attention + 3 * hiddenSize * intermediateSize + 2 * hiddenSize;
}

/**
 * M-RoPE: angle = position · inv_freq, where frequency pair j takes its position from row t, h or w
 * by mrope_section. Returns cos/sin [batch, sequence, head_dim] with a heads axis of 1 inserted at
 * `headAxis`, for broadcasting over heads (2: [batch, sequence, 1, head_dim]).
 */
export function mropeCosSin(b: GraphBuilder, positions: string, config: DecoderConfig, headAxis: number): { cos: string; sin: string } {
  const pairs = config.headDim / 2;
  const inverseFrequencies = Array.from({ length: pairs }, (_, j) => Math.fround(1 / Math.fround(config.ropeTheta ** Math.fround((2 * j) / config.headDim))));
  const sectionOfPair = config.mropeSection.flatMap((count, row) => Array<number>(count).fill(row));
  const rowMask = [0, 1, 2].flatMap((row) => sectionOfPair.map((section) => (section === row ? 1 : 0)));
  const perRow = b.op('Mul', [b.op('Unsqueeze', [b.op('Cast', [positions], { to: 1 }), b.int64s([-1])]), b.floats(inverseFrequencies)]); // [3, batch, sequence, pairs]
  const angles = b.op('ReduceSum', [b.op('Mul', [perRow, b.floats(rowMask, [3, 1, 1, pairs])]), b.int64s([0])], { keepdims: 0 }, 'mrope_angles');
  const { cos, sin } = rotaryCosSin(b, angles);
  const axis = b.int64s([headAxis]);
  return { cos: b.op('Unsqueeze', [cos, axis]), sin: b.op('Unsqueeze', [sin, axis]) };
}

/**
 * Additive mask [batch, 1, sequence, total] from `past` and `total` ([1] int64): query i (at
 * position past + i) sees keys ≤ past + i that are not padding.
 */
export function causalMaskBias(b: GraphBuilder, past: string, total: string, attentionMask: string): string {
  const scalar = (value: string) => b.op('Squeeze', [value, b.int64s([0])]);
  const one = b.int64s([1], []);
  const keyPositions = b.op('Unsqueeze', [b.op('Range', [b.int64s([0], []), scalar(total), one]), b.int64s([0])]);
  const queryPositions = b.op('Unsqueeze', [b.op('Range', [scalar(past), scalar(total), one]), b.int64s([1])]);
  const causal = b.op('LessOrEqual', [keyPositions, queryPositions]);
  const notPadding = b.op('Unsqueeze', [b.op('Cast', [attentionMask], { to: 9 }), b.int64s([1, 2])]);
  return b.op('Where', [b.op('And', [causal, notPadding]), b.scalar(0), b.scalar(MASKED)], {}, 'mask_bias');
}

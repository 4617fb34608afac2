/**
 * The Qwen2.5-VL vision tower as an ONNX graph: patch embedding, window/full-attention blocks with
 * 2-D rotary embeddings, and the patch merger, returning image embeddings in the original order.
 *
 * Inputs (geometry computed in TypeScript from image_grid_thw, see visionInputs.ts):
 * - pixel_values [patches, C·T·P·P], patches in the processor's order (merge units contiguous);
 * - rotary_position_ids [patches, 2] (row, column of each patch);
 * - window_index [units]: the merge units in window order, and inverse_window_index [units];
 * - window_segments, full_attention_segments [patches] (window order): attention stays within
 *   equal ids; windowed blocks use window_segments, full-attention blocks the other.
 * Output: image_embeds [patches / merge², out_hidden].
 */
import type { VisionConfig } from './modelConfig';
import type { ModelWeights } from './modelWeights';
import type { GraphBuilder } from './onnxGraph';
import { applyRotary, gatedMlp, gelu, linear, MASKED, rmsNorm, rotaryCosSin } from './graphOps';

const VISION_EPS = 1e-6;
const VISION_ROPE_THETA = 10000;

export function buildVisionGraph(b: GraphBuilder, config: VisionConfig, weights: ModelWeights): void {
  const { hiddenSize, heads, intermediateSize, spatialMergeSize } = config;
  const headDim = hiddenSize / heads;
  const patchLength = config.inChannels * config.temporalPatchSize * config.patchSize ** 2;
  const unit = spatialMergeSize ** 2;
  const pixels = b.input('pixel_values', 'float', ['patches', patchLength]);
  const rotaryPositions = b.input('rotary_position_ids', 'int64', ['patches', 2]);
  const windowIndex = b.input('window_index', 'int64', ['units']);
  const windowSegments = b.input('window_segments', 'int64', ['patches']);
  const inverseWindowIndex = b.input('inverse_window_index', 'int64', ['units']);
  const fullAttentionSegments = b.input('full_attention_segments', 'int64', ['patches']);

  // A Conv3d whose kernel equals its stride is a linear map of each flattened patch.
  const patchWeight = weights.get('visual.patch_embed.proj.weight', [hiddenSize, config.inChannels, config.temporalPatchSize, config.patchSize, config.patchSize]);
  const kernel = b.op('Reshape', [b.weight(patchWeight), b.int64s([hiddenSize, patchLength])]);
  const embedded = b.op('MatMul', [pixels, b.op('Transpose', [kernel], { perm: [1, 0] })], {}, 'patch_embed');
  const toWindowOrder = (rows: string, width: number) =>
    b.op('Reshape', [b.op('Gather', [b.op('Reshape', [rows, b.int64s([-1, unit, width])]), windowIndex], { axis: 0 }), b.int64s([-1, width])], {}, 'window_order');

  // Each patch rotates the first half of a head by its row, the second half by its column.
  const quarter = headDim / 4;
  const inverseFrequencies = Array.from({ length: quarter }, (_, j) => Math.fround(1 / Math.fround(VISION_ROPE_THETA ** Math.fround((2 * j) / (headDim / 2)))));
  const angles = b.op('Reshape', [b.op('Mul', [b.op('Unsqueeze', [b.op('Cast', [rotaryPositions], { to: 1 }), b.int64s([-1])]), b.floats(inverseFrequencies)]), b.int64s([-1, headDim / 2])]);
  const rotary = rotaryCosSin(b, toWindowOrder(angles, headDim / 2));
  const headAxis = b.int64s([1]);
  const cos = b.op('Unsqueeze', [rotary.cos, headAxis]);
  const sin = b.op('Unsqueeze', [rotary.sin, headAxis]);
  const segmentBias = (segments: string) =>
    b.op('Where', [b.op('Equal', [b.op('Unsqueeze', [segments, b.int64s([1])]), b.op('Unsqueeze', [segments, b.int64s([0])])]), b.scalar(0), b.scalar(MASKED)], {}, 'segment_bias');
  const windowBias = segmentBias(windowSegments);
  const fullBias = segmentBias(fullAttentionSegments);
  const divisor = b.scalar(Math.sqrt(headDim));

  let hidden = toWindowOrder(embedded, hiddenSize);
  for (let block = 0; block < config.depth; block++) {
    const p = `visual.blocks.${block}.`;
    const w = (name: string, shape: number[]) => weights.get(p + name, shape);
    const normed = rmsNorm(b, hidden, w('norm1.weight', [hiddenSize]), VISION_EPS);
    const qkv = b.op('Reshape', [linear(b, normed, w('attn.qkv.weight', [3 * hiddenSize, hiddenSize]), w('attn.qkv.bias', [3 * hiddenSize]), 'qkv'), b.int64s([-1, 3, heads, headDim])]);
    const part = (index: number) => b.op('Gather', [qkv, b.int64s([index], [])], { axis: 1 });
    const headsFirst = (x: string) => b.op('Transpose', [x], { perm: [1, 0, 2] });
    const query = headsFirst(applyRotary(b, part(0), cos, sin));
    const key = headsFirst(applyRotary(b, part(1), cos, sin));
    const scores = b.op('Div', [b.op('MatMul', [query, b.op('Transpose', [key], { perm: [0, 2, 1] })]), divisor], {}, 'scores');
    const bias = config.fullAttentionBlocks.includes(block) ? fullBias : windowBias;
    const probabilities = b.op('Softmax', [b.op('Add', [scores, bias])], { axis: -1 }, 'attention');
    const context = b.op('Reshape', [headsFirst(b.op('MatMul', [probabilities, headsFirst(part(2))])), b.int64s([-1, hiddenSize])]);
    hidden = b.op('Add', [hidden, linear(b, context, w('attn.proj.weight', [hiddenSize, hiddenSize]), w('attn.proj.bias', [hiddenSize]), 'proj')], {}, 'residual');
    const mlp = gatedMlp(b, rmsNorm(b, hidden, w('norm2.weight', [hiddenSize]), VISION_EPS), {
      gate: w('mlp.gate_proj.weight', [intermediateSize, hiddenSize]),
      gateBias: w('mlp.gate_proj.bias', [intermediateSize]),
      up: w('mlp.up_proj.weight', [intermediateSize, hiddenSize]),
      upBias: w('mlp.up_proj.bias', [intermediateSize]),
      down: w('mlp.down_proj.weight', [hiddenSize, intermediateSize]),
      downBias: w('mlp.down_proj.bias', [hiddenSize]),
    });
    hidden = b.op('Add', [hidden, mlp], {}, 'residual');
  }

  const mergedWidth = hiddenSize * unit;
  const units = b.op('Reshape', [rmsNorm(b, hidden, weights.get('visual.merger.ln_q.weight', [hiddenSize]), VISION_EPS), b.int64s([-1, mergedWidth])]);
  const expanded = gelu(b, linear(b, units, weights.get('visual.merger.mlp.0.weight', [mergedWidth, mergedWidth]), weights.get('visual.merger.mlp.0.bias', [mergedWidth]), 'merger'));
  const merged = linear(b, expanded, weights.get('visual.merger.mlp.2.weight', [config.outHiddenSize, mergedWidth]), weights.get('visual.merger.mlp.2.bias', [config.outHiddenSize]), 'merger');
  b.output('image_embeds', b.op('Gather', [merged, inverseWindowIndex], { axis: 0 }), 'float', ['units', config.outHiddenSize]);
}

/**
 * Building blocks shared by the decoder and vision graphs, each a few standard ONNX ops written in
 * the order Hugging Face's eager implementation computes them (so float32 rounding matches).
 */
import type { TensorLocation } from '../checkpoint/tensorInfo';
import type { GraphBuilder } from './onnxGraph';

/** Stands for -inf in additive masks: finite, so a fully masked row gives zeros, never NaN. */
export const MASKED = -3.4028234663852886e38;

/** x / sqrt(mean(x²) + eps) · weight over the last axis (the pattern onnxruntime fuses). */
export function rmsNorm(b: GraphBuilder, x: string, weight: TensorLocation, eps: number): string {
  const meanSquare = b.op('ReduceMean', [b.op('Mul', [x, x]), b.int64s([-1])], { keepdims: 1 }, 'rms');
  const normalized = b.op('Div', [x, b.op('Sqrt', [b.op('Add', [meanSquare, b.scalar(eps)])])], {}, 'rms_norm');
  return b.op('Mul', [normalized, b.weight(weight)]);
}

/**
 * How a graph holds its projection weights: float32 (the default, exact), or int8, opt-in, for
 * machines whose memory is too small: 8-bit blocks of INT8_BLOCK_SIZE along K with a float32 scale
 * and a zero point each (blockQuantize.ts), multiplied by onnxruntime's MatMulNBits. Norms, biases,
 * embeddings and the vision tower stay float32.
 */
export type WeightPrecision = 'float32' | 'int8';
export const WEIGHT_PRECISIONS: readonly WeightPrecision[] = ['float32', 'int8'];

export const INT8_BLOCK_SIZE = 32;
/**
 * MatMulNBits's accuracy_level 4: A is quantized to int8 per block too and the products summed in
 * int32. Measured on onnxruntime-node 1.30's CPU provider (AVX-512 VNNI, one thread, 1024×1024,
 * one row): 0.06 ms against 3.2 ms at levels 0 and 1, which have no 8-bit kernel and dequantize the
 * whole weight at every call; the relative error of the product goes from 3.6e-3 (weights alone) to
 * 5.0e-3.
 */
export const INT8_ACCURACY_LEVEL = 4;

/** x · Wᵀ (+ bias) for a stored [out, in] weight; in float32 the Transpose is folded into the weight at load. */
export function linear(b: GraphBuilder, x: string, weight: TensorLocation, bias?: TensorLocation, hint = 'linear', precision: WeightPrecision = 'float32'): string {
  const product = precision === 'int8' ? int8MatMul(b, x, weight, hint) : b.op('MatMul', [x, b.op('Transpose', [b.weight(weight)], { perm: [1, 0] })], {}, hint);
  return bias ? b.op('Add', [product, b.weight(bias)], {}, hint) : product;
}

/** x · Wᵀ with W quantized at build to 8-bit blocks along its input axis (MatMulNBits computes with the stored [out, in] layout as is). */
function int8MatMul(b: GraphBuilder, x: string, weight: TensorLocation, hint: string): string {
  const quantized = b.quantizedWeight(weight, 8, INT8_BLOCK_SIZE);
  const { n, k, bits, blockSize } = quantized.layout;
  return b.contribOp('MatMulNBits', [x, quantized.codes, quantized.scales, quantized.zeroPoints], { K: k, N: n, bits, block_size: blockSize, accuracy_level: INT8_ACCURACY_LEVEL }, hint);
}

export function silu(b: GraphBuilder, x: string): string {
  return b.op('Mul', [x, b.op('Sigmoid', [x])], {}, 'silu');
}

/** Exact GELU: x/2 · (1 + erf(x/√2)). */
export function gelu(b: GraphBuilder, x: string): string {
  const erf = b.op('Erf', [b.op('Mul', [x, b.scalar(Math.SQRT1_2)])]);
  return b.op('Mul', [b.op('Mul', [x, b.scalar(0.5)]), b.op('Add', [erf, b.scalar(1)])], {}, 'gelu');
}

/** Gated MLP: down(silu(gate(x)) · up(x)), with biases where the checkpoint has them. */
export function gatedMlp(b: GraphBuilder, x: string, weights: { gate: TensorLocation; up: TensorLocation; down: TensorLocation; gateBias?: TensorLocation; upBias?: TensorLocation; downBias?: TensorLocation }, precision: WeightPrecision = 'float32'): string {
  const gate = silu(b, linear(b, x, weights.gate, weights.gateBias, 'gate_proj', precision));
  const up = linear(b, x, weights.up, weights.upBias, 'up_proj', precision);
  return linear(b, b.op('Mul', [gate, up]), weights.down, weights.downBias, 'down_proj', precision);
}

/** x·cos + rotate_half(x)·sin, with rotate_half(x) = [−x₂, x₁] over the last axis. */
export function applyRotary(b: GraphBuilder, x: string, cos: string, sin: string): string {
  const [first, second] = b.opMulti('Split', [x], 2, { axis: -1, num_outputs: 2 }, 'rotate_half');
  const rotated = b.op('Concat', [b.op('Neg', [second!]), first!], { axis: -1 });
  return b.op('Add', [b.op('Mul', [x, cos]), b.op('Mul', [rotated, sin])], {}, 'rope');
}

/** cos and sin of [angles, angles] (the angle of each frequency pair, repeated for both halves). */
export function rotaryCosSin(b: GraphBuilder, angles: string): { cos: string; sin: string } {
  const doubled = b.op('Concat', [angles, angles], { axis: -1 }, 'rope_angles');
  return { cos: b.op('Cos', [doubled]), sin: b.op('Sin', [doubled]) };
}

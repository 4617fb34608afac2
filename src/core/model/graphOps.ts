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

/** x · Wᵀ (+ bias) for a stored [out, in] weight; the Transpose is folded into the weight at load. */
export function linear(b: GraphBuilder, x: string, weight: TensorLocation, bias?: TensorLocation, hint = 'linear'): string {
  const product = b.op('MatMul', [x, b.op('Transpose', [b.weight(weight)], { perm: [1, 0] })], {}, hint);
  return bias ? b.op('Add', [product, b.weight(bias)], {}, hint) : product;
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
export function gatedMlp(b: GraphBuilder, x: string, weights: { gate: TensorLocation; up: TensorLocation; down: TensorLocation; gateBias?: TensorLocation; upBias?: TensorLocation; downBias?: TensorLocation }): string {
  const gate = silu(b, linear(b, x, weights.gate, weights.gateBias, 'gate_proj'));
  const up = linear(b, x, weights.up, weights.upBias, 'up_proj');
  return linear(b, b.op('Mul', [gate, up]), weights.down, weights.downBias, 'down_proj');
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

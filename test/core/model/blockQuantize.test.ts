/**
 * Block quantization in MatMulNBits's layout, checked against a naive unpacking written here from
 * the op's spec (codes low bits first along K, zero points packed the same way, value = (code −
 * zero point) · scale): every value comes back within scale/2 (closed form, plus the float32
 * rounding of the scale), zeros and padding exactly; and onnxruntime's MatMulNBits on a graph
 * built from a stored weight computes x · (dequantized W)ᵀ. At accuracy level 4 the op also rounds
 * each block of x to 127 steps of its largest magnitude; x is chosen on that grid (multiples of
 * 1/127, ±1 in every block), so the rounding is exact and only float32 accumulation remains.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { FileReader } from '../../../src/core/checkpoint/fileReader';
import { encodeFloats } from '../../../src/core/checkpoint/floatEncode';
import { openSafetensorsFile } from '../../../src/core/checkpoint/safetensorsFile';
import { writeSafetensorsFile } from '../../../src/core/checkpoint/safetensorsWriter';
import { FrankenlensError } from '../../../src/core/errors';
import { allocateRows, blockLayout, quantizedBytes, quantizeRows, type BlockLayout, type QuantBits } from '../../../src/core/model/blockQuantize';
import { cachedGraph } from '../../../src/core/model/graphCache';
import { linear } from '../../../src/core/model/graphOps';
import { tempDir } from '../../helpers/tempDir';

/** Seeded uniform values in [−1, 1) (a linear congruential generator: the same every run). */
function uniform(count: number, seed: number): Float64Array {
  let state = seed;
  return Float64Array.from({ length: count }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return (2 * state) / 2147483648 - 1;
  });
}

/** The spec's unpacking, element by element: code k of row r, zero point of block b. */
function dequantizeNaively(layout: BlockLayout, codes: Uint8Array, scales: Float32Array, zeroPoints: Uint8Array): { values: Float64Array; padding: number[] } {
  const { n, k, bits, blockSize, blocks } = layout;
  const nibble = (bytes: Uint8Array, index: number) => (bits === 8 ? bytes[index]! : (bytes[index >> 1]! >> (4 * (index & 1))) & 15);
  const values = new Float64Array(n * k);
  const padding: number[] = [];
  for (let row = 0; row < n; row++) {
    for (let block = 0; block < blocks; block++) {
      const zeroPoint = bits === 8 ? zeroPoints[row * blocks + block]! : nibble(zeroPoints.subarray(row * Math.ceil(blocks / 2)), block);
      for (let i = 0; i < blockSize; i++) {
        const code = nibble(codes, (row * blocks + block) * blockSize + i);
        const column = block * blockSize + i;
        if (column < k) values[row * k + column] = (code - zeroPoint) * scales[row * blocks + block]!;
        else padding.push(code - zeroPoint);
      }
    }
  }
  return { values, padding };
}

/** Rows of [k] values whose blocks have very different ranges, and blocks that are all 0, all positive, all negative or constant. */
function testRows(n: number, k: number): Float32Array {
  const random = uniform(n * k, 7);
  const values = Float32Array.from(random, (value, index) => value * 10 ** ((Math.floor(index / 32) % 5) - 3));
  values.fill(0, 0, 32); // row 0, block 0: zeros
  for (let i = 32; i < 64; i++) values[i] = Math.abs(values[i]!) + 0.5; // positive only
  for (let i = k; i < k + 32; i++) values[i] = -Math.abs(values[i]!) - 0.25; // row 1, block 0: negative only
  values.fill(0.3, k + 32, k + 64); // row 1, block 1: constant
  return values;
}

function quantize(values: Float32Array, n: number, k: number, bits: QuantBits) {
  const layout = blockLayout(n, k, bits, 32);
  const out = allocateRows(layout, n);
  quantizeRows(values, n, layout, out, 'test weight');
  return { layout, ...out };
}

describe('block quantization (MatMulNBits layout)', () => {
  for (const bits of [8, 4] as const) {
    for (const k of [96, 70]) {
      it(`${bits} bits, K = ${k}${k % 32 ? ' (last block padded)' : ''}: every value within scale/2 of the original, zeros exact`, () => {
        const n = 6;
        const values = testRows(n, k);
        const { layout, codes, scales, zeroPoints } = quantize(values, n, k, bits);
        const levels = 2 ** bits - 1;
        const { values: back, padding } = dequantizeNaively(layout, codes, scales, zeroPoints);
        let worst = 0;
          for (let row = 0; row < n; row++) {
          for (let column = 0; column < k; column++) {
            const index = row * k + column;
            const scale = scales[row * layout.blocks + Math.floor(column / 32)]!;
            const error = Math.abs(back[index]! - values[index]!);
            assert.ok(error <= scale * (0.5 + levels * 2 ** -24), `row ${row} column ${column}: ${values[index]} came back as ${back[index]} (scale ${scale})`);
            if (values[index] === 0) assert.equal(back[index], 0, 'zero is exact');
            if (scale > 0) worst = Math.max(worst, error / scale);
          }
        }
        assert.ok(worst > 0.4, `the bound is reached, not vacuous (worst ${worst} of a scale)`);
        assert.deepEqual(new Set(padding), padding.length ? new Set([0]) : new Set(), 'padding is the zero point');
        assert.equal(scales[0], 0, 'an all-zero block has scale 0');
        assert.ok(scales[layout.blocks + 1]! > 0 && Math.abs(back[k + 40]! - 0.3) <= scales[layout.blocks + 1]! / 2, 'a constant block');
        assert.equal(codes.length + 4 * scales.length + zeroPoints.length, quantizedBytes(layout));
        assert.equal(codes.length, n * layout.blocks * 32 * bits / 8);
      });
    }
  }

  it('refuses NaN and infinite values, naming the tensor, row and block', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const values = testRows(3, 64);
      values[64 + 40] = bad;
      assert.throws(() => quantize(values, 3, 64, 8), (error: unknown) => error instanceof FrankenlensError && /test weight: row 1, columns 32\.\.63 hold a value that is not finite/.test(error.message));
    }
  });

  it('refuses a block size MatMulNBits does not take', () => {
    assert.throws(() => blockLayout(4, 64, 8, 24), /power of two ≥ 16/);
  });

  for (const dtype of ['F32', 'BF16'] as const) {
    it(`MatMulNBits on a graph built from a stored ${dtype} weight computes x · (dequantized W)ᵀ within its int8 input rounding`, async () => {
      const dir = tempDir();
      const [n, k, m] = [40, 80, 3];
      const stored = Float64Array.from(uniform(n * k, 3), (value) => value * 0.2);
      const file = join(dir, 'weights.safetensors');
      writeSafetensorsFile(file, [{ name: 'w', dtype, shape: [n, k], produce: (write) => write(encodeFloats(stored, dtype)) }]);
      const reader = new FileReader();
      const tensor = openSafetensorsFile(reader, file).tensors[0]!;
      reader.close();
      const graph = cachedGraph(join(dir, 'cache'), 'key', 'graph', [file], (b) => {
        const x = b.input('x', 'float', ['rows', k]);
        b.output('y', linear(b, x, tensor, undefined, 'proj', 'int8'), 'float', ['rows', n]);
      });
      const session = await ort.InferenceSession.create(graph.path, { intraOpNumThreads: 1 });
      // Multiples of 1/127 with a ±1 in every block of 32: what the op's int8 rounding of x keeps exactly.
      const x = Float32Array.from(uniform(m * k, 5), (value, index) => (index % 32 === 7 ? Math.sign(value) || 1 : Math.round(value * 127) / 127));
      const y = (await session.run({ x: new ort.Tensor('float32', x, [m, k]) })).y!.data as Float32Array;
      await session.release();

      // The weight as stored (bf16 rounds), quantized here, then dequantized naively.
      const weight = dtype === 'F32' ? Float32Array.from(stored) : Float32Array.from(new Uint16Array(encodeFloats(stored, dtype).buffer), (bits) => new Float32Array(new Uint32Array([bits << 16]).buffer)[0]!);
      const { layout, codes, scales, zeroPoints } = quantize(weight, n, k, 8);
      const { values: dequantized } = dequantizeNaively(layout, codes, scales, zeroPoints);
      for (let row = 0; row < m; row++) {
        for (let out = 0; out < n; out++) {
          let exact = 0;
          let magnitude = 0;
          for (let column = 0; column < k; column++) {
            exact += x[row * k + column]! * dequantized[out * k + column]!;
            magnitude += Math.abs(x[row * k + column]! * dequantized[out * k + column]!);
          }
          const got = y[row * n + out]!;
          // float32 sums of k products: a few units of 2^-24 of the products' magnitude (measured: 5e-8 of it).
          assert.ok(Math.abs(got - exact) <= 1e-5 * magnitude, `row ${row}, output ${out}: ${got} vs ${exact} (products' magnitude ${magnitude})`);
        }
      }
    });
  }
});

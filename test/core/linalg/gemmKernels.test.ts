import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { chooseGemmKernel, type Matrix } from '../../../src/core/linalg/gemmKernel';
import { jsGemm, jsGemmKernel } from '../../../src/core/linalg/jsGemm';
import { createOnnxGemmKernel } from '../../../src/core/linalg/onnxGemm';
import { seededRandom } from '../../../src/core/seededRandom';

function randomMatrix<D extends Float32Array | Float64Array>(rows: number, cols: number, like: D, seed: string): Matrix<D> {
  const random = seededRandom(9, seed);
  const data = (like instanceof Float64Array ? new Float64Array(rows * cols) : new Float32Array(rows * cols)) as D;
  for (let i = 0; i < data.length; i++) data[i] = random() - 0.5;
  return { data, rows, cols };
}

/** Naive float64 triple loop. */
function naive(a: Matrix, b: Matrix, transposeB: boolean): Float64Array {
  const cols = transposeB ? b.rows : b.cols;
  const out = new Float64Array(a.rows * cols);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < cols; j++) {
    let sum = 0;
    for (let k = 0; k < a.cols; k++) sum += a.data[i * a.cols + k]! * (transposeB ? b.data[j * b.cols + k]! : b.data[k * b.cols + j]!);
    out[i * cols + j] = sum;
  }
  return out;
}

function assertClose(actual: ArrayLike<number>, expected: Float64Array, tolerance: number, label: string) {
  assert.equal(actual.length, expected.length, label);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i]! - expected[i]!) <= tolerance, `${label}[${i}]: ${actual[i]} vs ${expected[i]}`);
}

const SHAPES: [number, number, number][] = [[1, 1, 1], [7, 5, 3], [9, 33, 6], [64, 300, 17]];

describe('Gemm kernels', () => {
  for (const [rows, inner, cols] of SHAPES) {
    for (const transposeB of [false, true]) {
      it(`typed-array kernel matches the naive product: ${rows}×${inner} · ${transposeB ? `(${cols}×${inner})ᵀ` : `${inner}×${cols}`}`, () => {
        for (const like of [new Float32Array(0), new Float64Array(0)]) {
          const a = randomMatrix(rows, inner, like, 'a');
          const b = transposeB ? randomMatrix(cols, inner, like, 'b') : randomMatrix(inner, cols, like, 'b');
          const product = jsGemm(a, b, transposeB);
          assert.equal(product.data.constructor, like.constructor);
          assertClose(product.data, naive(a, b, transposeB), like instanceof Float64Array ? 1e-12 : 1e-5, 'product');
        }
      });
    }
  }

  it('onnxruntime kernel matches the typed-array kernel in float32 and float64', async () => {
    const kernel = await createOnnxGemmKernel(1, ['cpu']);
    after(() => kernel.dispose());
    for (const [rows, inner, cols] of SHAPES) {
      for (const transposeB of [false, true]) {
        for (const like of [new Float32Array(0), new Float64Array(0)]) {
          const a = randomMatrix(rows, inner, like, 'a');
          const b = transposeB ? randomMatrix(cols, inner, like, 'b') : randomMatrix(inner, cols, like, 'b');
          const product = await kernel.multiply(a, b, transposeB);
          assert.equal(product.data.constructor, like.constructor);
          assertClose(product.data, naive(a, b, transposeB), like instanceof Float64Array ? 1e-12 : 1e-5, `${rows}×${inner}×${cols}`);
        }
      }
    }
  });

  it('refuses factors that do not fit or mix precisions', async () => {
    assert.throws(() => jsGemm(randomMatrix(2, 3, new Float32Array(0), 'a'), randomMatrix(2, 3, new Float32Array(0), 'b'), false), /do not fit/);
    assert.throws(() => jsGemm(randomMatrix(2, 3, new Float32Array(0), 'a') as Matrix, randomMatrix(3, 3, new Float64Array(0), 'b') as Matrix, false), /element type/);
  });

  it('chooseGemmKernel times every candidate and keeps the fastest', async () => {
    const slow = { ...jsGemmKernel, name: 'slow', multiply: async <D extends Float32Array | Float64Array>(a: Matrix<D>, b: Matrix<D>, t: boolean) => { await new Promise((resolve) => setTimeout(resolve, 30)); return jsGemm(a, b, t); } };
    const { kernel, timings } = await chooseGemmKernel([slow, jsGemmKernel], { rows: 16, cols: 32, block: 4 }, 1);
    assert.equal(kernel, jsGemmKernel);
    assert.deepEqual(timings.map((timing) => timing.kernel), ['slow', jsGemmKernel.name]);
    assert.ok(timings[0]!.seconds > timings[1]!.seconds);
  });
});

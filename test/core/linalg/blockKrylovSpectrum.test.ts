import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { blockKrylovSpectrum, effectiveRankFromSums } from '../../../src/core/linalg/blockKrylovSpectrum';
import { exactSingularValues } from '../../../src/core/linalg/exactSingularValues';
import type { GemmKernel } from '../../../src/core/linalg/gemmKernel';
import { jsGemmKernel } from '../../../src/core/linalg/jsGemm';
import { createOnnxGemmKernel } from '../../../src/core/linalg/onnxGemm';
import { seededRandom } from '../../../src/core/seededRandom';
import { relativeError } from '../../helpers/spectralGoldens';

/** rows×cols: Gaussian-like noise plus a planted rank-r part with decaying strengths. */
function generated(rows: number, cols: number, rank: number, strength: number, seed: string): Float32Array {
  const random = seededRandom(11, seed);
  const noise = () => (random() + random() + random() - 1.5) * 2;
  const a = new Float32Array(rows * cols);
  for (let i = 0; i < a.length; i++) a[i] = noise();
  const u = Array.from({ length: rank * rows }, noise);
  const v = Array.from({ length: rank * cols }, noise);
  for (let k = 0; k < rank; k++) {
    const scale = strength / (k + 1) / Math.sqrt(cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) a[i * cols + j]! += scale * u[k * rows + i]! * v[k * cols + j]!;
  }
  return a;
}

function exactSums(sigma: Float64Array) {
  const nuclear = sigma.reduce((sum, value) => sum + value, 0);
  const sigmaLog = sigma.reduce((sum, value) => sum + (value > 0 ? value * Math.log(value) : 0), 0);
  return { nuclear, effectiveRank: effectiveRankFromSums(nuclear, sigmaLog) };
}

const CASES = [
  { label: 'low rank plus noise 400×1400', rows: 400, cols: 1400, rank: 6, strength: 60 },
  { label: 'pure noise 1500×400 (no spectral gap, tall)', rows: 1500, cols: 400, rank: 0, strength: 0 },
];

describe('blockKrylovSpectrum (fast mode)', () => {
  let onnx: GemmKernel;
  after(() => onnx?.dispose());

  for (const testCase of CASES) {
    it(`${testCase.label}: within the acceptance tolerances of the exact spectrum, inside its own error bars`, async () => {
      onnx ??= await createOnnxGemmKernel(1, ['cpu']);
      const data = generated(testCase.rows, testCase.cols, testCase.rank, testCase.strength, testCase.label);
      const sigma = exactSingularValues(data, testCase.rows, testCase.cols);
      const exact = exactSums(sigma);
      for (const kernel of [jsGemmKernel, onnx]) {
        const fast = await blockKrylovSpectrum({ data, rows: testCase.rows, cols: testCase.cols }, { kernel, topK: 10, oversampling: 30, maxSteps: 8 });
        assert.ok(!fast.complete, 'the Krylov space stays smaller than the matrix, so this tests estimation');
        assert.ok(relativeError(fast.singularValues[0]!, sigma[0]!) <= 1e-3, `${kernel.name}: σ₁ ${fast.singularValues[0]} vs ${sigma[0]}`);
        fast.singularValues.forEach((value, i) => {
          // Ritz values bound from below up to the float32 rounding of the products (~1e-7 relative).
          assert.ok(value <= sigma[i]! + 1e-6 * sigma[0]!, `σ̃${i + 1} ${value} is a lower bound of ${sigma[i]}`);
          assert.ok(sigma[i]! <= value + fast.errorBounds[i]!, `σ${i + 1} ${sigma[i]} within σ̃ + ${fast.errorBounds[i]}`);
        });
        assert.ok(relativeError(fast.effectiveRank.value, exact.effectiveRank) <= 0.01, `${kernel.name}: effective rank ${fast.effectiveRank.value} vs ${exact.effectiveRank}`);
        assert.ok(Math.abs(fast.effectiveRank.value - exact.effectiveRank) <= fast.effectiveRank.errorBar, `effective rank error within its bar ${fast.effectiveRank.errorBar}`);
        assert.ok(Math.abs(fast.nuclearNorm.value - exact.nuclear) <= fast.nuclearNorm.errorBar, `nuclear ${fast.nuclearNorm.value} vs ${exact.nuclear} ± ${fast.nuclearNorm.errorBar}`);
        assert.ok(fast.smallestSingularValue >= sigma.at(-1)! * (1 - 1e-9), 'the smallest Ritz value bounds σ_min from above');
      }
    });
  }

  it('is exact, with zero error bars, once the Krylov space fills the matrix', async () => {
    const data = generated(30, 70, 3, 20, 'small');
    const sigma = exactSingularValues(data, 30, 70);
    const fast = await blockKrylovSpectrum({ data, rows: 30, cols: 70 }, { kernel: jsGemmKernel, topK: 10 });
    assert.ok(fast.complete);
    assert.ok(relativeError(fast.nuclearNorm.value, exactSums(sigma).nuclear) < 1e-6);
    assert.equal(fast.nuclearNorm.errorBar, 0);
    assert.ok(relativeError(fast.smallestSingularValue, sigma.at(-1)!) < 1e-4);
  });

  it('gives zeros, not NaN, for a zero matrix', async () => {
    const fast = await blockKrylovSpectrum({ data: new Float32Array(40 * 90), rows: 40, cols: 90 }, { kernel: jsGemmKernel, topK: 5 });
    for (const value of [...fast.singularValues, ...fast.errorBounds, fast.nuclearNorm.value, fast.nuclearNorm.errorBar, fast.effectiveRank.value, fast.effectiveRank.errorBar, fast.smallestSingularValue]) {
      assert.equal(value, 0);
    }
  });
});

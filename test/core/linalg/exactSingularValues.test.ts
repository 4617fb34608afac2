import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bidiagonalSingularValues, exactSingularValues } from '../../../src/core/linalg/exactSingularValues';
import { readSpectralGoldens, relativeError } from '../../helpers/spectralGoldens';

describe('exactSingularValues', () => {
  for (const golden of readSpectralGoldens()) {
    it(`matches numpy.linalg.svd on ${golden.name} (${golden.rows}×${golden.cols})`, () => {
      const sigma = exactSingularValues(golden.data, golden.rows, golden.cols);
      assert.equal(sigma.length, golden.singularValues.length);
      const sigma1 = golden.singularValues[0]!;
      golden.singularValues.forEach((expected, i) => {
        // Acceptance: the top 50 within 1e-4 relative; every value within a few ε·σ₁ absolute (LAPACK's own accuracy).
        if (i < 50) assert.ok(relativeError(sigma[i]!, expected) <= 1e-4 || expected === 0 && sigma[i]! === 0, `σ${i + 1} = ${sigma[i]} vs numpy ${expected}`);
        assert.ok(Math.abs(sigma[i]! - expected) <= 1e-13 * Math.max(sigma1, 1e-300) || sigma[i] === expected, `σ${i + 1} = ${sigma[i]} vs numpy ${expected} (absolute)`);
      });
    });
  }

  it('keeps high relative accuracy on the ill-conditioned matrices (σ_min ~ 1e-6 σ₁)', () => {
    for (const golden of readSpectralGoldens().filter((matrix) => matrix.name.includes('ill_conditioned'))) {
      const sigma = exactSingularValues(golden.data, golden.rows, golden.cols);
      assert.ok(relativeError(sigma.at(-1)!, golden.singularValues.at(-1)!) <= 1e-6, `${golden.name}: σ_min ${sigma.at(-1)} vs ${golden.singularValues.at(-1)}`);
    }
  });

  it('agrees with closed forms: diagonal, orthogonal, 1×1 and empty', () => {
    const diagonal = new Float64Array([3, 0, 0, 0, -5, 0, 0, 0, 0.5]);
    assert.deepEqual(Array.from(exactSingularValues(diagonal, 3, 3)).map((value) => +value.toPrecision(14)), [5, 3, 0.5]);
    const angle = 0.7;
    const rotation = new Float64Array([Math.cos(angle), -Math.sin(angle), Math.sin(angle), Math.cos(angle)]);
    for (const value of exactSingularValues(rotation, 2, 2)) assert.ok(Math.abs(value - 1) < 1e-14);
    assert.ok(relativeError(exactSingularValues(new Float32Array([-2]), 1, 1)[0]!, 2) < 1e-15);
    assert.equal(exactSingularValues(new Float32Array(0), 0, 4).length, 0);
  });

  it('finds the bidiagonal singular values of the all-ones bidiagonal (σ_k = 2 cos(kπ/(2n+1)))', () => {
    const n = 20;
    const sigma = bidiagonalSingularValues(new Float64Array(n).fill(1), new Float64Array(n - 1).fill(1));
    for (let k = 1; k <= n; k++) assert.ok(relativeError(sigma[k - 1]!, 2 * Math.cos((k * Math.PI) / (2 * n + 1))) < 1e-13, `σ${k}`);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { symmetricEigen } from '../../../src/core/linalg/symmetricEigen';
import { seededRandom } from '../../../src/core/seededRandom';

describe('symmetricEigen', () => {
  it('gives the closed-form spectrum of the second-difference matrix (2 − 2cos(kπ/(n+1)))', () => {
    const n = 30;
    const matrix = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      matrix[i * n + i] = 2;
      if (i + 1 < n) matrix[i * n + i + 1] = matrix[(i + 1) * n + i] = -1;
    }
    const { values } = symmetricEigen(matrix, n);
    for (let k = 1; k <= n; k++) assert.ok(Math.abs(values[k - 1]! - (2 - 2 * Math.cos((k * Math.PI) / (n + 1)))) < 1e-13, `λ${k}`);
  });

  it('returns orthonormal eigenvectors with A·v = λ·v on a random symmetric matrix', () => {
    const n = 40;
    const random = seededRandom(5, 'eigen');
    const matrix = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) matrix[i * n + j] = matrix[j * n + i] = random() - 0.5;
    const { values, vectors } = symmetricEigen(matrix, n);
    for (let j = 1; j < n; j++) assert.ok(values[j - 1]! <= values[j]!, 'ascending');
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) {
        let dot = 0;
        let applied = 0;
        for (let k = 0; k < n; k++) {
          dot += vectors[k * n + a]! * vectors[k * n + b]!;
          applied += matrix[b * n + k]! * vectors[k * n + a]!;
        }
        assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-12, `vᵀv at ${a},${b}`);
        assert.ok(Math.abs(applied - values[a]! * vectors[b * n + a]!) < 1e-12, `A·v at ${a},${b}`);
      }
    }
  });

  it('handles a zero matrix and a 1×1 matrix', () => {
    assert.deepEqual(Array.from(symmetricEigen(new Float64Array(9), 3).values), [0, 0, 0]);
    assert.deepEqual(Array.from(symmetricEigen(new Float64Array([-4]), 1).values), [-4]);
  });
});

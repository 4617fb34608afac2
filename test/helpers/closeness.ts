/** Elementwise closeness for model outputs: |actual − expected| ≤ atol + rtol·|expected| everywhere. */
import assert from 'node:assert/strict';

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: { atol: number; rtol?: number }, what: string): number {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} values, expected ${expected.length}`);
  let worst = 0;
  for (let index = 0; index < expected.length; index++) {
    const excess = Math.abs(actual[index]! - expected[index]!) - (tolerance.atol + (tolerance.rtol ?? 0) * Math.abs(expected[index]!));
    if (!(excess <= 0)) assert.fail(`${what}: element ${index} is ${actual[index]}, expected ${expected[index]} (atol ${tolerance.atol}, rtol ${tolerance.rtol ?? 0})`);
    worst = Math.max(worst, Math.abs(actual[index]! - expected[index]!));
  }
  return worst;
}

import assert from 'node:assert/strict';

export interface Closeness {
  /** Largest |actual − expected|. */
  maxAbs: number;
  /** Largest |actual − expected| / |expected| over elements with |expected| > atol (relative error where it means something). */
  maxRel: number;
}

/** numpy.allclose semantics, |a − e| ≤ atol + rtol·|e| for every element; fails naming the worst element. */
export function assertAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: { rtol: number; atol: number }, label: string): Closeness {
  assert.equal(actual.length, expected.length, `${label}: ${actual.length} values, expected ${expected.length}`);
  let maxAbs = 0;
  let maxRel = 0;
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const difference = Math.abs(actual[i]! - expected[i]!);
    if (!(difference <= tolerance.atol + tolerance.rtol * Math.abs(expected[i]!)) && (worst < 0 || difference > worstExcess)) {
      worst = i;
      worstExcess = difference;
    }
    maxAbs = Math.max(maxAbs, difference);
    if (Math.abs(expected[i]!) > tolerance.atol) maxRel = Math.max(maxRel, difference / Math.abs(expected[i]!));
  }
  assert.ok(worst < 0, `${label}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (rtol ${tolerance.rtol}, atol ${tolerance.atol}; max abs error ${maxAbs})`);
  return { maxAbs, maxRel };
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { wilsonInterval } from '../../../src/core/stats/wilson';

/**
 * The Wilson bounds are the two roots p of (p̂ − p)² = z²·p(1 − p)/n, i.e. of
 * (1 + z²/n)p² − (2p̂ + z²/n)p + p̂² = 0: solved here with the quadratic formula, independently of
 * the centre/half-width form the code uses.
 */
function quadraticRoots(successes: number, n: number, z: number): [number, number] {
  const p = successes / n;
  const a = 1 + (z * z) / n;
  const b = -(2 * p + (z * z) / n);
  const c = p * p;
  const root = Math.sqrt(b * b - 4 * a * c);
  return [(-b - root) / (2 * a), (-b + root) / (2 * a)];
}

describe('Wilson interval', () => {
  it("reproduces Newcombe (1998, Stat. Med. 17:857, Table I, method 3) to its four decimals", () => {
    const published: [number, number, number, number][] = [
      [81, 263, 0.2553, 0.3662],
      [15, 148, 0.0624, 0.1605],
      [0, 20, 0, 0.1611],
      [1, 29, 0.0061, 0.1718],
    ];
    for (const [successes, n, lower, upper] of published) {
      const interval = wilsonInterval(successes, n);
      assert.ok(Math.abs(interval.lower - lower) < 5e-5 && Math.abs(interval.upper - upper) < 5e-5, `${successes}/${n}: ${interval.lower}, ${interval.upper}`);
    }
  });

  it('equals the roots of the score-test quadratic to 1e-12, at several confidences', () => {
    const zFor = { 0.9: 1.6448536269514722, 0.95: 1.959963984540054, 0.99: 2.5758293035489004 };
    for (const [confidence, z] of Object.entries(zFor)) {
      for (const [successes, n] of [[1, 10], [50, 100], [7, 9], [999, 1000], [3, 1000]] as const) {
        const interval = wilsonInterval(successes, n, Number(confidence));
        const [lower, upper] = quadraticRoots(successes, n, z);
        assert.ok(Math.abs(interval.lower - lower) < 1e-12 && Math.abs(interval.upper - upper) < 1e-12, `${successes}/${n} at ${confidence}`);
      }
    }
  });

  it('handles the ends and refuses nonsense', () => {
    assert.deepEqual(wilsonInterval(0, 0), { lower: 0, upper: 1, confidence: 0.95 });
    const all = wilsonInterval(10, 10);
    assert.equal(all.upper, 1);
    assert.ok(Math.abs(all.lower - quadraticRoots(10, 10, 1.959963984540054)[0]) < 1e-12);
    assert.equal(wilsonInterval(0, 10).lower, 0);
    assert.throws(() => wilsonInterval(11, 10), RangeError);
    assert.throws(() => wilsonInterval(1.5, 10), RangeError);
    assert.throws(() => wilsonInterval(1, 10, 1), RangeError);
  });
});

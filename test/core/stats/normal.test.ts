import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { erfc, normalCdf, normalQuantile } from '../../../src/core/stats/normal';

/** Python's math.erfc (the C library's), printed with repr. */
const ERFC: [number, number][] = [
  [0, 1],
  [0.1, 0.8875370839817152],
  [0.49, 0.4883317388114769],
  [0.5, 0.4795001221869535],
  [1, 0.15729920705028513],
  [1.5, 0.033894853524689274],
  [2, 0.004677734981047265],
  [2.9, 4.109787809945886e-5],
  [3, 2.2090496998585438e-5],
  [3.1, 1.1648657367199589e-5],
  [4, 1.541725790028002e-8],
  [5, 1.5374597944280351e-12],
  [6, 2.1519736712498916e-17],
  [10, 2.088487583762545e-45],
  [-1, 1.842700792949715],
  [-2.5, 1.999593047982555],
];

/** Python's statistics.NormalDist().inv_cdf. */
const QUANTILES: [number, number][] = [
  [1e-10, -6.361340902404056],
  [0.001, -3.090232306167813],
  [0.025, -1.9599639845400538],
  [0.3, -0.5244005127080407],
  [0.5, 0],
  [0.9, 1.2815515655446008],
  [0.975, 1.9599639845400536],
  [0.995, 2.5758293035489],
];

describe('normal distribution', () => {
  it('erfc matches the C library to 1e-13 relative, on both sides of the series/continued-fraction switch at 0.5', () => {
    for (const [x, expected] of ERFC) {
      const relative = Math.abs(erfc(x) - expected) / expected;
      assert.ok(relative < 1e-13, `erfc(${x}) = ${erfc(x)}, expected ${expected} (relative error ${relative})`);
    }
  });

  it('the quantile matches Python and inverts the CDF', () => {
    for (const [p, expected] of QUANTILES) assert.ok(Math.abs(normalQuantile(p) - expected) < 1e-12, `quantile(${p}) = ${normalQuantile(p)}, expected ${expected}`);
    for (const p of [1e-12, 0.01, 0.02425, 0.2, 0.7, 0.97575, 0.999]) {
      assert.ok(Math.abs(normalCdf(normalQuantile(p)) - p) < 1e-14 * Math.max(1, 1 / p) * p + 1e-16, `CDF(quantile(${p}))`);
    }
    assert.equal(normalQuantile(0), -Infinity);
    assert.equal(normalQuantile(1), Infinity);
    assert.throws(() => normalQuantile(1.5), RangeError);
  });

  it('the CDF matches a Simpson integral of the density', () => {
    const density = (t: number) => Math.exp((-t * t) / 2) / Math.sqrt(2 * Math.PI);
    for (const z of [-2, -0.3, 0.7, 1.96]) {
      const steps = 20_000;
      const low = -12;
      const h = (z - low) / steps;
      let sum = density(low) + density(z);
      for (let i = 1; i < steps; i++) sum += (i % 2 ? 4 : 2) * density(low + i * h);
      assert.ok(Math.abs(normalCdf(z) - (sum * h) / 3) < 1e-12, `CDF(${z})`);
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mcnemarTest } from '../../../src/core/stats/mcnemar';

/** Two-sided exact binomial p with exact integer arithmetic: 2·Σ_{k ≤ min} C(n, k) / 2ⁿ, capped at 1. */
function exactP(b: number, c: number): number {
  const n = b + c;
  let choose = 1n;
  let tail = 0n;
  for (let k = 0; k <= Math.min(b, c); k++) {
    tail += choose;
    choose = (choose * BigInt(n - k)) / BigInt(k + 1);
  }
  return Math.min(1, Number((2n * tail * 10n ** 30n) / 2n ** BigInt(n)) / 1e30);
}

/** Chi-square (1 df) upper tail P(χ² ≥ x) = 2·∫_{√x}^∞ φ(u) du, by Simpson's rule (no erfc). */
function chiSquareTail(x: number): number {
  const density = (u: number) => Math.exp((-u * u) / 2) / Math.sqrt(2 * Math.PI);
  const low = Math.sqrt(x);
  const high = low + 15;
  const steps = 20_000;
  const h = (high - low) / steps;
  let sum = density(low) + density(high);
  for (let i = 1; i < steps; i++) sum += (i % 2 ? 4 : 2) * density(low + i * h);
  return (2 * sum * h) / 3;
}

describe('McNemar test', () => {
  it('exact p-values equal the binomial sum computed with integers', () => {
    for (const [b, c] of [[0, 1], [1, 0], [3, 3], [2, 9], [10, 2], [0, 12], [11, 13], [5, 19], [100, 130]]) {
      const result = mcnemarTest(b!, c!, 'exact');
      assert.equal(result.method, 'exact');
      assert.ok(Math.abs(result.pValue - exactP(b!, c!)) < 1e-12 * Math.max(1e-3, exactP(b!, c!)) + 1e-15, `${b}, ${c}: ${result.pValue} vs ${exactP(b!, c!)}`);
    }
    // Small closed forms: 0 vs 5 discordant pairs is 2/32; 1 vs 6 is 2·8/128.
    assert.ok(Math.abs(mcnemarTest(0, 5).pValue - 2 / 32) < 1e-15);
    assert.ok(Math.abs(mcnemarTest(1, 6).pValue - 16 / 128) < 1e-15);
  });

  it('chi-square p-values with continuity correction match an independent integral of the density', () => {
    for (const [b, c] of [[30, 14], [20, 20], [40, 10], [13, 12], [200, 150]]) {
      const result = mcnemarTest(b!, c!, 'chi-square');
      const statistic = Math.max(0, Math.abs(b! - c!) - 1) ** 2 / (b! + c!);
      assert.ok(Math.abs(result.statistic! - statistic) < 1e-15);
      assert.ok(Math.abs(result.pValue - chiSquareTail(statistic)) < 1e-10, `${b}, ${c}: ${result.pValue} vs ${chiSquareTail(statistic)}`);
    }
    // The 5% critical value of chi-square with one degree of freedom.
    const critical = 3.841458820694124;
    assert.ok(Math.abs(chiSquareTail(critical) - 0.05) < 1e-10);
  });

  it('auto picks the exact test below 25 discordant pairs and says so', () => {
    assert.equal(mcnemarTest(12, 12).method, 'exact');
    assert.equal(mcnemarTest(12, 13).method, 'chi-square');
    assert.equal(mcnemarTest(0, 0).pValue, 1);
    assert.throws(() => mcnemarTest(-1, 3), RangeError);
  });
});

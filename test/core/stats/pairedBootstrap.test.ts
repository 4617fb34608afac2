import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pairedBootstrap } from '../../../src/core/stats/pairedBootstrap';
import { seededRandom } from '../../../src/core/seededRandom';

function normalSampler(seed: number): () => number {
  const random = seededRandom(seed, 'test-normal');
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

describe('paired bootstrap', () => {
  const first = [1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1];
  const second = [1, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1];

  it('is reproducible by seed, and the seed matters', () => {
    const a = pairedBootstrap(first, second, { seed: 7, resamples: 2000 });
    const b = pairedBootstrap(first, second, { seed: 7, resamples: 2000 });
    const c = pairedBootstrap(first, second, { seed: 8, resamples: 2000 });
    assert.deepEqual(a, b);
    assert.notEqual(a.standardError, c.standardError);
    assert.equal(a.meanDifference, 0.2); // 4 items only the second got right
  });

  it('its standard error matches the plug-in standard error of a mean, sd/√n', () => {
    const sample = normalSampler(3);
    const x = Array.from({ length: 80 }, sample);
    const y = x.map((value) => value + 0.5 + sample());
    const result = pairedBootstrap(x, y, { seed: 1, resamples: 20_000 });
    const d = y.map((value, i) => value - x[i]!);
    const mean = d.reduce((s, v) => s + v, 0) / d.length;
    const plugIn = Math.sqrt(d.reduce((s, v) => s + (v - mean) ** 2, 0) / d.length / d.length);
    assert.ok(Math.abs(result.standardError / plugIn - 1) < 0.03, `${result.standardError} vs ${plugIn}`);
    assert.ok(Math.abs(result.meanDifference - mean) < 1e-12);
  });

  it('covers the true difference about 95% of the time (simulation, 300 data sets)', () => {
    const sample = normalSampler(11);
    const trueDifference = 0.3;
    let covered = 0;
    const trials = 300;
    for (let t = 0; t < trials; t++) {
      const x = Array.from({ length: 50 }, sample);
      const y = x.map((value) => value + trueDifference + sample());
      const { interval } = pairedBootstrap(x, y, { seed: t, resamples: 1000 });
      if (interval.lower <= trueDifference && trueDifference <= interval.upper) covered++;
    }
    // Binomial(300, 0.95) lies in [0.91, 0.985] with probability > 0.999; percentile intervals run slightly narrow.
    assert.ok(covered / trials > 0.9 && covered / trials < 0.99, `coverage ${covered / trials}`);
  });

  it('gives a small p-value for a clear difference and 1 for none', () => {
    const sample = normalSampler(5);
    const x = Array.from({ length: 60 }, sample);
    assert.ok(pairedBootstrap(x, x.map((v) => v + 1 + 0.5 * sample()), { resamples: 2000 }).pValue < 0.01);
    const none = pairedBootstrap(first, first, { resamples: 500 });
    assert.deepEqual([none.meanDifference, none.interval.lower, none.interval.upper, none.pValue], [0, 0, 0, 1]);
  });

  it('one pair: every resample is that pair', () => {
    const result = pairedBootstrap([2], [5], { resamples: 10 });
    assert.deepEqual([result.interval.lower, result.interval.upper], [3, 3]);
  });

  it('refuses unequal lengths and empty input', () => {
    assert.throws(() => pairedBootstrap([1], [1, 2]), RangeError);
    assert.throws(() => pairedBootstrap([], []), RangeError);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accuracyOf, compareCheckpoints, mRea, mV2r, mVis, transitionStats } from '../../../src/core/bench/benchMetrics';
import { mcnemarTest } from '../../../src/core/stats/mcnemar';
import { pairedBootstrap } from '../../../src/core/stats/pairedBootstrap';
import { wilsonInterval } from '../../../src/core/stats/wilson';
import { seededRandom } from '../../../src/core/seededRandom';

const fromString = (marks: string, prefix = 'q') => new Map([...marks].map((mark, i) => [`${prefix}${i}`, mark === 'T']));

describe('paper metrics (reference §3.8)', () => {
  // Ten items; A = real image, B = black image. By hand: TT at 0,3,8; TF at 1,2,9; FT at 4,7; FF at 5,6.
  const real = fromString('TTTTFFFFTT');
  const black = fromString('TFFTTFFTTF');

  it('transition counts and rates, by hand', () => {
    const stats = transitionStats(real, black);
    assert.deepEqual([stats.n, stats.nTT, stats.nTF, stats.nFT, stats.nFF], [10, 3, 3, 2, 2]);
    assert.equal(stats.accA, 0.6);
    assert.equal(stats.accB, 0.5);
    assert.ok(Math.abs(stats.deltaAcc - 0.1) < 1e-15);
    assert.equal(stats.netGain, -1);
    assert.equal(stats.sideEffectRate, 0.5); // 3 / (3 + 3)
    assert.equal(stats.liftRate, 0.5); // 2 / (2 + 2)
  });

  it('M_vis = n_TF/N, M_v2r = n_TT/N, M_rea = accuracy, each with its Wilson interval and counts', () => {
    const vis = mVis(real, black);
    assert.deepEqual([vis.value, vis.count, vis.n], [0.3, 3, 10]);
    assert.deepEqual(vis.interval, wilsonInterval(3, 10));
    assert.equal(vis.transitions!.nTF, 3);
    const v2r = mV2r(real, black);
    assert.deepEqual([v2r.value, v2r.count, v2r.n], [0.3, 3, 10]);
    const rea = mRea(fromString('TTFTF'));
    assert.deepEqual([rea.value, rea.count, rea.n, rea.transitions], [0.6, 3, 5, undefined]);
  });

  it('N is the intersection of the ids answered in both settings', () => {
    const b = new Map(black);
    b.delete('q0'); // a failed description drops the item from B only
    b.set('extra', true);
    const stats = transitionStats(real, b);
    assert.equal(stats.n, 9);
    assert.deepEqual([stats.onlyInA, stats.onlyInB], [['q0'], ['extra']]);
    assert.equal(mV2r(real, b).value, 2 / 9);
  });

  it('rates with a zero denominator are 0, as in the paper', () => {
    const stats = transitionStats(fromString('FF'), fromString('FF'));
    assert.deepEqual([stats.sideEffectRate, stats.liftRate, stats.accA], [0, 0, 0]);
    const empty = transitionStats(new Map(), new Map());
    assert.deepEqual([empty.n, empty.accA, mVis(new Map(), new Map()).value], [0, 0, 0]);
    assert.deepEqual(mVis(new Map(), new Map()).interval, { lower: 0, upper: 1, confidence: 0.95 });
  });

  it('agrees with a naive count on random data', () => {
    const random = seededRandom(4, 'metrics');
    const a = new Map(Array.from({ length: 300 }, (_, i) => [`i${i}`, random() < 0.6]));
    const b = new Map(Array.from({ length: 300 }, (_, i) => [`i${i}`, random() < 0.4]));
    const stats = transitionStats(a, b);
    const ids = [...a.keys()];
    const naive = (x: boolean, y: boolean) => ids.filter((id) => a.get(id) === x && b.get(id) === y).length;
    assert.deepEqual([stats.nTT, stats.nTF, stats.nFT, stats.nFF], [naive(true, true), naive(true, false), naive(false, true), naive(false, false)]);
    assert.equal(stats.accA, ids.filter((id) => a.get(id)).length / 300);
  });
});

describe('accuracy and checkpoint comparison', () => {
  it('accuracy with its Wilson interval', () => {
    const result = accuracyOf([true, true, false, true]);
    assert.deepEqual([result.correct, result.total, result.accuracy], [3, 4, 0.75]);
    assert.deepEqual(result.interval, wilsonInterval(3, 4));
    assert.deepEqual(accuracyOf([]).accuracy, 0);
  });

  it('compares two checkpoints on their shared items: McNemar on the discordant pairs, a paired bootstrap of the difference', () => {
    const inCheckpoint = fromString('TTTTFFFFTTFF');
    const rl = fromString('TTFTTTTFTTTF');
    rl.delete('q11');
    const comparison = compareCheckpoints(inCheckpoint, rl, { seed: 3, resamples: 2000 });
    assert.equal(comparison.n, 11);
    // Shared items q0..q10: IN right only at q2; RL right only at q4, q5, q6, q10.
    assert.deepEqual(comparison.mcnemar, mcnemarTest(1, 4));
    assert.equal(comparison.mcnemar.method, 'exact');
    assert.ok(Math.abs(comparison.difference - 3 / 11) < 1e-15);
    const ids = Array.from({ length: 11 }, (_, i) => `q${i}`);
    assert.deepEqual(comparison.bootstrap, pairedBootstrap(ids.map((id) => Number(inCheckpoint.get(id))), ids.map((id) => Number(rl.get(id))), { seed: 3, resamples: 2000 }));
    assert.ok(Math.abs(comparison.bootstrap.meanDifference - comparison.difference) < 1e-15);
    assert.throws(() => compareCheckpoints(fromString('T', 'a'), fromString('T', 'b')), /share no scored items/);
  });
});

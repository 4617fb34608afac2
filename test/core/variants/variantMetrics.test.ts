/**
 * The numbers of a variant sweep against a table written by hand: M_vis, M_v2r and M_rea with
 * their paired counts, McNemar's exact p-value from its closed form, and the paired bootstrap
 * interval from a naive loop over the same seeded draws.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScoredResponse } from '../../../src/core/bench/scoreResponses';
import { seededRandom } from '../../../src/core/seededRandom';
import { compareWithBaseline, paperMetrics, type ComparisonSettings } from '../../../src/core/variants/variantMetrics';

/** "TF-T" → [T, F, missing, T] as scored answers of items a, b, c, d, … ("-": not answered). */
function answers(pattern: string, ids = 'abcdefgh'): ScoredResponse[] {
  return [...pattern].flatMap((mark, index) => (mark === '-' ? [] : [{ id: ids[index]!, correct: mark === 'T' } as ScoredResponse]));
}

/** Wilson 95% by its closed form: (p + z²/2n ± z√(p(1−p)/n + z²/4n²)) / (1 + z²/n). */
function wilson(successes: number, n: number): [number, number] {
  const z = 1.959963984540054;
  const p = successes / n;
  const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
  return [centre - half, centre + half];
}

const close = (actual: number, expected: number, tolerance = 1e-12) => assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} vs ${expected}`);

// Items a–f have an image, g and h are text only.
const TEXT_ONLY = new Set(['g', 'h']);
const IN = { real: answers('TTFTFTTF'), black: answers('FTFFTT'), 'black+description': answers('TFFTFT') };

describe('variant sweep metrics', () => {
  it('M_vis, M_v2r and M_rea with their paired counts, by hand', () => {
    const metrics = paperMetrics(IN, TEXT_ONLY);
    // real vs black over a–f: TT b, f; TF a, d; FT e; FF c.
    assert.deepEqual([metrics.M_vis!.count, metrics.M_vis!.n, metrics.M_vis!.value], [2, 6, 2 / 6]);
    const { nTT, nTF, nFT, nFF, onlyInA, onlyInB } = metrics.M_vis!.transitions!;
    assert.deepEqual({ nTT, nTF, nFT, nFF, onlyInA, onlyInB }, { nTT: 2, nTF: 2, nFT: 1, nFF: 1, onlyInA: [], onlyInB: [] });
    // real vs black + description: TT a, d, f; TF b; FT none; FF c, e.
    assert.deepEqual([metrics.M_v2r!.count, metrics.M_v2r!.n], [3, 6]);
    assert.deepEqual([metrics.M_v2r!.transitions!.nTF, metrics.M_v2r!.transitions!.nFF], [1, 2]);
    // text only: g right, h wrong.
    assert.deepEqual([metrics.M_rea!.count, metrics.M_rea!.n, metrics.M_rea!.transitions], [1, 2, undefined]);
    for (const metric of [metrics.M_vis!, metrics.M_v2r!, metrics.M_rea!]) {
      const [lower, upper] = wilson(metric.count, metric.n);
      close(metric.interval.lower, lower);
      close(metric.interval.upper, upper);
    }
  });

  it('leaves out a metric whose condition or items the sweep lacks', () => {
    assert.deepEqual(Object.keys(paperMetrics({ real: IN.real }, TEXT_ONLY)), ['M_rea']);
    assert.deepEqual(Object.keys(paperMetrics({ real: IN.real.slice(0, 6), black: IN.black }, new Set())), ['M_vis']);
  });

  const settings: ComparisonSettings = { baseline: 'IN', condition: 'real', mcnemar: 'exact', bootstrap: { resamples: 4000, seed: 17, confidence: 0.95 } };

  it('McNemar exact on the discordant items, p from the binomial closed form', () => {
    // IN right on a b d f g; the variant on all eight: b = 0 (only IN), c = 3 (c, e, h).
    const all = compareWithBaseline(IN.real, answers('TTTTTTTT'), settings);
    assert.deepEqual([all.n, all.mcnemar.onlyFirst, all.mcnemar.onlySecond, all.mcnemar.method], [8, 0, 3, 'exact']);
    close(all.mcnemar.pValue, (2 * 1) / 2 ** 3); // 2·C(3,0)/2³
    close(all.difference, 3 / 8);
    // 22 items: IN alone right on 2, the model alone on 9, both on 6, neither on 5.
    const ids = Array.from({ length: 22 }, (_, i) => `q${i}`);
    const pattern = (marks: string) => [...marks].map((mark, i) => ({ id: ids[i]!, correct: mark === 'T' }) as ScoredResponse);
    const larger = compareWithBaseline(pattern('TT' + 'F'.repeat(9) + 'TTTTTT' + 'FFFFF'), pattern('FF' + 'T'.repeat(9) + 'TTTTTT' + 'FFFFF'), settings);
    assert.deepEqual([larger.mcnemar.onlyFirst, larger.mcnemar.onlySecond], [2, 9]);
    close(larger.mcnemar.pValue, (2 * (1 + 11 + 55)) / 2 ** 11); // 2·(C(11,0)+C(11,1)+C(11,2))/2¹¹
  });

  it('the paired bootstrap interval equals a naive loop over the same seeded draws', () => {
    const variant = answers('FTTTTTFT');
    const result = compareWithBaseline(IN.real, variant, settings);
    const first = IN.real.map((answer) => (answer.correct ? 1 : 0));
    const second = variant.map((answer) => (answer.correct ? 1 : 0));
    const random = seededRandom(settings.bootstrap.seed, 'paired-bootstrap');
    const means: number[] = [];
    for (let r = 0; r < settings.bootstrap.resamples; r++) {
      let sum = 0;
      for (let i = 0; i < first.length; i++) {
        const pick = Math.floor(random() * first.length);
        sum += second[pick]! - first[pick]!;
      }
      means.push(sum / first.length);
    }
    means.sort((a, b) => a - b);
    const quantile = (q: number) => {
      const position = q * (means.length - 1);
      const below = Math.floor(position);
      return means[below]! + (position - below) * (means[Math.min(below + 1, means.length - 1)]! - means[below]!);
    };
    close(result.bootstrap.interval.lower, quantile(0.025));
    close(result.bootstrap.interval.upper, quantile(0.975));
    close(result.bootstrap.meanDifference, (6 - 5) / 8);
    assert.equal(result.bootstrap.seed, 17);
    // A known distribution too: the resampled mean of 8 draws from {−1: 2, 0: 3, +1: 3} has sd √(Var/8), Var = 5/8 − (1/8)².
    close(result.bootstrap.standardError, Math.sqrt((5 / 8 - 1 / 64) / 8), 0.01);
  });
});

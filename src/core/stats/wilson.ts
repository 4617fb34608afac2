import { normalQuantile } from './normal';

export interface ProportionInterval {
  lower: number;
  upper: number;
  /** Two-sided coverage, e.g. 0.95. */
  confidence: number;
}

/**
 * Wilson score interval for a binomial proportion (no continuity correction):
 * (p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n). With n = 0 nothing is known: [0, 1].
 */
export function wilsonInterval(successes: number, n: number, confidence = 0.95): ProportionInterval {
  if (!Number.isInteger(successes) || !Number.isInteger(n) || successes < 0 || successes > n) {
    throw new RangeError(`Wilson interval needs integers 0 ≤ successes ≤ n, got ${successes} of ${n}`);
  }
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  if (n === 0) return { lower: 0, upper: 1, confidence };
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const p = successes / n;
  const z2n = (z * z) / n;
  const center = (p + z2n / 2) / (1 + z2n);
  const halfWidth = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  // Clamp the rounding at the ends: 0 of n has lower bound exactly 0, n of n upper bound exactly 1.
  return {
    lower: successes === 0 ? 0 : Math.max(0, center - halfWidth),
    upper: successes === n ? 1 : Math.min(1, center + halfWidth),
    confidence,
  };
}

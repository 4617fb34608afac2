import { erfc } from './normal';

export type McNemarMethod = 'exact' | 'chi-square';

export interface McNemarResult {
  /** Pairs where only the first checkpoint was right. */
  onlyFirst: number;
  /** Pairs where only the second checkpoint was right. */
  onlySecond: number;
  method: McNemarMethod;
  /** The continuity-corrected chi-square statistic (chi-square method only). */
  statistic?: number;
  /** Two-sided p-value for "both checkpoints are equally often right". */
  pValue: number;
}

/** Below this many discordant pairs the chi-square approximation is poor, so 'auto' uses the exact test. */
export const EXACT_BELOW_DISCORDANT = 25;

/**
 * McNemar's test on the discordant pairs of a paired comparison. Only the pairs where exactly one
 * side is right carry information; under the null each is equally likely to go either way.
 * - exact: two-sided binomial test, p = min(1, 2·P(X ≤ min(b, c))) with X ~ Binomial(b + c, 1/2);
 * - chi-square: Edwards' continuity correction, χ² = max(0, |b − c| − 1)² / (b + c) on 1 degree of
 *   freedom, p = erfc(√(χ²/2)).
 * 'auto' (the default) takes the exact test when b + c < 25, the chi-square test otherwise.
 */
export function mcnemarTest(onlyFirst: number, onlySecond: number, method: McNemarMethod | 'auto' = 'auto'): McNemarResult {
  for (const count of [onlyFirst, onlySecond]) {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`McNemar counts must be non-negative integers, got ${count}`);
  }
  const discordant = onlyFirst + onlySecond;
  const chosen = method === 'auto' ? (discordant < EXACT_BELOW_DISCORDANT ? 'exact' : 'chi-square') : method;
  if (discordant === 0) return { onlyFirst, onlySecond, method: chosen, ...(chosen === 'chi-square' ? { statistic: 0 } : {}), pValue: 1 };
  if (chosen === 'exact') {
    return { onlyFirst, onlySecond, method: 'exact', pValue: Math.min(1, 2 * binomialLowerTail(Math.min(onlyFirst, onlySecond), discordant)) };
  }
  const corrected = Math.max(0, Math.abs(onlyFirst - onlySecond) - 1);
  const statistic = (corrected * corrected) / discordant;
  return { onlyFirst, onlySecond, method: 'chi-square', statistic, pValue: erfc(Math.sqrt(statistic / 2)) };
}

/** P(X ≤ k) for X ~ Binomial(n, 1/2), summed in log space so large n cannot underflow. */
function binomialLowerTail(k: number, n: number): number {
  let logChoose = 0; // log C(n, 0)
  const logTerms: number[] = [];
  for (let i = 0; i <= k; i++) {
    logTerms.push(logChoose - n * Math.LN2);
    logChoose += Math.log(n - i) - Math.log(i + 1);
  }
  const largest = Math.max(...logTerms);
  return Math.exp(largest) * logTerms.reduce((sum, logTerm) => sum + Math.exp(logTerm - largest), 0);
}

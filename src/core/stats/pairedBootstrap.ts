import { seededRandom } from '../seededRandom';

export interface BootstrapOptions {
  /** Bootstrap resamples (default 10000). */
  resamples?: number;
  /** Seed of the resampling generator: the same seed gives the same interval (default 0). */
  seed?: number;
  /** Two-sided coverage of the interval (default 0.95). */
  confidence?: number;
}

export interface PairedBootstrapResult {
  /** mean(second − first) over the pairs. */
  meanDifference: number;
  /** Percentile interval of the resampled mean differences. */
  interval: { lower: number; upper: number; confidence: number };
  /**
   * Two-sided p-value for "mean difference 0": the share of resampled differences, centred on the
   * observed one, at least as far from it as the observed difference is from 0.
   */
  pValue: number;
  /** Standard deviation of the resampled mean differences (the bootstrap standard error). */
  standardError: number;
  pairs: number;
  resamples: number;
  seed: number;
}

/**
 * Paired bootstrap of a mean difference: resample the pairs (with replacement, as whole pairs, so the
 * pairing is kept) and recompute mean(second − first). For per-item correctness (0/1) this is the
 * accuracy difference between two checkpoints on the same items; for per-sample probe values it is
 * "RL − IN" with an interval. Percentiles use linear interpolation between order statistics
 * (numpy's default). Reproducible: the project's seeded xorshift generator draws the indices.
 */
export function pairedBootstrap(first: ArrayLike<number>, second: ArrayLike<number>, options: BootstrapOptions = {}): PairedBootstrapResult {
  const resamples = options.resamples ?? 10_000;
  const seed = options.seed ?? 0;
  const confidence = options.confidence ?? 0.95;
  if (first.length !== second.length) throw new RangeError(`paired bootstrap needs equal lengths, got ${first.length} and ${second.length}`);
  if (first.length === 0) throw new RangeError('paired bootstrap needs at least one pair');
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`resamples must be a positive integer, got ${resamples}`);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  const n = first.length;
  const differences = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    differences[i] = second[i]! - first[i]!;
    if (!Number.isFinite(differences[i]!)) throw new RangeError(`pair ${i} is not a finite number`);
  }
  const observed = mean(differences);
  const random = seededRandom(seed, 'paired-bootstrap');
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += differences[Math.floor(random() * n)]!;
    means[r] = sum / n;
  }
  means.sort();
  const alpha = 1 - confidence;
  let extreme = 0;
  // Resampled differences are averages of the same values, so ties with the observed distance are
  // common for 0/1 data; a relative epsilon keeps them counted as ties despite rounding.
  const threshold = Math.abs(observed) * (1 - 1e-12);
  for (const value of means) if (Math.abs(value - observed) >= threshold) extreme++;
  const meanOfMeans = mean(means);
  return {
    meanDifference: observed,
    interval: { lower: quantileOfSorted(means, alpha / 2), upper: quantileOfSorted(means, 1 - alpha / 2), confidence },
    pValue: observed === 0 ? 1 : extreme / resamples,
    standardError: Math.sqrt(means.reduce((sum, value) => sum + (value - meanOfMeans) ** 2, 0) / Math.max(1, resamples - 1)),
    pairs: n,
    resamples,
    seed,
  };
}

function mean(values: Float64Array): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/** Linear interpolation between order statistics at position q·(n − 1) (numpy's "linear"). */
function quantileOfSorted(sorted: Float64Array, q: number): number {
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below]! + (position - below) * (sorted[above]! - sorted[below]!);
}

/**
 * The paper's diversity metrics (reference §4.4) of one update matrix, from its full spectrum
 * (exact mode) or from a block Krylov run (fast mode). The 1e-12 epsilons are the paper's; every
 * value is defined for a zero matrix (no NaN, no Infinity).
 */
import type { KrylovSpectrum } from '../linalg/blockKrylovSpectrum';
import type { MatrixSpectrum } from './spectralResult';

export const EPSILON = 1e-12;
/** The paper's log-volume sums the logs of the top 50 singular values. */
export const LOG_VOLUME_COUNT = 50;

type Metrics = Omit<MatrixSpectrum, 'krylov' | 'seconds'>;

/** `singularValues` descending, all min(rows, cols) of them; `frobeniusNorm` computed from the entries. */
export function exactMetrics(singularValues: Float64Array, frobeniusNorm: number, topK: number): Metrics {
  const sigma = Array.from(singularValues);
  const sigma1 = sigma[0] ?? 0;
  const nuclearNorm = sigma.reduce((sum, value) => sum + value, 0);
  const top = sigma.slice(0, topK);
  return {
    mode: 'exact',
    spectralNorm: sigma1,
    spectralNormError: 0,
    nuclearNorm,
    nuclearNormError: 0,
    frobeniusNorm,
    stableRank: (frobeniusNorm * frobeniusNorm) / (sigma1 * sigma1 + EPSILON),
    stableRankError: 0,
    effectiveRank: effectiveRank(sigma),
    effectiveRankError: 0,
    conditionNumber: sigma1 / ((sigma.at(-1) ?? 0) + EPSILON),
    conditionNumberIsLowerBound: false,
    logVolume: logVolume(sigma),
    logVolumeError: 0,
    topSingularValues: top,
    topSingularValueErrors: top.map(() => 0),
  };
}

/**
 * exp(entropy) of p = σ/Σσ over the σ above 1e-12 (Roy and Vetterli, σ-normalized as in the paper).
 * A matrix without any such σ has effective rank 0.
 */
export function effectiveRank(sigma: readonly number[]): number {
  const kept = sigma.filter((value) => value > EPSILON);
  const total = kept.reduce((sum, value) => sum + value, 0);
  if (total === 0) return 0;
  const entropy = -kept.reduce((sum, value) => sum + (value / total) * Math.log(value / total), 0);
  return Math.exp(entropy);
}

export function logVolume(sigma: readonly number[]): number {
  return sigma.slice(0, LOG_VOLUME_COUNT).reduce((sum, value) => sum + Math.log(value + EPSILON), 0);
}

/** Fast-mode metrics: Ritz values σ̃ with σ ∈ [σ̃, σ̃ + bound], spectral sums with their error bars. */
export function fastMetrics(krylov: KrylovSpectrum, frobeniusNorm: number, topK: number): Metrics {
  const sigma = krylov.singularValues;
  const bounds = krylov.errorBounds;
  const sigma1 = sigma[0] ?? 0;
  const bound1 = bounds[0] ?? 0;
  const froSq = frobeniusNorm * frobeniusNorm;
  const stableRank = froSq / (sigma1 * sigma1 + EPSILON);
  const volumeCount = Math.min(LOG_VOLUME_COUNT, sigma.length);
  let logVolumeError = 0;
  for (let i = 0; i < volumeCount; i++) logVolumeError += Math.log((sigma[i]! + bounds[i]! + EPSILON) / (sigma[i]! + EPSILON));
  return {
    mode: 'fast',
    spectralNorm: sigma1,
    spectralNormError: bound1,
    nuclearNorm: krylov.nuclearNorm.value,
    nuclearNormError: krylov.nuclearNorm.errorBar,
    frobeniusNorm,
    stableRank,
    // σ₁ can only be larger than its Ritz value, so the stable rank only smaller.
    stableRankError: stableRank - froSq / ((sigma1 + bound1) ** 2 + EPSILON),
    effectiveRank: krylov.effectiveRank.value,
    effectiveRankError: krylov.effectiveRank.errorBar,
    conditionNumber: sigma1 / (krylov.smallestSingularValue + EPSILON),
    conditionNumberIsLowerBound: !krylov.complete,
    logVolume: logVolume(sigma),
    logVolumeError,
    topSingularValues: sigma.slice(0, topK),
    topSingularValueErrors: bounds.slice(0, topK),
  };
}

/**
 * The fast mode: the top singular values and the spectral sums of a large matrix A (r×c) from one
 * randomized block Krylov run on M = AAᵀ (or AᵀA, whichever is smaller, n×n):
 *
 *   Gaussian block Ω (b probes) → basis of K_s = span{Ω, MΩ, …, M^{s−1}Ω}, fully reorthogonalized
 *   → Rayleigh–Ritz: T = Vᵀ M V, eigenpairs (θ, y) → σ̃ = √θ with residual error bounds
 *   → spectral sums tr f(M) by block Gauss quadrature on the same T, with the top Ritz pairs
 *     deflated exactly and the rest estimated from the b probes (Hutchinson), with error bars.
 *
 * Every product goes through the Gemm kernel: the two per block step with A in float32, the
 * products of the n×d basis in float64 (float32 sums would bury the small directions under the
 * large ones). The d×d eigenproblems run in float64 on the calling thread.
 */
import { seededRandom } from '../seededRandom';
import type { GemmKernel, Matrix } from './gemmKernel';
import { symmetricEigen } from './symmetricEigen';

export interface KrylovOptions {
  kernel: GemmKernel;
  /** Singular values wanted; the block holds topK + oversampling probes. */
  topK: number;
  oversampling?: number;
  minSteps?: number;
  maxSteps?: number;
  /** Block steps between convergence checks (each check solves the d×d eigenproblem). */
  checkEvery?: number;
  /** Stop once σ₁'s error bound is at most this fraction of σ₁ and, since the last check, the sums moved less than sumTolerance (relative). */
  tolerance?: number;
  sumTolerance?: number;
  seed?: number;
}

export interface Estimate {
  value: number;
  /** Half-width of the interval the value is stated to lie in (see each field). */
  errorBar: number;
}

export interface KrylovSpectrum {
  /** Top Ritz singular values, descending; never larger than the true ones. */
  singularValues: number[];
  /** σᵢ ∈ [σ̃ᵢ, σ̃ᵢ + bound]: the residual bound ‖M y − θ y‖, sharpened to ‖r‖²/gap with the Ritz gap. */
  errorBounds: number[];
  /** Σσ: exact top part plus the Hutchinson estimate of the rest; error bar 3 standard errors plus the change since the last check. */
  nuclearNorm: Estimate;
  /** Σ σ·ln σ, estimated with the same probes (for the effective rank). */
  sigmaLogSigma: Estimate;
  /** exp(entropy of σ/Σσ); error bar 3 jackknife standard errors over the probes plus the change since the last check. */
  effectiveRank: Estimate;
  /** √(smallest Ritz value): an upper bound on the smallest singular value (exact when `complete`). */
  smallestSingularValue: number;
  steps: number;
  dimension: number;
  probes: number;
  /** The Krylov space filled the whole n-dimensional space: every value is exact up to rounding. */
  complete: boolean;
}

/**
 * The quadrature of √λ converges slowly when many singular values sit near zero (bf16-rounded
 * updates): its error roughly halves per block step, so a change below 1% over two steps leaves
 * about a third of that (and the change is added to the error bar).
 */
const DEFAULTS = { oversampling: 14, minSteps: 4, maxSteps: 10, checkEvery: 2, tolerance: 1e-4, sumTolerance: 1e-2, seed: 1 };

/** Error bars of the probe estimates, in standard errors (about 99.7% coverage for a normal error). */
const STANDARD_ERRORS = 3;

/** float32 unit roundoff: the products with A carry relative errors of about this times √(inner dimension). */
const FLOAT32_ROUNDOFF = 2 ** -24;

/** Rows whose norm falls below this fraction of their norm before orthogonalization are dependent. */
const DEPENDENT_ROW = 1e-5;

export async function blockKrylovSpectrum(a: Matrix<Float32Array>, options: KrylovOptions): Promise<KrylovSpectrum> {
  const settings = { ...DEFAULTS, ...options };
  const { kernel } = settings;
  const wide = a.cols >= a.rows;
  const n = Math.min(a.rows, a.cols);
  const block = Math.max(1, Math.min(n, settings.topK + settings.oversampling));
  const maxDimension = Math.min(n, block * settings.maxSteps);
  const applyM = async (rows: Matrix<Float64Array>): Promise<Float64Array> => {
    const single = { data: Float32Array.from(rows.data), rows: rows.rows, cols: rows.cols };
    const product = wide ? await kernel.multiply(await kernel.multiply(single, a, false), a, true) : await kernel.multiply(await kernel.multiply(single, a, true), a, false);
    return Float64Array.from(product.data);
  };

  const probes = gaussianRows(block, n, settings.seed);
  const basis = new Float64Array(maxDimension * n);
  const images = new Float64Array(maxDimension * n);
  let dimension = 0;
  let candidate = await orthogonalizeRows({ data: probes.slice(), rows: block, cols: n }, basis, 0, n, kernel);
  let previous: SumEstimates | null = null;
  let steps = 0;
  for (;;) {
    basis.set(candidate.data, dimension * n);
    const start = dimension;
    dimension += candidate.rows;
    images.set(await applyM(candidate), start * n);
    steps += 1;
    const next = await orthogonalizeRows({ data: images.slice(start * n, dimension * n), rows: dimension - start, cols: n }, basis, dimension, n, kernel);
    // No new direction: the space is invariant under M (then Gauss quadrature on it is exact).
    const invariant = next.rows === 0 || dimension >= n;
    const full = invariant || dimension + next.rows > maxDimension;
    if ((steps >= settings.minSteps && (steps - settings.minSteps) % settings.checkEvery === 0) || full) {
      const roundingFloor = FLOAT32_ROUNDOFF * Math.sqrt(Math.max(a.rows, a.cols));
      const ritz = await rayleighRitz(basis, images, dimension, n, Math.min(settings.topK, dimension), roundingFloor, kernel);
      const sums = spectralSums(ritz, await probeCoordinates(basis, dimension, probes, block, n, kernel), n, Math.min(settings.topK, dimension));
      const sigma1 = ritz.singularValues[0] ?? 0;
      const settled = (ritz.errorBounds[0] ?? 0) <= settings.tolerance * sigma1 && previous !== null && relativeChange(previous, sums) <= settings.sumTolerance;
      if (full || settled) return finish(ritz, sums, invariant ? null : previous, dimension >= n, steps, dimension, block);
      previous = sums;
    }
    candidate = next;
  }
}

/** Seeded standard normal rows (Box–Muller on the project's xorshift generator). */
function gaussianRows(rows: number, cols: number, seed: number): Float64Array {
  const random = seededRandom(seed, 'krylov-probes');
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < out.length; i += 2) {
    const radius = Math.sqrt(-2 * Math.log(1 - random()));
    const angle = 2 * Math.PI * random();
    out[i] = radius * Math.cos(angle);
    if (i + 1 < out.length) out[i + 1] = radius * Math.sin(angle);
  }
  return out;
}

/**
 * Orthonormalizes the rows of `rows` against the first `dimension` rows of `basis` (two classical
 * Gram–Schmidt passes through the kernel) and among themselves (modified Gram–Schmidt in float64),
 * dropping rows that were linearly dependent.
 */
async function orthogonalizeRows(rows: Matrix<Float64Array>, basis: Float64Array, dimension: number, n: number, kernel: GemmKernel): Promise<Matrix<Float64Array>> {
  const before = rowNorms(rows.data, rows.rows, n);
  let current = rows;
  if (dimension > 0) {
    const spanned = { data: basis.subarray(0, dimension * n), rows: dimension, cols: n };
    for (let pass = 0; pass < 2; pass++) {
      const coefficients = await kernel.multiply(current, spanned, true);
      const projection = await kernel.multiply(coefficients, spanned, false);
      const data = current.data.slice();
      for (let i = 0; i < data.length; i++) data[i]! -= projection.data[i]!;
      current = { data, rows: current.rows, cols: n };
    }
  }
  const kept: Float64Array[] = [];
  for (let i = 0; i < current.rows; i++) {
    const row = current.data.slice(i * n, (i + 1) * n);
    for (let pass = 0; pass < 2; pass++) {
      for (const other of kept) {
        let dot = 0;
        for (let k = 0; k < n; k++) dot += row[k]! * other[k]!;
        for (let k = 0; k < n; k++) row[k]! -= dot * other[k]!;
      }
    }
    let norm = 0;
    for (let k = 0; k < n; k++) norm += row[k]! * row[k]!;
    norm = Math.sqrt(norm);
    if (norm <= DEPENDENT_ROW * before[i]! || norm === 0) continue;
    for (let k = 0; k < n; k++) row[k]! /= norm;
    kept.push(row);
  }
  const data = new Float64Array(kept.length * n);
  kept.forEach((row, i) => data.set(row, i * n));
  return { data, rows: kept.length, cols: n };
}

function rowNorms(data: Float64Array, rows: number, n: number): Float64Array {
  const norms = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let sum = 0;
    for (let k = i * n; k < (i + 1) * n; k++) sum += data[k]! * data[k]!;
    norms[i] = Math.sqrt(sum);
  }
  return norms;
}

interface Ritz {
  /** All Ritz values θ of M, descending, clamped at 0. */
  values: Float64Array;
  /** Eigenvectors of T, column j for values[j] (row-major d×d). */
  vectors: Float64Array;
  singularValues: number[];
  errorBounds: number[];
}

/** `roundingFloor`: relative error of θ that the float32 products alone can cause, added to every bound. */
async function rayleighRitz(basis: Float64Array, images: Float64Array, d: number, n: number, top: number, roundingFloor: number, kernel: GemmKernel): Promise<Ritz> {
  const v = { data: basis.subarray(0, d * n), rows: d, cols: n };
  const w = { data: images.subarray(0, d * n), rows: d, cols: n };
  const product = (await kernel.multiply(v, w, true)).data;
  const t = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) t[i * d + j] = 0.5 * (product[i * d + j]! + product[j * d + i]!);
  const eigen = symmetricEigen(t, d);
  // Descending order, values clamped at zero (M is positive semidefinite).
  const values = new Float64Array(d);
  const vectors = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    values[j] = Math.max(0, eigen.values[d - 1 - j]!);
    for (let i = 0; i < d; i++) vectors[i * d + j] = eigen.vectors[i * d + d - 1 - j]!;
  }
  // Residuals of the top Ritz pairs: ‖W y − θ V y‖.
  const yTop = { data: new Float64Array(top * d), rows: top, cols: d };
  for (let j = 0; j < top; j++) for (let i = 0; i < d; i++) yTop.data[j * d + i] = vectors[i * d + j]!;
  const mapped = (await kernel.multiply(yTop, w, false)).data;
  const spanned = (await kernel.multiply(yTop, v, false)).data;
  const singularValues: number[] = [];
  const errorBounds: number[] = [];
  for (let j = 0; j < top; j++) {
    let residualSq = 0;
    for (let k = 0; k < n; k++) {
      const difference = mapped[j * n + k]! - values[j]! * spanned[j * n + k]!;
      residualSq += difference * difference;
    }
    const residual = Math.sqrt(residualSq);
    const gap = Math.min(j > 0 ? values[j - 1]! - values[j]! : Infinity, j + 1 < d ? values[j]! - values[j + 1]! : Infinity);
    const lambdaBound = Math.min(residual, gap > 0 ? (residual * residual) / gap : residual) + roundingFloor * values[0]!;
    const sigma = Math.sqrt(values[j]!);
    singularValues.push(sigma);
    errorBounds.push(Math.sqrt(values[j]! + lambdaBound) - sigma);
  }
  return { values, vectors, singularValues, errorBounds };
}

/** Coordinates of the probes in the basis (d×b, row-major): the probes lie in the span of the first block. */
async function probeCoordinates(basis: Float64Array, d: number, probes: Float64Array, block: number, n: number, kernel: GemmKernel): Promise<Float64Array> {
  return (await kernel.multiply({ data: basis.subarray(0, d * n), rows: d, cols: n }, { data: probes, rows: block, cols: n }, true)).data;
}

interface SumEstimates {
  nuclear: number;
  sigmaLogSigma: number;
  effectiveRank: number;
  nuclearStandardError: number;
  sigmaLogSigmaStandardError: number;
  effectiveRankStandardError: number;
}

/**
 * tr f(M) for f(λ) = √λ (Σσ) and f(λ) = √λ·ln√λ (Σσ ln σ): the top `deflated` Ritz pairs count
 * exactly; for the complement, each probe projected off them and normalized is a uniform direction
 * in it, and its Gauss quadrature in the Krylov space is Σ_{l>k} f(θ_l) w_l / Σ_{l>k} w_l with
 * w_l = (y_lᵀ c)². Sphere-normalized probes make the estimate exact for a flat remainder.
 */
function spectralSums(ritz: Ritz, coordinates: Float64Array, n: number, deflated: number): SumEstimates {
  const d = ritz.values.length;
  const probes = coordinates.length / d;
  const sigma = Array.from(ritz.values, Math.sqrt);
  const sigmaLog = sigma.map((value) => (value > 0 ? value * Math.log(value) : 0));
  // The whole spectrum is known: nothing to estimate.
  if (d >= n) deflated = d;
  const remaining = n - deflated;
  const exactNuclear = sigma.slice(0, deflated).reduce((sum, value) => sum + value, 0);
  const exactSigmaLog = sigmaLog.slice(0, deflated).reduce((sum, value) => sum + value, 0);
  const perProbe: { nuclear: number; sigmaLog: number }[] = [];
  for (let j = 0; j < probes; j++) {
    let weight = 0, nuclear = 0, sigmaLogSum = 0;
    for (let l = deflated; l < d; l++) {
      let projection = 0;
      for (let i = 0; i < d; i++) projection += ritz.vectors[i * d + l]! * coordinates[i * probes + j]!;
      const w = projection * projection;
      weight += w;
      nuclear += w * sigma[l]!;
      sigmaLogSum += w * sigmaLog[l]!;
    }
    if (weight > 0) perProbe.push({ nuclear: (remaining * nuclear) / weight, sigmaLog: (remaining * sigmaLogSum) / weight });
  }
  const combine = (samples: readonly { nuclear: number; sigmaLog: number }[]) => {
    const count = samples.length;
    const nuclear = exactNuclear + (count === 0 ? 0 : samples.reduce((sum, s) => sum + s.nuclear, 0) / count);
    const sigmaLogSum = exactSigmaLog + (count === 0 ? 0 : samples.reduce((sum, s) => sum + s.sigmaLog, 0) / count);
    return { nuclear, sigmaLogSum, effectiveRank: effectiveRankFromSums(nuclear, sigmaLogSum) };
  };
  const all = combine(perProbe);
  const standardError = (values: number[]) => {
    if (values.length < 2) return 0;
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    return Math.sqrt(values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (values.length - 1) / values.length);
  };
  // Jackknife over probes for the nonlinear effective rank.
  const leaveOneOut = perProbe.length < 2 ? [] : perProbe.map((_, skip) => combine(perProbe.filter((_, j) => j !== skip)).effectiveRank);
  const jackknifeMean = leaveOneOut.reduce((sum, value) => sum + value, 0) / Math.max(1, leaveOneOut.length);
  const jackknifeError = leaveOneOut.length < 2 ? 0 : Math.sqrt(((leaveOneOut.length - 1) / leaveOneOut.length) * leaveOneOut.reduce((sum, value) => sum + (value - jackknifeMean) ** 2, 0));
  return {
    nuclear: all.nuclear,
    sigmaLogSigma: all.sigmaLogSum,
    effectiveRank: all.effectiveRank,
    nuclearStandardError: standardError(perProbe.map((s) => s.nuclear)),
    sigmaLogSigmaStandardError: standardError(perProbe.map((s) => s.sigmaLog)),
    effectiveRankStandardError: jackknifeError,
  };
}

/** exp(−Σ pᵢ ln pᵢ) with pᵢ = σᵢ/S, written with S = Σσ and L = Σσ ln σ: exp(ln S − L/S); 0 when S = 0. */
export function effectiveRankFromSums(nuclear: number, sigmaLogSigma: number): number {
  return nuclear > 0 ? Math.exp(Math.log(nuclear) - sigmaLogSigma / nuclear) : 0;
}

function relativeChange(before: SumEstimates, after: SumEstimates): number {
  const change = (x: number, y: number) => (y === 0 ? Math.abs(x - y) : Math.abs(x - y) / Math.abs(y));
  return Math.max(change(before.nuclear, after.nuclear), change(before.effectiveRank, after.effectiveRank));
}

/** `previous` is null when the quadrature is exact (an invariant space) or was never compared. */
function finish(ritz: Ritz, sums: SumEstimates, previous: SumEstimates | null, complete: boolean, steps: number, dimension: number, probes: number): KrylovSpectrum {
  const statistical = complete ? 0 : STANDARD_ERRORS;
  const quadrature = (field: 'nuclear' | 'sigmaLogSigma' | 'effectiveRank') => (complete || previous === null ? 0 : Math.abs(sums[field] - previous[field]));
  return {
    singularValues: ritz.singularValues,
    errorBounds: ritz.errorBounds,
    nuclearNorm: { value: sums.nuclear, errorBar: statistical * sums.nuclearStandardError + quadrature('nuclear') },
    sigmaLogSigma: { value: sums.sigmaLogSigma, errorBar: statistical * sums.sigmaLogSigmaStandardError + quadrature('sigmaLogSigma') },
    effectiveRank: { value: sums.effectiveRank, errorBar: statistical * sums.effectiveRankStandardError + quadrature('effectiveRank') },
    smallestSingularValue: Math.sqrt(ritz.values[ritz.values.length - 1] ?? 0),
    steps,
    dimension,
    probes,
    complete,
  };
}

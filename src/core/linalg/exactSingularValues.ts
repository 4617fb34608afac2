/**
 * Every singular value of a matrix, in float64, to the accuracy of LAPACK's SVD (absolute error a
 * small multiple of ε·σ₁, and high relative accuracy for well-scaled matrices):
 *
 *   orient wide (n ≤ m) → Householder LQ (when m > n) → n×n L → Householder bidiagonalization
 *   → singular values of the bidiagonal by bisection on its Golub–Kahan tridiagonal
 *
 * The LQ step applies a panel of reflectors to each trailing row while that row is in cache.
 */

/** Reflectors per panel of the LQ step. */
const PANEL = 16;

/**
 * Singular values, descending, of the rows×cols row-major `data` (min(rows, cols) of them).
 * Works on a float64 copy; `data` is not modified.
 */
export function exactSingularValues(data: Float32Array | Float64Array, rows: number, cols: number): Float64Array {
  const n = Math.min(rows, cols);
  const m = Math.max(rows, cols);
  if (n === 0) return new Float64Array(0);
  // Wide copy: n rows of length m (the transpose when the input is tall).
  const wide = new Float64Array(n * m);
  if (cols >= rows) wide.set(data.subarray(0, rows * cols));
  else for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) wide[j * m + i] = data[i * cols + j]!;
  const square = m > n ? lowerTriangularFactor(wide, n, m) : wide;
  const { diagonal, superdiagonal } = bidiagonalize(square, n);
  return bidiagonalSingularValues(diagonal, superdiagonal);
}

/**
 * Householder reflector of x (length len, in `x` from `offset`), written over x: on return
 * x[offset] = β (the new leading entry) and the rest holds v with v₀ implicitly 1, and the
 * returned τ makes (I − τ v vᵀ) x = β e₁. τ = 0 when x is already a multiple of e₁.
 */
function householder(x: Float64Array, offset: number, len: number): number {
  let tailSq = 0;
  for (let i = 1; i < len; i++) tailSq += x[offset + i]! * x[offset + i]!;
  const alpha = x[offset]!;
  if (tailSq === 0) return 0;
  const norm = Math.hypot(alpha, Math.sqrt(tailSq));
  const beta = alpha >= 0 ? -norm : norm;
  const tau = (beta - alpha) / beta;
  const scale = 1 / (alpha - beta);
  for (let i = 1; i < len; i++) x[offset + i]! *= scale;
  x[offset] = beta;
  return tau;
}

/** Applies I − τ v vᵀ (v₀ = 1, v[1..] at `v` from vOffset) to `row` from rowOffset, length len. */
function reflectRow(row: Float64Array, rowOffset: number, v: Float64Array, vOffset: number, len: number, tau: number): void {
  if (tau === 0) return;
  let dot = row[rowOffset]!;
  for (let i = 1; i < len; i++) dot += row[rowOffset + i]! * v[vOffset + i]!;
  const scale = tau * dot;
  row[rowOffset]! -= scale;
  for (let i = 1; i < len; i++) row[rowOffset + i]! -= scale * v[vOffset + i]!;
}

/** A = L·Q for the n×m wide A (n < m): returns L (n×n, row-major, zeros above the diagonal). */
function lowerTriangularFactor(a: Float64Array, n: number, m: number): Float64Array {
  const taus = new Float64Array(PANEL);
  for (let start = 0; start < n; start += PANEL) {
    const end = Math.min(n, start + PANEL);
    // The panel's own rows, one reflector after another.
    for (let k = start; k < end; k++) {
      for (let p = start; p < k; p++) reflectRow(a, k * m + p, a, p * m + p, m - p, taus[p - start]!);
      taus[k - start] = householder(a, k * m + k, m - k);
    }
    // Every later row takes the whole panel while it is in cache.
    for (let i = end; i < n; i++) {
      for (let p = start; p < end; p++) reflectRow(a, i * m + p, a, p * m + p, m - p, taus[p - start]!);
    }
  }
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) l[i * n + j] = a[i * m + j]!;
  return l;
}

/** Golub–Kahan Householder bidiagonalization of the n×n row-major b (overwritten): B = U·bidiag(d, e)·Vᵀ. */
function bidiagonalize(b: Float64Array, n: number): { diagonal: Float64Array; superdiagonal: Float64Array } {
  const diagonal = new Float64Array(n);
  const superdiagonal = new Float64Array(Math.max(0, n - 1));
  const column = new Float64Array(n);
  const sums = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    // Left reflector: zero column k below the diagonal; rows of B are combined whole, so every access is contiguous.
    const len = n - k;
    for (let i = 0; i < len; i++) column[i] = b[(k + i) * n + k]!;
    const tau = householder(column, 0, len);
    diagonal[k] = column[0]!;
    if (tau !== 0 && k + 1 < n) {
      sums.fill(0, k + 1, n);
      for (let i = 0; i < len; i++) {
        const vi = i === 0 ? 1 : column[i]!;
        const row = (k + i) * n;
        for (let j = k + 1; j < n; j++) sums[j]! += vi * b[row + j]!;
      }
      for (let i = 0; i < len; i++) {
        const scale = tau * (i === 0 ? 1 : column[i]!);
        const row = (k + i) * n;
        for (let j = k + 1; j < n; j++) b[row + j]! -= scale * sums[j]!;
      }
    }
    if (k + 1 >= n) continue;
    // Right reflector: zero row k right of the superdiagonal.
    const rowTau = householder(b, k * n + k + 1, n - k - 1);
    superdiagonal[k] = b[k * n + k + 1]!;
    for (let i = k + 1; i < n; i++) reflectRow(b, i * n + k + 1, b, k * n + k + 1, n - k - 1, rowTau);
  }
  return { diagonal, superdiagonal };
}

/**
 * Singular values (descending) of the upper bidiagonal matrix with diagonal d and superdiagonal e,
 * by bisection with Sturm counts on the Golub–Kahan form: the 2n×2n tridiagonal with zero diagonal
 * and off-diagonal (d₀, e₀, d₁, …, d_{n−1}), whose eigenvalues are ±σᵢ. Bisection on it attains
 * high relative accuracy (Demmel and Kahan).
 */
export function bidiagonalSingularValues(d: Float64Array, e: Float64Array): Float64Array {
  const n = d.length;
  const offDiagonal = new Float64Array(2 * n - 1);
  for (let i = 0; i < n; i++) {
    offDiagonal[2 * i] = Math.abs(d[i]!);
    if (i < n - 1) offDiagonal[2 * i + 1] = Math.abs(e[i]!);
  }
  const squares = offDiagonal.map((value) => value * value);
  let bound = 0;
  for (let i = 0; i < offDiagonal.length; i++) bound = Math.max(bound, offDiagonal[i]! + (offDiagonal[i + 1] ?? 0));
  const result = new Float64Array(n);
  if (bound === 0) return result;
  const maxSquare = squares.reduce((max, value) => Math.max(max, value), 0);
  const pivotFloor = Number.MIN_VALUE * 2 ** 60 * Math.max(1, maxSquare);
  // Below this width an interval has no meaning left at the bidiagonal's own accuracy.
  const absoluteFloor = 2 ** -62 * bound;
  /** How many singular values are < x (x > 0). */
  const countBelow = (x: number) => {
    let q = -x;
    let negatives = q < 0 ? 1 : 0;
    for (let i = 0; i < squares.length; i++) {
      q = -x - squares[i]! / q;
      if (Math.abs(q) < pivotFloor) q = -pivotFloor;
      if (q < 0) negatives++;
    }
    return negatives - n;
  };
  // The j-th smallest singular value σ(j) (j = 1..n) is where countBelow passes from < j to ≥ j.
  let lower = 0;
  for (let j = 1; j <= n; j++) {
    let low = lower;
    let high = bound * (1 + 2 ** -50);
    while (high - low > Math.max(2 ** -51 * high, absoluteFloor)) {
      const mid = 0.5 * (low + high);
      if (countBelow(mid) >= j) high = mid;
      else low = mid;
    }
    const value = 0.5 * (low + high);
    result[n - j] = value;
    lower = low;
  }
  return result;
}

/**
 * The heavy products of the spectral analysis, behind one interface: C = A·B or C = A·Bᵀ on
 * row-major matrices, float32 (products with the weight matrix) or float64 (the small products of
 * the Krylov basis, where float32 sums would lose the small directions next to large ones); the
 * result has the inputs' precision. Two implementations exist (onnxruntime's MatMul/Gemm sessions and a
 * typed-array kernel); `chooseGemmKernel` times both on the caller's shapes and keeps the faster.
 */
export interface Matrix<Data extends Float32Array | Float64Array = Float32Array | Float64Array> {
  data: Data;
  rows: number;
  cols: number;
}

/** A zero matrix with the same element type as `like`. */
export function zeroMatrix<Data extends Float32Array | Float64Array>(rows: number, cols: number, like: Data): Matrix<Data> {
  const data = (like instanceof Float64Array ? new Float64Array(rows * cols) : new Float32Array(rows * cols)) as Data;
  return { data, rows, cols };
}

export interface GemmKernel {
  /** Short name for logs and results, e.g. "onnxruntime cpu (2 threads)". */
  readonly name: string;
  /** A·B, or A·Bᵀ when `transposeB`; shapes and element types are checked. */
  multiply<Data extends Float32Array | Float64Array>(a: Matrix<Data>, b: Matrix<Data>, transposeB: boolean): Promise<Matrix<Data>>;
  dispose(): Promise<void>;
}

/** Rows and columns of A·B (or A·Bᵀ), or a thrown Error naming the mismatch (a programming error, not bad input). */
export function productShape(a: Matrix, b: Matrix, transposeB: boolean): { rows: number; cols: number; inner: number } {
  const inner = transposeB ? b.cols : b.rows;
  if (a.cols !== inner) throw new Error(`gemm: ${a.rows}×${a.cols} times ${b.rows}×${b.cols}${transposeB ? 'ᵀ' : ''} do not fit`);
  if (a.data.constructor !== b.data.constructor) throw new Error('gemm: both factors must have the same element type');
  return { rows: a.rows, cols: transposeB ? b.rows : b.cols, inner };
}

export interface KernelTiming {
  kernel: string;
  /** Median seconds of one A·B plus one A·Bᵀ of the timed shape. */
  seconds: number;
  gflops: number;
}

/**
 * Times every candidate on the products the analysis does most (a thin block times the matrix and
 * its transpose), keeps the fastest and disposes of the others.
 */
export async function chooseGemmKernel(
  candidates: readonly GemmKernel[],
  shape: { rows: number; cols: number; block: number },
  repeats = 3,
): Promise<{ kernel: GemmKernel; timings: KernelTiming[] }> {
  if (candidates.length === 0) throw new Error('chooseGemmKernel: no candidates');
  const big = zeroMatrix(shape.rows, shape.cols, new Float32Array(0));
  for (let i = 0; i < big.data.length; i++) big.data[i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
  const thin = zeroMatrix(shape.block, shape.rows, new Float32Array(0));
  thin.data.fill(0.25);
  const timings: KernelTiming[] = [];
  for (const kernel of candidates) {
    const samples: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const started = performance.now();
      const left = await kernel.multiply(thin, big, false);
      await kernel.multiply(left, big, true);
      samples.push((performance.now() - started) / 1000);
    }
    const seconds = samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
    timings.push({ kernel: kernel.name, seconds, gflops: (4 * shape.rows * shape.cols * shape.block) / seconds / 1e9 });
  }
  const best = timings.reduce((fastest, timing, index) => (timing.seconds < timings[fastest]!.seconds ? index : fastest), 0);
  await Promise.all(candidates.filter((_, index) => index !== best).map((kernel) => kernel.dispose()));
  return { kernel: candidates[best]!, timings };
}

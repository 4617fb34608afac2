/**
 * The typed-array products, on the calling thread: the reference the onnxruntime kernel is tested
 * against, and the fallback where no onnxruntime session can start. Register-tiled (4 output rows
 * share each pass over a row of B; 2×2 dot products share each pass over A and B rows).
 */
import { productShape, zeroMatrix, type GemmKernel, type Matrix } from './gemmKernel';

type Data = Float32Array | Float64Array;

export function jsGemm<D extends Data>(a: Matrix<D>, b: Matrix<D>, transposeB: boolean): Matrix<D> {
  const { rows, cols, inner } = productShape(a, b, transposeB);
  const c = zeroMatrix(rows, cols, a.data);
  if (transposeB) multiplyTransposed(a.data, b.data, c.data, rows, cols, inner);
  else multiplyPlain(a.data, b.data, c.data, rows, cols, inner);
  return c;
}

/** C (rows×cols) = A (rows×inner) · B (inner×cols): axpy of B's rows into four C rows at a time. */
function multiplyPlain(a: Data, b: Data, c: Data, rows: number, cols: number, inner: number): void {
  let i = 0;
  for (; i + 4 <= rows; i += 4) {
    const c0 = i * cols, c1 = c0 + cols, c2 = c1 + cols, c3 = c2 + cols;
    for (let k = 0; k < inner; k++) {
      const a0 = a[i * inner + k]!, a1 = a[(i + 1) * inner + k]!, a2 = a[(i + 2) * inner + k]!, a3 = a[(i + 3) * inner + k]!;
      if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue;
      const bRow = k * cols;
      for (let j = 0; j < cols; j++) {
        const value = b[bRow + j]!;
        c[c0 + j]! += a0 * value;
        c[c1 + j]! += a1 * value;
        c[c2 + j]! += a2 * value;
        c[c3 + j]! += a3 * value;
      }
    }
  }
  for (; i < rows; i++) {
    for (let k = 0; k < inner; k++) {
      const scale = a[i * inner + k]!;
      if (scale === 0) continue;
      const bRow = k * cols;
      for (let j = 0; j < cols; j++) c[i * cols + j]! += scale * b[bRow + j]!;
    }
  }
}

/** C (rows×cols) = A (rows×inner) · Bᵀ with B (cols×inner): 2×2 blocks of dot products of contiguous rows. */
function multiplyTransposed(a: Data, b: Data, c: Data, rows: number, cols: number, inner: number): void {
  for (let i = 0; i < rows; i += 2) {
    const twoRows = i + 1 < rows;
    const a0 = i * inner, a1 = twoRows ? a0 + inner : a0;
    for (let j = 0; j < cols; j += 2) {
      const twoCols = j + 1 < cols;
      const b0 = j * inner, b1 = twoCols ? b0 + inner : b0;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
      for (let k = 0; k < inner; k++) {
        const x0 = a[a0 + k]!, x1 = a[a1 + k]!, y0 = b[b0 + k]!, y1 = b[b1 + k]!;
        s00 += x0 * y0;
        s01 += x0 * y1;
        s10 += x1 * y0;
        s11 += x1 * y1;
      }
      c[i * cols + j] = s00;
      if (twoCols) c[i * cols + j + 1] = s01;
      if (twoRows) {
        c[(i + 1) * cols + j] = s10;
        if (twoCols) c[(i + 1) * cols + j + 1] = s11;
      }
    }
  }
}

export const jsGemmKernel: GemmKernel = {
  name: 'typed-array kernel (1 thread)',
  multiply: async (a, b, transposeB) => jsGemm(a, b, transposeB),
  dispose: async () => {},
};

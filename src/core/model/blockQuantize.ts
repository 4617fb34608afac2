/**
 * Block quantization of a stored [N, K] weight (N outputs, K inputs, row-major as checkpoints keep
 * linear weights) in the layout of onnxruntime's com.microsoft MatMulNBits contrib op:
 *
 * - each row is cut into blocks of `blockSize` along K (the last block padded), each block with one
 *   float32 scale and one unsigned zero point, and the op computes with (q − zero_point) · scale;
 * - B [N, blocks, blockSize · bits / 8] uint8: codes packed low bits first along K (8 bits: one byte each);
 * - scales [N, blocks] float32;
 * - zero points [N, ⌈blocks · bits / 8⌉] uint8, packed the same way as the codes.
 *
 * Asymmetric (min/max) rounding with 0 in range: scale = (max − min) / (2^bits − 1) over the block's
 * values and 0, zero point = round(−min / scale), code = clamp(round(x / scale) + zero point). So 0
 * (and padding) is exact and every value comes back within scale/2 of itself (plus the rounding of
 * the scale to float32: at most (2^bits − 1) · 2^−24 · scale). Rows are independent: a weight is
 * quantized row piece by row piece.
 */
import { bytesPerElement, isFloatDtype } from '../checkpoint/dtypes';
import { FileReader } from '../checkpoint/fileReader';
import { decodeToF32Bits } from '../checkpoint/floatDecode';
import type { TensorLocation } from '../checkpoint/tensorInfo';
import { FrankenlensError } from '../errors';

export type QuantBits = 4 | 8;

export interface BlockLayout {
  /** Output features (rows of the stored weight). */
  n: number;
  /** Input features (its columns), the axis blocks run along. */
  k: number;
  bits: QuantBits;
  blockSize: number;
  /** ⌈k / blockSize⌉ blocks per row. */
  blocks: number;
  /** Bytes of one block's codes. */
  blobBytes: number;
  /** Bytes of one row's packed zero points. */
  zeroPointRowBytes: number;
}

export function blockLayout(n: number, k: number, bits: QuantBits, blockSize: number): BlockLayout {
  if (!(Number.isInteger(blockSize) && blockSize >= 16 && (blockSize & (blockSize - 1)) === 0)) throw new FrankenlensError('InvalidArgument', `block size ${blockSize}: MatMulNBits takes a power of two ≥ 16`);
  const blocks = Math.ceil(k / blockSize);
  return { n, k, bits, blockSize, blocks, blobBytes: (blockSize * bits) / 8, zeroPointRowBytes: Math.ceil((blocks * bits) / 8) };
}

/** Bytes of B, scales and zero points together: what the graph's data file holds for one weight. */
export function quantizedBytes(layout: BlockLayout): number {
  return layout.n * (layout.blocks * (layout.blobBytes + 4) + layout.zeroPointRowBytes);
}

/**
 * Bytes onnxruntime's CPU MatMulNBits holds for one weight once its session has started (8 bits,
 * accuracy level 4): its packed copy of the codes with a float32 scale and a float32 block sum per
 * block (MLAS's int8 kernels; B itself is then released), and the scales and zero points as given,
 * which it keeps: 32 + 8 + 5 = 45 bytes per block of 32, 1.41 bytes a weight. Measured on the
 * random 0.5B Qwen2 (bench/modelBench.ts): 704 MiB resident after load, 703 MiB by this count plus
 * the sessions' own 40 MiB that float32 shows too.
 */
export function sessionBytes(layout: BlockLayout): number {
  return quantizedBytes(layout) + 8 * layout.n * layout.blocks;
}

/** Where `rows` quantized rows go: B, scales and zero points of those rows only (row 0 first). */
export interface QuantizedRows {
  codes: Uint8Array;
  scales: Float32Array;
  zeroPoints: Uint8Array;
}

export function allocateRows(layout: BlockLayout, rows: number): QuantizedRows {
  return {
    codes: new Uint8Array(rows * layout.blocks * layout.blobBytes),
    scales: new Float32Array(rows * layout.blocks),
    zeroPoints: new Uint8Array(rows * layout.zeroPointRowBytes),
  };
}

/**
 * Quantizes `values` ([rows, k] float32, rows consecutive rows of the weight) into `out` (sized by
 * allocateRows for at least `rows` rows and zero-filled: zero points, and codes below 8 bits, are
 * or-ed in). `what` names the tensor, and `firstRow` the weight row that values' row 0 is, in the
 * error a non-finite value gives.
 */
export function quantizeRows(values: Float32Array, rows: number, layout: BlockLayout, out: QuantizedRows, what: string, firstRow = 0): void {
  const { k, bits, blockSize, blocks, blobBytes, zeroPointRowBytes } = layout;
  const levels = (1 << bits) - 1;
  const perByte = 8 / bits;
  // 8 bits: a clamped view rounds (half to even) and clamps to 0..255 natively, 3× faster than
  // Math.round and a clamp per value; either rounding keeps every value within scale/2.
  const clamped = bits === 8 ? new Uint8ClampedArray(out.codes.buffer, out.codes.byteOffset, out.codes.byteLength) : undefined;
  for (let row = 0; row < rows; row++) {
    const base = row * k;
    for (let block = 0; block < blocks; block++) {
      const start = block * blockSize;
      const end = Math.min(k, start + blockSize);
      let low = 0;
      let high = 0;
      let finite = 0; // x − x is 0 for a finite x, NaN for NaN and ±inf (which min and max would skip)
      for (let i = base + start; i < base + end; i++) {
        const value = values[i]!;
        finite += value - value;
        if (value < low) low = value;
        else if (value > high) high = value;
      }
      if (finite !== 0) throw new FrankenlensError('InvalidArgument', `${what}: row ${firstRow + row}, columns ${start}..${end - 1} hold a value that is not finite (NaN or ±inf); such a weight cannot be quantized to ${bits} bits`);
      const slot = row * blocks + block;
      // All zeros: scale 0 and zero point 0 give exact zeros without a division by zero.
      const scale = Math.fround((high - low) / levels);
      const zeroPoint = scale === 0 ? 0 : Math.min(levels, Math.max(0, Math.round(-low / scale)));
      out.scales[slot] = scale;
      out.zeroPoints[row * zeroPointRowBytes + Math.floor(block / perByte)]! |= zeroPoint << (bits * (block % perByte));
      const inverse = scale === 0 ? 0 : 1 / scale;
      const blob = slot * blobBytes;
      const stored = end - start;
      if (clamped) {
        for (let i = 0; i < stored; i++) clamped[blob + i] = values[base + start + i]! * inverse + zeroPoint;
        clamped.fill(zeroPoint, blob + stored, blob + blockSize);
        continue;
      }
      for (let i = 0; i < blockSize; i++) {
        const rounded = i < stored ? Math.round(values[base + start + i]! * inverse) + zeroPoint : zeroPoint;
        const code = rounded < 0 ? 0 : rounded > levels ? levels : rounded;
        out.codes[blob + Math.floor(i / perByte)]! |= code << (bits * (i % perByte));
      }
    }
  }
}

/** Stored bytes read per piece while quantizing: memory stays bounded whatever the tensor's size. */
const PIECE_BYTES = 16 * 2 ** 20;

/**
 * Quantizes a stored [N, K] float tensor row piece by row piece: the codes (B, in row order) go to
 * `writeCodes` as they are made, the scales and zero points (1/8 and 1/32 of the float32 size at
 * 8 bits) come back whole.
 */
export function quantizeTensor(tensor: TensorLocation, bits: QuantBits, blockSize: number, writeCodes: (bytes: Uint8Array) => void): { layout: BlockLayout; scales: Float32Array; zeroPoints: Uint8Array } {
  const { dtype } = tensor;
  if (tensor.shape.length !== 2 || !isFloatDtype(dtype)) throw new FrankenlensError('UnsupportedDtype', `${tensor.file}: tensor "${tensor.name}" is ${dtype} [${tensor.shape}]; ${bits}-bit weights are made from a 2-D F32, F16 or BF16 weight`, tensor.file, tensor.name);
  const [n, k] = tensor.shape as [number, number];
  const layout = blockLayout(n, k, bits, blockSize);
  const rowBytes = k * bytesPerElement(dtype);
  const pieceRows = Math.max(1, Math.floor(PIECE_BYTES / rowBytes));
  const raw = new Uint8Array(pieceRows * rowBytes);
  const values = new Float32Array(pieceRows * k);
  const piece = allocateRows(layout, pieceRows);
  const scales = new Float32Array(n * layout.blocks);
  const zeroPoints = new Uint8Array(n * layout.zeroPointRowBytes);
  const reader = new FileReader();
  try {
    for (let first = 0; first < n; first += pieceRows) {
      const rows = Math.min(pieceRows, n - first);
      reader.read(tensor.file, tensor.byteOffset + first * rowBytes, raw.subarray(0, rows * rowBytes), tensor.name);
      decodeToF32Bits(dtype, raw, 0, rows * k, new Uint32Array(values.buffer, 0, rows * k));
      piece.codes.fill(0);
      piece.zeroPoints.fill(0);
      quantizeRows(values, rows, layout, piece, `${tensor.file}: tensor "${tensor.name}"`, first);
      writeCodes(piece.codes.subarray(0, rows * layout.blocks * layout.blobBytes));
      scales.set(piece.scales.subarray(0, rows * layout.blocks), first * layout.blocks);
      zeroPoints.set(piece.zeroPoints.subarray(0, rows * layout.zeroPointRowBytes), first * layout.zeroPointRowBytes);
    }
  } finally {
    reader.close();
  }
  return { layout, scales, zeroPoints };
}

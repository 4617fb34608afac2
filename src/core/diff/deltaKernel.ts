/**
 * The per-chunk arithmetic of the weight diff. Values are decoded exactly to float32 and every
 * difference, square and product is formed in float64 (a difference of two float32 values is exact
 * in float64), so results do not depend on the stored dtype. Partial sums from chunks combine by
 * addition, which is what lets workers split one tensor.
 */
import type { Dtype, FloatDtype } from '../checkpoint/dtypes';
import { DTYPE_BITS, isFloatDtype } from '../checkpoint/dtypes';
import { decodeToF32Bits } from '../checkpoint/floatDecode';
import type { FileReader } from '../checkpoint/fileReader';
import { FrankenlensError } from '../errors';
import { emptySums, type DeltaSums } from './deltaSums';
import { SimdDeltaKernel, simdDtype } from './simdDeltaKernel';

/** One slice of one tensor in one checkpoint. */
export interface ChunkSource {
  file: string;
  tensor: string;
  dtype: Dtype;
  /** Absolute offset of the tensor's first byte. */
  byteOffset: number;
}

export interface DiffChunk {
  in: ChunkSource;
  rl: ChunkSource;
  base?: ChunkSource;
  /** First element and element count of the slice. */
  start: number;
  count: number;
}

/** Elements decoded per inner block: small enough to stay in L2 cache. */
const BLOCK = 8192;

/**
 * Reads and reduces chunks with reusable buffers; one instance per thread. Same-dtype BF16/F32
 * chunks go to the SIMD kernel; everything else (F16, mixed dtypes, integers) to the scalar path,
 * which is also the reference the SIMD path is tested against.
 */
export class DeltaKernel {
  private raw: Uint8Array[] = [];
  private readonly blocks = [0, 1, 2].map(() => new Uint32Array(BLOCK));
  private readonly values = this.blocks.map((block) => new Float32Array(block.buffer));
  private readonly simd: SimdDeltaKernel | null;

  constructor(private readonly reader: FileReader, options: { simd?: boolean } = {}) {
    this.simd = options.simd === false ? null : new SimdDeltaKernel();
  }

  run(chunk: DiffChunk): DeltaSums {
    const sources = chunk.base ? [chunk.in, chunk.rl, chunk.base] : [chunk.in, chunk.rl];
    const dtype = this.simd ? simdDtype(sources.map((source) => source.dtype)) : null;
    if (this.simd && dtype) {
      return this.simd.run(dtype, sources.length, chunk.count, (role, start, target) => this.readInto(sources[role]!, chunk.start + start, target));
    }
    const raws = sources.map((source, role) => this.readRaw(source, chunk, role));
    if (!sources.every((source) => isFloatDtype(source.dtype))) return this.compareRaw(raws, sources, chunk.count);
    return this.reduceFloats(raws, sources as (ChunkSource & { dtype: FloatDtype })[], chunk.count);
  }

  private readRaw(source: ChunkSource, chunk: DiffChunk, role: number): Uint8Array {
    const elementBytes = DTYPE_BITS[source.dtype] / 8;
    if (!Number.isInteger(elementBytes)) {
      throw new FrankenlensError('UnsupportedDtype', `${source.file}: tensor "${source.tensor}" has sub-byte dtype ${source.dtype}, which the diff cannot read`, source.file, source.tensor);
    }
    const length = chunk.count * elementBytes;
    // Keep buffers 8-byte aligned and reuse them: memory stays at one chunk per role.
    if (!this.raw[role] || this.raw[role]!.byteLength < length) this.raw[role] = new Uint8Array(Math.max(8, Math.ceil(length / 8) * 8));
    const view = this.raw[role]!.subarray(0, length);
    this.readInto(source, chunk.start, view);
    return view;
  }

  /** Reads raw elements from element `start` of the tensor until `target` is full. */
  private readInto(source: ChunkSource, start: number, target: Uint8Array): void {
    const elementBytes = DTYPE_BITS[source.dtype] / 8;
    this.reader.read(source.file, source.byteOffset + start * elementBytes, target, source.tensor);
  }

  private reduceFloats(raws: Uint8Array[], sources: (ChunkSource & { dtype: FloatDtype })[], count: number): DeltaSums {
    const sums = emptySums();
    sums.count = count;
    const [inBits, rlBits, baseBits] = this.blocks as [Uint32Array, Uint32Array, Uint32Array];
    const [inValues, rlValues, baseValues] = this.values as [Float32Array, Float32Array, Float32Array];
    const withBase = sources.length === 3;
    let inSumSq = 0, rlDeltaSumSq = 0, rlUnchanged = 0, rlMaxAbs = 0;
    let inDeltaSumSq = 0, deltaDot = 0, inUnchanged = 0, inMaxAbs = 0;
    for (let blockStart = 0; blockStart < count; blockStart += BLOCK) {
      const n = Math.min(BLOCK, count - blockStart);
      decodeToF32Bits(sources[0]!.dtype, raws[0]!, blockStart, n, inBits);
      decodeToF32Bits(sources[1]!.dtype, raws[1]!, blockStart, n, rlBits);
      if (withBase) decodeToF32Bits(sources[2]!.dtype, raws[2]!, blockStart, n, baseBits);
      // Partial sums per block keep float64 accumulation error at block scale.
      let blockInSq = 0, blockRlSq = 0, blockInDeltaSq = 0, blockDot = 0;
      for (let i = 0; i < n; i++) {
        const a = inValues[i]!;
        const rlDelta = rlValues[i]! - a;
        blockInSq += a * a;
        blockRlSq += rlDelta * rlDelta;
        if (inBits[i] === rlBits[i]) rlUnchanged++;
        const absolute = rlDelta < 0 ? -rlDelta : rlDelta;
        if (absolute > rlMaxAbs) rlMaxAbs = absolute;
        if (withBase) {
          const inDelta = a - baseValues[i]!;
          blockInDeltaSq += inDelta * inDelta;
          blockDot += inDelta * rlDelta;
          if (inBits[i] === baseBits[i]) inUnchanged++;
          const inAbsolute = inDelta < 0 ? -inDelta : inDelta;
          if (inAbsolute > inMaxAbs) inMaxAbs = inAbsolute;
        }
      }
      inSumSq += blockInSq;
      rlDeltaSumSq += blockRlSq;
      inDeltaSumSq += blockInDeltaSq;
      deltaDot += blockDot;
    }
    Object.assign(sums, { inSumSq, rlDeltaSumSq, rlUnchanged, rlMaxAbs, inDeltaSumSq, deltaDot, inUnchanged, inMaxAbs });
    return sums;
  }

  /** Integer (or mixed) tensors: only byte-for-byte equality per element is meaningful. */
  private compareRaw(raws: Uint8Array[], sources: ChunkSource[], count: number): DeltaSums {
    const sums = emptySums();
    sums.count = count;
    const sizes = sources.map((source) => DTYPE_BITS[source.dtype] / 8);
    const equal = (a: number, b: number, i: number) => {
      if (sources[a]!.dtype !== sources[b]!.dtype) return false;
      const size = sizes[a]!;
      for (let k = 0; k < size; k++) if (raws[a]![i * size + k] !== raws[b]![i * size + k]) return false;
      return true;
    };
    for (let i = 0; i < count; i++) {
      if (equal(0, 1, i)) sums.rlUnchanged++;
      if (sources.length === 3 && equal(0, 2, i)) sums.inUnchanged++;
    }
    sums.rlMaxAbs = Number.NaN;
    sums.inMaxAbs = Number.NaN;
    return sums;
  }
}

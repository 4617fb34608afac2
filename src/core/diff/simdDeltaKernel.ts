/**
 * The fast path of the diff: a WebAssembly SIMD reduction (deltaKernel.wat.mjs) for chunks whose roles
 * all share one dtype, BF16 or F32 (the common case). File bytes are read straight into the
 * module's memory, so there is no copy between reading and reducing.
 */
import kernelBytes from './deltaKernel.wat.mjs';
import type { Dtype } from '../checkpoint/dtypes';
import { addSums, emptySums, type DeltaSums } from './deltaSums';

type Reduce = (inPtr: number, rlPtr: number, basePtr: number, steps: number, out: number) => void;

interface KernelExports {
  memory: WebAssembly.Memory;
  /** Elements per loop step; inputs are zero-padded to a multiple of it. */
  elementsPerStep: WebAssembly.Global;
  bf16_pair: Reduce;
  bf16_triple: Reduce;
  f32_pair: Reduce;
  f32_triple: Reduce;
}

const RESULTS_BYTES = 64;
/** Elements per read-and-reduce piece (2 MiB of bf16 per role): large enough that read calls cost little, small enough to stay in cache. */
const PIECE_ELEMENTS = 1048576;
const PAGE_BYTES = 65536;

/** The dtype the SIMD kernel reduces for these roles, or null when they need the scalar path. */
export function simdDtype(dtypes: readonly Dtype[]): 'BF16' | 'F32' | null {
  const first = dtypes[0];
  return (first === 'BF16' || first === 'F32') && dtypes.every((dtype) => dtype === first) ? first : null;
}

export class SimdDeltaKernel {
  private readonly kernel: KernelExports;
  private regionBytes = 0;

  constructor() {
    this.kernel = new WebAssembly.Instance(new WebAssembly.Module(kernelBytes)).exports as unknown as KernelExports;
  }

  /**
   * Reduces `count` elements in cache-sized pieces: `read` fills one role's slice of module memory
   * with the raw bytes of elements [start, start + target.length / elementBytes), then the kernel
   * reduces them while they are still in cache.
   */
  run(dtype: 'BF16' | 'F32', roles: number, count: number, read: (role: number, start: number, target: Uint8Array) => void): DeltaSums {
    const elementBytes = dtype === 'F32' ? 4 : 2;
    const perStep = this.kernel.elementsPerStep.value as number;
    this.ensureRegions(PIECE_ELEMENTS * elementBytes);
    const regionStart = (role: number) => RESULTS_BYTES + role * this.regionBytes;
    const withBase = roles === 3;
    const reduce = this.kernel[`${dtype === 'F32' ? 'f32' : 'bf16'}_${withBase ? 'triple' : 'pair'}`];
    const results = new Float64Array(this.kernel.memory.buffer, 0, 8);
    const sums = emptySums();
    sums.count = count;
    for (let start = 0; start < count; start += PIECE_ELEMENTS) {
      const pieceCount = Math.min(PIECE_ELEMENTS, count - start);
      const steps = Math.ceil(pieceCount / perStep);
      const paddedBytes = steps * perStep * elementBytes;
      for (let role = 0; role < roles; role++) {
        const region = new Uint8Array(this.kernel.memory.buffer, regionStart(role), paddedBytes);
        read(role, start, region.subarray(0, pieceCount * elementBytes));
        // Zero padding adds nothing to the sums and counts as unchanged, corrected below.
        region.fill(0, pieceCount * elementBytes);
      }
      reduce(regionStart(0), regionStart(1), withBase ? regionStart(2) : 0, steps, 0);
      const padding = steps * perStep - pieceCount;
      addSums(sums, {
        count: 0,
        inSumSq: results[0]!,
        rlDeltaSumSq: results[1]!,
        rlMaxAbs: results[2]!,
        rlUnchanged: results[3]! - padding,
        inDeltaSumSq: withBase ? results[4]! : 0,
        deltaDot: withBase ? results[5]! : 0,
        inUnchanged: withBase ? results[6]! - padding : 0,
        inMaxAbs: withBase ? results[7]! : 0,
      });
    }
    return sums;
  }

  private ensureRegions(bytes: number): void {
    if (bytes <= this.regionBytes) return;
    this.regionBytes = Math.ceil(bytes / 16) * 16;
    const needed = RESULTS_BYTES + 3 * this.regionBytes;
    const current = this.kernel.memory.buffer.byteLength;
    if (needed > current) this.kernel.memory.grow(Math.ceil((needed - current) / PAGE_BYTES));
  }
}

/**
 * The fast path of the diff: a WebAssembly SIMD reduction (deltaKernel.wat.mjs) for chunks whose roles
 * all share one dtype, BF16 or F32 (the common case). File bytes are read straight into the
 * module's memory, so there is no copy between reading and reducing.
 */
import kernelBytes from './deltaKernel.wat.mjs';
import type { Dtype } from '../checkpoint/dtypes';
import type { DeltaSums } from './deltaSums';

type Reduce = (inPtr: number, rlPtr: number, basePtr: number, steps: number, out: number) => void;

interface KernelExports {
  memory: WebAssembly.Memory;
  bf16_pair: Reduce;
  bf16_triple: Reduce;
  f32_pair: Reduce;
  f32_triple: Reduce;
}

const RESULTS_BYTES = 64;
const ELEMENTS_PER_STEP = 4;
const PAGE_BYTES = 65536;

export function simdSupports(dtypes: readonly Dtype[]): boolean {
  return (dtypes[0] === 'BF16' || dtypes[0] === 'F32') && dtypes.every((dtype) => dtype === dtypes[0]);
}

export class SimdDeltaKernel {
  private readonly kernel: KernelExports;
  private regionBytes = 0;

  constructor() {
    this.kernel = new WebAssembly.Instance(new WebAssembly.Module(kernelBytes)).exports as unknown as KernelExports;
  }

  /**
   * Hands out one region of module memory per role, each large enough for `count` elements, and
   * reduces them once `fill` has written the raw bytes into them.
   */
  run(dtype: 'BF16' | 'F32', roles: number, count: number, fill: (role: number, target: Uint8Array) => void): DeltaSums {
    const elementBytes = dtype === 'F32' ? 4 : 2;
    const steps = Math.ceil(count / ELEMENTS_PER_STEP);
    const paddedBytes = steps * ELEMENTS_PER_STEP * elementBytes;
    this.ensureRegions(paddedBytes);
    const regionStart = (role: number) => RESULTS_BYTES + role * this.regionBytes;
    for (let role = 0; role < roles; role++) {
      const region = new Uint8Array(this.kernel.memory.buffer, regionStart(role), paddedBytes);
      fill(role, region.subarray(0, count * elementBytes));
      // Zero padding adds nothing to the sums and counts as unchanged, corrected below.
      region.fill(0, count * elementBytes);
    }
    const withBase = roles === 3;
    const reduce = this.kernel[`${dtype === 'F32' ? 'f32' : 'bf16'}_${withBase ? 'triple' : 'pair'}`];
    reduce(regionStart(0), regionStart(1), withBase ? regionStart(2) : 0, steps, 0);
    const [inSumSq, rlDeltaSumSq, rlMaxAbs, rlEqual, inDeltaSumSq, deltaDot, inEqual, inMaxAbs] = new Float64Array(this.kernel.memory.buffer, 0, 8);
    const padding = steps * ELEMENTS_PER_STEP - count;
    return {
      count,
      inSumSq: inSumSq!,
      rlDeltaSumSq: rlDeltaSumSq!,
      rlUnchanged: rlEqual! - padding,
      rlMaxAbs: rlMaxAbs!,
      inDeltaSumSq: withBase ? inDeltaSumSq! : 0,
      deltaDot: withBase ? deltaDot! : 0,
      inUnchanged: withBase ? inEqual! - padding : 0,
      inMaxAbs: withBase ? inMaxAbs! : 0,
    };
  }

  private ensureRegions(bytes: number): void {
    if (bytes <= this.regionBytes) return;
    this.regionBytes = Math.ceil(bytes / 16) * 16;
    const needed = RESULTS_BYTES + 3 * this.regionBytes;
    const current = this.kernel.memory.buffer.byteLength;
    if (needed > current) this.kernel.memory.grow(Math.ceil((needed - current) / PAGE_BYTES));
  }
}

/** Rounding float64 values to stored float formats (round to nearest, ties to even). */
import type { FloatDtype } from './dtypes';

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

export function toBf16Bits(value: number): number {
  scratch[0] = value;
  const bits = scratchBits[0]!;
  if ((bits & 0x7fffffff) > 0x7f800000) return 0x7fc0; // NaN
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

export function toF16Bits(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const magnitude = Math.abs(value);
  if (magnitude >= 65520) return sign | 0x7c00; // rounds to infinity
  if (magnitude < 2 ** -14) {
    // Subnormal: a multiple of 2^-24, rounded half to even.
    return sign | roundHalfEven(magnitude * 2 ** 24);
  }
  let exponent = Math.floor(Math.log2(magnitude));
  if (2 ** exponent > magnitude) exponent--;
  if (2 ** (exponent + 1) <= magnitude) exponent++;
  let mantissa = roundHalfEven((magnitude / 2 ** exponent - 1) * 1024);
  if (mantissa === 1024) {
    mantissa = 0;
    exponent++;
  }
  if (exponent > 15) return sign | 0x7c00;
  return sign | ((exponent + 15) << 10) | mantissa;
}

function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Little-endian bytes of `values` rounded to `dtype`. */
export function encodeFloats(values: Float64Array, dtype: FloatDtype): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(Float32Array.from(values).buffer);
  const halves = new Uint16Array(values.length);
  const round = dtype === 'BF16' ? toBf16Bits : toF16Bits;
  for (let i = 0; i < values.length; i++) halves[i] = round(values[i]!);
  return new Uint8Array(halves.buffer);
}

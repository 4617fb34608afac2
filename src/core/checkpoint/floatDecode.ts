/**
 * Exact decoding of stored floats to float32 bit patterns. bf16 is the top half of a float32 and
 * every f16 value is representable in float32, so no value is ever rounded.
 */
import type { FloatDtype } from './dtypes';

let f16Table: Uint32Array | undefined;

/** float32 bit pattern of every f16 value, built once (256 KiB). */
function f16ToF32Bits(): Uint32Array {
  if (f16Table) return f16Table;
  const values = new Float32Array(65536);
  for (let bits = 0; bits < 65536; bits++) {
    const sign = bits & 0x8000 ? -1 : 1;
    const exponent = (bits >> 10) & 0x1f;
    const mantissa = bits & 0x3ff;
    values[bits] =
      exponent === 0 ? sign * mantissa * 2 ** -24
      : exponent === 31 ? (mantissa === 0 ? sign * Infinity : NaN)
      : sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  f16Table = new Uint32Array(values.buffer);
  return f16Table;
}

/**
 * Decodes `count` elements starting at element `start` of `raw` (little-endian, 4-byte aligned
 * buffer start) into `target` as float32 bit patterns.
 */
export function decodeToF32Bits(dtype: FloatDtype, raw: Uint8Array, start: number, count: number, target: Uint32Array): void {
  switch (dtype) {
    case 'BF16': {
      const halves = new Uint16Array(raw.buffer, raw.byteOffset, raw.byteLength >> 1);
      for (let i = 0; i < count; i++) target[i] = halves[start + i]! << 16;
      return;
    }
    case 'F16': {
      const table = f16ToF32Bits();
      const halves = new Uint16Array(raw.buffer, raw.byteOffset, raw.byteLength >> 1);
      for (let i = 0; i < count; i++) target[i] = table[halves[start + i]!]!;
      return;
    }
    case 'F32':
      target.set(new Uint32Array(raw.buffer, raw.byteOffset, raw.byteLength >> 2).subarray(start, start + count));
      return;
  }
}

/**
 * safetensors dtypes as data: name → bits per element. The header check accepts every dtype of the
 * format; the numeric kernels decode only the float ones (`decodableDtypes`), and integer tensors
 * are read as raw bytes.
 */
export const DTYPE_BITS = {
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  F8_E4M3FNUZ: 8,
  F8_E5M2FNUZ: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
} as const;

export type Dtype = keyof typeof DTYPE_BITS;

/** Float dtypes the kernels decode exactly to float32. */
export type FloatDtype = 'F16' | 'BF16' | 'F32';

export function isDtype(value: unknown): value is Dtype {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_BITS, value);
}

export function isFloatDtype(dtype: Dtype): dtype is FloatDtype {
  return dtype === 'F16' || dtype === 'BF16' || dtype === 'F32';
}

export function bytesPerElement(dtype: FloatDtype): number {
  return DTYPE_BITS[dtype] / 8;
}

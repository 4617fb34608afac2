/**
 * A strict reader for NumPy `.npy` files, version 1.0, as written by `numpy.save`: little-endian
 * float32, float64, int32 or int64, C order. Used by tests to load the Hugging Face goldens; anything else
 * is refused with an error naming the file, so a golden can never be misread silently.
 */
import { readFileSync } from 'node:fs';
import { FrankenlensError } from '../../src/core/errors';

export type NpyArray = { path: string; shape: number[] } & (
  | { dtype: 'float32'; data: Float32Array }
  | { dtype: 'float64'; data: Float64Array }
  | { dtype: 'int32'; data: Int32Array }
  | { dtype: 'int64'; data: BigInt64Array }
);

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const DESCRS = { '<f4': 'float32', '<f8': 'float64', '<i4': 'int32', '<i8': 'int64' } as const;
const HEADER = /^\{'descr': '([^']*)', 'fortran_order': (True|False), 'shape': \(((?:\d+, )*\d*|\d+,)\), \} *\n$/;

export function readNpy(path: string): NpyArray {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new FrankenlensError('InvalidArgument', `${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, path);
  }
  const fail = (problem: string): never => {
    throw new FrankenlensError('InvalidArgument', `${path}: not a supported .npy file (${problem})`, path);
  };
  if (bytes.length < 10 || MAGIC.some((byte, i) => bytes[i] !== byte)) fail('missing the \\x93NUMPY magic');
  if (bytes[6] !== 1 || bytes[7] !== 0) fail(`format version ${bytes[6]}.${bytes[7]}, only 1.0 is read`);
  const headerLength = bytes.readUInt16LE(8);
  if (10 + headerLength > bytes.length) fail(`header of ${headerLength} bytes runs past the end of the file`);
  const header = bytes.subarray(10, 10 + headerLength).toString('latin1');
  const match = HEADER.exec(header);
  if (!match) fail(`unexpected header ${JSON.stringify(header.trimEnd())}`);
  const [, descr, fortranOrder, shapeText] = match!;
  const dtype = DESCRS[descr as keyof typeof DESCRS];
  if (dtype === undefined) fail(`dtype ${descr} is not one of ${Object.keys(DESCRS).join(', ')}`);
  if (fortranOrder === 'True') fail('Fortran order');
  const shape = shapeText!.split(',').map((dim) => dim.trim()).filter((dim) => dim !== '').map(Number);
  const count = shape.reduce((product, dim) => product * dim, 1);
  const itemSize = dtype === 'float32' || dtype === 'int32' ? 4 : 8;
  const dataStart = 10 + headerLength;
  if (bytes.length - dataStart !== count * itemSize) fail(`shape (${shape.join(', ')}) needs ${count * itemSize} data bytes, the file has ${bytes.length - dataStart}`);
  // Copy so the typed array is aligned whatever the header length.
  const data = bytes.buffer.slice(bytes.byteOffset + dataStart, bytes.byteOffset + bytes.length);
  switch (dtype) {
    case 'float32':
      return { path, dtype, shape, data: new Float32Array(data) };
    case 'float64':
      return { path, dtype, shape, data: new Float64Array(data) };
    case 'int32':
      return { path, dtype, shape, data: new Int32Array(data) };
    case 'int64':
      return { path, dtype, shape, data: new BigInt64Array(data) };
  }
}

/** The values of any supported array as float64 (int64 values must be exact in a double). */
export function npyValues(array: NpyArray): Float64Array {
  if (array.dtype !== 'int64') return Float64Array.from(array.data);
  return Float64Array.from(array.data, (value) => {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new FrankenlensError('InvalidArgument', `${array.path}: int64 value ${value} is not exact as a double`, array.path);
    }
    return Number(value);
  });
}

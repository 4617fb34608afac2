/** Opens one .safetensors file: validates its header and lists where each tensor's bytes are. */
import { MAX_HEADER_BYTES, parseHeader, readHeaderLength } from './safetensorsHeader';
import type { FileReader } from './fileReader';
import type { TensorLocation } from './tensorInfo';

export interface SafetensorsFile {
  path: string;
  size: number;
  metadata: Record<string, string>;
  tensors: TensorLocation[];
}

export function openSafetensorsFile(reader: FileReader, path: string): SafetensorsFile {
  const size = reader.size(path);
  const prefix = new Uint8Array(Math.min(8, size));
  reader.read(path, 0, prefix);
  const headerLength = readHeaderLength(prefix, size, path);
  const headerBytes = new Uint8Array(Math.min(headerLength, MAX_HEADER_BYTES));
  reader.read(path, 8, headerBytes);
  const header = parseHeader(headerBytes, size, path);
  const tensors = header.entries.map((entry) => ({
    name: entry.name,
    file: path,
    dtype: entry.dtype,
    shape: entry.shape,
    byteOffset: header.dataStart + entry.begin,
    byteLength: entry.end - entry.begin,
  }));
  return { path, size, metadata: header.metadata, tensors };
}

/** Opens one .safetensors file: validates its header and lists where each tensor's bytes are. */
import { FrankenlensError } from '../errors';
import { openRegularFileAsync } from '../regularFile';
import { MAX_HEADER_BYTES, parseHeader, readHeaderLength, type SafetensorsHeader } from './safetensorsHeader';
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
  return safetensorsFileOf(path, size, parseHeader(headerBytes, size, path));
}

/** The same, read with fs/promises so the extension host's thread never waits on the disk. */
export async function openSafetensorsFileAsync(path: string): Promise<SafetensorsFile> {
  const { handle, size } = await openRegularFileAsync(path, 'NotACheckpoint');
  try {
    const readFully = async (position: number, length: number) => {
      const bytes = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(bytes, done, length - done, position + done);
        if (bytesRead === 0) throw new FrankenlensError('TruncatedFile', `${path}: file ended at byte ${position + done} while reading the header (was it changed while reading?)`, path);
        done += bytesRead;
      }
      return bytes;
    };
    const headerLength = readHeaderLength(await readFully(0, Math.min(8, size)), size, path);
    const headerBytes = await readFully(8, Math.min(headerLength, MAX_HEADER_BYTES));
    return safetensorsFileOf(path, size, parseHeader(headerBytes, size, path));
  } finally {
    await handle.close();
  }
}

function safetensorsFileOf(path: string, size: number, header: SafetensorsHeader): SafetensorsFile {
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

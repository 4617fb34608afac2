/**
 * A checkpoint's tensors copied byte for byte into a new folder (through the project's reader and
 * writer), with some tensors left out and config.json or other files given: for tests that need a
 * variant of a fixture (a plain Qwen2 from a Qwen2.5-VL, a tied LM head).
 */
import { openCheckpoint } from '../../src/core/checkpoint/checkpoint';
import { FileReader } from '../../src/core/checkpoint/fileReader';
import { writeCheckpointFolder } from '../../src/core/checkpoint/safetensorsWriter';

export function copyCheckpoint(sourceDir: string, dir: string, options: { keep: (name: string) => boolean; files: Record<string, string> }): void {
  const reader = new FileReader();
  try {
    writeCheckpointFolder(dir, openCheckpoint(sourceDir).tensors.filter((tensor) => options.keep(tensor.name)).map((tensor) => ({
      name: tensor.name,
      dtype: tensor.dtype,
      shape: tensor.shape,
      produce(write) {
        const bytes = new Uint8Array(tensor.byteLength);
        reader.read(tensor.file, tensor.byteOffset, bytes);
        write(bytes);
      },
    })), { files: options.files });
  } finally {
    reader.close();
  }
}

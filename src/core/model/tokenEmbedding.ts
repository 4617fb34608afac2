/**
 * Token embeddings read from the weight files row by row, decoded exactly to float32 (as the
 * graphs' Cast does), so no session holds the embedding table: for Qwen2.5-VL-7B that is 2.2 GB
 * of float32 a model never needs in memory.
 */
import { FileReader } from '../checkpoint/fileReader';
import { decodeToF32Bits } from '../checkpoint/floatDecode';
import { bytesPerElement, isFloatDtype, type FloatDtype } from '../checkpoint/dtypes';
import type { TensorLocation } from '../checkpoint/tensorInfo';
import { FrankenlensError } from '../errors';

export class TokenEmbedding {
  private readonly reader = new FileReader();
  private readonly dtype: FloatDtype;

  constructor(private readonly table: TensorLocation) {
    if (!isFloatDtype(table.dtype)) throw new FrankenlensError('UnsupportedDtype', `${table.file}: tensor "${table.name}" is ${table.dtype}; model graphs take F32, F16 or BF16 weights`, table.file, table.name);
    this.dtype = table.dtype;
  }

  /** [ids.length · hidden] */
  rows(ids: readonly number[]): Float32Array {
    const [vocab, hidden] = this.table.shape as [number, number];
    const { dtype } = this;
    const rowBytes = hidden * bytesPerElement(dtype);
    const out = new Float32Array(ids.length * hidden);
    const bits = new Uint32Array(out.buffer);
    const raw = new Uint8Array(rowBytes);
    ids.forEach((id, index) => {
      if (!(Number.isInteger(id) && id >= 0 && id < vocab)) throw new FrankenlensError('InvalidArgument', `${this.table.file}: token id ${id} is outside the embedding table's ${vocab} rows`, this.table.file, this.table.name);
      this.reader.read(this.table.file, this.table.byteOffset + id * rowBytes, raw, this.table.name);
      decodeToF32Bits(dtype, raw, 0, hidden, bits.subarray(index * hidden, (index + 1) * hidden));
    });
    return out;
  }

  close(): void {
    this.reader.close();
  }
}

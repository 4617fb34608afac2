/**
 * An independent, deliberately naive implementation used only to check the core: its own minimal
 * safetensors parsing (no validation), its own float decoding from bit fields with Math.pow, and
 * plain float64 loops. It shares no code with src/.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export interface ReferenceTensor {
  dtype: string;
  shape: number[];
  values: Float64Array;
  bits: number[];
}

function decodeElement(dtype: string, view: DataView, offset: number): { value: number; bits: number } {
  if (dtype === 'F32') return { value: view.getFloat32(offset, true), bits: view.getUint32(offset, true) };
  const half = view.getUint16(offset, true);
  if (dtype === 'BF16') {
    const sign = half >> 15 ? -1 : 1;
    const exponent = (half >> 7) & 0xff;
    const mantissa = half & 0x7f;
    const value = exponent === 0 ? sign * mantissa * Math.pow(2, -133) : sign * (1 + mantissa / 128) * Math.pow(2, exponent - 127);
    const f32 = new DataView(new ArrayBuffer(4));
    f32.setFloat32(0, value);
    return { value, bits: f32.getUint32(0) };
  }
  if (dtype === 'F16') {
    const sign = half >> 15 ? -1 : 1;
    const exponent = (half >> 10) & 0x1f;
    const mantissa = half & 0x3ff;
    const value = exponent === 0 ? sign * mantissa * Math.pow(2, -24) : sign * (1 + mantissa / 1024) * Math.pow(2, exponent - 15);
    const f32 = new DataView(new ArrayBuffer(4));
    f32.setFloat32(0, value);
    return { value, bits: f32.getUint32(0) };
  }
  throw new Error(`reference cannot decode ${dtype}`);
}

/** Raw bytes of every tensor of a checkpoint folder (all .safetensors files), by stored name. */
export function readReferenceRawTensors(dir: string): Map<string, { dtype: string; shape: number[]; bytes: Buffer }> {
  const tensors = new Map<string, { dtype: string; shape: number[]; bytes: Buffer }>();
  if (!existsSync(dir)) throw new Error(`no checkpoint at ${dir}`);
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.safetensors'))) {
    const bytes = readFileSync(join(dir, file));
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
    for (const [name, entry] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const start = 8 + headerLength;
      tensors.set(name, { dtype: entry.dtype, shape: entry.shape, bytes: bytes.subarray(start + entry.data_offsets[0], start + entry.data_offsets[1]) });
    }
  }
  return tensors;
}

/** Every tensor of a checkpoint folder, decoded, keyed by the stored name. */
export function readReferenceCheckpoint(dir: string): Map<string, ReferenceTensor> {
  const tensors = new Map<string, ReferenceTensor>();
  for (const [name, raw] of readReferenceRawTensors(dir)) {
    const size = raw.dtype === 'F32' ? 4 : 2;
    const count = raw.bytes.length / size;
    const view = new DataView(raw.bytes.buffer, raw.bytes.byteOffset, raw.bytes.byteLength);
    const values = new Float64Array(count);
    const bits: number[] = [];
    for (let i = 0; i < count; i++) {
      const decoded = decodeElement(raw.dtype, view, i * size);
      values[i] = decoded.value;
      bits.push(decoded.bits);
    }
    tensors.set(name, { dtype: raw.dtype, shape: raw.shape, values, bits });
  }
  return tensors;
}

export interface ReferenceStats {
  inFro: number;
  rlDeltaFro: number;
  rlDeltaRel: number;
  inDeltaFro: number;
  inDeltaRel: number;
  cosine: number | null;
  unchangedFraction: number;
  maxAbsDelta: number;
}

export function referenceStats(inTensor: ReferenceTensor, rlTensor: ReferenceTensor, baseTensor?: ReferenceTensor): ReferenceStats {
  let inSq = 0, rlSq = 0, baseSq = 0, dot = 0, unchanged = 0, maxAbs = 0;
  for (let i = 0; i < inTensor.values.length; i++) {
    const w = inTensor.values[i]!;
    const dRl = rlTensor.values[i]! - w;
    inSq += w * w;
    rlSq += dRl * dRl;
    if (inTensor.bits[i] === rlTensor.bits[i]) unchanged++;
    maxAbs = Math.max(maxAbs, Math.abs(dRl));
    if (baseTensor) {
      const dIn = w - baseTensor.values[i]!;
      baseSq += dIn * dIn;
      dot += dIn * dRl;
    }
  }
  const inFro = Math.sqrt(inSq);
  const rlDeltaFro = Math.sqrt(rlSq);
  const inDeltaFro = Math.sqrt(baseSq);
  return {
    inFro,
    rlDeltaFro,
    rlDeltaRel: rlDeltaFro / inFro,
    inDeltaFro,
    inDeltaRel: inDeltaFro / inFro,
    cosine: baseTensor && inDeltaFro > 0 && rlDeltaFro > 0 ? dot / (inDeltaFro * rlDeltaFro) : null,
    unchangedFraction: unchanged / inTensor.values.length,
    maxAbsDelta: maxAbs,
  };
}

/** Relative difference with an absolute floor, for comparing statistics near zero. */
export function relativeError(actual: number, expected: number, floor = 1e-300): number {
  return Math.abs(actual - expected) / Math.max(Math.abs(expected), floor);
}

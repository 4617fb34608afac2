/**
 * Strict safetensors header validation, in the order of the format's reference implementation:
 * length prefix, size bound, UTF-8, JSON, metadata, dtype/shape/offsets, contiguity (no gaps, no
 * overlaps, no aliasing), byte size = numel × dtype size, and no trailing or missing bytes.
 * Pure: works on the prefix bytes and the file size, so it never allocates more than the header.
 */
import { FrankenlensError, type ErrorCode } from '../errors';
import { jsonProblem, previewValue, quoted } from '../regularFile';
import { DTYPE_BITS, isDtype, type Dtype } from './dtypes';

/** Same bound as the reference implementation: a header over 100 MB is refused before reading it. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface HeaderEntry {
  name: string;
  dtype: Dtype;
  shape: number[];
  /** Offsets relative to the start of the data area. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  headerLength: number;
  /** Absolute offset of the data area: 8 + headerLength. */
  dataStart: number;
  entries: HeaderEntry[];
  metadata: Record<string, string>;
}

function fail(code: ErrorCode, file: string, problem: string, tensor?: string): never {
  const where = tensor === undefined ? file : `${file}: tensor ${quoted(tensor)}`;
  throw new FrankenlensError(code, `${where}: ${problem}`, file, tensor);
}

/** Reads the little-endian u64 header length; `prefix` holds at least the first 8 bytes. */
export function readHeaderLength(prefix: Uint8Array, fileSize: number, file: string): number {
  if (fileSize < 8 || prefix.byteLength < 8) fail('HeaderTooSmall', file, `file is ${fileSize} bytes, too small to hold a safetensors header`);
  const length = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(MAX_HEADER_BYTES)) fail('HeaderTooLarge', file, `header length ${length} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const headerLength = Number(length);
  if (8 + headerLength > fileSize) {
    fail('InvalidHeaderLength', file, `header length ${headerLength} runs past the end of the file (${fileSize} bytes): truncated or not a safetensors file`);
  }
  return headerLength;
}

/** Validates the header JSON (the `headerLength` bytes after the prefix) against the file size. */
export function parseHeader(headerBytes: Uint8Array, fileSize: number, file: string): SafetensorsHeader {
  const headerLength = headerBytes.byteLength;
  let text: string;
  try {
    // ignoreBOM keeps a byte order mark in the text, so that it is refused as the reference does.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    fail('InvalidHeaderUtf8', file, 'header is not valid UTF-8');
  }
  if (text.startsWith('\uFEFF')) fail('InvalidHeaderJson', file, 'header is not valid JSON (it starts with a byte order mark)');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    fail('InvalidHeaderJson', file, `header is not valid JSON (${jsonProblem(error)})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('InvalidHeaderJson', file, 'header is not a JSON object');

  let metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('InvalidMetadata', file, `__metadata__ must be an object of strings, not ${previewValue(value)}`);
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        if (typeof item !== 'string') fail('InvalidMetadata', file, `__metadata__ entry ${quoted(key)} is ${previewValue(item)}, not a string`);
      }
      // fromEntries defines own properties, so a key such as "__proto__" stays a plain entry.
      metadata = Object.fromEntries(Object.entries(value as Record<string, string>));
      continue;
    }
    entries.push(parseEntry(name, value, file));
  }

  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expectedBegin = 0;
  for (const entry of entries) {
    if (entry.begin !== expectedBegin) {
      const problem = entry.begin < expectedBegin ? 'overlaps the previous tensor' : 'leaves a gap after the previous tensor';
      fail('InvalidOffset', file, `data offsets [${entry.begin}, ${entry.end}] ${problem} (expected to start at ${expectedBegin})`, entry.name);
    }
    if (entry.end < entry.begin) fail('InvalidOffset', file, `data offsets [${entry.begin}, ${entry.end}] end before they begin`, entry.name);
    const bits = checkedNumel(entry, file) * BigInt(DTYPE_BITS[entry.dtype]);
    if (bits % 8n !== 0n) fail('MisalignedSlice', file, `${entry.dtype} tensor of shape ${previewValue(entry.shape)} does not fill whole bytes`, entry.name);
    const expectedBytes = bits / 8n;
    if (expectedBytes !== BigInt(entry.end - entry.begin)) {
      fail('TensorInvalidInfo', file, `shape ${previewValue(entry.shape)} × ${entry.dtype} needs ${expectedBytes} bytes but data offsets span ${entry.end - entry.begin}`, entry.name);
    }
    expectedBegin = entry.end;
  }

  const dataStart = 8 + headerLength;
  if (dataStart + expectedBegin > fileSize) {
    const firstMissing = entries.find((entry) => dataStart + entry.end > fileSize);
    fail('TruncatedFile', file, `file is truncated: tensor data needs ${dataStart + expectedBegin} bytes but the file has ${fileSize}`, firstMissing?.name);
  }
  if (dataStart + expectedBegin < fileSize) {
    fail('MetadataIncompleteBuffer', file, `file has ${fileSize - dataStart - expectedBegin} unexpected bytes after the last tensor`);
  }
  return { headerLength, dataStart, entries, metadata };
}

function parseEntry(name: string, value: unknown, file: string): HeaderEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('InvalidHeaderJson', file, `entry is ${previewValue(value)}, not an object`, name);
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (!isDtype(dtype)) fail('UnknownDtype', file, dtype === undefined ? 'no "dtype"' : `unknown dtype ${previewValue(dtype)}`, name);
  if (!Array.isArray(shape) || !shape.every((dim) => Number.isSafeInteger(dim) && (dim as number) >= 0)) {
    fail('InvalidShape', file, shape === undefined ? 'no "shape"' : `shape ${previewValue(shape)} is not a list of non-negative integers`, name);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((offset) => Number.isSafeInteger(offset) && (offset as number) >= 0)) {
    fail('InvalidOffset', file, offsets === undefined ? 'no "data_offsets"' : `data_offsets ${previewValue(offsets)} is not a pair of non-negative integers`, name);
  }
  return { name, dtype, shape: shape as number[], begin: offsets[0] as number, end: offsets[1] as number };
}

/** Element count in BigInt: shapes near 2^64 must fail cleanly, never wrap. */
function checkedNumel(entry: HeaderEntry, file: string): bigint {
  let numel = 1n;
  for (const dim of entry.shape) {
    numel *= BigInt(dim);
    if (numel > BigInt(Number.MAX_SAFE_INTEGER)) fail('ValidationOverflow', file, `shape ${previewValue(entry.shape)} has too many elements`, entry.name);
  }
  return numel;
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseHeader, readHeaderLength, MAX_HEADER_BYTES } from '../../../src/core/checkpoint/safetensorsHeader';
import { FrankenlensError, type ErrorCode } from '../../../src/core/errors';

/** A safetensors byte string: 8-byte length, header text, then `dataLength` zero bytes. */
function stBytes(header: string | object, dataLength: number): Uint8Array {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const headerBytes = Buffer.from(text, 'utf8');
  const bytes = Buffer.alloc(8 + headerBytes.length + dataLength);
  bytes.writeBigUInt64LE(BigInt(headerBytes.length));
  headerBytes.copy(bytes, 8);
  return bytes;
}

/** Parses like the file reader does: prefix, then header, against the buffer's own size. */
function parse(bytes: Uint8Array) {
  const length = readHeaderLength(bytes.subarray(0, 8), bytes.byteLength, 'test.safetensors');
  return parseHeader(bytes.subarray(8, 8 + length), bytes.byteLength, 'test.safetensors');
}

function assertCode(bytes: Uint8Array, code: ErrorCode, tensor?: string) {
  assert.throws(() => parse(bytes), (error: unknown) => {
    assert.ok(error instanceof FrankenlensError, `expected FrankenlensError, got ${error}`);
    assert.equal(error.code, code, error.message);
    assert.equal(error.file, 'test.safetensors');
    if (tensor !== undefined) assert.equal(error.tensor, tensor);
    assert.match(error.message, /^test\.safetensors/);
    return true;
  });
}

describe('safetensors header validation', () => {
  it('accepts a valid header with metadata, out-of-order entries, a scalar and an empty tensor', () => {
    const header = {
      __metadata__: { format: 'pt' },
      b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
      scalar: { dtype: 'BF16', shape: [], data_offsets: [12, 14] },
      empty: { dtype: 'F16', shape: [0, 3], data_offsets: [14, 14] },
      a: { dtype: 'I32', shape: [1], data_offsets: [0, 4] },
    };
    const parsed = parse(stBytes(header, 14));
    assert.deepEqual(parsed.entries.map((entry) => entry.name), ['a', 'b', 'scalar', 'empty']);
    assert.deepEqual(parsed.metadata, { format: 'pt' });
    assert.equal(parsed.dataStart, 8 + JSON.stringify(header).length);
  });

  it('tolerates leading and trailing whitespace around the JSON', () => {
    const parsed = parse(stBytes(`  ${JSON.stringify({ a: { dtype: 'U8', shape: [3], data_offsets: [0, 3] } })}    `, 3));
    assert.equal(parsed.entries.length, 1);
  });

  it('HeaderTooSmall: fewer than 8 bytes', () => {
    assert.throws(() => readHeaderLength(new Uint8Array(5), 5, 'test.safetensors'), { code: 'HeaderTooSmall' });
  });

  it('HeaderTooLarge: a length over the bound is refused before any allocation', () => {
    const bytes = Buffer.alloc(16);
    bytes.writeBigUInt64LE(BigInt(MAX_HEADER_BYTES) + 1n);
    assert.throws(() => readHeaderLength(bytes, 16, 'test.safetensors'), { code: 'HeaderTooLarge' });
    bytes.writeBigUInt64LE(0xffffffffffffffffn);
    assert.throws(() => readHeaderLength(bytes, 16, 'test.safetensors'), { code: 'HeaderTooLarge' });
  });

  it('InvalidHeaderLength: a length larger than the file', () => {
    const bytes = stBytes({}, 0);
    const view = Buffer.from(bytes);
    view.writeBigUInt64LE(1000n);
    assert.throws(() => readHeaderLength(view, view.length, 'test.safetensors'), (error: FrankenlensError) => error.code === 'InvalidHeaderLength' && /past the end of the file/.test(error.message));
  });

  it('InvalidHeaderUtf8', () => {
    const bytes = Buffer.alloc(8 + 4);
    bytes.writeBigUInt64LE(4n);
    bytes.set([0x7b, 0xff, 0xfe, 0x7d], 8);
    assertCode(bytes, 'InvalidHeaderUtf8');
  });

  it('InvalidHeaderJson: malformed JSON, an array, a non-object entry', () => {
    assertCode(stBytes('{"a": ', 0), 'InvalidHeaderJson');
    assertCode(stBytes('[1,2]', 0), 'InvalidHeaderJson');
    assertCode(stBytes({ a: 3 }, 0), 'InvalidHeaderJson', 'a');
  });

  it('InvalidMetadata: non-string metadata values', () => {
    assertCode(stBytes({ __metadata__: { n: 1 } }, 0), 'InvalidMetadata');
  });

  it('UnknownDtype', () => {
    assertCode(stBytes({ a: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, 16), 'UnknownDtype', 'a');
  });

  it('InvalidShape: negative, fractional or non-array shapes', () => {
    assertCode(stBytes({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4), 'InvalidShape', 'a');
    assertCode(stBytes({ a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, 4), 'InvalidShape', 'a');
    assertCode(stBytes({ a: { dtype: 'F32', shape: 'x', data_offsets: [0, 4] } }, 4), 'InvalidShape', 'a');
  });

  it('InvalidOffset: overlapping tensors, a gap, aliasing, reversed offsets', () => {
    assertCode(stBytes({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12), 'InvalidOffset', 'b');
    assertCode(stBytes({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8), 'InvalidOffset', 'a');
    const alias: Record<string, object> = {};
    for (let i = 0; i < 10; i++) alias[`t${i}`] = { dtype: 'F32', shape: [1], data_offsets: [0, 4] };
    assertCode(stBytes(alias, 4), 'InvalidOffset');
    assertCode(stBytes({ a: { dtype: 'U8', shape: [0], data_offsets: [0, 0] }, b: { dtype: 'U8', shape: [0], data_offsets: [1, 0] } }, 1), 'InvalidOffset');
    assertCode(stBytes({ a: { dtype: 'F32', shape: [1], data_offsets: [0] } }, 4), 'InvalidOffset', 'a');
  });

  it('ValidationOverflow: shapes near 2^64 fail cleanly', () => {
    assertCode(stBytes({ a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, 4), 'ValidationOverflow', 'a');
  });

  it('MisalignedSlice: sub-byte dtypes that do not fill whole bytes', () => {
    assertCode(stBytes({ a: { dtype: 'F4', shape: [3], data_offsets: [0, 2] } }, 2), 'MisalignedSlice', 'a');
    assert.equal(parse(stBytes({ a: { dtype: 'F4', shape: [4], data_offsets: [0, 2] } }, 2)).entries.length, 1);
  });

  it('TensorInvalidInfo: byte size differs from shape × dtype size', () => {
    assertCode(stBytes({ a: { dtype: 'BF16', shape: [2, 3], data_offsets: [0, 8] } }, 8), 'TensorInvalidInfo', 'a');
  });

  it('TruncatedFile: data area shorter than the offsets, naming the first tensor cut off', () => {
    const header = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } };
    assertCode(stBytes(header, 10), 'TruncatedFile', 'b');
  });

  it('MetadataIncompleteBuffer: trailing bytes after the last tensor', () => {
    assertCode(stBytes({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 9), 'MetadataIncompleteBuffer');
  });

  it('random and truncated buffers only ever raise FrankenlensError', () => {
    let state = 12345;
    const random = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const valid = stBytes({ a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] }, b: { dtype: 'BF16', shape: [3], data_offsets: [16, 22] } }, 22);
    for (let trial = 0; trial < 2000; trial++) {
      let bytes: Uint8Array;
      if (trial % 3 === 0) bytes = valid.subarray(0, Math.floor(random() * valid.length));
      else {
        bytes = Uint8Array.from(valid);
        for (let flips = 0; flips < 1 + random() * 4; flips++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      }
      try {
        parse(bytes);
      } catch (error) {
        assert.ok(error instanceof FrankenlensError, `trial ${trial}: ${(error as Error).name}: ${(error as Error).message}`);
      }
    }
  });
});

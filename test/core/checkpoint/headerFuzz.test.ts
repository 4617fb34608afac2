/**
 * Seeded mutations of a valid safetensors file: every refusal is a FrankenlensError whose message is
 * one line starting with the file path, in plain words (no stack, "undefined", "[object Object]" or
 * raw JavaScript error text), and the blocking and non-blocking readers agree.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FileReader } from '../../../src/core/checkpoint/fileReader';
import { openSafetensorsFile, openSafetensorsFileAsync } from '../../../src/core/checkpoint/safetensorsFile';
import { FrankenlensError } from '../../../src/core/errors';
import { seededRandom } from '../../../src/core/seededRandom';
import { tempDir } from '../../helpers/tempDir';

interface Case {
  name: string;
  header: string | Buffer;
  /** Bytes after the header (default: what the valid header needs). */
  dataLength?: number;
  /** The u64 length prefix (default: the header's byte length). */
  prefix?: bigint;
}

const VALID = {
  __metadata__: { format: 'pt' },
  'a.weight': { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
  'b.bias': { dtype: 'BF16', shape: [4], data_offsets: [16, 24] },
};
const VALID_TEXT = JSON.stringify(VALID);
const DATA_LENGTH = 24;

/** The valid header with one field of tensor "a.weight" replaced (undefined removes it). */
function withField(field: string, value: unknown): string {
  const entry: Record<string, unknown> = { ...VALID['a.weight'] };
  if (value === undefined) delete entry[field];
  else entry[field] = value;
  return JSON.stringify({ ...VALID, 'a.weight': entry });
}

/** Replaces a JSON value in the text by raw, possibly non-JSON, text. */
const rawField = (field: string, raw: string) => withField(field, '@@').replace('"@@"', raw);

function cases(): Case[] {
  const list: Case[] = [];
  const random = seededRandom(7, 'safetensors header fuzz');
  const pick = <T>(values: readonly T[]) => values[Math.floor(random() * values.length)]!;

  for (let i = 0; i < 12; i++) {
    const at = 1 + Math.floor(random() * (VALID_TEXT.length - 1));
    list.push({ name: `truncated at ${at}`, header: VALID_TEXT.slice(0, at) });
  }
  for (let i = 0; i < 10; i++) {
    const bytes = Buffer.from(VALID_TEXT);
    const at = Math.floor(random() * bytes.length);
    list.push({ name: `byte ${at} set to invalid UTF-8`, header: Buffer.concat([bytes.subarray(0, at), Buffer.from([pick([0x80, 0xbf, 0xc0, 0xff, 0xed, 0xf8])]), bytes.subarray(at + 1)]) });
  }
  for (let i = 0; i < 16; i++) {
    const bytes = Buffer.from(VALID_TEXT);
    const at = Math.floor(random() * bytes.length);
    bytes[at] = pick([0x00, 0x0a, 0x22, 0x2c, 0x5b, 0x5d, 0x7b, 0x7d, 0x3a, 0x30, 0x39, 0x2d, 0x5c, 0x20, 0x7f, 0x41]);
    list.push({ name: `byte ${at} changed to 0x${bytes[at]!.toString(16)}`, header: bytes });
  }
  for (const dtype of [123, null, [], {}, 'F33', '', true, 'f32', ['F32'], { F32: 1 }, undefined]) list.push({ name: `dtype ${JSON.stringify(dtype)}`, header: withField('dtype', dtype) });
  for (const shape of ['2,2', [2, -1], [2.5, 2], [2 ** 60, 2 ** 60], null, [[2], [2]], {}, [true], ['2'], [], [4], undefined, [2 ** 53, 1]]) {
    list.push({ name: `shape ${JSON.stringify(shape)}`, header: withField('shape', shape) });
  }
  for (const offsets of [[0], [0, 16, 32], [-1, 16], [16, 0], ['0', '16'], [0, 1e20], null, [0.5, 16], {}, [0, 17], [1, 17], undefined]) {
    list.push({ name: `data_offsets ${JSON.stringify(offsets)}`, header: withField('data_offsets', offsets) });
  }
  for (const raw of ['1e400', '-1e400', 'NaN', 'Infinity', '-0', '0x10', '1_0', '18446744073709551616', '[1e999, 2]', '[NaN]', '-', '1.', '.5']) {
    list.push({ name: `shape written as ${raw}`, header: rawField('shape', raw) });
  }
  for (const entry of [1, 'x', [], null, true]) list.push({ name: `entry ${JSON.stringify(entry)}`, header: JSON.stringify({ ...VALID, 'a.weight': entry }) });
  for (const metadata of [[], 'x', 1, null, { a: 1 }, { a: { b: 'c' } }, { a: null }, { a: ['x'] }]) {
    list.push({ name: `__metadata__ ${JSON.stringify(metadata)}`, header: JSON.stringify({ ...VALID, __metadata__: metadata }) });
  }
  list.push({ name: '__metadata__ with a __proto__ key', header: VALID_TEXT.replace('"format"', '"__proto__"') });
  list.push({ name: 'duplicate tensor', header: VALID_TEXT.replace('{"__metadata__"', `{"b.bias": ${JSON.stringify(VALID['b.bias'])}, "__metadata__"`) });
  list.push({ name: 'duplicate field', header: VALID_TEXT.replace('"dtype":"F32"', '"dtype":"F32","dtype":"F99"') });
  list.push({ name: 'duplicate __metadata__', header: VALID_TEXT.replace('{"__metadata__"', '{"__metadata__": 1, "__metadata__"') });
  list.push({ name: 'byte order mark', header: `\uFEFF${VALID_TEXT}` });
  for (const tail of ['xyz', '}', '\u0000\u0000', '\n\u0000', ' ', '{}', ',']) list.push({ name: `trailing ${JSON.stringify(tail)}`, header: VALID_TEXT + tail });
  for (const top of ['[]', '"x"', '1', 'null', 'true', '', ' ', '{', '}', '[{}]', '{"a": 1}']) list.push({ name: `header ${JSON.stringify(top)}`, header: top });
  for (const name of ['line\nbreak', 'tab\there', 'quote"d', 'back\\slash', '\u0000nul', '\u202eright-to-left', 'x'.repeat(10_000), '', '\ud800lone', '__proto__', 'constructor', 'e\u0301', '\u2028sep']) {
    list.push({ name: `tensor named ${JSON.stringify(name).slice(0, 20)} with a bad dtype`, header: JSON.stringify({ [name]: { dtype: 'F99', shape: [1], data_offsets: [0, 4] } }), dataLength: 4 });
  }
  list.push({ name: 'deeply nested shape', header: rawField('shape', `${'['.repeat(5000)}${']'.repeat(5000)}`) });
  list.push({ name: 'deeply nested header', header: `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}` });
  list.push({ name: 'a million-entry shape', header: withField('shape', new Array(1_000_000).fill(1)) });
  for (const dataLength of [0, 8, 23, 25, 1000]) list.push({ name: `${dataLength} data bytes`, header: VALID_TEXT, dataLength });
  for (const prefix of [0n, 1n, 7n, BigInt(VALID_TEXT.length + DATA_LENGTH + 1), 2n ** 63n, 2n ** 64n - 1n, 100_000_001n]) {
    list.push({ name: `length prefix ${prefix}`, header: VALID_TEXT, prefix });
  }
  return list;
}

function writeCase(path: string, testCase: Case): void {
  const header = Buffer.isBuffer(testCase.header) ? testCase.header : Buffer.from(testCase.header, 'utf8');
  const bytes = Buffer.alloc(8 + header.length + (testCase.dataLength ?? DATA_LENGTH));
  bytes.writeBigUInt64LE(testCase.prefix ?? BigInt(header.length));
  header.copy(bytes, 8);
  writeFileSync(path, bytes);
}

/** The error message, or null when the file opened. */
function assertCleanError(error: unknown, path: string, name: string): string {
  assert.ok(error instanceof FrankenlensError, `${name}: a FrankenlensError, got ${error instanceof Error ? error.stack : String(error)}`);
  const message = error.message;
  assert.ok(message.startsWith(`${path}: `), `${name}: starts with the path: ${message}`);
  assert.equal(error.file, path, name);
  assert.doesNotMatch(message, /[\n\r\u2028\u2029\u0000]/, `${name}: one line: ${JSON.stringify(message)}`);
  assert.doesNotMatch(message, /undefined|\[object Object\]|\bat \S+:\d+|Error\b|Maximum call stack|Cannot read propert|is not a function|is not valid JSON$/, `${name}: plain words: ${message}`);
  assert.ok(message.length < path.length + 400, `${name}: short: ${message.length} characters`);
  return message;
}

describe('fuzzed safetensors headers', () => {
  const dir = tempDir();
  const all = cases();

  it(`has over 120 cases (${all.length})`, () => assert.ok(all.length > 120));

  it('every refusal names the file cleanly, the same with and without blocking', async () => {
    let refused = 0;
    for (const [i, testCase] of all.entries()) {
      const path = join(dir, `case-${i}.safetensors`);
      writeCase(path, testCase);
      const reader = new FileReader();
      let syncMessage: string | null = null;
      try {
        openSafetensorsFile(reader, path);
      } catch (error) {
        syncMessage = assertCleanError(error, path, testCase.name);
      } finally {
        reader.close();
      }
      let asyncMessage: string | null = null;
      await openSafetensorsFileAsync(path).catch((error: unknown) => {
        asyncMessage = assertCleanError(error, path, testCase.name);
      });
      assert.equal(asyncMessage, syncMessage, testCase.name);
      if (syncMessage !== null) refused++;
    }
    assert.ok(refused > 100, `most mutations are refused (${refused} of ${all.length})`);
  });

  it('accepts the valid file, and keeps a "__proto__" metadata key as a plain entry', async () => {
    const path = join(dir, 'valid.safetensors');
    const header = VALID_TEXT.replace('"format"', '"__proto__"');
    writeCase(path, { name: 'valid', header });
    const file = await openSafetensorsFileAsync(path);
    assert.deepEqual(Object.entries(file.metadata), [['__proto__', 'pt']]);
    assert.deepEqual(file.tensors.map((tensor) => [tensor.name, tensor.byteOffset]), [['a.weight', 8 + header.length], ['b.bias', 8 + header.length + 16]]);
  });
});

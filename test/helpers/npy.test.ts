import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FrankenlensError } from '../../src/core/errors';
import { npyValues, readNpy } from './npy';
import { tempDir } from './tempDir';

const GOLDENS = join(__dirname, '..', '..', 'test', 'fixtures', 'qwen2_5_vl_tiny_goldens');

/** A version-1 .npy file as numpy.save lays it out: header padded with spaces to 64 bytes. */
function npyBytes(header: string, data: Uint8Array, version = 1): Buffer {
  const unpadded = 10 + header.length + 1;
  const padded = header + ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const prefix = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(prefix);
  prefix.writeUInt16LE(padded.length, 8);
  return Buffer.concat([prefix, Buffer.from(padded, 'latin1'), data]);
}

describe('npy reader', () => {
  it('reads every golden with the shape, dtype and sha256 listed in the manifest', () => {
    const manifest = JSON.parse(readFileSync(join(GOLDENS, 'manifest.json'), 'utf8')) as {
      files: Record<string, { shape: number[]; dtype: string; sha256: string }>;
      inputs: { text_input_ids: number[][]; image_input_ids: number[][]; image_grid_thw: number[][] };
    };
    const listed = Object.entries(manifest.files).filter(([name]) => name.endsWith('.npy'));
    const stored = ['text', 'image'].flatMap((folder) => readdirSync(join(GOLDENS, folder)).map((name) => `${folder}/${name}`));
    assert.deepEqual(listed.map(([name]) => name).sort(), stored.sort(), 'every stored golden is listed');
    for (const [name, entry] of listed) {
      const path = join(GOLDENS, name);
      assert.equal(createHash('sha256').update(readFileSync(path)).digest('hex'), entry.sha256, name);
      const array = readNpy(path);
      assert.deepEqual(array.shape, entry.shape, name);
      assert.equal(array.dtype, entry.dtype, name);
    }
    assert.deepEqual([...npyValues(readNpy(join(GOLDENS, 'text', 'input_ids.npy')))], manifest.inputs.text_input_ids[0]);
    assert.deepEqual([...npyValues(readNpy(join(GOLDENS, 'image', 'input_ids.npy')))], manifest.inputs.image_input_ids[0]);
    assert.deepEqual([...npyValues(readNpy(join(GOLDENS, 'image', 'image_grid_thw.npy')))], manifest.inputs.image_grid_thw[0]);
  });

  it('reads float64, float32 and int64 values in C order, including 1-d and 0-d shapes', () => {
    const dir = tempDir();
    const f64 = new Float64Array([1.5, -2.25, 1e-300, Math.PI, 0, 7]);
    writeFileSync(join(dir, 'a.npy'), npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", new Uint8Array(f64.buffer)));
    const a = readNpy(join(dir, 'a.npy'));
    assert.deepEqual(a.shape, [2, 3]);
    assert.deepEqual([...npyValues(a)], [...f64]);

    const f32 = new Float32Array([0.1, 3]);
    writeFileSync(join(dir, 'b.npy'), npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(f32.buffer)));
    const b = readNpy(join(dir, 'b.npy'));
    assert.equal(b.dtype, 'float32');
    assert.deepEqual([...b.data], [...f32]);

    const i64 = new BigInt64Array([-3n]);
    writeFileSync(join(dir, 'c.npy'), npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (), }", new Uint8Array(i64.buffer)));
    const c = readNpy(join(dir, 'c.npy'));
    assert.deepEqual(c.shape, []);
    assert.deepEqual([...npyValues(c)], [-3]);
  });

  it('refuses what it cannot read exactly, naming the file', () => {
    const dir = tempDir();
    const eight = new Uint8Array(8);
    const cases: [string, Buffer, RegExp][] = [
      ['magic', Buffer.concat([Buffer.from('NUMPY!'), npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", eight).subarray(6)]), /magic/],
      ['version', npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", eight, 2), /version 2\.0/],
      ['big-endian', npyBytes("{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", eight), /dtype >f8/],
      ['float16', npyBytes("{'descr': '<f2', 'fortran_order': False, 'shape': (4,), }", eight), /dtype <f2/],
      ['fortran', npyBytes("{'descr': '<f8', 'fortran_order': True, 'shape': (1,), }", eight), /Fortran/],
      ['short', npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", eight), /needs 16 data bytes, the file has 8/],
      ['long', npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", eight), /needs 4 data bytes, the file has 8/],
      ['header', npyBytes("{'descr': '<f8', 'shape': (1,), }", eight), /unexpected header/],
    ];
    for (const [name, bytes, problem] of cases) {
      const path = join(dir, `${name}.npy`);
      writeFileSync(path, bytes);
      assert.throws(() => readNpy(path), (error: unknown) => error instanceof FrankenlensError && error.file === path && error.message.startsWith(path) && problem.test(error.message), name);
    }
    assert.throws(() => readNpy(join(dir, 'missing.npy')), /missing\.npy: cannot read \(ENOENT\)/);

    const hugePath = join(dir, 'huge.npy');
    writeFileSync(hugePath, npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(new BigInt64Array([2n ** 53n + 1n]).buffer)));
    assert.throws(() => npyValues(readNpy(hugePath)), /huge\.npy: int64 value 9007199254740993 is not exact/);
  });
});

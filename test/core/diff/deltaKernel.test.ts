import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FileReader } from '../../../src/core/checkpoint/fileReader';
import { writeSafetensorsFile } from '../../../src/core/checkpoint/safetensorsWriter';
import { DeltaKernel, type DiffChunk } from '../../../src/core/diff/deltaKernel';
import { toBf16Bits } from '../../../src/core/checkpoint/floatEncode';
import { tempDir } from '../../helpers/tempDir';

/** Writes three same-length tensors (in, rl, base) with planted exact-equal entries and extremes. */
function writeTriple(dir: string, dtype: 'BF16' | 'F32', count: number): DiffChunk {
  let state = 4242;
  const random = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const values = [0, 1, 2].map(() => new Float64Array(count));
  for (let i = 0; i < count; i++) {
    values[0]![i] = random() * (i % 97 === 0 ? 1e4 : 1);
    values[1]![i] = i % 3 === 0 ? values[0]![i]! : values[0]![i]! + random() * 1e-3;
    values[2]![i] = i % 5 === 0 ? values[0]![i]! : values[0]![i]! - random() * 1e-2;
  }
  values[1]![count - 1] = -values[0]![count - 1]!; // largest change sits in the last, unaligned element
  const encode = (v: Float64Array) => (dtype === 'F32' ? new Uint8Array(Float32Array.from(v).buffer) : new Uint8Array(Uint16Array.from(v, toBf16Bits).buffer));
  const names = ['in', 'rl', 'base'];
  const file = join(dir, `${dtype}-${count}.safetensors`);
  writeSafetensorsFile(file, names.map((name, k) => ({ name, dtype, shape: [count], produce: (write) => write(encode(values[k]!)) })));
  const elementBytes = dtype === 'F32' ? 4 : 2;
  // Sorted by name: base, in, rl.
  const offset = (name: string) => {
    const order = ['base', 'in', 'rl'].indexOf(name);
    const headerLength = Number(readFileSync(file).readBigUInt64LE(0));
    return 8 + headerLength + order * count * elementBytes;
  };
  const source = (name: string) => ({ file, tensor: name, dtype, byteOffset: offset(name) });
  return { in: source('in'), rl: source('rl'), base: source('base'), start: 0, count };
}

describe('delta kernel', () => {
  for (const dtype of ['BF16', 'F32'] as const) {
    for (const count of [1, 3, 4, 1001, 65_539]) {
      it(`SIMD and scalar paths agree (${dtype}, ${count} elements, with and without Base)`, () => {
        const chunk = writeTriple(tempDir(), dtype, count);
        const reader = new FileReader();
        const simd = new DeltaKernel(reader);
        const scalar = new DeltaKernel(reader, { simd: false });
        for (const withBase of [true, false]) {
          const run = withBase ? chunk : { ...chunk, base: undefined };
          const a = simd.run(run);
          const b = scalar.run(run);
          assert.equal(a.count, b.count);
          assert.equal(a.rlUnchanged, b.rlUnchanged);
          assert.equal(a.inUnchanged, b.inUnchanged);
          assert.equal(a.rlMaxAbs, b.rlMaxAbs);
          assert.equal(a.inMaxAbs, b.inMaxAbs);
          for (const field of ['inSumSq', 'rlDeltaSumSq', 'inDeltaSumSq', 'deltaDot'] as const) {
            assert.ok(Math.abs(a[field] - b[field]) <= 1e-12 * Math.max(Math.abs(b[field]), 1e-300), `${field}: ${a[field]} vs ${b[field]}`);
          }
          assert.ok(a.rlUnchanged >= Math.floor(count / 3), 'every third entry was planted unchanged');
        }
        reader.close();
      });
    }
  }
});

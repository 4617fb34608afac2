import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { importBenchmark } from '../../../src/core/bench/importBenchmark';
import { ImportedImageNames } from '../../../src/core/bench/importedImageNames';
import { FrankenlensError } from '../../../src/core/errors';
import { tempDir } from '../../helpers/tempDir';

const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures', 'bench');

describe('imported image file names', () => {
  it('keeps plain indices as they are', () => {
    const names = new ImportedImageNames();
    assert.deepEqual([names.next('101', undefined, 'png'), names.next('104', 1, 'png'), names.next('104', 2, 'jpg'), names.next('a-b_c.d', undefined, 'png')], ['101.png', '104_1.png', '104_2.jpg', 'a-b_c.d.png']);
  });

  it('gives hostile indices distinct, short names that stay in the folder', () => {
    const indices = [
      'A', 'a', 'a/b', 'a_b', 'a?b', 'a\\b', '..', '.', '...', '../../etc/passwd', '/abs', 'x\u0000y', 'tab\there', '\u0001\u001f',
      'CON', 'con', 'Nul', 'com1', 'LPT9', 'aux.txt', 'x'.repeat(1000), 'x'.repeat(1001), 'é'.repeat(1000), '日本語', '😀', 'e\u0301', '\u00e9',
      '104_1', ' ', 'image', '',
    ];
    const names = new ImportedImageNames();
    const written = indices.flatMap((index) => [names.next(index, undefined, 'png'), names.next(index, 1, 'png')]);
    written.push(names.next('104', 1, 'png'));
    const folder = resolve('/benchmark/images');
    assert.equal(new Set(written.map((name) => name.toLowerCase())).size, written.length, 'unique even on case-insensitive file systems');
    for (const name of written) {
      assert.ok(Buffer.byteLength(name) <= 130, `${name.length} bytes`);
      assert.match(name, /^[A-Za-z0-9_-][A-Za-z0-9._-]*\.png$/);
      assert.equal(basename(name), name);
      assert.ok(!relative(folder, resolve(folder, name)).startsWith('..'));
      assert.doesNotMatch(name.split('.')[0]!, /^(con|prn|aux|nul|com\d|lpt\d)$/i, 'no Windows device name');
    }
    assert.equal(written[0], 'A.png');
    assert.notEqual(written[2]!.toLowerCase(), 'a.png');
  });
});

describe('importBenchmark decodes every image', () => {
  const header = 'index\timage\tquestion\tA\tB\tanswer\n';
  const black = readFileSync(join(FIXTURES, 'images', 'black.png'));
  const photo = readFileSync(join('test', 'fixtures', 'qwen_vl_processor', 'tiny_40x30.png'));
  const importTsv = (rows: string) => {
    const dir = tempDir();
    const file = join(dir, 'bench.tsv');
    writeFileSync(file, header + rows);
    const out = join(dir, 'out');
    return { file, dir, out, run: () => importBenchmark({ format: 'vlmevalkit-tsv', file }, out) };
  };

  it('refuses a truncated, corrupt or oversized image, naming the source file and row, and writes nothing', () => {
    const bomb = Buffer.from(black);
    bomb.writeUInt32BE(30000, 16);
    bomb.writeUInt32BE(30000, 20);
    const cases: [string, Buffer, RegExp][] = [
      ['truncated', photo.subarray(0, photo.length / 2), /truncated/],
      ['bomb', bomb, /declares 30000×30000/],
      // Longer than 64 base64 characters, or VLMEvalKit would read the cell as another row's index.
      ['gif', Buffer.concat([Buffer.from('GIF89a\x02\x00\x02\x00', 'latin1'), Buffer.alloc(60)]), /GIF images are not supported/],
    ];
    for (const [label, bytes, pattern] of cases) {
      const { file, dir, out, run } = importTsv(`1\t${black.toString('base64')}\tQ\tx\ty\tA\n7\t${bytes.toString('base64')}\tQ\tx\ty\tB\n`);
      assert.throws(run, (error: unknown) => {
        assert.ok(error instanceof FrankenlensError, label);
        assert.equal(error.code, 'InvalidImage', label);
        assert.equal(error.file, file, label);
        assert.ok(error.message.startsWith(`${file}, row "7": `), error.message);
        assert.match(error.message, pattern, label);
        return true;
      });
      assert.ok(!existsSync(out), label);
      assert.deepEqual(readdirSync(dir), ['bench.tsv'], `${label}: no staging folder left`);
    }
  });

  it('imports rows whose images all decode', () => {
    const { run } = importTsv(`1\t${black.toString('base64')}\tQ\tx\ty\tA\n2\t1\tQ\tx\ty\tB\n`);
    const summary = run();
    assert.deepEqual([summary.items, summary.images], [2, 1]);
  });
});

/**
 * Damaged run files (a probe's or sweep's .jsonl records and .run.json settings) give a
 * FrankenlensError naming the file and the line, never a crash; a torn last line (the run stopped
 * mid-write) is dropped; memory stays bounded (a garbage file is read line by line, with a cap).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FrankenlensError } from '../../../src/core/errors';
import { MAX_RECORD_LINE_BYTES, openResumableRun, readRecords, type ResumableRunFiles } from '../../../src/core/probes/probeRun';
import { tempDir } from '../../helpers/tempDir';

const root = tempDir();
let count = 0;
const file = (content: string | Uint8Array) => {
  const path = join(root, `records-${count++}.jsonl`);
  writeFileSync(path, content);
  return path;
};
const good = (key: string) => `${JSON.stringify({ key, answer: 'B' })}\n`;
const damaged = (path: string, line: number, problem: RegExp) => (error: unknown) =>
  error instanceof FrankenlensError && error.file === path && error.message.startsWith(`${path}, line ${line}: `) && problem.test(error.message);

describe('damaged run files', () => {
  it('read complete records and drop a torn last line (cutting it off the file)', () => {
    const path = file(`${good('a')}${good('b')}{"key": "c", "ans`);
    assert.deepEqual(readRecords(path).map((record) => record.key), ['a', 'b']);
    assert.equal(readFileSync(path, 'utf8'), `${good('a')}${good('b')}`);
  });

  it('name the line of a corrupt line in the middle', () => {
    const path = file(`${good('a')}{"key": "b", "answer": tru\n${good('c')}`);
    assert.throws(() => readRecords(path), damaged(path, 2, /not a JSON line/));
    assert.equal(readFileSync(path, 'utf8'), `${good('a')}{"key": "b", "answer": tru\n${good('c')}`, 'a damaged file is left as it is');
  });

  it('name the line of a line of the wrong type', () => {
    for (const [line, text] of [[2, '42'], [2, '["key", "a"]'], [2, 'null'], [2, '{"answer": "B"}'], [2, '{"key": 7}']] as const) {
      const path = file(`${good('a')}${text}\n`);
      assert.throws(() => readRecords(path), damaged(path, line, /not a record of this run/), text);
    }
    const path = file(`${good('a')}${good('b')}`);
    assert.throws(() => readRecords<{ key: string; answer?: unknown }>(path, (record) => (record.key === 'b' ? 'an answer of another probe' : null)), damaged(path, 2, /an answer of another probe/));
  });

  it('name the line of binary garbage, with or without newlines', () => {
    const withNewlines = Buffer.concat([Buffer.from(good('a')), Buffer.from([0xff, 0xfe, 0x00, 0x0a, 0x80])]);
    const path = file(withNewlines);
    assert.throws(() => readRecords(path), damaged(path, 2, /not UTF-8 text/));
    const noNewline = file(randomBytes(4096).map((byte) => (byte === 10 ? 11 : byte)));
    assert.throws(() => readRecords(noNewline), (error: FrankenlensError) => error.file === noNewline && /, line 1: /.test(error.message));
    const textGarbage = file(`${good('a')}<html>not a record</html>`);
    assert.throws(() => readRecords(textGarbage), damaged(textGarbage, 2, /the last line is not the start of a record/));
  });

  it('refuse a line over the cap without reading the file into one string', () => {
    const path = join(root, 'huge.jsonl');
    const fd = openSync(path, 'w');
    writeSync(fd, good('a'));
    const block = Buffer.alloc(2 ** 20, 'x');
    for (let written = 0; written <= MAX_RECORD_LINE_BYTES; written += block.length) writeSync(fd, block);
    writeSync(fd, '\n');
    closeSync(fd);
    const before = process.memoryUsage().rss;
    assert.throws(() => readRecords(path), damaged(path, 2, /longer than 64 MiB/));
    assert.ok(process.memoryUsage().rss - before < 3 * MAX_RECORD_LINE_BYTES, 'memory bounded by the cap');
  });

  it('name the settings file when it is empty, garbage, broken JSON (with its line) or not a run\'s', () => {
    const outDir = join(root, 'run');
    const files: ResumableRunFiles<{ key: string }> = { outDir, outputKind: 'probes', recordsFile: join(outDir, 'p.jsonl'), runFile: join(outDir, 'p.run.json'), kind: 'a test run', mismatch: 'other settings', settings: {}, inputs: { checkpoints: {} }, resume: true };
    openResumableRun({ ...files, resume: false }).release();
    for (const [content, problem] of [
      ['', /p\.run\.json: empty;/],
      [Buffer.from([0xc3, 0x28, 0xff]), /p\.run\.json: not UTF-8 text;/],
      ['{\n  "settings": {},\n  "inputs": \n}\n', /p\.run\.json: line [34]: not valid JSON;/],
      ['[1, 2]', /p\.run\.json: not a run's settings \(no "settings" field\)/],
      ['{"settings": {}, "inputs": {"checkpoints": 5}}', /p\.run\.json: its "inputs" are not fingerprints/],
    ] as const) {
      writeFileSync(files.runFile, content);
      assert.throws(() => openResumableRun(files), (error: FrankenlensError) => error.code === 'InvalidArgument' && error.file === files.runFile && problem.test(error.message), String(content));
    }
  });
});

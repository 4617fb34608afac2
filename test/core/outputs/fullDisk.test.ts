/**
 * A full disk (and a read-only one) while writing results, checkpoints and run files: a
 * FrankenlensError naming the file in words, and nothing half-written left, checked on a real 256
 * KiB tmpfs (these tests skip where mounting is not permitted); the errno mapping itself is
 * checked everywhere, and with /dev/full where it exists.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { writeFailure, writeFileAtomic } from '../../../src/core/atomicWrite';
import { writeCheckpointFolder, type TensorToWrite } from '../../../src/core/checkpoint/safetensorsWriter';
import { FrankenlensError } from '../../../src/core/errors';
import { thirdsVariants } from '../../../src/core/merge/presets';
import { resolveMerge } from '../../../src/core/merge/resolveMerge';
import { writeMerge } from '../../../src/core/merge/writeMerge';
import { openResumableRun, readRecords } from '../../../src/core/probes/probeRun';
import { writeDiffReport } from '../../../src/core/report/renderReport';
import { TINY_SHAPE, writeSyntheticCheckpoint } from '../../../src/core/synthetic/syntheticQwenVl';
import { sampleDiffResult } from '../report/sampleDiffResult';

const root = mkdtempSync(join(tmpdir(), 'frankenlens-full-disk-'));
const mounts: string[] = [];
after(() => {
  for (const dir of mounts) spawnSync('umount', ['-l', dir]);
  rmSync(root, { recursive: true, force: true });
});

/** A tmpfs of `size` mounted at a new folder, or null where mounting is not permitted. */
function smallDisk(name: string, options: string): string | null {
  const dir = join(root, name);
  mkdirSync(dir);
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return null;
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]).status !== 0) return null;
  mounts.push(dir);
  return dir;
}

const full = smallDisk('full', 'size=256k');
const readOnly = smallDisk('read-only', 'ro,size=64k');
const skip = full === null ? 'mounting a tmpfs is not permitted here' : false;

const diskFull = (path: string) => (error: unknown) => error instanceof FrankenlensError && error.code === 'DiskFull' && error.file === path && error.message.startsWith(`${path}: cannot write: the disk is full`);

/** Whatever is left on the small disk (only the tool's marker-less nothing, ideally). */
const leftovers = (dir: string) => readdirSync(dir, { recursive: true }).map(String).sort();

describe('a full or read-only disk', () => {
  it('maps ENOSPC, EDQUOT, EFBIG, EROFS and EACCES to errors that say so and name the file', () => {
    const errno = (code: string) => Object.assign(new Error(code), { code });
    for (const code of ['ENOSPC', 'EDQUOT', 'EFBIG']) assert.ok(diskFull('/x/f.json')(writeFailure(errno(code), '/x/f.json')), code);
    assert.match((writeFailure(errno('EROFS'), '/x/f.json') as Error).message, /^\/x\/f\.json: cannot write: the file system is read-only/);
    assert.equal((writeFailure(errno('EACCES'), '/x/f.json') as FrankenlensError).code, 'NotWritable');
    const other = errno('EIO');
    assert.equal(writeFailure(other, '/x'), other, 'other errors pass through');
  });

  it('/dev/full: a write that finds no space is a DiskFull error', { skip: existsSync('/dev/full') ? false : 'no /dev/full' }, () => {
    assert.throws(() => {
      try {
        writeFileSync('/dev/full', 'x');
      } catch (error) {
        throw writeFailure(error, '/dev/full');
      }
    }, diskFull('/dev/full'));
  });

  it('a result file: DiskFull, and no .partial left', { skip }, () => {
    const path = join(full!, 'big.json');
    assert.throws(() => writeFileAtomic(path, 'x'.repeat(512 * 1024)), diskFull(path));
    assert.deepEqual(leftovers(full!), []);
  });

  it('a checkpoint folder: DiskFull naming the shard, and neither the folder nor its staging left', { skip }, () => {
    const out = join(full!, 'ckpt');
    const tensor: TensorToWrite = { name: 'w', dtype: 'F32', shape: [512, 256], *pieces() { for (let i = 0; i < 8; i++) yield new Uint8Array(64 * 1024); } };
    assert.throws(() => writeCheckpointFolder(out, [tensor]), diskFull(join(out, 'model.safetensors')));
    assert.deepEqual(leftovers(full!), []);
  });

  it('a merge: DiskFull, and nothing left', { skip }, async () => {
    const paths = { in: join(root, 'in'), rl: join(root, 'rl') };
    writeSyntheticCheckpoint(paths.in, { shape: TINY_SHAPE, seed: 2, dtype: 'F32' });
    writeSyntheticCheckpoint(paths.rl, { shape: TINY_SHAPE, seed: 2, dtype: 'F32', update: { llmLayers: [0], scale: 0.1 } });
    const out = join(full!, 'merged');
    await assert.rejects(writeMerge(resolveMerge(thirdsVariants(paths, TINY_SHAPE.llmLayers)[0]!), { outDir: out }), (error: FrankenlensError) => error.code === 'DiskFull' && error.file!.startsWith(out) && /disk is full/.test(error.message));
    assert.deepEqual(leftovers(full!), []);
  });

  it('a report: DiskFull, and no page', { skip }, async () => {
    const out = join(full!, 'report');
    await assert.rejects(writeDiffReport(sampleDiffResult({ withBase: true }), out), (error: FrankenlensError) => error.code === 'DiskFull');
    assert.ok(!existsSync(join(out, 'report.html')));
    assert.ok(!leftovers(full!).some((name) => name.endsWith('.partial')));
    rmSync(out, { recursive: true });
  });

  it('a run file: DiskFull on append, and the resume drops the torn line', { skip }, () => {
    const outDir = join(full!, 'run');
    const files = { outDir, outputKind: 'probes' as const, recordsFile: join(outDir, 'r.jsonl'), runFile: join(outDir, 'r.run.json'), kind: 'a test run', mismatch: 'other settings', settings: {}, inputs: { checkpoints: {} } };
    const run = openResumableRun<{ key: string; pad: string }>(files);
    let written = 0;
    assert.throws(() => {
      for (;;) run.append({ key: String(written++), pad: 'x'.repeat(10_000) });
    }, diskFull(files.recordsFile));
    run.release();
    const kept = readRecords<{ key: string }>(files.recordsFile);
    assert.ok(kept.length > 0 && kept.length < written);
  });

  it('a read-only file system: NotWritable naming the folder', { skip: readOnly === null ? 'mounting a tmpfs is not permitted here' : false }, () => {
    const out = join(readOnly!, 'results');
    assert.throws(() => writeFileAtomic(join(readOnly!, 'x.json'), '{}'), (error: FrankenlensError) => error.code === 'NotWritable' && /read-only/.test(error.message));
    assert.throws(() => writeCheckpointFolder(out, [{ name: 'w', dtype: 'F32', shape: [1], produce: (write) => write(new Uint8Array(4)) }]), (error: FrankenlensError) => error.code === 'NotWritable');
  });
});

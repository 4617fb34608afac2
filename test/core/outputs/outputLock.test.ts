/**
 * One writer per output folder (src/core/outputLock.ts): a second writer, in this process or
 * another, is refused naming the holder; a lock left by a dead process of this host is taken over
 * with a warning; the lock goes when the writer finishes, fails or is cancelled.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writeCheckpointFolderAsync, type TensorToWrite } from '../../../src/core/checkpoint/safetensorsWriter';
import { writeDiffJson } from '../../../src/core/diff/writeDiffJson';
import { FrankenlensError } from '../../../src/core/errors';
import { prepareOutputFolder } from '../../../src/core/outputFolder';
import { acquireOutputLock, outputLockPath } from '../../../src/core/outputLock';
import type { CancelToken } from '../../../src/core/progress';
import { tempDir } from '../../helpers/tempDir';
import { sampleDiffResult } from '../report/sampleDiffResult';

const root = tempDir();
const locked = (dir: string, holder: RegExp) => (error: unknown) => error instanceof FrankenlensError && error.code === 'OutputLocked' && error.message.startsWith(`${dir}: another frankenlens run is writing this folder`) && holder.test(error.message);
const holderFile = (pid: number, host = hostname()) => JSON.stringify({ pid, host, started: '2026-01-01T00:00:00.000Z', token: 'abc' });

describe('output locks', () => {
  it('refuses a second writer in the same process, naming the holder, until the first releases', () => {
    const dir = join(root, 'same-process');
    const first = prepareOutputFolder(dir, { kind: 'probes' });
    assert.throws(() => prepareOutputFolder(dir, { kind: 'probes' }), locked(dir, new RegExp(`pid ${process.pid} on ${hostname()}`)));
    assert.throws(() => writeDiffJson(sampleDiffResult(), dir), locked(dir, /pid/));
    assert.ok(!existsSync(join(dir, 'diff.json')));
    first.release();
    first.release();
    assert.ok(!existsSync(outputLockPath(dir)));
    writeDiffJson(sampleDiffResult(), dir);
  });

  it('refuses while another live process holds the lock, and takes over once it is gone', async () => {
    const dir = join(root, 'other-process');
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    await new Promise((resolve) => holder.once('spawn', resolve));
    mkdirSync(root, { recursive: true });
    writeFileSync(outputLockPath(dir), holderFile(holder.pid!));
    assert.throws(() => acquireOutputLock(dir), locked(dir, new RegExp(`pid ${holder.pid} on ${hostname()}, since 2026-01-01`)));
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    const warnings: string[] = [];
    const lock = acquireOutputLock(dir, { info() {}, warn: (message) => warnings.push(message) });
    assert.match(warnings.join('\n'), new RegExp(`took over the lock .* left by pid ${holder.pid} \\(started 2026-01-01T00:00:00.000Z\\), which is gone`));
    assert.equal(JSON.parse(readFileSync(lock.path, 'utf8')).pid, process.pid);
    lock.release();
  });

  it('never takes over a lock of another host, nor a lock being written', () => {
    const dir = join(root, 'other-host');
    writeFileSync(outputLockPath(dir), holderFile(2 ** 22 + 7, 'gpu-node-17'));
    assert.throws(() => acquireOutputLock(dir), locked(dir, /on gpu-node-17/));
    const starting = join(root, 'starting');
    writeFileSync(outputLockPath(starting), '');
    assert.throws(() => acquireOutputLock(starting), locked(starting, /a process that is starting/));
    const old = new Date(Date.now() - 10 * 60_000);
    utimesSync(outputLockPath(starting), old, old);
    acquireOutputLock(starting).release();
  });

  it('is released when a write fails or is cancelled', async () => {
    const dir = join(root, 'cancelled');
    let cancelled = false;
    const cancel: CancelToken = { get isCancellationRequested() { return cancelled; }, onCancellationRequested: () => ({ dispose() {} }) };
    const big: TensorToWrite = {
      name: 'w', dtype: 'F32', shape: [64, 2 ** 16],
      *pieces() {
        for (let i = 0; i < 64; i++) {
          if (i === 3) cancelled = true;
          yield new Uint8Array(4 * 2 ** 16);
        }
      },
    };
    await assert.rejects(writeCheckpointFolderAsync(dir, [big], { cancel }), { code: 'Cancelled' });
    assert.ok(!existsSync(outputLockPath(dir)));
    assert.ok(!existsSync(dir));
    const user = join(root, 'user');
    mkdirSync(user);
    writeFileSync(join(user, 'mine.txt'), 'x');
    assert.throws(() => writeDiffJson(sampleDiffResult(), user), { code: 'FileExists' });
    assert.ok(!existsSync(outputLockPath(user)));
  });
});

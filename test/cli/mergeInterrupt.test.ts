/**
 * Ctrl-C while `frankenlens merge` writes: the CLI stops within a second and a half, exits 130, and
 * leaves neither the output folder nor its staging folder. A second merge into the same folder
 * while the first writes is refused, naming the folder and the holder. The checkpoints are big
 * enough (2 × 256 MiB, interpolated: float64 work per element) to take several seconds to merge.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { slowMergeCheckpoints } from '../helpers/slowMergeCheckpoints';
import { tempDir } from '../helpers/tempDir';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');
const root = tempDir('frankenlens-merge-interrupt-');

const { planFile } = slowMergeCheckpoints(root);

const staged = (out: string) => readdirSync(root).filter((name) => name.startsWith(`.${out.slice(root.length + 1)}.`));

/** Starts a merge into `out` and resolves once its staging folder holds a shard being written. */
async function mergeUnderWay(out: string) {
  const child = spawn(process.execPath, [CLI, 'merge', '--plan', planFile, '--out', out, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const started = Date.now();
  for (;;) {
    const staging = staged(out).find((name) => name.includes('.partial-'));
    if (staging && readdirSync(join(root, staging)).some((name) => name.endsWith('.safetensors.partial'))) break;
    if (child.exitCode !== null) assert.fail(`the merge ended before it was interrupted (exit ${child.exitCode}): ${stderr}`);
    if (Date.now() - started > 60_000) assert.fail('the merge never started writing');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { child, exited, stderr: () => stderr };
}

describe('frankenlens merge, interrupted', () => {
  it('stops within 1.5 s of Ctrl-C, exits 130 and leaves nothing written', async () => {
    const out = join(root, 'interrupted');
    const merge = await mergeUnderWay(out);
    const sent = Date.now();
    merge.child.kill('SIGINT');
    const code = await merge.exited;
    const took = Date.now() - sent;
    assert.equal(code, 130, merge.stderr());
    assert.ok(took < 1500, `stopped ${took} ms after SIGINT`);
    assert.match(merge.stderr(), /cancelled/);
    assert.ok(!existsSync(out), 'no output folder');
    assert.deepEqual(staged(out), [], 'no staging folder and no lock');
  });

  it('refuses a second merge into the folder the first is writing, naming the holder', async () => {
    const out = join(root, 'raced');
    const first = await mergeUnderWay(out);
    const second = spawnSync(process.execPath, [CLI, 'merge', '--plan', planFile, '--out', out, '--overwrite', '--quiet'], { encoding: 'utf8', timeout: 60_000 });
    first.child.kill('SIGINT');
    assert.equal(await first.exited, 130);
    assert.equal(second.status, 3, second.stderr);
    assert.match(second.stderr, new RegExp(`${out}: another frankenlens run is writing this folder \\(pid ${first.child.pid} on `));
    assert.ok(!existsSync(out));
    assert.deepEqual(staged(out), []);
  });
});

/**
 * The CLI given a FIFO, /dev/zero or a folder where a file belongs, or a file nested too deeply:
 * exit status 3 within seconds and one line naming the file (a FIFO used to hang the process for good).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TINY_SHAPE, writeSyntheticCheckpoint } from '../../src/core/synthetic/syntheticQwenVl';
import { tempDir } from '../helpers/tempDir';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');
const SECONDS = 10;

function frankenlens(...args: string[]) {
  const started = Date.now();
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: SECONDS * 1000 });
  return { status: run.status, signal: run.signal, stderr: run.stderr, seconds: (Date.now() - started) / 1000 };
}

/** Exit 3 in time, one line `frankenlens: error: <file>: …` matching `problem`. */
function assertRefused(run: ReturnType<typeof frankenlens>, file: string, problem: RegExp): void {
  assert.equal(run.signal, null, `finished within ${SECONDS} s (stderr: ${run.stderr})`);
  assert.equal(run.status, 3, `exit status (stderr: ${run.stderr})`);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${run.stderr}`);
  assert.ok(lines[0]!.startsWith(`frankenlens: error: ${file}: `), lines[0]);
  assert.match(lines[0]!, problem);
}

const SPECIALS = {
  fifo: { make: (path: string) => execFileSync('mkfifo', [path]), words: /not a regular file \(it is a FIFO/ },
  device: { make: (path: string) => symlinkSync('/dev/zero', path), words: /not a regular file \(it is a character device\)/ },
  folder: { make: (path: string) => mkdirSync(path), words: /not a regular file \(it is a folder\)/ },
} as const;

describe('special files given to the CLI', () => {
  const root = tempDir();
  const good = join(root, 'good');
  writeSyntheticCheckpoint(good, { shape: TINY_SHAPE, seed: 3, dtype: 'BF16' });

  for (const [kind, { make, words }] of Object.entries(SPECIALS)) {
    it(`${kind}: config.json and model.safetensors of a checkpoint`, () => {
      const dir = join(root, `ckpt-${kind}`);
      writeSyntheticCheckpoint(dir, { shape: TINY_SHAPE, seed: 3, dtype: 'BF16' });
      const config = join(dir, 'config.json');
      rmSync(config);
      make(config);
      assertRefused(frankenlens('inspect', dir), config, words);
      assertRefused(frankenlens('diff', '--in', good, '--rl', dir, '--out', join(root, `out-${kind}`), '--quiet'), config, words);
      rmSync(config, { recursive: true });
      writeFileSync(config, '{"model_type": "qwen2"}');
      const shard = join(dir, readdirSync(dir).find((name) => name.endsWith('.safetensors'))!);
      rmSync(shard);
      make(shard);
      assertRefused(frankenlens('inspect', dir), shard, words);
    });

    it(`${kind}: benchmark items, responses, imports and merge plans`, () => {
      const file = join(root, `input-${kind}`);
      make(file);
      assertRefused(frankenlens('score', '--items', file, '--answers', file, '--out', join(root, `score-${kind}`)), file, words);
      assertRefused(frankenlens('bench-import', '--lmms-eval', file, '--out', join(root, `lmms-${kind}`)), file, words);
      assertRefused(frankenlens('bench-import', '--tsv', file, '--out', join(root, `tsv-${kind}`)), file, words);
      for (const name of [`plan-${kind}.yaml`, `plan-${kind}.json`]) {
        const plan = join(root, name);
        make(plan);
        assertRefused(frankenlens('merge', '--plan', plan, '--out', join(root, `merge-${kind}`)), plan, words);
      }
      const mergekit = join(root, `mergekit-${kind}.yml`);
      make(mergekit);
      assertRefused(frankenlens('merge', '--mergekit', mergekit, '--out', join(root, `mergekit-out-${kind}`)), mergekit, words);
    });
  }

  it('a config.json nested 100,000 levels deep', () => {
    const dir = join(root, 'deep');
    writeSyntheticCheckpoint(dir, { shape: TINY_SHAPE, seed: 3, dtype: 'BF16' });
    const config = join(dir, 'config.json');
    writeFileSync(config, `${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    assertRefused(frankenlens('inspect', dir), config, /nested too deeply/);
  });
});

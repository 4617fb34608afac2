/**
 * What the CLI writes never costs the user a file: `--out` naming a folder the tool did not write
 * is refused (diff, spectral, merge even with --overwrite), as is `--out` inside a source
 * checkpoint; the refusal is one line on stderr, exit 3, and the folder is left as it was.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { thirdsVariants } from '../../src/core/merge/presets';
import { TINY_SHAPE, writeSyntheticCheckpoint } from '../../src/core/synthetic/syntheticQwenVl';
import { tempDir } from '../helpers/tempDir';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');
const root = tempDir();
const paths = { in: join(root, 'in'), rl: join(root, 'rl') };
writeSyntheticCheckpoint(paths.in, { shape: TINY_SHAPE, seed: 8, dtype: 'BF16' });
writeSyntheticCheckpoint(paths.rl, { shape: TINY_SHAPE, seed: 8, dtype: 'BF16', update: { llmLayers: [2], scale: 0.1 } });
const planFile = join(root, 'plan.json');
writeFileSync(planFile, JSON.stringify(thirdsVariants(paths, TINY_SHAPE.llmLayers)[0]));

function frankenlens(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
}

function userFolder(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'paper-draft.tex'), 'precious');
  return dir;
}

function assertRefused(run: ReturnType<typeof frankenlens>, pattern: RegExp) {
  assert.equal(run.status, 3, run.stderr);
  assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  assert.match(run.stderr, pattern);
}

describe('frankenlens --out safety (CLI)', () => {
  it('diff and spectral refuse a folder they did not write, and leave it as it was', () => {
    const dir = userFolder('user-diff');
    assertRefused(frankenlens('diff', '--in', paths.in, '--rl', paths.rl, '--out', dir, '--quiet'), new RegExp(`${dir}: exists and was not written by frankenlens; choose another folder`));
    assertRefused(frankenlens('spectral', '--in', paths.in, '--rl', paths.rl, '--out', dir, '--no-report', '--quiet'), /was not written by frankenlens/);
    assert.deepEqual(readdirSync(dir), ['paper-draft.tex']);
  });

  it('diff writes into its own folder again, and spectral beside it', () => {
    const out = join(root, 'report');
    assert.equal(frankenlens('diff', '--in', paths.in, '--rl', paths.rl, '--out', out, '--no-report', '--quiet').status, 0);
    assert.equal(frankenlens('diff', '--in', paths.in, '--rl', paths.rl, '--out', out, '--no-report', '--quiet').status, 0);
    assert.equal(frankenlens('spectral', '--in', paths.in, '--rl', paths.rl, '--out', out, '--no-report', '--quiet').status, 0);
    assert.deepEqual(JSON.parse(readFileSync(join(out, '.frankenlens-output.json'), 'utf8')).kinds, ['diff', 'spectral']);
  });

  it('merge --overwrite never replaces a folder the tool did not write', () => {
    const dir = userFolder('user-merge');
    assertRefused(frankenlens('merge', '--plan', planFile, '--out', dir, '--overwrite', '--quiet'), new RegExp(`${dir}: exists and was not written by frankenlens`));
    assert.equal(readFileSync(join(dir, 'paper-draft.tex'), 'utf8'), 'precious');
    assert.deepEqual(readdirSync(root).filter((name) => name.startsWith('.user-merge.')), []);
  });

  it('refuses --out equal to or inside a source checkpoint, naming both', () => {
    assertRefused(frankenlens('merge', '--plan', planFile, '--out', paths.in, '--overwrite', '--quiet'), new RegExp(`${paths.in}: the output folder is the "in" checkpoint ${paths.in}`));
    assert.ok(existsSync(join(paths.in, 'config.json')));
    const inside = join(paths.rl, 'diff');
    assertRefused(frankenlens('diff', '--in', paths.in, '--rl', paths.rl, '--out', inside, '--quiet'), new RegExp(`${inside}: the output folder is inside the RL checkpoint ${paths.rl}`));
    assert.ok(!existsSync(inside));
  });
});

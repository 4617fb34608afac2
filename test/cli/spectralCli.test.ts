import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TINY_SHAPE, writeSyntheticCheckpoint } from '../../src/core/synthetic/syntheticQwenVl';
import { tempDir } from '../helpers/tempDir';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');

function frankenlens(...args: string[]) {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('frankenlens spectral (CLI)', () => {
  const root = tempDir();
  const inDir = join(root, 'in');
  const rlDir = join(root, 'rl');
  writeSyntheticCheckpoint(inDir, { shape: TINY_SHAPE, seed: 3, dtype: 'BF16' });
  writeSyntheticCheckpoint(rlDir, { shape: TINY_SHAPE, seed: 3, dtype: 'BF16', naming: 'transformers-4.52', update: { llmLayers: [3], scale: 0.1 } });

  it('writes spectral.json and prints a summary (fast mode through onnxruntime)', () => {
    const out = join(root, 'out');
    const run = frankenlens('spectral', '--in', inDir, '--rl', rlDir, '--out', out, '--mode', 'fast', '--kernel', 'onnxruntime', '--threads', '1', '--top-k', '8', '--quiet');
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /matrices \(\d+ fast, 0 exact; paper rule\)/);
    assert.match(run.stdout, /HF layer 3/);
    const result = JSON.parse(readFileSync(join(out, 'spectral.json'), 'utf8'));
    assert.equal(result.schema, 'frankenlens.spectral/1');
    assert.equal(result.config.topK, 8);
    assert.match(result.config.kernel.name, /onnxruntime cpu/);
    assert.ok(result.tensors.every((tensor: { rl: { topSingularValues: number[] } }) => tensor.rl.topSingularValues.length <= 8));
  });

  it('exits 2 on a bad option value and 3 on a missing checkpoint, without writing', () => {
    const out = join(root, 'bad');
    const usage = frankenlens('spectral', '--in', inDir, '--rl', rlDir, '--out', out, '--mode', 'quick');
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /--mode must be one of auto, exact, fast, not "quick"/);
    const missing = frankenlens('spectral', '--in', join(root, 'nowhere'), '--rl', rlDir, '--out', out);
    assert.equal(missing.status, 3);
    assert.match(missing.stderr, /^frankenlens: error: .*nowhere: no such file or folder/);
    assert.ok(!existsSync(out));
  });

  it('documents itself in --help', () => {
    const run = frankenlens('spectral', '--help');
    assert.equal(run.status, 0);
    assert.match(run.stdout, /--include RULE/);
    assert.match(frankenlens('--help').stdout, /frankenlens spectral --in DIR/);
  });
});

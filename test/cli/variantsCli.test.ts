/**
 * `frankenlens variants` end to end on the tiny model: IN, RL and a plan file scored on a synthetic
 * benchmark (one summary row each, the stdout lines matching it), then usage and plan errors.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { freezePlan } from '../../src/core/merge/presets';
import { writeSyntheticBenchmark } from '../../src/core/synthetic/syntheticBenchmark';
import { perturbedTinyModel } from '../helpers/perturbedTinyModel';
import { tempDir } from '../helpers/tempDir';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');
const IN_DIR = join(__dirname, '..', '..', 'test', 'fixtures', 'qwen2_5_vl_tiny');
const RL_DIR = perturbedTinyModel(IN_DIR);
const root = tempDir();
const items = writeSyntheticBenchmark(join(root, 'benchmark'), { itemsPerKind: 1, seed: 9 });
const planFile = join(root, 'freeze.json');
writeFileSync(planFile, JSON.stringify(freezePlan({ in: IN_DIR, rl: RL_DIR }, 4, [0, 2])));

function frankenlens(...args: string[]) {
  const run = spawnSync(process.execPath, [CLI, 'variants', '--in', IN_DIR, '--rl', RL_DIR, '--threads', '1', '--cache-dir', join(root, 'graphs'), '--quiet', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('frankenlens variants', () => {
  it('scores IN, RL and a plan, and prints what the summary holds', () => {
    const out = join(root, 'sweep');
    const run = frankenlens('--items', items, '--plan', planFile, '--max-new-tokens', '4', '--out', out);
    assert.equal(run.status, 0, run.stderr);
    const summary = JSON.parse(readFileSync(join(out, 'variants.summary.json'), 'utf8'));
    assert.deepEqual(summary.rows.map((row: { model: string }) => row.model), ['IN', 'RL', 'RL with layers 0-1 frozen at IN']);
    assert.equal(summary.settings.maxNewTokens, 4);
    for (const row of summary.rows) {
      const { correct, total } = row.summary.overall;
      assert.match(run.stdout, new RegExp(`^${row.model}\\s+[\\d.]+% \\(${correct}/${total}; 95% CI`, 'm'));
    }
    assert.equal(readFileSync(join(out, 'variants.jsonl'), 'utf8').trim().split('\n').length, 9);
    const again = frankenlens('--items', items, '--plan', planFile, '--max-new-tokens', '4', '--out', out, '--resume');
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /\(9 answers resumed\)/);
  });

  it('refuses missing flags and plans that blend weights', () => {
    const missing = frankenlens('--out', join(root, 'x'));
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /needs --items/);
    const blend = join(root, 'blend.json');
    writeFileSync(blend, JSON.stringify({ name: 'half', models: { in: IN_DIR, rl: RL_DIR }, slices: [{ start: 0, end: 4, source: 'in', interpolate: { with: 'rl', alpha: 0.5 } }] }));
    const refused = frankenlens('--items', items, '--plan', blend, '--out', join(root, 'blend-out'));
    assert.equal(refused.status, 3, refused.stderr);
    assert.match(refused.stderr, /alpha 0\.5.*frankenlens merge/);
    assert.ok(!existsSync(join(root, 'blend-out')), 'nothing is written before every model opens');
  });
});

/**
 * `frankenlens variants` end to end on the tiny model: IN, RL and a plan file scored on a synthetic
 * benchmark under the three conditions (one summary row each, the stdout lines matching it), a run
 * stopped with SIGINT and resumed, then usage, condition and plan errors.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
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
    // Where each model ran is recorded beside the settings (CPU here: no CUDA on the test machines).
    assert.deepEqual(summary.models.map((model: { executionProvider: string; precision: string }) => [model.executionProvider, model.precision]), [['cpu', 'float32'], ['cpu', 'float32'], ['cpu', 'float32']]);
    assert.equal(summary.settings.executionProvider, undefined, 'not part of what a resume compares');
    assert.deepEqual(summary.settings.conditions, ['real', 'black', 'black+description'], 'every generated item has a description');
    for (const row of summary.rows) {
      const { correct, total } = row.conditions.real.overall;
      assert.match(run.stdout, new RegExp(`^${row.model}\\s+[\\d.]+% \\(${correct}/${total}; 95% CI`, 'm'));
      const black = row.conditions.black.overall;
      const { M_vis, M_v2r } = row.metrics;
      assert.ok(run.stdout.includes(`black ${(100 * black.accuracy).toFixed(1)}% (${black.correct}/${black.total})`), run.stdout);
      assert.ok(run.stdout.includes(`M_vis ${M_vis.value.toFixed(3)} (${M_vis.count}/${M_vis.n})  M_v2r ${M_v2r.value.toFixed(3)} (${M_v2r.count}/${M_v2r.n})`), run.stdout);
      if (row.model === 'IN') continue;
      const { mcnemar } = row.versusBaseline;
      assert.ok(run.stdout.includes(`b ${mcnemar.onlyFirst}, c ${mcnemar.onlySecond}, McNemar exact p ${mcnemar.pValue.toFixed(3)}`), run.stdout);
    }
    assert.equal((run.stdout.match(/^\s+vs IN: [+−]\d+\.\d points \(paired bootstrap 95% CI [+−]\d+\.\d to [+−]\d+\.\d\)/gm) ?? []).length, 2);
    assert.equal(readFileSync(join(out, 'variants.jsonl'), 'utf8').trim().split('\n').length, 27);
    const again = frankenlens('--items', items, '--plan', planFile, '--max-new-tokens', '4', '--out', out, '--resume');
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /\(27 answers resumed\)/);
  });

  it('stops on SIGINT with complete answers and no summary, and --resume finishes the rest', async () => {
    const many = writeSyntheticBenchmark(join(root, 'many'), { itemsPerKind: 10, seed: 3 });
    const out = join(root, 'interrupted');
    const args = [CLI, 'variants', '--in', IN_DIR, '--rl', RL_DIR, '--threads', '1', '--cache-dir', join(root, 'graphs'), '--quiet', '--items', many, '--plan', planFile, '--conditions', 'real', '--max-new-tokens', '4', '--out', out];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const answers = join(out, 'variants.jsonl');
    const lines = () => (existsSync(answers) ? readFileSync(answers, 'utf8').split('\n').length - 1 : 0);
    while (lines() < 5) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGINT');
    assert.equal(await exited, 130, stderr);
    assert.match(stderr, /cancelled; .*finished answers for --resume/);
    const text = readFileSync(answers, 'utf8');
    assert.ok(text.endsWith('\n'), 'complete lines only');
    const kept = text.trim().split('\n').map((line) => JSON.parse(line) as { key: string });
    assert.ok(kept.length >= 5 && kept.length < 90, `${kept.length} answers before the interrupt`);
    assert.ok(!existsSync(join(out, 'variants.summary.json')), 'no summary for a stopped sweep');
    const resumed = spawnSync(process.execPath, [...args, '--resume'], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stdout, new RegExp(`\\(${kept.length} answers resumed\\)`));
    const all = readFileSync(answers, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { key: string });
    assert.equal(all.length, 90);
    assert.equal(new Set(all.map((answer) => answer.key)).size, 90);
    assert.deepEqual(all.slice(0, kept.length), kept);
  });

  it('refuses missing flags and plans that blend weights', () => {
    const missing = frankenlens('--out', join(root, 'x'));
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /needs --items/);
    const unknown = frankenlens('--items', items, '--out', join(root, 'y'), '--conditions', 'real,purple');
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /--conditions must be one of real, black, black\+description, not "purple"/);
    const noReal = frankenlens('--items', items, '--out', join(root, 'z'), '--conditions', 'black');
    assert.equal(noReal.status, 3, noReal.stderr);
    assert.match(noReal.stderr, /must include real/);
    const unnamed = frankenlens('--items', items, '--out', join(root, 'w'), '--describer-url', 'http://localhost:9/v1');
    assert.equal(unnamed.status, 2);
    assert.match(unnamed.stderr, /--describer-url needs --describer-name MODEL/);
    const blend = join(root, 'blend.json');
    writeFileSync(blend, JSON.stringify({ name: 'half', models: { in: IN_DIR, rl: RL_DIR }, slices: [{ start: 0, end: 4, source: 'in', interpolate: { with: 'rl', alpha: 0.5 } }] }));
    const refused = frankenlens('--items', items, '--plan', blend, '--out', join(root, 'blend-out'));
    assert.equal(refused.status, 3, refused.stderr);
    assert.match(refused.stderr, /alpha 0\.5.*frankenlens merge/);
    assert.ok(!existsSync(join(root, 'blend-out')), 'nothing is written before every model opens');
  });
});

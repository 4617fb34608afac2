import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TINY_SHAPE, writeSyntheticCheckpoint } from '../../src/core/synthetic/syntheticQwenVl';
import { tempDir } from '../helpers/tempDir';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');

function frankenlens(...args: string[]) {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('frankenlens merge / freeze / plan (CLI)', () => {
  const root = tempDir();
  const inDir = join(root, 'in');
  const rlDir = join(root, 'rl');
  writeSyntheticCheckpoint(inDir, { shape: TINY_SHAPE, seed: 5, dtype: 'BF16' });
  writeSyntheticCheckpoint(rlDir, { shape: TINY_SHAPE, seed: 5, dtype: 'BF16', update: { llmLayers: [1, 2, 3], scale: 0.1 } });

  it('writes the six thirds variants as checkpoint folders', () => {
    const out = join(root, 'thirds');
    const run = frankenlens('merge', '--in', inDir, '--rl', rlDir, '--thirds', '--out', out, '--quiet');
    assert.equal(run.status, 0, run.stderr);
    const folders = readdirSync(out).sort();
    assert.equal(folders.length, 6);
    assert.ok(folders.includes('in-early-1-3-rl-late-2-3'), folders.join(', '));
    for (const folder of folders) assert.ok(existsSync(join(out, folder, 'frankenlens-merge.json')) && existsSync(join(out, folder, 'model.safetensors')), folder);
  });

  it('round-trips a plan printed by "plan" through "merge --plan", YAML included', () => {
    const yaml = frankenlens('plan', '--in', inDir, '--rl', rlDir, '--freeze', '1-2', '--format', 'yaml');
    assert.equal(yaml.status, 0, yaml.stderr);
    const planFile = join(root, 'freeze.yaml');
    writeFileSync(planFile, yaml.stdout);
    const run = frankenlens('merge', '--plan', planFile, '--out', join(root, 'from-plan'), '--quiet');
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /RL with layers 1-2 frozen at IN/);
    const mergekit = frankenlens('plan', '--in', inDir, '--rl', rlDir, '--thirds', '--format', 'mergekit');
    assert.equal(mergekit.status, 0, mergekit.stderr);
    assert.match(mergekit.stdout, /modules:/);
  });

  it('freeze writes the counterfactual checkpoint and the trainer export', () => {
    const exportFile = join(root, 'trainer.json');
    const run = frankenlens('freeze', '--in', inDir, '--rl', rlDir, '--layers', '1-2', '--out', join(root, 'frozen'), '--trainer-export', exportFile, '--quiet');
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /counterfactual/);
    const exported = JSON.parse(readFileSync(exportFile, 'utf8'));
    assert.equal(exported.parameterNames.length, 2 * 12, 'twelve tensors per Qwen2 decoder layer');
    assert.ok(exported.parameterNames.every((name: string) => /^model\.layers\.[12]\./.test(name)));
  });

  it('refuses a bad plan with one line and writes nothing', () => {
    const planFile = join(root, 'bad.json');
    writeFileSync(planFile, JSON.stringify({ models: { in: inDir, rl: rlDir }, slices: [{ start: 0, end: 2, source: 'in' }, { start: 1, end: 4, source: 'rl' }] }));
    const out = join(root, 'bad-out');
    const run = frankenlens('merge', '--plan', planFile, '--out', out);
    assert.equal(run.status, 3);
    assert.match(run.stderr.trim(), /^frankenlens: error: .*bad\.json: layer ranges overlap at HF layer 1$/);
    assert.ok(!existsSync(out));
  });

  it('leaves no folder that looks complete when killed mid-write, and a rerun succeeds', async () => {
    const bigIn = join(root, 'big-in');
    const bigRl = join(root, 'big-rl');
    const shape = { ...TINY_SHAPE, hiddenSize: 512, intermediateSize: 2048, llmLayers: 8, attentionHeads: 8, vocabSize: 4096 };
    writeSyntheticCheckpoint(bigIn, { shape, seed: 1, dtype: 'F32' });
    writeSyntheticCheckpoint(bigRl, { shape, seed: 1, dtype: 'F32', update: { llmLayers: [4, 5, 6, 7], scale: 0.1 } });
    const out = join(root, 'killed');
    const child = spawn(process.execPath, [CLI, 'merge', '--in', bigIn, '--rl', bigRl, '--thirds', '--out', out, '--quiet']);
    const exited = new Promise((resolve) => child.on('exit', resolve));
    // Kill as soon as the first variant's staging folder exists, i.e. in the middle of writing it.
    const started = Date.now();
    while (Date.now() - started < 30_000) {
      if (existsSync(out) && readdirSync(out).some((name) => name.includes('.partial-'))) break;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    child.kill('SIGKILL');
    await exited;
    const left = existsSync(out) ? readdirSync(out) : [];
    assert.ok(left.some((name) => name.includes('.partial-')), `killed while staging (found ${left.join(', ')})`);
    assert.ok(!left.some((name) => !name.startsWith('.')), `no complete-looking variant folder: ${left.join(', ')}`);
    const rerun = frankenlens('merge', '--in', bigIn, '--rl', bigRl, '--thirds', '--out', out, '--quiet');
    assert.equal(rerun.status, 0, rerun.stderr);
    assert.deepEqual(readdirSync(out).filter((name) => name.startsWith('.')), [], 'the abandoned staging folder was removed');
    assert.equal(readdirSync(out).length, 6);
  });
});

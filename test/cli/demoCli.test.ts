import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readBenchmarkItems } from '../../src/core/bench/benchmarkItems';
import { tempDir } from '../helpers/tempDir';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');

describe('frankenlens demo --weights-only', () => {
  it('writes a runnable synthetic triple, a benchmark, the diff report and the study page that links it', () => {
    const dir = tempDir('frankenlens-demo-');
    const run = spawnSync(process.execPath, [CLI, 'demo', '--weights-only', '--dir', dir], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(run.status, 0, run.stderr);
    for (const role of ['base', 'in', 'rl']) {
      for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'preprocessor_config.json', 'generation_config.json', 'model.safetensors.index.json']) {
        assert.ok(existsSync(join(dir, 'checkpoints', role, file)), `${role}/${file}`);
      }
      assert.match(readFileSync(join(dir, 'checkpoints', role, 'config.json'), 'utf8'), /synthetic/);
    }
    assert.equal(readBenchmarkItems(join(dir, 'benchmark', 'items.jsonl')).length, 12);
    const diff = JSON.parse(readFileSync(join(dir, 'report', 'diff.json'), 'utf8'));
    // The planted update: HF layers 6–11 are the most changed.
    const top = [...diff.layers].sort((a, b) => b.rlDeltaRelMean - a.rlDeltaRelMean).slice(0, 6).map((layer) => layer.hfLayer);
    assert.deepEqual(top.sort((a, b) => a - b), [6, 7, 8, 9, 10, 11]);
    const index = readFileSync(join(dir, 'report', 'index.html'), 'utf8');
    assert.match(index, /Synthetic checkpoints with random weights/);
    assert.match(index, /href="report.html"/);
    assert.match(run.stdout, /open the study: .*index\.html/);

    // A second run replaces the study's results (a probe run left there would make the probe refuse the folder).
    const leftover = join(dir, 'report', 'probes', 'ablation.run.json');
    mkdirSync(join(dir, 'report', 'probes'), { recursive: true });
    writeFileSync(leftover, '{}');
    const again = spawnSync(process.execPath, [CLI, 'demo', '--weights-only', '--dir', dir], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(again.status, 0, again.stderr);
    assert.ok(!existsSync(leftover), 'the earlier run\'s results are gone');
    assert.ok(existsSync(join(dir, 'report', 'index.html')));
  });
});

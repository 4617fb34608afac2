/**
 * `frankenlens probe ablation --batch N`: a bad N is a usage error naming the flag; any N gives the
 * same answers and the same recorded settings, so a run started with one batch size resumes with
 * another.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../helpers/tempDir';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');
const MODEL_DIR = join(__dirname, '..', '..', 'test', 'fixtures', 'qwen2_5_vl_tiny');
const cacheDir = tempDir();

function ablation(items: string, out: string, ...extra: string[]) {
  const args = [CLI, 'probe', 'ablation', '--in', MODEL_DIR, '--rl', MODEL_DIR, '--items', items, '--out', out, '--max-new-tokens', '4', '--threads', '1', '--cache-dir', cacheDir, '--quiet', ...extra];
  return spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 120_000 });
}

describe('frankenlens probe ablation --batch', () => {
  const items = join(tempDir(), 'items.jsonl');
  writeFileSync(items, `${JSON.stringify({ id: 'sum', images: [], question: 'What is two plus two?', answer: '4', answerType: 'number' })}\n`);

  it('refuses a batch that is not a whole number of at least 1', () => {
    for (const [value, message] of [['0', /--batch must be at least 1/], ['two', /--batch must be a whole number, not "two"/]] as const) {
      const run = ablation(items, tempDir(), '--batch', value);
      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, message);
    }
  });

  it('gives the same answers and settings with any batch, and resumes across batch sizes', () => {
    const [one, all] = [tempDir(), tempDir()];
    for (const [out, batch] of [[one, '1'], [all, '5']] as const) {
      const run = ablation(items, out, '--batch', batch);
      assert.equal(run.status, 0, run.stderr);
    }
    const read = (out: string, file: string) => readFileSync(join(out, file), 'utf8');
    assert.equal(read(all, 'ablation.jsonl'), read(one, 'ablation.jsonl'));
    assert.equal(read(all, 'ablation.run.json'), read(one, 'ablation.run.json'));
    assert.equal(JSON.parse(read(one, 'ablation.jsonl').split('\n')[0]!).runs.length, 5, 'the baseline and four layers');
    const summary = JSON.parse(read(one, 'ablation.summary.json'));
    assert.deepEqual(summary.models.map((model: { executionProvider: string; precision: string }) => [model.executionProvider, model.precision]), [['cpu', 'float32'], ['cpu', 'float32']]);
    const resumed = ablation(items, one, '--batch', '3', '--resume');
    assert.equal(resumed.status, 0, resumed.stderr);
  });
});

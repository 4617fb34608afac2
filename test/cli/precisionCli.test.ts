/**
 * `frankenlens probe|variants --precision int8`: the last line printed is the agreement with
 * float32 (the report in the summary); --calibration-items sets the subset, a bad value is a usage
 * error; a --memory-budget that holds the int8 run but not float32 gives a report that says so
 * instead of failing the run; a float32 run prints no such line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { modelConfigOf } from '../../src/core/jobs/memoryCheck';
import { planMemory } from '../../src/core/model/memoryPlan';
import { tempDir } from '../helpers/tempDir';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');
const MODEL_DIR = join(__dirname, '..', '..', 'test', 'fixtures', 'qwen2_5_vl_tiny');
const cacheDir = tempDir();
const items = join(tempDir(), 'items.jsonl');
writeFileSync(items, ['sum', 'double', 'half'].map((id, index) => JSON.stringify({ id, images: [], question: `What is ${index} plus two?`, answer: String(index + 2), answerType: 'number' })).join('\n') + '\n');

const run = (command: string[], ...extra: string[]) => {
  const args = [CLI, ...command, '--in', MODEL_DIR, '--rl', MODEL_DIR, '--items', items, '--max-new-tokens', '4', '--threads', '1', '--device', 'cpu', '--cache-dir', cacheDir, '--quiet', ...extra];
  return spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 120_000 });
};
const ablation = (out: string, ...extra: string[]) => run(['probe', 'ablation', '--out', out, '--layers', '1', '--batch', '1'], ...extra);
const lastLine = (text: string) => text.trim().split('\n').at(-1)!;
const reportOf = (out: string, file: string) => JSON.parse(readFileSync(join(out, file), 'utf8')).precisionAgreement;

describe('--precision int8 and its agreement report on the command line', () => {
  it('prints the agreement line last, as the summary holds it', () => {
    const out = tempDir();
    const result = ablation(out, '--precision', 'int8', '--calibration-items', '2');
    assert.equal(result.status, 0, result.stderr);
    assert.match(lastLine(result.stdout), /^int8 weights: agreement with float32 on 2 items: top-1 \d+\.\d% \(\d+\/\d+\), answers \d+\/8 \(95% CI \d+\.\d%–\d+\.\d%\), largest curve difference /);
    const report = reportOf(out, 'ablation.summary.json');
    assert.deepEqual([report.items, report.answers.total], [['sum', 'double'], 2 * 2 * 2], 'both models, both items, the baseline and layer 1');

    const float32 = ablation(tempDir());
    assert.equal(float32.status, 0, float32.stderr);
    assert.doesNotMatch(float32.stdout, /int8 weights/);
  });

  it('says why float32 was not measured when it does not fit a budget int8 fits', () => {
    const config = modelConfigOf(MODEL_DIR);
    const int8 = planMemory({ command: 'probe ablation', models: [config, config], rows: 1, maxNewTokens: 4, precision: 'int8', images: false, budgetBytes: 0 }).total;
    const out = tempDir();
    const result = ablation(out, '--precision', 'int8', '--memory-budget', String(int8));
    assert.equal(result.status, 0, result.stderr);
    assert.match(lastLine(result.stdout), /^int8 weights: not compared with float32 \(float32 weights need about .* more than the memory budget of .* \(--memory-budget\); int8 needs about .*\)$/);
    const report = reportOf(out, 'ablation.summary.json');
    assert.deepEqual([report.measured, report.requested, report.items], [false, 8, ['sum', 'double', 'half']]);
  });

  it('variants prints the line after the scores; --calibration-items must be a whole number', () => {
    const out = tempDir();
    const result = run(['variants', '--out', out], '--precision', 'int8', '--calibration-items', '1', '--batch', '2');
    assert.equal(result.status, 0, result.stderr);
    assert.match(lastLine(result.stdout), /^int8 weights: agreement with float32 on 1 item: top-1 .*, answers \d+\/8 \(95% CI /, 'IN, RL and the six thirds variants, real images');
    const bad = ablation(tempDir(), '--precision', 'int8', '--calibration-items', 'all');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--calibration-items must be a whole number, not "all"/);
  });
});


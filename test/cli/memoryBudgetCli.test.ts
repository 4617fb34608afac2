/**
 * `--memory-budget`: every command that runs models plans its memory from config.json before any
 * onnxruntime session opens. A tiny budget refuses fast (exit 3, one message with the need, the
 * budget and what would fit, no graph built); a bad size is a usage error; a budget that fits
 * prints the plan in one line on stderr and runs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openCheckpoint } from '../../src/core/checkpoint/checkpoint';
import { formatBytes, kvCacheBytesPerToken, largestFittingMaxNewTokens, largestFittingRows, planMemory } from '../../src/core/model/memoryPlan';
import { readModelConfig } from '../../src/core/model/modelConfig';
import { writeSyntheticBenchmark } from '../../src/core/synthetic/syntheticBenchmark';
import { tempDir } from '../helpers/tempDir';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');
const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures');
const MODEL_DIR = join(FIXTURES, 'qwen2_5_vl_tiny');
const root = tempDir();
const items = writeSyntheticBenchmark(join(root, 'benchmark'), { itemsPerKind: 1, seed: 5 });

function frankenlens(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const started = performance.now();
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000, env });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, seconds: (performance.now() - started) / 1000 };
}

describe('--memory-budget', () => {
  const cacheDir = join(root, 'graphs');
  const commands: [string, string[]][] = [
    ['generate', ['generate', '--model', MODEL_DIR, '--prompt', 'Hi', '--max-new-tokens', '4']],
    ['probe attention', ['probe', 'attention', '--in', MODEL_DIR, '--rl', MODEL_DIR, '--items', items, '--out', join(root, 'attention')]],
    ['probe ablation', ['probe', 'ablation', '--in', MODEL_DIR, '--rl', MODEL_DIR, '--items', items, '--out', join(root, 'ablation')]],
    ['probe swap', ['probe', 'swap', '--in', MODEL_DIR, '--rl', MODEL_DIR, '--items', join(FIXTURES, 'vision_functionality'), '--out', join(root, 'swap')]],
    ['variants', ['variants', '--in', MODEL_DIR, '--rl', MODEL_DIR, '--items', items, '--out', join(root, 'variants')]],
  ];

  for (const [name, args] of commands) {
    it(`${name}: a 1MB budget refuses before loading, with the need, the budget and what would fit`, () => {
      const run = frankenlens([...args, '--memory-budget', '1MB', '--cache-dir', cacheDir, '--threads', '1']);
      assert.equal(run.status, 3, run.stderr);
      const message = run.stderr.trim();
      assert.match(message, new RegExp(`^frankenlens: error: ${name} needs about [\\d.]+ (GiB|MiB) at its peak \\(`));
      assert.match(message, /decoder weights/);
      assert.match(message, /more than the memory budget of 1 MiB \(--memory-budget\)/);
      assert.match(message, /--device cuda/);
      assert.equal(message.split('\n').length, 1, 'one message');
      assert.ok(!existsSync(cacheDir), 'no graph was built, so no session was opened');
      // Two seconds of the target, with room for a loaded test machine.
      assert.ok(run.seconds < 5, `${run.seconds.toFixed(2)} s`);
    });
  }

  it('names the largest --batch and --max-new-tokens that fit when fewer rows or a shorter answer would', () => {
    // Ablating the tiny model's 4 layers decodes 5 rows; with a long answer cap the cache dominates,
    // and a budget half a row short of the plan leaves room for 4 rows.
    const config = readModelConfig(openCheckpoint(MODEL_DIR));
    const request = { command: 'probe ablation', models: [config, config], rows: 5, maxNewTokens: 100_000, images: true, budgetBytes: 0, visionResident: false } as const; // a refusal speaks of the released vision tower
    const plan = planMemory(request);
    const row = kvCacheBytesPerToken(config.decoder) * (plan.promptTokens + 100_000);
    const budget = Math.floor(plan.total - row / 2);
    // An explicit --batch is kept and refused (without one, the planner would choose 4 rows: memoryPlan.test.ts).
    const refused = frankenlens([...commands[2]![1], '--memory-budget', String(budget), '--max-new-tokens', '100000', '--batch', '5', '--cache-dir', cacheDir]);
    assert.equal(refused.status, 3, refused.stderr);
    assert.equal(largestFittingRows({ ...request, budgetBytes: budget }), 4);
    const cap = largestFittingMaxNewTokens({ ...request, budgetBytes: budget })!;
    assert.ok(refused.stderr.includes(`Would fit: fewer rows decoded together: --batch 4 (about ${formatBytes(planMemory({ ...request, rows: 4 }).total)}); or a shorter answer cap: --max-new-tokens ${cap} (about `), refused.stderr);
  });

  it('a size that is not one is a usage error; FRANKENLENS_MEMORY_BUDGET is the fallback', () => {
    const bad = frankenlens([...commands[0]![1], '--memory-budget', 'lots']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--memory-budget "lots" is not a size/);
    const fromEnv = frankenlens([...commands[0]![1], '--cache-dir', cacheDir], { ...process.env, FRANKENLENS_MEMORY_BUDGET: '2MiB' });
    assert.equal(fromEnv.status, 3, fromEnv.stderr);
    assert.match(fromEnv.stderr, /more than the memory budget of 2 MiB \(FRANKENLENS_MEMORY_BUDGET\)/);
  });

  it('a budget that fits prints the plan in one line and runs; generate --json records its peak RSS', () => {
    const out = frankenlens(['generate', '--model', MODEL_DIR, '--prompt', 'Hi', '--max-new-tokens', '2', '--memory-budget', '4GB', '--cache-dir', join(root, 'fits'), '--threads', '1', '--json']);
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stderr, /^memory: generate needs about [\d.]+ GiB at its peak \(prefill and decode\) of a 4\.0 GiB budget \(--memory-budget; this prompt's \d+ tokens, answers up to 2 tokens, CPU float32\)$/m);
    const result = JSON.parse(out.stdout) as { peakRssBytes: number };
    assert.ok(result.peakRssBytes > 20 * 2 ** 20 && result.peakRssBytes < 8 * 2 ** 30, `${result.peakRssBytes}`);
  });

  it('the probes record their peak RSS in the summary', () => {
    const out = join(root, 'recorded');
    const itemsFile = join(root, 'one.jsonl');
    writeFileSync(itemsFile, `${JSON.stringify({ id: 'sum', images: [], question: 'What is two plus two?', answer: '4', answerType: 'number' })}\n`);
    const run = frankenlens(['probe', 'ablation', '--in', MODEL_DIR, '--rl', MODEL_DIR, '--items', itemsFile, '--out', out, '--max-new-tokens', '2', '--layers', '0', '--threads', '1', '--cache-dir', join(root, 'fits'), '--quiet']);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stderr, '', '--quiet: no plan line either');
    const summary = JSON.parse(readFileSync(join(out, 'ablation.summary.json'), 'utf8')) as { timing: { peakRssBytes: number } };
    assert.ok(summary.timing.peakRssBytes > 20 * 2 ** 20, `${summary.timing.peakRssBytes}`);
  });
});

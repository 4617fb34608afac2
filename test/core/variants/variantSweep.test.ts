/**
 * The variant sweep on the tiny model: every (model, item) answered once, a variant's answers and
 * accuracy equal those of its merged copy answered independently, resuming generates only what is
 * missing (a torn last line included), and a sweep with other settings is refused.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readBenchmarkItems } from '../../../src/core/bench/benchmarkItems';
import { FrankenlensError } from '../../../src/core/errors';
import { freezePlan, thirdsVariants } from '../../../src/core/merge/presets';
import { resolveMerge } from '../../../src/core/merge/resolveMerge';
import { writeMerge } from '../../../src/core/merge/writeMerge';
import { ModelRuntime } from '../../../src/core/model/modelRuntime';
import { wilsonInterval } from '../../../src/core/stats/wilson';
import { writeSyntheticBenchmark } from '../../../src/core/synthetic/syntheticBenchmark';
import { answerItem, answeringModel } from '../../../src/core/variants/answerItems';
import { runVariantSweep, type SweepAnswer, type SweepModel } from '../../../src/core/variants/variantSweep';
import { perturbedTinyModel } from '../../helpers/perturbedTinyModel';
import { tempDir } from '../../helpers/tempDir';

const IN_DIR = join(__dirname, '..', '..', 'test', 'fixtures', 'qwen2_5_vl_tiny');
const RL_DIR = perturbedTinyModel(IN_DIR);
const root = tempDir();
const itemsFile = writeSyntheticBenchmark(join(root, 'benchmark'), { itemsPerKind: 1, seed: 4 });
const items = readBenchmarkItems(itemsFile);
const runtime = { cacheDir: join(root, 'graphs'), intraOpThreads: 1 };
const pair = { in: IN_DIR, rl: RL_DIR };
const variant = thirdsVariants(pair, 4)[1]!;
const models: SweepModel[] = [{ name: 'IN', dir: IN_DIR }, { name: 'RL', dir: RL_DIR }, { name: variant.name, plan: variant }, { name: 'freeze 1-2', plan: freezePlan(pair, 4, [1, 3]) }];
const settings = { maxNewTokens: 6, style: {} };
const sweep = (outDir: string, resume = false, options: Partial<Parameters<typeof runVariantSweep>[0]> = {}) => runVariantSweep({ models, items, itemsFile, settings, outDir, runtime, resume, ...options });
const answers = (outDir: string) => readFileSync(join(outDir, 'variants.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as SweepAnswer);

describe('variant sweep', () => {
  const outDir = join(root, 'sweep');

  it('answers every item with every model; a variant scores as its merged copy', async () => {
    const { rows, resumed, summaryPath } = await sweep(outDir);
    assert.equal(resumed, 0);
    const written = answers(outDir);
    assert.equal(written.length, models.length * items.length);
    assert.deepEqual(new Set(written.map((answer) => answer.key)).size, written.length);

    const mergedDir = join(root, 'merged');
    await writeMerge(resolveMerge(variant), { outDir: mergedDir });
    const merged = answeringModel('merged', ModelRuntime.open(mergedDir, runtime));
    try {
      for (const item of items) {
        const expected = await answerItem(merged, item, settings.maxNewTokens);
        const actual = written.find((answer) => answer.model === variant.name && answer.id === item.id)!;
        assert.equal(actual.response, expected.response);
        assert.equal(actual.tokens, expected.tokens);
      }
    } finally {
      await merged.runtime.unload();
    }
    const summary = JSON.parse(readFileSync(summaryPath, 'utf8'));
    assert.equal(summary.schema, 'frankenlens.variants/1');
    assert.deepEqual(summary.rows.map((row: { model: string }) => row.model), models.map((model) => model.name));
    for (const row of rows) {
      const { correct, total, accuracy, interval } = row.summary.overall;
      assert.equal(total, items.length);
      assert.equal(accuracy, correct / total);
      assert.deepEqual(interval, wilsonInterval(correct, total));
    }
    // IN, RL and the variant are different models, so their answers should not all agree.
    const responses = (name: string) => written.filter((answer) => answer.model === name).map((answer) => answer.response).join('\n');
    assert.ok(new Set(['IN', 'RL', variant.name].map(responses)).size > 1, 'the three models answered identically');
  });

  it('resumes: generates only the missing answers and drops a torn line', async () => {
    const lines = readFileSync(join(outDir, 'variants.jsonl'), 'utf8').trim().split('\n');
    const kept = lines.slice(0, lines.length - 2);
    writeFileSync(join(outDir, 'variants.jsonl'), `${kept.join('\n')}\n${lines.at(-2)!.slice(0, 20)}`);
    const { resumed } = await sweep(outDir, true);
    assert.equal(resumed, models.length * items.length - 2);
    const again = answers(outDir);
    assert.equal(again.length, lines.length);
    assert.deepEqual(again.map((answer) => answer.response), lines.map((line) => (JSON.parse(line) as SweepAnswer).response));
  });

  it('refuses to overwrite a sweep or to resume it with other settings', async () => {
    await assert.rejects(sweep(outDir), (error: unknown) => error instanceof FrankenlensError && error.code === 'FileExists');
    await assert.rejects(sweep(outDir, true, { settings: { ...settings, maxNewTokens: 7 } }), (error: unknown) => error instanceof FrankenlensError && error.code === 'PlanMismatch');
  });

  it('refuses two models with one name', async () => {
    await assert.rejects(sweep(join(root, 'twice'), false, { models: [models[0]!, { name: 'IN', dir: RL_DIR }] }), /both called "IN"/);
  });
});

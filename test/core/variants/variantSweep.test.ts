/**
 * The variant sweep on the tiny model: every (model, condition, item) answered once, a variant's
 * answers equal those of its merged copy answered independently under each condition, the summary's
 * per-condition accuracies, paper metrics and paired comparison match counts made here from the
 * re-scored answers, resuming generates only what is missing (a torn last line included), and a
 * sweep with other settings, old answer files and unusable conditions are refused.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, it } from 'node:test';
import { readBenchmarkItems } from '../../../src/core/bench/benchmarkItems';
import { FrankenlensError } from '../../../src/core/errors';
import { freezePlan, thirdsVariants } from '../../../src/core/merge/presets';
import { resolveMerge } from '../../../src/core/merge/resolveMerge';
import { writeMerge } from '../../../src/core/merge/writeMerge';
import { ModelRuntime } from '../../../src/core/model/modelRuntime';
import { scoreResponses } from '../../../src/core/bench/scoreResponses';
import { CONDITIONS, type Condition, type Describer } from '../../../src/core/probes/conditions';
import { wilsonInterval } from '../../../src/core/stats/wilson';
import { renderShapes, writeSyntheticBenchmark } from '../../../src/core/synthetic/syntheticBenchmark';
import { answerItem, answeringModel } from '../../../src/core/variants/answerItems';
import { defaultConditions, runVariantSweep, type SweepAnswer, type SweepModel } from '../../../src/core/variants/variantSweep';
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
const settings = { maxNewTokens: 6, style: {}, conditions: [...CONDITIONS] };
const sweep = (outDir: string, resume = false, options: Partial<Parameters<typeof runVariantSweep>[0]> = {}) => runVariantSweep({ models, items, itemsFile, settings, outDir, runtime, resume, ...options });
const answers = (outDir: string) => readFileSync(join(outDir, 'variants.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as SweepAnswer);

describe('variant sweep', () => {
  const outDir = join(root, 'sweep');

  it('answers every item with every model under every condition; a variant answers as its merged copy', async () => {
    const { rows, resumed, summaryPath } = await sweep(outDir);
    assert.equal(resumed, 0);
    const written = answers(outDir);
    assert.equal(written.length, models.length * CONDITIONS.length * items.length);
    assert.deepEqual(new Set(written.map((answer) => answer.key)).size, written.length);

    const mergedDir = join(root, 'merged');
    await writeMerge(resolveMerge(variant), { outDir: mergedDir });
    const merged = answeringModel('merged', ModelRuntime.open(mergedDir, runtime));
    try {
      for (const item of items) {
        for (const condition of CONDITIONS) {
          const expected = await answerItem(merged, item, settings.maxNewTokens, { condition });
          const actual = written.find((answer) => answer.model === variant.name && answer.condition === condition && answer.id === item.id)!;
          assert.equal(actual.response, expected.response);
          assert.equal(actual.tokens, expected.tokens);
        }
      }
    } finally {
      await merged.runtime.unload();
    }
    const summary = JSON.parse(readFileSync(summaryPath, 'utf8'));
    assert.equal(summary.schema, 'frankenlens.variants/2');
    assert.deepEqual(summary.rows.map((row: { model: string }) => row.model), models.map((model) => model.name));
    assert.deepEqual(summary.comparison, { baseline: 'IN', condition: 'real', mcnemar: 'exact', bootstrap: { resamples: 10_000, seed: 0, confidence: 0.95 } });
    // Independent counts from the answers as written: re-scored here, tallied by plain loops.
    const right = (model: string, condition: Condition) => {
      const responses = new Map(written.filter((answer) => answer.model === model && answer.condition === condition).map((answer) => [answer.id, answer]));
      return new Map(scoreResponses(items, responses).results.map((result) => [result.id, result.correct]));
    };
    for (const row of rows) {
      for (const condition of CONDITIONS) {
        const { correct, total, accuracy, interval } = row.conditions[condition]!.overall;
        assert.equal(total, items.length);
        assert.equal(correct, [...right(row.model, condition).values()].filter(Boolean).length);
        assert.equal(accuracy, correct / total);
        assert.deepEqual(interval, wilsonInterval(correct, total));
      }
      let [realNotBlack, realAndDescribed] = [0, 0];
      for (const item of items) {
        if (right(row.model, 'real').get(item.id) && !right(row.model, 'black').get(item.id)) realNotBlack++;
        if (right(row.model, 'real').get(item.id) && right(row.model, 'black+description').get(item.id)) realAndDescribed++;
      }
      assert.deepEqual([row.metrics.M_vis!.count, row.metrics.M_vis!.n, row.metrics.M_vis!.value], [realNotBlack, items.length, realNotBlack / items.length]);
      assert.deepEqual([row.metrics.M_v2r!.count, row.metrics.M_v2r!.n], [realAndDescribed, items.length]);
      assert.equal(row.metrics.M_rea, undefined, 'no text-only items');
      if (row.model === 'IN') {
        assert.equal(row.versusBaseline, undefined);
        continue;
      }
      let [onlyIn, onlyModel] = [0, 0];
      for (const item of items) {
        const [a, b] = [right('IN', 'real').get(item.id), right(row.model, 'real').get(item.id)];
        if (a && !b) onlyIn++;
        if (b && !a) onlyModel++;
      }
      const versus = row.versusBaseline!;
      assert.deepEqual([versus.mcnemar.onlyFirst, versus.mcnemar.onlySecond, versus.mcnemar.method], [onlyIn, onlyModel, 'exact']);
      assert.equal(versus.difference, (onlyModel - onlyIn) / items.length);
      assert.equal(versus.bootstrap.seed, 0);
    }
    // IN, RL and the variant are different models, so their answers should not all agree.
    const responses = (name: string) => written.filter((answer) => answer.model === name).map((answer) => answer.response).join('\n');
    assert.ok(new Set(['IN', 'RL', variant.name].map(responses)).size > 1, 'the three models answered identically');
    // The black image changes what a model sees, so its answers should differ from the real image's somewhere.
    const under = (condition: Condition) => written.filter((answer) => answer.condition === condition).map((answer) => answer.response).join('\n');
    assert.notEqual(under('real'), under('black'));
  });

  it('resumes: generates only the missing answers and drops a torn line', async () => {
    const lines = readFileSync(join(outDir, 'variants.jsonl'), 'utf8').trim().split('\n');
    const kept = lines.slice(0, lines.length - 2);
    writeFileSync(join(outDir, 'variants.jsonl'), `${kept.join('\n')}\n${lines.at(-2)!.slice(0, 20)}`);
    // Another batch size: not part of the sweep's identity, so the resume is accepted.
    const { resumed } = await sweep(outDir, true, { batch: 1 });
    assert.equal(resumed, models.length * CONDITIONS.length * items.length - 2);
    const again = answers(outDir);
    assert.equal(again.length, lines.length);
    const byKey = (records: SweepAnswer[]) => new Map(records.map((answer) => [answer.key, answer.response]));
    assert.deepEqual(byKey(again), byKey(lines.map((line) => JSON.parse(line) as SweepAnswer)));
  });

  it('answers in batches as each item alone: different image sizes and text-only items decoded together', async () => {
    // The benchmark's items (one image size) plus a wide image of another size and a text-only question.
    const dir = dirname(itemsFile);
    writeFileSync(join(dir, 'wide.png'), PNG.sync.write(renderShapes([{ kind: 'circle', colour: 'red', x: 30, y: 20, radius: 12 }], 168, 56)));
    const extra = [
      { id: 'wide-0', images: ['wide.png'], question: 'What colour is the shape?', answer: 'red', answerType: 'text' },
      { id: 'text-0', images: [], question: 'What is 2 + 3? Answer with a number.', answer: '5', answerType: 'number' },
    ];
    const mixedFile = join(dir, 'mixed.jsonl');
    writeFileSync(mixedFile, `${readFileSync(itemsFile, 'utf8').trim()}\n${extra.map((item) => JSON.stringify(item)).join('\n')}\n`);
    const mixed = readBenchmarkItems(mixedFile);
    const pairModels: SweepModel[] = [{ name: 'IN', dir: IN_DIR }, { name: 'RL', dir: RL_DIR }];
    const conditions: Condition[] = ['real', 'black'];
    const alone = new Map<string, string>();
    for (const { name, dir: modelDir } of pairModels as { name: string; dir: string }[]) {
      const model = answeringModel(name, ModelRuntime.open(modelDir, runtime));
      try {
        for (const item of mixed) {
          for (const condition of conditions) {
            if (condition !== 'real' && item.images.length === 0) continue;
            alone.set(JSON.stringify([name, condition, item.id]), (await answerItem(model, item, 12, { condition })).response);
          }
        }
      } finally {
        await model.runtime.unload();
      }
    }
    for (const batch of [2, 16]) {
      const other = join(root, `sweep-batch-${batch}`);
      await runVariantSweep({ models: pairModels, items: mixed, itemsFile: mixedFile, settings: { maxNewTokens: 12, style: {}, conditions }, outDir: other, runtime, batch });
      const written = answers(other);
      assert.equal(written.length, alone.size);
      for (const answer of written) assert.equal(answer.response, alone.get(answer.key), `batch ${batch}: ${answer.key}`);
    }
  });

  it('refuses to overwrite a sweep or to resume it with other settings', async () => {
    await assert.rejects(sweep(outDir), (error: unknown) => error instanceof FrankenlensError && error.code === 'FileExists');
    await assert.rejects(sweep(outDir, true, { settings: { ...settings, maxNewTokens: 7 } }), (error: unknown) => error instanceof FrankenlensError && error.code === 'PlanMismatch');
  });

  it('refuses an answer file of the first version, which kept no condition per answer', async () => {
    const old = join(root, 'old');
    await sweep(old, false, { models: [models[0]!], settings: { ...settings, conditions: ['real'] } });
    const lines = readFileSync(join(old, 'variants.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    writeFileSync(join(old, 'variants.jsonl'), lines.map(({ condition: _dropped, ...rest }) => `${JSON.stringify(rest)}\n`).join(''));
    await assert.rejects(sweep(old, true, { models: [models[0]!], settings: { ...settings, conditions: ['real'] } }), (error: unknown) => error instanceof FrankenlensError && error.code === 'InvalidResponses' && error.message.startsWith(join(old, 'variants.jsonl')) && /earlier Frankenlens/.test(error.message));
  });

  it('chooses conditions the items allow, and refuses ones they do not', async () => {
    assert.deepEqual(defaultConditions(items), { conditions: ['real', 'black', 'black+description'], skipped: [] });
    const undescribed = items.map((item, index) => (index === 0 ? { ...item, description: undefined } : item));
    assert.deepEqual(defaultConditions(undescribed).conditions, ['real', 'black']);
    assert.match(defaultConditions(undescribed).skipped[0]!, /1 of 3 items with an image lack a description/);
    const textOnly = items.map((item) => ({ ...item, images: [] }));
    assert.deepEqual(defaultConditions(textOnly).conditions, ['real']);
    const refused = (options: Partial<Parameters<typeof runVariantSweep>[0]>, pattern: RegExp) => assert.rejects(sweep(join(root, 'refused'), false, options), pattern);
    await assert.rejects(sweep(join(root, 'refused'), false, { items: undescribed }), (error: unknown) => error instanceof FrankenlensError && error.file === itemsFile && error.message === `${itemsFile}: black+description needs a "description" for every item with an image; 1 of 3 have none ("${items[0]!.id}")`);
    await refused({ settings: { ...settings, conditions: ['black'] } }, /must include real/);
    await refused({ items: textOnly, settings: { ...settings, conditions: ['real', 'black'] } }, /no item has an image/);
    assert.ok(!existsSync(join(root, 'refused')), 'nothing is written before the conditions are checked');
  });

  it('describes each image once for every model with any describer, and not again on resume', async () => {
    const calls: string[] = [];
    let released = 0;
    const describer: Describer = { name: 'test describer', describe: async (item, images) => (calls.push(`${item.id}:${images.length}`), `A drawing for ${item.id}.`) };
    const undescribed = items.map((item) => ({ ...item, description: undefined }));
    assert.deepEqual(defaultConditions(undescribed, describer).conditions, [...CONDITIONS], 'a describer makes black+description possible');
    const out = join(root, 'described');
    const options = { models: models.slice(0, 2), items: undescribed, describer, releaseDescriber: async () => void released++ };
    await sweep(out, false, options);
    assert.deepEqual(calls, undescribed.map((item) => `${item.id}:1`));
    assert.equal(released, 1);
    assert.equal(JSON.parse(readFileSync(join(out, 'variants.run.json'), 'utf8')).settings.describer, 'test describer');
    const rl = answeringModel('RL', ModelRuntime.open(RL_DIR, runtime));
    try {
      const expected = await answerItem(rl, undescribed[0]!, settings.maxNewTokens, { condition: 'black+description', describer });
      assert.equal(answers(out).find((answer) => answer.model === 'RL' && answer.condition === 'black+description' && answer.id === undescribed[0]!.id)!.response, expected.response);
    } finally {
      await rl.runtime.unload();
    }
    calls.length = 0;
    await sweep(out, true, options);
    assert.deepEqual(calls, [], 'every black+description answer was there');
  });

  it('refuses two models with one name', async () => {
    await assert.rejects(sweep(join(root, 'twice'), false, { models: [models[0]!, { name: 'IN', dir: RL_DIR }] }), /both called "IN"/);
  });
});

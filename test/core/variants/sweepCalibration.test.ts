/**
 * The float32 calibration of an int8 variant sweep on the tiny model: the summary carries the
 * report (the subset's ids, teacher-forced top-1 over every model's answers under every condition,
 * scored-answer agreement) and what it says agrees with a float32 sweep of the same subset; a
 * float32 sweep has none; a resumed sweep (no description made in that call) calibrates again.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readBenchmarkItems } from '../../../src/core/bench/benchmarkItems';
import { thirdsVariants } from '../../../src/core/merge/presets';
import { isPrecisionReport, type PrecisionReport } from '../../../src/core/model/precisionReport';
import type { Describer } from '../../../src/core/probes/conditions';
import { runVariantSweep, type SweepAnswer, type SweepModel } from '../../../src/core/variants/variantSweep';
import { perturbedTinyModel } from '../../helpers/perturbedTinyModel';
import { tempDir } from '../../helpers/tempDir';

const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures');
const IN_DIR = join(FIXTURES, 'qwen2_5_vl_tiny');
const RL_DIR = perturbedTinyModel(IN_DIR);
const root = tempDir();
const image = join(FIXTURES, 'vision_functionality', 'ocr', 'images', 'ocr_000000_t.png');
const lines = [
  { id: 'word', images: [image], question: 'Read the word.', answer: 'x', answerType: 'text', description: 'A word on a plain background.' },
  { id: 'sum', images: [], question: 'What is two plus two?', answer: '4', answerType: 'number' },
  { id: 'shape', images: [image], question: 'What shape is it?', answer: 'circle', answerType: 'text', description: 'Letters in black.' },
];
const writeItems = (name: string, entries: typeof lines) => {
  const path = join(root, name);
  writeFileSync(path, entries.map((entry) => JSON.stringify(entry)).join('\n') + '\n');
  return path;
};
const itemsFile = writeItems('items.jsonl', lines);
const items = readBenchmarkItems(itemsFile);
const models: SweepModel[] = [{ name: 'IN', dir: IN_DIR }, { name: 'RL', dir: RL_DIR }, { name: 'variant', plan: thirdsVariants({ in: IN_DIR, rl: RL_DIR }, 4)[1]! }];
const settings = { maxNewTokens: 4, style: {}, conditions: ['real' as const, 'black+description' as const] };
const runtime = { cacheDir: join(root, 'graphs'), intraOpThreads: 1 };
/** The items' own descriptions, counted: what the sweep and its calibration ask for. */
const described: string[] = [];
const describer: Describer = { name: 'counted item descriptions', describe: async (item) => (described.push(item.id), item.description!) };
const summaryOf = (outDir: string) => JSON.parse(readFileSync(join(outDir, 'variants.summary.json'), 'utf8')) as { precisionAgreement?: PrecisionReport };
const answersOf = (outDir: string) => readFileSync(join(outDir, 'variants.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as SweepAnswer);

describe('float32 calibration of an int8 variant sweep', () => {
  const outDir = join(root, 'int8');

  it('reports agreement on the subset, consistent with a float32 sweep of it; a float32 sweep reports none', async () => {
    const result = await runVariantSweep({ models, items, itemsFile, settings, outDir, describer, runtime: { ...runtime, precision: 'int8' }, calibration: { items: 1 } });
    assert.deepEqual(described, ['word', 'shape'], 'described once, before any model runs; the calibration reuses the descriptions');
    const report = summaryOf(outDir).precisionAgreement;
    assert.ok(report && isPrecisionReport(report) && report.measured, JSON.stringify(report));
    assert.deepEqual(result.precisionAgreement, report);
    assert.deepEqual(report.items, ['word']);
    assert.equal(report.answers.total, models.length * 2, 'every model under both conditions');
    assert.ok(report.nextToken.positions > 0 && report.nextToken.fraction! >= 0.5, JSON.stringify(report.nextToken));
    assert.deepEqual(report.curves, []);

    const float32Dir = join(root, 'float32');
    await runVariantSweep({ models, items: items.slice(0, 1), itemsFile: writeItems('subset.jsonl', lines.slice(0, 1)), settings, outDir: float32Dir, describer, runtime });
    assert.equal(summaryOf(float32Dir).precisionAgreement, undefined);
    const int8Answers = answersOf(outDir);
    const identical = answersOf(float32Dir).filter((reference) => int8Answers.find((answer) => answer.key === reference.key)!.response === reference.response).length;
    assert.ok(report.answers.agreeing >= identical, `identical responses score alike: ${report.answers.agreeing} of ${report.answers.total} agree, ${identical} identical`);
  });

  it('a resumed sweep calibrates again, describing what its own call did not', async () => {
    described.length = 0;
    const result = await runVariantSweep({ models, items, itemsFile, settings, outDir, describer, resume: true, runtime: { ...runtime, precision: 'int8' }, calibration: { items: 2 } });
    assert.equal(result.generated, 0);
    assert.deepEqual(described, ['word'], 'the calibration item with an image, described again: the resumed call made no description');
    const report = summaryOf(outDir).precisionAgreement;
    assert.ok(report && report.measured, JSON.stringify(report));
    assert.deepEqual(report.items, ['word', 'sum']);
    assert.equal(report.answers.total, models.length * 3, '"sum" has no image: real only');
  });
});

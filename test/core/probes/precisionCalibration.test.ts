/**
 * The float32 calibration of int8 probe runs on the tiny model: an int8 ablation writes the report
 * beside its models (the evenly spread subset's ids, teacher-forced top-1, answer agreement with its
 * Wilson interval, one accuracy-change curve per model), and what it says equals a float32 run of
 * the same subset compared record by record; a float32 run writes none; 0 calibration items and a
 * float32 plan over the budget give a report that says why nothing was measured. The attention and
 * swap probes report their curves the same way.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { BenchmarkItem } from '../../../src/core/bench/benchmarkItems';
import { calibrationItems } from '../../../src/core/model/precisionAgreement';
import type { MeasuredPrecisionReport, PrecisionReport } from '../../../src/core/model/precisionReport';
import { isPrecisionReport } from '../../../src/core/model/precisionReport';
import { wilsonInterval } from '../../../src/core/stats/wilson';
import { runAttentionProbe } from '../../../src/core/probes/attentionToVision';
import { runAblationProbe, type AblationItem } from '../../../src/core/probes/layerAblation';
import { openProbeModel, type ProbeModel } from '../../../src/core/probes/probeModel';
import { itemsFile, readRecords } from '../../../src/core/probes/probeRun';
import { readVisionPairs } from '../../../src/core/probes/visionPairs';
import { runSwapProbe } from '../../../src/core/probes/visualSwap';
import { tempDir } from '../../helpers/tempDir';

const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures');
const MODEL_DIR = join(FIXTURES, 'qwen2_5_vl_tiny');
const cacheDir = tempDir();
const opened: ProbeModel[] = [];
const open = (role: 'in' | 'rl', precision: 'float32' | 'int8') => {
  const model = openProbeModel(role, MODEL_DIR, { cacheDir, intraOpThreads: 1, precision });
  opened.push(model);
  return model;
};
after(async () => {
  for (const model of opened) await model.runtime.unload();
});
const image = (task: string, id: string) => join(FIXTURES, 'vision_functionality', task, 'images', `${id}_t.png`);
const items: BenchmarkItem[] = [
  { id: 'sum', images: [], question: 'What is two plus two?', answer: '4', answerType: 'number' },
  { id: 'word', images: [image('ocr', 'ocr_000000')], question: 'Read the word.', answer: 'x', answerType: 'text' },
  { id: 'capital', images: [], question: 'The capital of France?', answer: 'Paris', answerType: 'text' },
];
const settings = { layers: [0, 2], maxNewTokens: 4, condition: 'real' as const, style: {} };
const summaryOf = (outDir: string, probe: string) => JSON.parse(readFileSync(join(outDir, `${probe}.summary.json`), 'utf8')) as { precisionAgreement?: PrecisionReport; models: { precision: string }[] };

function assertMeasured(report: PrecisionReport | undefined): asserts report is MeasuredPrecisionReport {
  assert.ok(report, 'an int8 run carries a report');
  assert.ok(isPrecisionReport(report), JSON.stringify(report));
  assert.equal(report.measured, true, JSON.stringify(report));
}

describe('float32 calibration of int8 probes', () => {
  it('an int8 ablation reports its agreement with float32 on 2 of its 3 items, as a float32 run of those items compares', async () => {
    const outDir = tempDir();
    const result = await runAblationProbe({ models: [open('in', 'int8'), open('rl', 'int8')], items, settings, outDir, calibration: { items: 2 } });
    const summary = summaryOf(outDir, 'ablation');
    const report = summary.precisionAgreement;
    assertMeasured(report);
    assert.deepEqual(result.precisionAgreement, report);
    assert.deepEqual(summary.models.map((model) => model.precision), ['int8', 'int8']);
    const subset = calibrationItems(items, 2);
    assert.deepEqual(report.items, subset.map((item) => item.id));
    assert.deepEqual([report.requested, report.calibrationItems, report.precision, report.reference], [2, 2, 'int8', 'float32']);
    assert.ok(report.nextToken.positions > 0 && report.nextToken.fraction! >= 0.5, JSON.stringify(report.nextToken));

    // A float32 run of the subset is what the calibration compared with: no report of its own.
    const float32Dir = tempDir();
    await runAblationProbe({ models: [open('in', 'float32'), open('rl', 'float32')], items: subset, settings, outDir: float32Dir });
    assert.equal(summaryOf(float32Dir, 'ablation').precisionAgreement, undefined);
    const int8Records = readRecords<AblationItem>(itemsFile(outDir, 'ablation'));
    const float32Records = readRecords<AblationItem>(itemsFile(float32Dir, 'ablation'));
    let agreeing = 0;
    let total = 0;
    for (const reference of float32Records) {
      const record = int8Records.find((entry) => entry.key === reference.key)!;
      record.runs.forEach((run, index) => {
        total++;
        if (run.extracted === reference.runs[index]!.extracted && run.correct === reference.runs[index]!.correct) agreeing++;
      });
    }
    assert.equal(total, 2 * 2 * (1 + settings.layers.length));
    assert.deepEqual([report.answers.agreeing, report.answers.total], [agreeing, total]);
    assert.deepEqual(report.answers.interval, wilsonInterval(agreeing, total));
    assert.deepEqual(report.curves.map((curve) => [curve.name, curve.layers]), [['IN accuracy change with the layer ablated', 2], ['RL accuracy change with the layer ablated', 2]]);
    for (const curve of report.curves) {
      assert.ok(curve.largest! >= 0 && curve.largest! <= 1);
      assert.ok(settings.layers.includes(curve.atLayer!), 'the layer is a decoder layer the probe ablated');
    }
  });

  it('0 calibration items, or float32 over the memory budget, give a report saying why nothing was measured', async () => {
    const none = tempDir();
    await runAblationProbe({ models: [open('in', 'int8')], items: items.slice(0, 1), settings: { ...settings, layers: [1] }, outDir: none, calibration: { items: 0 } });
    assert.deepEqual(summaryOf(none, 'ablation').precisionAgreement, { precision: 'int8', reference: 'float32', measured: false, requested: 0, items: [], reason: 'no calibration asked for (--calibration-items 0)' });

    const over = tempDir();
    const reason = 'float32 weights need about 2.0 GiB at the peak (prefill and decode), more than the memory budget of 1.0 GiB (--memory-budget)';
    await runAblationProbe({ models: [open('in', 'int8')], items, settings: { ...settings, layers: [1] }, outDir: over, calibration: { memory: { fits: false, reason } } });
    assert.deepEqual(summaryOf(over, 'ablation').precisionAgreement, { precision: 'int8', reference: 'float32', measured: false, requested: 8, items: ['sum', 'word', 'capital'], reason });
  });

  it('an int8 attention run reports top-1, response agreement and its six mass curves', async () => {
    const outDir = tempDir();
    const withImages = items.filter((item) => item.images.length > 0);
    await runAttentionProbe({ models: { in: open('in', 'int8'), rl: open('rl', 'int8') }, items: withImages, settings: { maxNewTokens: 4, condition: 'real', style: {}, scope: 'response', sharedFrom: 'in' }, outDir });
    const report = summaryOf(outDir, 'attention').precisionAgreement;
    assertMeasured(report);
    assert.deepEqual(report.items, ['word']);
    assert.equal(report.answers.total, 2, "each model's own response");
    assert.equal(report.curves.length, 6);
    assert.ok(report.curves.every((curve) => curve.layers === 4 && curve.largest !== null && curve.largest < 0.2), JSON.stringify(report.curves));
  });

  it('an int8 swap run reports change and adoption curves per model, task, mode and decoding', async () => {
    const outDir = tempDir();
    const pairs = readVisionPairs(join(FIXTURES, 'vision_functionality'), { tasks: ['ocr', 'counting'], rowsPerTask: 1 });
    await runSwapProbe({ models: [open('in', 'int8')], pairs, settings: { layers: [1], modes: ['suffix'], decodings: ['corrected'], maxNewTokens: 3 }, outDir, calibration: { items: 1 } });
    const report = summaryOf(outDir, 'swap').precisionAgreement;
    assertMeasured(report);
    assert.deepEqual(report.items, [pairs[0]!.id]);
    assert.equal(report.answers.total, 2, 'the unswapped answer and one swapped decoding');
    assert.deepEqual(report.curves.map((curve) => curve.name), [`IN ${pairs[0]!.task} suffix corrected change rate`, `IN ${pairs[0]!.task} suffix corrected source adoption rate`]);
  });
});

/**
 * The int8 agreement report's shape, its check (a summary read back from disk), its one line, the
 * calibration subset and rows it plans; the float32 memory verdict of a calibration (a budget that
 * holds int8 but not float32 gives the reason, one that holds float32 only with fewer rows gives
 * those rows); and the job field --calibration-items travels in.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { calibrationMemory, jobCalibration } from '../../../src/core/jobs/calibrationMemory';
import { jobRequestProblem } from '../../../src/core/jobs/jobProtocol';
import { modelConfigOf } from '../../../src/core/jobs/memoryCheck';
import { planMemory, type MemoryPlanRequest } from '../../../src/core/model/memoryPlan';
import { calibrationPlan, calibrationRows, describePrecisionReport, isPrecisionReport, measuredReport, unmeasuredReport } from '../../../src/core/model/precisionReport';
import { isAnalysisNotice } from '../../../webview/protocol';

const MODEL_DIR = join(__dirname, '..', '..', 'test', 'fixtures', 'qwen2_5_vl_tiny');

const report = measuredReport(8, ['a', 'b'], {
  topOne: [{ int8: [1, 2, 3, 4], float32: [1, 2, 3, 5] }, { int8: [7], float32: [7] }],
  answers: [{ int8: 'A', float32: 'A' }, { int8: 'B', float32: 'C' }, { int8: null, float32: null }, { int8: 'D', float32: 'D' }],
  curves: [{ name: 'IN mass', int8: [0.1, 0.2, null], float32: [0.1, 0.25, 0.3] }, { name: 'RL mass', int8: [0.5, 0.5, 0.5], float32: [0.5, 0.4, 0.52] }],
  basis: { nextToken: 'n', answers: 'a' },
}, 1.234);

describe('precision report', () => {
  it('holds the ids, the measures and their basis; the line names the largest curve difference', () => {
    assert.deepEqual([report.measured, report.requested, report.calibrationItems, report.items, report.seconds], [true, 8, 2, ['a', 'b'], 1.2]);
    assert.deepEqual(report.nextToken, { agreeing: 4, positions: 5, fraction: 0.8 });
    assert.deepEqual([report.answers.agreeing, report.answers.total], [3, 4]);
    assert.deepEqual(report.curves.map((curve) => [curve.name, curve.layers, curve.atLayer]), [['IN mass', 2, 1], ['RL mass', 3, 1]]);
    assert.equal(
      describePrecisionReport(report),
      'int8 weights: agreement with float32 on 2 items: top-1 80.0% (4/5), answers 3/4 (95% CI 30.1%–95.4%), largest curve difference 0.100 (RL mass, layer 1)',
    );
    assert.equal(describePrecisionReport(unmeasuredReport(8, ['a'], 'float32 does not fit')), 'int8 weights: not compared with float32 (float32 does not fit)');
    const sweep = measuredReport(1, ['a'], { topOne: [], answers: [{ int8: 'A', float32: 'A' }], curves: [], basis: { nextToken: 'n', answers: 'a' } }, 0);
    assert.equal(describePrecisionReport(sweep), 'int8 weights: agreement with float32 on 1 item: top-1 n/a, answers 1/1 (95% CI 20.7%–100.0%)');
  });

  it('accepts reports as written and refuses damaged ones', () => {
    assert.ok(isPrecisionReport(JSON.parse(JSON.stringify(report))));
    assert.ok(isPrecisionReport(unmeasuredReport(0, [], 'none asked for')));
    for (const damaged of [
      { ...report, calibrationItems: 3 },
      { ...report, nextToken: { agreeing: 6, positions: 5, fraction: 1.2 } },
      { ...report, answers: { ...report.answers, interval: null } },
      { ...report, curves: [{ name: 'x', layers: 1, largest: -1, atLayer: 0 }] },
      { ...report, precision: 'float32' },
      { ...report, items: [1, 2] },
      { precision: 'int8', reference: 'float32', measured: false, requested: 1, items: [] },
      null,
      'int8',
    ]) assert.equal(isPrecisionReport(damaged), false, JSON.stringify(damaged));
  });

  it('plans the evenly spread subset, or says why there is none', () => {
    const units = ['a', 'b', 'c', 'd', 'e'];
    assert.deepEqual(calibrationPlan(units, (unit) => unit, { items: 2 }), { requested: 2, subset: ['a', 'c'], ids: ['a', 'c'] });
    assert.deepEqual(calibrationPlan(units, (unit) => unit, undefined).ids, units, 'default 8: all of 5');
    assert.equal(calibrationPlan(units, (unit) => unit, { items: 0 }).skipped?.reason, 'no calibration asked for (--calibration-items 0)');
    assert.deepEqual(calibrationPlan(units, (unit) => unit, { items: 3, memory: { fits: false, reason: 'too big' } }).skipped, unmeasuredReport(3, ['a', 'b', 'd'], 'too big'));
    assert.throws(() => calibrationPlan(units, (unit) => unit, { items: -1 }), /calibration items -1/);
    assert.equal(calibrationRows(undefined, 16, { fits: true, rows: 3 }), 3);
    assert.equal(calibrationRows(2, 16, { fits: true, rows: 3 }), 2);
    assert.equal(calibrationRows(undefined, 16, undefined), 16);
  });

  it('a budget that holds int8 but not float32 gives the reason; one that holds float32 with fewer rows gives those rows', () => {
    const config = modelConfigOf(MODEL_DIR);
    const request: MemoryPlanRequest = { command: 'probe ablation', models: [config, config], rows: 1, maxNewTokens: 4, precision: 'int8', images: false, budgetBytes: 0, budgetSource: '--memory-budget' };
    const int8 = planMemory(request).total;
    const float32 = planMemory({ ...request, precision: 'float32' }).total;
    assert.ok(float32 > int8);
    const tight = calibrationMemory(planMemory({ ...request, budgetBytes: int8 }));
    assert.equal(tight.memory.fits, false);
    assert.match(tight.memory.fits ? '' : tight.memory.reason, /^float32 weights need about .* more than the memory budget of .* \(--memory-budget\); int8 needs about /);
    assert.deepEqual(calibrationMemory(planMemory({ ...request, budgetBytes: float32 })).memory, { fits: true, rows: 1, releaseVisionAfterEncoding: false });

    const batched = { ...request, rows: 16 };
    const twoRows = planMemory({ ...batched, precision: 'float32', rows: 2 }).total;
    const verdict = calibrationMemory(planMemory({ ...batched, budgetBytes: twoRows }));
    assert.deepEqual(verdict.memory, { fits: true, rows: 2, releaseVisionAfterEncoding: false });
    assert.match(verdict.log, /^calibration against float32: probe ablation needs about/);

    const logged: string[] = [];
    assert.equal(jobCalibration('float32', 4, planMemory({ ...request, budgetBytes: int8 }), (line) => logged.push(line)), undefined);
    assert.deepEqual(jobCalibration('int8', 0, planMemory({ ...request, budgetBytes: int8 }), (line) => logged.push(line)), { items: 0 });
    assert.deepEqual(jobCalibration('int8', undefined, planMemory({ ...request, budgetBytes: int8 }), (line) => logged.push(line)), { items: undefined, memory: tight.memory });
    assert.equal(logged.length, 2);
  });

  it('jobs take a whole number of calibration items; the panel shows a one-line notice', () => {
    const job = { kind: 'probe', probe: 'ablation', inDir: 'a', rlDir: 'b', items: 'c', outDir: 'd', runtime: { executionProvider: 'cpu', intraOpThreads: 1, precision: 'int8' } };
    assert.equal(jobRequestProblem({ ...job, calibrationItems: 0 }), null);
    assert.equal(jobRequestProblem({ ...job, calibrationItems: 8 }), null);
    for (const bad of [-1, 1.5, '8']) assert.match(jobRequestProblem({ ...job, calibrationItems: bad }) ?? '', /"calibrationItems" must be a whole number/);
    assert.match(jobRequestProblem({ ...job, kind: 'variants', calibrationItems: -2 }) ?? '', /variants job: "calibrationItems"/);
    assert.ok(isAnalysisNotice(describePrecisionReport(report)));
    for (const bad of [undefined, '', 'two\nlines', 3]) assert.equal(isAnalysisNotice(bad), false);
  });
});

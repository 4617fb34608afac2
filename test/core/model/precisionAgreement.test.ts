/**
 * The int8-vs-float32 agreement report against values worked out by hand: top-1 agreement counts,
 * the Wilson interval of 8 agreeing answers out of 10 ([0.4902, 0.9433], the textbook value),
 * each curve's largest per-layer difference skipping layers without a value, and the evenly spread
 * calibration subset.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrankenlensError } from '../../../src/core/errors';
import { answerAgreement, calibrationItems, curveDifference, topOneAgreement } from '../../../src/core/model/precisionAgreement';
import { measuredReport } from '../../../src/core/model/precisionReport';

describe('precision agreement report', () => {
  it('counts top-1 agreement over every teacher-forced position of every item', () => {
    // Item 1 agrees at 3 of 4 positions, item 2 at 1 of 2: 4 of 6.
    const report = topOneAgreement([{ int8: [5, 6, 7, 8], float32: [5, 6, 9, 8] }, { int8: [1, 2], float32: [1, 3] }]);
    assert.deepEqual(report, { agreeing: 4, positions: 6, fraction: 4 / 6 });
    assert.deepEqual(topOneAgreement([]), { agreeing: 0, positions: 0, fraction: null });
    assert.throws(() => topOneAgreement([{ int8: [1, 2], float32: [1] }]), (error: unknown) => error instanceof FrankenlensError && /calibration item 0 has 2 int8 and 1 float32 positions/.test(error.message));
  });

  it('answer agreement with a Wilson 95% interval (8 of 10: [0.4902, 0.9433])', () => {
    const answers = ['A', 'B', 'C', 'D', 'A', 'B', 'C', 'D', null, 'A'].map((float32, index) => ({ float32, int8: index === 3 ? 'C' : index === 9 ? null : float32 }));
    const report = answerAgreement(answers);
    assert.equal(report.agreeing, 8, 'a null on both sides agrees (neither extracted an answer); one side null does not');
    assert.equal(report.total, 10);
    assert.equal(report.fraction, 0.8);
    assert.ok(Math.abs(report.interval.lower - 0.4902) < 5e-5, `${report.interval.lower}`);
    assert.ok(Math.abs(report.interval.upper - 0.9433) < 5e-5, `${report.interval.upper}`);
    assert.deepEqual(answerAgreement([]).interval, { lower: 0, upper: 1, confidence: 0.95 });
  });

  it("each curve's largest absolute per-layer difference, and where", () => {
    // |Δ| = 0.1, 0.3, (skipped), 0.25, (skipped): largest 0.3 at layer 1 over 3 layers.
    const curve = curveDifference({ name: 'IN attention', int8: [0.5, 0.1, null, 0.0, 0.2], float32: [0.4, 0.4, 0.7, 0.25, null] });
    assert.equal(curve.name, 'IN attention');
    assert.equal(curve.layers, 3);
    assert.ok(Math.abs(curve.largest! - 0.3) < 1e-12);
    assert.equal(curve.atLayer, 1);
    assert.deepEqual(curveDifference({ name: 'empty', int8: [null], float32: [1] }), { name: 'empty', layers: 0, largest: null, atLayer: null });
    assert.throws(() => curveDifference({ name: 'short', int8: [1], float32: [1, 2] }), /curve "short": 1 int8 and 2 float32 layers/);
  });

  it('puts the three together for the same calibration items (the report a result carries)', () => {
    const report = measuredReport(2, ['a', 'b'], {
      topOne: [{ int8: [1, 2, 3], float32: [1, 2, 4] }, { int8: [7], float32: [7] }],
      answers: [{ int8: 'A', float32: 'A' }, { int8: 'B', float32: 'C' }],
      curves: [{ name: 'RL ablation', int8: [0.5, -0.25], float32: [0.5, 0.25] }],
      basis: { nextToken: 'n', answers: 'a' },
    }, 1);
    assert.equal(report.precision, 'int8');
    assert.equal(report.reference, 'float32');
    assert.equal(report.calibrationItems, 2);
    assert.deepEqual(report.nextToken, { agreeing: 3, positions: 4, fraction: 0.75 });
    assert.equal(report.answers.agreeing, 1);
    assert.deepEqual(report.curves, [{ name: 'RL ablation', layers: 2, largest: 0.5, atLayer: 1 }]);
  });

  it('spreads the calibration subset evenly over the items', () => {
    const items = Array.from({ length: 10 }, (_, index) => index);
    assert.deepEqual(calibrationItems(items, 4), [0, 2, 5, 7]); // ⌊i·10/4⌋
    assert.deepEqual(calibrationItems(items, 10), items);
    assert.deepEqual(calibrationItems([1, 2], 5), [1, 2]);
    assert.throws(() => calibrationItems(items, 0), /take at least 1/);
  });
});

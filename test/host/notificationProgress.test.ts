import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { notificationProgress } from '../../src/host/notificationProgress';

describe('notificationProgress', () => {
  it('turns absolute fractions into percent increments that never go backwards or past 100', () => {
    const reports: { message?: string; increment?: number }[] = [];
    const sink = notificationProgress({ report: (value) => reports.push(value) });
    for (const fraction of [0.1, 0.1, 0.5, 0.4, 1.2]) sink.report({ fraction, message: `at ${fraction}` });
    assert.deepEqual(
      reports.map((report) => report.increment),
      [10, 0, 40, 0, 50],
    );
    assert.equal(reports.at(-1)?.message, 'at 1.2');
  });
});

/**
 * Resumable probe runs: a cancelled swap run continues where it stopped without redoing finished
 * items (model calls counted), a torn last line is redone, and a folder holding another run is
 * refused.
 */
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FrankenlensError } from '../../../src/core/errors';
import type { CancelToken } from '../../../src/core/progress';
import { openProbeModel } from '../../../src/core/probes/probeModel';
import { itemsFile } from '../../../src/core/probes/probeRun';
import { readVisionPairs } from '../../../src/core/probes/visionPairs';
import { runSwapProbe, type SwapSettings } from '../../../src/core/probes/visualSwap';
import { tempDir } from '../../helpers/tempDir';

const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures');
const model = openProbeModel('in', join(FIXTURES, 'qwen2_5_vl_tiny'), { cacheDir: tempDir(), intraOpThreads: 1 });
after(() => model.runtime.unload());
const pairs = readVisionPairs(join(FIXTURES, 'vision_functionality'), { tasks: ['ocr'] });
const settings: SwapSettings = { layers: [1, 3], modes: ['suffix'], decodings: ['corrected'], maxNewTokens: 3 };

/** Counts decoder calls, attributed to the unit the runner last announced. */
function countCalls(): { perUnit: Map<string, number>; total: () => number; progress: { report(p: { message?: string }): void }; restore(): void } {
  const perUnit = new Map<string, number>();
  let current = '';
  const original = model.runtime.decode.bind(model.runtime);
  model.runtime.decode = (...args) => {
    perUnit.set(current, (perUnit.get(current) ?? 0) + 1);
    return original(...args);
  };
  return {
    perUnit,
    total: () => [...perUnit.values()].reduce((a, b) => a + b, 0),
    progress: { report: ({ message }) => (current = /(ocr_\d+)/.exec(message ?? '')?.[1] ?? current) },
    restore: () => void (model.runtime.decode = original),
  };
}

describe('resumable probe runs', () => {
  it('a cancelled run resumes without redoing finished items, and ends as an uninterrupted run', async () => {
    const fresh = tempDir();
    const counter = countCalls();
    const full = await runSwapProbe({ models: [model], pairs, settings, outDir: fresh, progress: counter.progress });
    counter.restore();

    const outDir = tempDir();
    let cancelled = false;
    const cancel: CancelToken = { get isCancellationRequested() { return cancelled; }, onCancellationRequested: () => ({ dispose() {} }) };
    // Two pairs run at once: cancel as the third starts, when at least one is finished and written; one still in flight is stopped.
    const stopper = { report: ({ message }: { message?: string }) => void (message?.includes('(3/3)') && (cancelled = true)) };
    await assert.rejects(runSwapProbe({ models: [model], pairs, settings, outDir, progress: stopper, cancel }), (error: unknown) => error instanceof FrankenlensError && error.code === 'Cancelled');
    const written = readFileSync(itemsFile(outDir, 'swap'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { id: string });
    assert.ok(written.length >= 1 && written.length < pairs.length, `${written.length} pairs written`);

    await assert.rejects(runSwapProbe({ models: [model], pairs, settings, outDir }), (error: unknown) => error instanceof FrankenlensError && error.code === 'FileExists');
    await assert.rejects(runSwapProbe({ models: [model], pairs, settings: { ...settings, maxNewTokens: 4 }, outDir, resume: true }), (error: unknown) => error instanceof FrankenlensError && error.code === 'PlanMismatch');

    const resumedCounter = countCalls();
    const announced: string[] = [];
    const resumed = await runSwapProbe({ models: [model], pairs, settings, outDir, resume: true, progress: { report: (report) => (announced.push(report.message ?? ''), resumedCounter.progress.report(report)) } });
    resumedCounter.restore();
    assert.equal(resumed.resumed, written.length);
    for (const { id } of written) assert.ok(!announced.some((message) => message.includes(id)), `the finished pair ${id} ran again`);
    assert.ok(resumedCounter.total() < counter.total(), 'the resumed run decodes less than a whole run');
    assert.deepEqual(resumed.rows, full.rows);
    // Pairs are written as they end, so compare them by key.
    const lines = (dir: string) => readFileSync(itemsFile(dir, 'swap'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { key: string }).sort((a, b) => a.key.localeCompare(b.key));
    assert.deepEqual(lines(outDir), lines(fresh));
  });

  it('a torn last line (the run died mid-write) is dropped and that item redone', async () => {
    const outDir = tempDir();
    await runSwapProbe({ models: [model], pairs: pairs.slice(0, 2), settings, outDir });
    const path = itemsFile(outDir, 'swap');
    const [first, second] = readFileSync(path, 'utf8').trim().split('\n');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path, `${first}\n`);
    appendFileSync(path, second!.slice(0, 25));
    const counter = countCalls();
    const resumed = await runSwapProbe({ models: [model], pairs: pairs.slice(0, 2), settings, outDir, resume: true, progress: counter.progress });
    counter.restore();
    assert.equal(resumed.resumed, 1);
    assert.ok(counter.perUnit.get((JSON.parse(second!) as { id: string }).id)! > 0, 'the torn item is redone');
    assert.deepEqual(readFileSync(path, 'utf8').trim().split('\n'), [first, second]);
  });
});

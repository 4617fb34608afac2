/**
 * Issue #8's acceptance test "a 100-item run can be cancelled and resumed", on the tiny model: a
 * sweep of IN and a thirds variant over a generated 100-item benchmark (real and black image) is
 * cancelled through its CancelToken part-way through the variant; the files it leaves hold only
 * complete answers and no summary; the resumed sweep generates exactly the answers that were
 * missing, and its records and summary equal those of a sweep that ran uninterrupted.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readBenchmarkItems } from '../../../src/core/bench/benchmarkItems';
import { FrankenlensError } from '../../../src/core/errors';
import { thirdsVariants } from '../../../src/core/merge/presets';
import type { CancelToken, ProgressReport } from '../../../src/core/progress';
import { writeSyntheticBenchmark } from '../../../src/core/synthetic/syntheticBenchmark';
import { runVariantSweep, type SweepAnswer, type SweepModel } from '../../../src/core/variants/variantSweep';
import { perturbedTinyModel } from '../../helpers/perturbedTinyModel';
import { tempDir } from '../../helpers/tempDir';

const IN_DIR = join(__dirname, '..', '..', 'test', 'fixtures', 'qwen2_5_vl_tiny');
const RL_DIR = perturbedTinyModel(IN_DIR);
const root = tempDir();
// 34 items per kind; the sweep takes the first 100.
const itemsFile = writeSyntheticBenchmark(join(root, 'benchmark'), { itemsPerKind: 34, seed: 100 });
const items = readBenchmarkItems(itemsFile).slice(0, 100);
const variant = thirdsVariants({ in: IN_DIR, rl: RL_DIR }, 4)[0]!;
const models: SweepModel[] = [{ name: 'IN', dir: IN_DIR }, { name: variant.name, plan: variant }];
const settings = { maxNewTokens: 3, style: {}, conditions: ['real' as const, 'black' as const] };
const runtime = { cacheDir: join(root, 'graphs'), intraOpThreads: 1 };
const TOTAL = models.length * settings.conditions.length * items.length;
/**
 * Cancelled when the 250th answer is announced (each is announced as it is written): 250 are
 * finished, the last 50 of them the variant's, and any other row that ended in the same step.
 */
const CANCEL_AT = 250;
/** Answers the cancelled sweep wrote. */
let stoppedAt = 0;

/** A token that turns cancelled when the progress sink announces the `at`-th answer, and the announcements it saw. */
function cancelAtAnswer(at: number): { cancel: CancelToken; progress: { report(report: ProgressReport): void }; announced: string[] } {
  let cancelled = false;
  const listeners: (() => void)[] = [];
  const announced: string[] = [];
  return {
    announced,
    cancel: {
      get isCancellationRequested() {
        return cancelled;
      },
      onCancellationRequested(listener) {
        listeners.push(listener);
        return { dispose: () => listeners.splice(listeners.indexOf(listener), 1) };
      },
    },
    progress: {
      report({ message }) {
        if (message === 'scoring') return;
        announced.push(message ?? '');
        if (announced.length === at && !cancelled) {
          cancelled = true;
          for (const listener of [...listeners]) listener();
        }
      },
    },
  };
}

const sweep = (outDir: string, extra: Partial<Parameters<typeof runVariantSweep>[0]> = {}) => runVariantSweep({ models, items, itemsFile, settings, outDir, runtime, ...extra });
const fileText = (outDir: string, name: string) => readFileSync(join(outDir, name), 'utf8');
const records = (outDir: string) => fileText(outDir, 'variants.jsonl').trim().split('\n').map((line) => JSON.parse(line) as SweepAnswer);
/** The summary less what differs between any two runs: when it was written and the process's peak memory. */
const withoutDate = (outDir: string) => {
  const { created: _created, timing, ...summary } = JSON.parse(fileText(outDir, 'variants.summary.json')) as Record<string, unknown>;
  assert.ok(Number.isInteger((timing as { peakRssBytes: number }).peakRssBytes), 'the summary records the peak RSS');
  return summary;
};

describe('a 100-item sweep, cancelled and resumed', () => {
  const stopped = join(root, 'stopped');
  const whole = join(root, 'whole');

  it('stops at the cancel with complete answer lines only and no summary', async () => {
    const { cancel, progress } = cancelAtAnswer(CANCEL_AT);
    await assert.rejects(sweep(stopped, { cancel, progress }), (error: unknown) => error instanceof FrankenlensError && error.code === 'Cancelled');
    const text = fileText(stopped, 'variants.jsonl');
    assert.ok(text.endsWith('\n'), 'the last line is complete');
    const partial = records(stopped);
    stoppedAt = partial.length;
    assert.ok(stoppedAt >= CANCEL_AT && stoppedAt < CANCEL_AT + 16, `${stoppedAt} answers written: the cancel stops the batch at the step it came in`);
    assert.equal(partial.filter((answer) => answer.model === variant.name).length, stoppedAt - items.length * settings.conditions.length);
    assert.equal(new Set(partial.map((answer) => answer.key)).size, partial.length);
    assert.ok(existsSync(join(stopped, 'variants.run.json')), 'the settings are kept for the resume');
    assert.ok(!existsSync(join(stopped, 'variants.summary.json')), 'no summary for a sweep that did not finish');
  });

  it('resumes without redoing a finished answer, and ends as an uninterrupted sweep does', async () => {
    const before = fileText(stopped, 'variants.jsonl');
    const { cancel, progress, announced } = cancelAtAnswer(Number.POSITIVE_INFINITY);
    const resumed = await sweep(stopped, { resume: true, cancel, progress });
    assert.equal(resumed.resumed, stoppedAt);
    assert.equal(resumed.generated, TOTAL - stoppedAt);
    assert.equal(announced.length, TOTAL - stoppedAt, 'one progress announcement per generated answer');
    assert.ok(fileText(stopped, 'variants.jsonl').startsWith(before), 'the finished answers are kept as they were');

    const uninterrupted = await sweep(whole);
    assert.equal(uninterrupted.generated, TOTAL);
    // Answers are written as they end, so the order within a batch is not part of the result.
    const byKey = (answers: SweepAnswer[]) => [...answers].sort((a, b) => a.key.localeCompare(b.key));
    assert.deepEqual(byKey(records(stopped)), byKey(records(whole)));
    assert.deepEqual(withoutDate(stopped), withoutDate(whole));
    // The comparison has something to compare: the variant's answers are not IN's.
    const answersOf = (model: string) => records(whole).filter((answer) => answer.model === model).map((answer) => answer.response);
    assert.notDeepEqual(answersOf('IN'), answersOf(variant.name));
  });
});

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FrankenlensError } from '../../src/core/errors';
import { freezePlan } from '../../src/core/merge/presets';
import { PROVENANCE_FILE } from '../../src/core/merge/writeMerge';
import { DEMO_SHAPE, writeSyntheticCheckpoint } from '../../src/core/synthetic/syntheticQwenVl';
import type { CancelToken } from '../../src/core/progress';
import { mergeInWorker, stagingFolder } from '../../src/host/mergeInWorker';
import { mergeSummaryLines } from '../../src/host/mergeSummary';
import { tempDir } from '../helpers/tempDir';

// The worker bundle sits next to this test's bundle in out/unit (esbuild.mjs builds workerEntries there too).
const root = tempDir();
const paths = { in: join(root, 'in'), rl: join(root, 'rl') };
writeSyntheticCheckpoint(paths.in, { shape: DEMO_SHAPE, seed: 5, dtype: 'BF16' });
writeSyntheticCheckpoint(paths.rl, { shape: DEMO_SHAPE, seed: 5, dtype: 'BF16', update: { llmLayers: [6, 7, 8], visionBlocks: [], scale: 0.1 } });
const plan = freezePlan(paths, DEMO_SHAPE.llmLayers, [6, 9]);

/** A token the test cancels by hand, as VS Code's Cancel button does. */
function manualCancel(): CancelToken & { cancel(): void } {
  const listeners: (() => void)[] = [];
  let cancelled = false;
  return {
    get isCancellationRequested() {
      return cancelled;
    },
    onCancellationRequested(listener) {
      listeners.push(listener);
      return { dispose: () => listeners.splice(listeners.indexOf(listener), 1) };
    },
    cancel() {
      cancelled = true;
      for (const listener of [...listeners]) listener();
    },
  };
}

describe('mergeInWorker', () => {
  it('writes the merged folder on a worker thread, with progress and the provenance', async () => {
    const outDir = join(root, 'frozen');
    const fractions: number[] = [];
    const provenance = await mergeInWorker({ plan, outDir, overwrite: false }, { progress: { report: ({ fraction }) => fractions.push(fraction) } });
    assert.equal(provenance.plan.name, 'RL with layers 6-8 frozen at IN');
    assert.deepEqual(JSON.parse(readFileSync(join(outDir, PROVENANCE_FILE), 'utf8')).plan, provenance.plan);
    assert.ok(fractions.length > 0 && fractions.at(-1) === 1, 'progress ends at 1');
    assert.ok(!existsSync(stagingFolder(outDir)));
    const summary = mergeSummaryLines(provenance, outDir).join('\n');
    assert.match(summary, /from "rl".*from "in"|from "in".*from "rl"/);
  });

  it('reports core errors with their code and file, and writes nothing', async () => {
    const outDir = join(root, 'frozen');
    await assert.rejects(mergeInWorker({ plan, outDir, overwrite: false }), (error: unknown) => error instanceof FrankenlensError && error.code === 'FileExists' && error.file === outDir);
  });

  it('on cancel terminates the worker and removes its staging folder', async () => {
    const outDir = join(root, 'cancelled');
    const token = manualCancel();
    let stagingSeen = false;
    const running = mergeInWorker(
      { plan, outDir, overwrite: false, maxShardBytes: 1_000_000 },
      {
        cancel: token,
        // The first progress report comes from inside the writer: the staging folder exists by then.
        progress: {
          report: ({ fraction }) => {
            if (token.isCancellationRequested || fraction >= 1) return;
            stagingSeen = existsSync(stagingFolder(outDir));
            token.cancel();
          },
        },
      },
    );
    await assert.rejects(running, (error: unknown) => error instanceof FrankenlensError && error.code === 'Cancelled');
    assert.ok(stagingSeen, 'the worker was stopped mid-write');
    assert.ok(!existsSync(outDir), 'no output folder');
    assert.deepEqual(readdirSync(root).filter((name) => name.includes('partial')), [], 'no staging folder left');
  });
});

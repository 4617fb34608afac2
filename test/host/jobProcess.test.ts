import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runDiff } from '../../src/core/diff/runDiff';
import { FrankenlensError } from '../../src/core/errors';
import { readPlanFile } from '../../src/core/merge/planFile';
import { freezePlan } from '../../src/core/merge/presets';
import { PROVENANCE_FILE } from '../../src/core/merge/writeMerge';
import { DEMO_SHAPE, writeSyntheticCheckpoint } from '../../src/core/synthetic/syntheticQwenVl';
import type { CancelToken } from '../../src/core/progress';
import { runJobProcess } from '../../src/host/jobProcess';
import { mergeSummaryLines } from '../../src/host/mergeSummary';
import { slowMergeCheckpoints } from '../helpers/slowMergeCheckpoints';
import { tempDir } from '../helpers/tempDir';

// The runner bundle sits next to this test's bundle in out/unit (esbuild.mjs builds workerEntries there too).
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

describe('runJobProcess', () => {
  it('writes a merged folder in the job runner process, with progress and the provenance', async () => {
    const outDir = join(root, 'frozen');
    const fractions: number[] = [];
    const { written } = await runJobProcess({ kind: 'merge', merges: [{ plan, outDir }] }, { progress: { report: ({ fraction }) => fractions.push(fraction) } });
    const { provenance } = written[0]!;
    assert.equal(provenance.plan.name, 'RL with layers 6-8 frozen at IN');
    assert.deepEqual(JSON.parse(readFileSync(join(outDir, PROVENANCE_FILE), 'utf8')).plan, provenance.plan);
    assert.ok(fractions.length > 0 && fractions.at(-1) === 1, 'progress ends at 1');
    assert.deepEqual(readdirSync(root).filter((name) => name.includes('partial')), []);
    const summary = mergeSummaryLines(provenance, outDir).join('\n');
    assert.match(summary, /from "rl".*from "in"|from "in".*from "rl"/);
  });

  it('reports core errors with their code and file, and writes nothing', async () => {
    const outDir = join(root, 'frozen');
    await assert.rejects(runJobProcess({ kind: 'merge', merges: [{ plan, outDir }] }), (error: unknown) => error instanceof FrankenlensError && error.code === 'FileExists' && error.file === outDir);
  });

  it('on cancel stops the writer between pieces and leaves no staging folder', async () => {
    const slowRoot = tempDir();
    const { planFile } = slowMergeCheckpoints(slowRoot, 512);
    const outDir = join(slowRoot, 'cancelled');
    const token = manualCancel();
    let stagingSeen = false;
    const running = runJobProcess(
      { kind: 'merge', merges: [{ plan: readPlanFile(planFile), outDir }] },
      {
        cancel: token,
        // The first progress report comes from inside the writer: the staging folder exists by then.
        progress: {
          report: ({ fraction }) => {
            if (token.isCancellationRequested || fraction >= 1) return;
            stagingSeen = readdirSync(slowRoot).some((name) => name.startsWith('.cancelled.partial-'));
            token.cancel();
          },
        },
      },
    );
    await assert.rejects(running, (error: unknown) => error instanceof FrankenlensError && error.code === 'Cancelled');
    assert.ok(stagingSeen, 'the job was stopped mid-write');
    assert.ok(!existsSync(outDir), 'no output folder');
    assert.deepEqual(readdirSync(slowRoot).filter((name) => name.includes('partial')), [], 'no staging folder left');
  });
});

describe('the job runner process', () => {
  it('returns the same diff as the in-process core, numbers and all (structured clone keeps NaN)', async () => {
    const { result } = await runJobProcess({ kind: 'diff', inDir: paths.in, rlDir: paths.rl, threads: 1 });
    const local = await runDiff({ inDir: paths.in, rlDir: paths.rl, threads: 1 });
    assert.deepEqual(result.tensors, local.tensors);
    assert.deepEqual(result.layers, local.layers);
  });

  it('answers a malformed request with an error instead of running anything', async () => {
    await assert.rejects(
      runJobProcess({ kind: 'diff' } as never),
      (error: unknown) => error instanceof FrankenlensError && error.code === 'InvalidArgument' && /"inDir" must be a non-empty string/.test(error.message),
    );
  });

  it('stops a cancelled diff between tensors', async () => {
    const token = manualCancel();
    const running = runJobProcess({ kind: 'diff', inDir: paths.in, rlDir: paths.rl, threads: 1 }, { cancel: token, progress: { report: () => token.cancel() } });
    await assert.rejects(running, (error: unknown) => error instanceof FrankenlensError && error.code === 'Cancelled');
  });
});

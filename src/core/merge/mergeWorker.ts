/**
 * Worker thread entry: resolves one merge plan against its checkpoints and writes the merged
 * folder, posting progress and then the provenance or the error. Cancelling is terminating this
 * thread (the write loop is synchronous, so it could not hear a message); the host then removes
 * the staging folder, and Node closes the file descriptors the thread opened.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FrankenlensError } from '../errors';
import type { ProgressSink } from '../progress';
import type { FromMergeWorker, MergeRequest } from './mergeWorkerProtocol';
import { resolveMerge } from './resolveMerge';
import { writeMerge } from './writeMerge';

/** The writer reports every 8 MiB piece and every small tensor; the host needs far fewer messages. */
const PROGRESS_INTERVAL_MS = 100;

function post(message: FromMergeWorker): void {
  parentPort!.postMessage(message);
}

function throttledProgress(): ProgressSink {
  let lastPost = 0;
  return {
    report({ fraction, message }) {
      const now = Date.now();
      if (fraction < 1 && now - lastPost < PROGRESS_INTERVAL_MS) return;
      lastPost = now;
      post({ type: 'progress', fraction, message });
    },
  };
}

async function merge(request: MergeRequest): Promise<void> {
  try {
    const resolved = resolveMerge(request.plan);
    const provenance = await writeMerge(resolved, {
      outDir: request.outDir,
      overwrite: request.overwrite,
      maxShardBytes: request.maxShardBytes,
      progress: throttledProgress(),
    });
    post({ type: 'done', provenance });
  } catch (error) {
    const serialized = error instanceof FrankenlensError ? error.toJSON() : { code: 'WorkerFailed' as const, message: `merge worker failed: ${(error as Error).message}` };
    post({ type: 'error', error: serialized });
  }
}

void merge(workerData as MergeRequest);

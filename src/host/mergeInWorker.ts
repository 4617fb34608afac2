/**
 * Runs one merge on a worker thread (dist/mergeWorker.js), so gigabytes of copying never block the
 * extension host's event loop. Cancelling terminates the worker and removes its staging folder.
 */
import { rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { FrankenlensError, cancelledError } from '../core/errors';
import type { FromMergeWorker, MergeRequest } from '../core/merge/mergeWorkerProtocol';
import type { MergeProvenance } from '../core/merge/writeMerge';
import type { CancelToken, ProgressSink } from '../core/progress';

export interface MergeInWorkerOptions {
  cancel?: CancelToken;
  progress?: ProgressSink;
  /** The bundled worker; next to the bundle that runs this (dist/ or out/unit/) by default. */
  workerScript?: string;
}

/**
 * Where the writer stages `outDir` before renaming it into place (safetensorsWriter's naming).
 * The worker shares the host's process, hence its pid.
 */
export function stagingFolder(outDir: string): string {
  return join(dirname(outDir), `.${basename(outDir)}.partial-${process.pid}`);
}

export function mergeInWorker(request: MergeRequest, options: MergeInWorkerOptions = {}): Promise<MergeProvenance> {
  if (options.cancel?.isCancellationRequested) return Promise.reject(cancelledError());
  const worker = new Worker(options.workerScript ?? join(__dirname, 'mergeWorker.js'), { workerData: request });
  return new Promise<MergeProvenance>((resolve, reject) => {
    let settled = false;
    const finish = () => {
      settled = true;
      subscription?.dispose();
    };
    /** A worker stopped mid-write leaves its staging folder behind; remove it once the thread is gone. */
    const stopAndClean = (error: FrankenlensError) => {
      finish();
      const staging = stagingFolder(request.outDir);
      void worker
        .terminate()
        .then(() => rm(staging, { recursive: true, force: true }))
        .then(
          () => reject(error),
          (cleanupError: Error) => reject(new FrankenlensError(error.code, `${error.message} (and ${staging} could not be removed: ${cleanupError.message})`, staging)),
        );
    };
    const subscription = options.cancel?.onCancellationRequested(() => {
      if (!settled) stopAndClean(cancelledError());
    });
    worker.on('message', (message: FromMergeWorker) => {
      if (settled) return;
      switch (message.type) {
        case 'progress':
          options.progress?.report({ fraction: message.fraction, message: message.message });
          break;
        case 'done':
          finish();
          resolve(message.provenance);
          break;
        case 'error':
          finish();
          reject(FrankenlensError.fromJSON(message.error));
          break;
      }
    });
    worker.on('error', (error) => {
      if (!settled) stopAndClean(new FrankenlensError('WorkerFailed', `merge worker failed: ${error.message}`));
    });
    worker.on('exit', (code) => {
      if (!settled) stopAndClean(new FrankenlensError('WorkerFailed', `merge worker exited unexpectedly with code ${code}`));
    });
  });
}

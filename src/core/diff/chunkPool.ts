/**
 * Runs diff chunks on worker threads (or inline, for tests and tiny inputs), a bounded number in
 * flight per worker, so memory stays at a few chunks whatever the checkpoint size. Reports each
 * chunk's sums as it finishes and stops everything on cancellation or the first error.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { FileReader } from '../checkpoint/fileReader';
import { FrankenlensError, cancelledError } from '../errors';
import type { CancelToken } from '../progress';
import { DeltaKernel, type DiffChunk } from './deltaKernel';
import type { DeltaSums } from './deltaSums';
import type { FromWorker, ToWorker } from './workerProtocol';

export interface ChunkPoolOptions {
  /** Worker threads; 0 or undefined uses every available core. */
  threads?: number;
  /** Run on the calling thread instead of workers. */
  inline?: boolean;
  workerScript?: string;
  cancel?: CancelToken;
  onResult(index: number, sums: DeltaSums): void;
}

/** Two chunks per worker: one being reduced while the next one's reads are queued. */
const IN_FLIGHT_PER_WORKER = 2;

export function resolveThreads(threads: number | undefined): number {
  return threads && threads > 0 ? threads : availableParallelism();
}

export async function runChunks(chunks: readonly DiffChunk[], options: ChunkPoolOptions): Promise<void> {
  if (options.inline) return runInline(chunks, options);
  const workerCount = Math.max(1, Math.min(resolveThreads(options.threads), chunks.length));
  const workerScript = options.workerScript ?? join(__dirname, 'diffWorker.js');
  const workers: Worker[] = [];
  return new Promise<void>((resolve, reject) => {
    let next = 0;
    let finished = 0;
    let settled = false;
    const stop = (error?: FrankenlensError) => {
      if (settled) return;
      settled = true;
      subscription?.dispose();
      for (const worker of workers) void worker.terminate();
      if (error) reject(error);
      else resolve();
    };
    const subscription = options.cancel?.onCancellationRequested(() => stop(cancelledError()));
    if (options.cancel?.isCancellationRequested) return stop(cancelledError());
    if (chunks.length === 0) return stop();

    const feed = (worker: Worker) => {
      if (settled || next >= chunks.length) return;
      const id = next++;
      worker.postMessage({ type: 'chunk', id, chunk: chunks[id]! } satisfies ToWorker);
    };
    for (let i = 0; i < workerCount; i++) {
      const worker = new Worker(workerScript);
      workers.push(worker);
      worker.on('message', (message: FromWorker) => {
        if (settled) return;
        if (message.type === 'error') return stop(FrankenlensError.fromJSON(message.error));
        options.onResult(message.id, message.sums);
        finished++;
        if (finished === chunks.length) return stop();
        feed(worker);
      });
      worker.on('error', (error) => stop(new FrankenlensError('WorkerFailed', `diff worker failed: ${error.message}`)));
      worker.on('exit', (code) => {
        if (!settled) stop(new FrankenlensError('WorkerFailed', `diff worker exited unexpectedly with code ${code}`));
      });
      for (let k = 0; k < IN_FLIGHT_PER_WORKER; k++) feed(worker);
    }
  });
}

async function runInline(chunks: readonly DiffChunk[], options: ChunkPoolOptions): Promise<void> {
  const reader = new FileReader();
  const kernel = new DeltaKernel(reader);
  try {
    for (let index = 0; index < chunks.length; index++) {
      if (options.cancel?.isCancellationRequested) throw cancelledError();
      options.onResult(index, kernel.run(chunks[index]!));
      // Let cancellation and progress listeners run between chunks.
      if (index % 16 === 15) await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    reader.close();
  }
}

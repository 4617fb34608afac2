/** Worker thread entry: reduces the chunks the executor sends, one at a time. */
import { parentPort } from 'node:worker_threads';
import { FileReader } from '../checkpoint/fileReader';
import { FrankenlensError } from '../errors';
import { DeltaKernel } from './deltaKernel';
import type { FromWorker, ToWorker } from './workerProtocol';

const kernel = new DeltaKernel(new FileReader());

parentPort!.on('message', (message: ToWorker) => {
  let reply: FromWorker;
  try {
    reply = { type: 'result', id: message.id, sums: kernel.run(message.chunk) };
  } catch (error) {
    const serialized = error instanceof FrankenlensError ? error.toJSON() : { code: 'WorkerFailed' as const, message: `diff worker failed: ${(error as Error).message}` };
    reply = { type: 'error', id: message.id, error: serialized };
  }
  parentPort!.postMessage(reply);
});

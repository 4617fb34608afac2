/**
 * The job runner: a child process the extension host forks (dist/jobRunner.js, with IPC) for every
 * long job, so model runs, diffs, merges and spectra never block the editor. It receives one start
 * message, runs the job with runJob (the CLI's own core path), and sends progress, log lines and
 * then the result or the error; a cancel message stops the job between steps (nothing is left
 * half-written), after which the process exits.
 */
import { FrankenlensError } from '../errors';
import { cancelTokenFromSignal } from '../progress';
import type { JobContext } from './jobContext';
import { toJobRunnerProblem, type FromJobRunner, type ToJobRunner } from './jobProtocol';
import { runJob } from './runJob';

/** Enough for a smooth bar; model runs report every token. */
const PROGRESS_INTERVAL_MS = 100;

/** Resolves once the message is handed to the channel (or at once when the host has gone). */
function send(message: FromJobRunner): Promise<void> {
  if (!process.connected) return Promise.resolve();
  return new Promise((resolve) => process.send!(message, undefined, undefined, () => resolve()));
}

const controller = new AbortController();
let started = false;

function context(): JobContext {
  let lastSent = 0;
  let lastFraction = 0;
  return {
    cancel: cancelTokenFromSignal(controller.signal),
    progress: {
      report({ fraction, message }) {
        lastFraction = fraction;
        const now = Date.now();
        if (fraction < 1 && now - lastSent < PROGRESS_INTERVAL_MS) return;
        lastSent = now;
        void send({ type: 'progress', fraction, message });
      },
    },
    note: (message) => void send({ type: 'progress', fraction: lastFraction, message }),
    log: (text) => void send({ type: 'log', text }),
  };
}

async function start(message: ToJobRunner & { type: 'start' }): Promise<void> {
  try {
    const result = await runJob(message.request, context());
    await send({ type: 'result', result });
  } catch (error) {
    const failure = error instanceof FrankenlensError ? error : new FrankenlensError('WorkerFailed', `job failed: ${(error as Error)?.stack ?? String(error)}`);
    await send({ type: 'error', error: failure.toJSON() });
  }
  // Worker threads or native sessions must not keep a finished job alive.
  process.exit(0);
}

if (!process.send) {
  process.stderr.write('jobRunner.js runs jobs for the Frankenlens extension; use the frankenlens CLI instead.\n');
  process.exit(2);
}
process.on('message', (message: unknown) => {
  const problem = toJobRunnerProblem(message);
  if (problem !== null) {
    void send({ type: 'error', error: { code: 'InvalidArgument', message: `job runner: ${problem}` } }).then(() => process.exit(2));
    return;
  }
  const request = message as ToJobRunner;
  if (request.type === 'cancel') controller.abort();
  else if (!started) {
    started = true;
    void start(request);
  }
});
// The host going away (window closed, extension reloaded) cancels the job.
process.on('disconnect', () => controller.abort());

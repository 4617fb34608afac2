/**
 * Starts one job in its own process (dist/jobRunner.js, forked with the extension host's Node) and
 * follows it over the jobs channel (src/core/jobs/jobProtocol.ts): progress, log lines, then the
 * result or the core error it failed with. Cancel asks the runner to stop between steps; a runner
 * that does not stop within KILL_AFTER_MS is killed, and a merge's staging folder removed.
 */
import { fork } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { cancelledError, FrankenlensError } from '../core/errors';
import { fromJobRunnerProblem, type FromJobRunner, type JobRequest, type ResultOf, type ToJobRunner } from '../core/jobs/jobProtocol';
import { stagingFolderOf } from '../core/outputFolder';
import { mallocEnvironment } from '../core/processMemory';
import type { CancelToken, Logger, ProgressSink } from '../core/progress';

/** How long a cancelled job may take to stop between steps before it is killed. */
const KILL_AFTER_MS = 10_000;

export interface JobProcessOptions {
  /** The runner bundle; next to the bundle that runs this (dist/ or a test folder) by default. */
  runnerScript?: string;
  cancel?: CancelToken;
  progress?: ProgressSink;
  log?: Logger;
}

export function runJobProcess<R extends JobRequest>(request: R, options: JobProcessOptions = {}): Promise<ResultOf<R['kind']>> {
  if (options.cancel?.isCancellationRequested) return Promise.reject(cancelledError());
  const log = options.log;
  // glibc reads its malloc settings only at process start: the runner starts with them (processMemory.ts), so a released model's memory goes back to the system.
  const child = fork(options.runnerScript ?? join(__dirname, 'jobRunner.js'), [], {
    env: { ...process.env, ...mallocEnvironment(process.env) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    execArgv: [],
    // Structured clone: results keep NaN and Infinity, which JSON would turn into null.
    serialization: 'advanced',
  });
  const output: string[] = [];
  const keepOutput = (chunk: string) => {
    for (const line of chunk.split('\n').filter((text) => text.trim() !== '')) {
      output.push(line);
      log?.info(`job: ${line}`);
    }
    output.splice(0, Math.max(0, output.length - 20));
  };
  child.stdout!.setEncoding('utf8').on('data', keepOutput);
  child.stderr!.setEncoding('utf8').on('data', keepOutput);

  return new Promise((resolve, reject) => {
    let outcome: { result: ResultOf<R['kind']> } | { error: FrankenlensError } | undefined;
    let cancelled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const subscription = options.cancel?.onCancellationRequested(() => {
      if (cancelled || outcome) return;
      cancelled = true;
      sendToRunner({ type: 'cancel' });
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    });
    const sendToRunner = (message: ToJobRunner) => {
      if (child.connected) child.send(message);
    };
    child.on('message', (message: unknown) => {
      const problem = fromJobRunnerProblem(message);
      if (problem !== null) {
        log?.warn(`job: ignoring a malformed message from the runner (${problem})`);
        return;
      }
      const received = message as FromJobRunner;
      switch (received.type) {
        case 'progress':
          options.progress?.report({ fraction: Math.min(1, Math.max(0, received.fraction)), message: received.message });
          break;
        case 'log':
          log?.info(`job: ${received.text}`);
          break;
        case 'result':
          if (received.result.kind === request.kind) outcome = { result: received.result as ResultOf<R['kind']> };
          else outcome = { error: new FrankenlensError('WorkerFailed', `job runner answered a ${received.result.kind} job with a ${request.kind} result`) };
          break;
        case 'error':
          outcome = { error: FrankenlensError.fromJSON(received.error) };
          break;
      }
    });
    child.once('error', (error) => {
      subscription?.dispose();
      clearTimeout(killTimer);
      reject(new FrankenlensError('WorkerFailed', `could not start the job runner: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      subscription?.dispose();
      clearTimeout(killTimer);
      if (outcome && 'result' in outcome) return resolve(outcome.result);
      if (outcome) return reject(outcome.error);
      if (cancelled) {
        // Killed mid-merge: the writer could not remove its staging folder, so remove it here.
        void removeStaging(request, child.pid).then(() => reject(cancelledError()));
        return;
      }
      reject(new FrankenlensError('WorkerFailed', `the ${request.kind} job stopped unexpectedly (${signal ?? `exit ${code}`}): ${output.slice(-3).join(' | ') || 'no message'}`));
    });
    sendToRunner({ type: 'start', request });
  });
}

async function removeStaging(request: JobRequest, pid: number | undefined): Promise<void> {
  if (request.kind !== 'merge' || pid === undefined) return;
  await Promise.all(request.merges.map(({ outDir }) => rm(stagingFolderOf(outDir, pid), { recursive: true, force: true }).catch(() => undefined)));
}

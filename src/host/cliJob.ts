/**
 * Runs a `frankenlens` CLI command (dist/cli.js, forked with the extension host's own Node) as a
 * job, so model runs and spectral passes never block the editor. Progress comes back as JSON lines
 * on stderr into a notification with Cancel (SIGINT: the CLI stops between steps and leaves
 * nothing half-written); a failure comes back as the core error it was, file and all.
 */
import { fork } from 'node:child_process';
import * as vscode from 'vscode';
import { cancelledError, FrankenlensError } from '../core/errors';
import { mallocEnvironment } from '../core/processMemory';
import type { ProgressSink } from '../core/progress';
import { parseJobLine } from './cliJobLines';
import type { HostServices } from './hostServices';
import { notificationProgress } from './notificationProgress';

export interface CliJob {
  /** The notification's title. */
  title: string;
  /** Arguments after `frankenlens`, e.g. ['spectral', '--in', …]. */
  args: string[];
}

/** Resolves with the command's stdout; rejects with a FrankenlensError (Cancelled included) or an Error. */
export function runCliJob(services: HostServices, job: CliJob): Promise<string> {
  return Promise.resolve(
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: job.title, cancellable: true }, (progress, token) =>
      runCli(services, job.args, notificationProgress(progress), token),
    ),
  );
}

function runCli(services: HostServices, args: string[], progress: ProgressSink, token: vscode.CancellationToken): Promise<string> {
  const { log } = services;
  const cli = vscode.Uri.joinPath(services.extensionUri, 'dist', 'cli.js').fsPath;
  log.info(`job: frankenlens ${args.join(' ')}`);
  // glibc reads its malloc settings only at process start: the job starts with them (processMemory.ts), so a released model's memory goes back to the system.
  const child = fork(cli, args, { env: { ...process.env, ...mallocEnvironment(process.env), FRANKENLENS_PROGRESS: 'json' }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: [] });
  const cancelListener = token.onCancellationRequested(() => child.kill('SIGINT'));
  let stdout = '';
  let pending = '';
  let failure: FrankenlensError | undefined;
  const otherLines: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const parsed = parseJobLine(line);
      if (parsed.kind === 'progress') progress.report(parsed.progress);
      else if (parsed.kind === 'error') failure = parsed.error;
      else if (parsed.text) {
        otherLines.push(parsed.text);
        log.info(`job: ${parsed.text}`);
      }
    }
  });
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      cancelListener.dispose();
      reject(error);
    });
    child.once('exit', (code, signal) => {
      cancelListener.dispose();
      if (code === 0) resolve(stdout);
      else if (failure) reject(failure);
      else if (code === 130 || signal === 'SIGINT' || token.isCancellationRequested) reject(cancelledError());
      else reject(new Error(`frankenlens ${args[0]} failed (exit ${code ?? signal}): ${otherLines.slice(-3).join(' | ') || 'no message'}`));
    });
  });
}

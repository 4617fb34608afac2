/**
 * Every long command runs as a job in its own process (jobProcess.ts) behind a notification with
 * progress and Cancel; a failure comes back as the core error it was, file and all.
 */
import * as vscode from 'vscode';
import type { JobRequest, ResultOf } from '../core/jobs/jobProtocol';
import type { HostServices } from './hostServices';
import { runJobProcess } from './jobProcess';
import { notificationProgress } from './notificationProgress';

/** Runs `request` behind a cancellable progress notification titled `title`. */
export function runJobWithProgress<R extends JobRequest>(services: HostServices, title: string, request: R): Promise<ResultOf<R['kind']>> {
  services.log.info(`job: ${request.kind} started`);
  return Promise.resolve(
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
      return runJobProcess(request, {
        runnerScript: vscode.Uri.joinPath(services.extensionUri, 'dist', 'jobRunner.js').fsPath,
        cancel: token,
        progress: notificationProgress(progress),
        log: services.log,
      });
    }),
  );
}

/**
 * "Frankenlens: Compare Checkpoints":
 *
 *   folders (arguments or dialogs) → runDiff (workers, progress, cancel) → diff.json → panel
 */
import * as vscode from 'vscode';
import type { DiffResult } from '../core/diff/diffResult';
import { runDiff } from '../core/diff/runDiff';
import { resolveCheckpointFolders, type CheckpointFolders } from './checkpointFolders';
import { DiffPanel } from './diffPanel';
import { saveDiffResult } from './diffResultFile';
import type { HostServices } from './hostServices';
import { diffPanelTitle } from './openDiffResult';
import { notificationProgress } from './notificationProgress';
import { readSettings } from './settings';
import { showDiffMessage } from './showDiffMessage';
import { showFailure } from './showFailure';

export async function compareCheckpoints(services: HostServices, args: readonly unknown[]): Promise<void> {
  const { log } = services;
  try {
    const folders = await resolveCheckpointFolders(args);
    if (!folders) return;
    const settings = readSettings();
    log.info(`compare: IN ${folders.inDir}, RL ${folders.rlDir}${folders.baseDir ? `, Base ${folders.baseDir}` : ''}`);
    const result = await runWithProgress(folders, settings.threads, log);
    log.info(`compare: done in ${result.timing.seconds.toFixed(1)} s, ${result.tensors.length} tensors`);
    const resultFile = saveDiffResult(result, folders, settings.resultsFolder);
    log.info(resultFile ? `compare: wrote ${resultFile}` : 'compare: no workspace folder is open, so diff.json was not written');
    DiffPanel.createOrShow(services, showDiffMessage(result, resultFile), diffPanelTitle(folders.inDir, folders.rlDir));
  } catch (error) {
    // Not awaited: the message waits for the user, and the command should be done (for callers too).
    void showFailure(error, log);
  }
}

async function runWithProgress(folders: CheckpointFolders, threads: number, log: vscode.LogOutputChannel): Promise<DiffResult> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Frankenlens: comparing checkpoints'), cancellable: true },
    (progress, token) => runDiff({ ...folders, threads, cancel: token, progress: notificationProgress(progress), logger: log }),
  );
}

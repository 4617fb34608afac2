/**
 * "Frankenlens: Compare Checkpoints":
 *
 *   folders (arguments or dialogs) → saved diff.json still valid? → panel
 *                                  → otherwise a diff job (progress, cancel) → diff.json → panel
 */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import type { DiffResult } from '../core/diff/diffResult';
import { savedDiffStaleness } from '../core/diff/savedDiff';
import { resolveCheckpointFolders, type CheckpointFolders } from './checkpointFolders';
import { DiffPanel } from './diffPanel';
import { loadDiffResult, saveDiffResult, savedDiffPath } from './diffResultFile';
import type { HostServices } from './hostServices';
import { runJobWithProgress } from './jobs';
import { diffPanelTitle } from './openDiffResult';
import { readSettings } from './settings';
import { showDiffMessage } from './showDiffMessage';
import { showFailure } from './showFailure';

export async function compareCheckpoints(services: HostServices, args: readonly unknown[], recompute = false): Promise<void> {
  const { log } = services;
  try {
    const folders = await resolveCheckpointFolders(args);
    if (!folders) return;
    const settings = readSettings();
    log.info(`compare: IN ${folders.inDir}, RL ${folders.rlDir}${folders.baseDir ? `, Base ${folders.baseDir}` : ''}`);
    if (!recompute && (await showSavedDiff(services, folders, settings.resultsFolder))) return;
    const { result } = await runJobWithProgress(services, vscode.l10n.t('Frankenlens: comparing checkpoints'), { kind: 'diff', inDir: folders.inDir, rlDir: folders.rlDir, baseDir: folders.baseDir, threads: settings.threads });
    log.info(`compare: done in ${result.timing.seconds.toFixed(1)} s, ${result.tensors.length} tensors`);
    const resultFile = saveDiffResult(result, folders, settings.resultsFolder);
    log.info(resultFile ? `compare: wrote ${resultFile}` : 'compare: no workspace folder is open, so diff.json was not written');
    DiffPanel.createOrShow(services, showDiffMessage(result, resultFile), diffPanelTitle(folders.inDir, folders.rlDir));
  } catch (error) {
    // Not awaited: the message waits for the user, and the command should be done (for callers too).
    void showFailure(error, log);
  }
}

/** Shows the saved comparison when the checkpoints have not changed since; says why not otherwise. */
async function showSavedDiff(services: HostServices, folders: CheckpointFolders, resultsFolder: string): Promise<boolean> {
  const file = savedDiffPath(folders, resultsFolder);
  if (file === null || !existsSync(file)) return false;
  let saved: DiffResult;
  try {
    saved = await loadDiffResult(file);
  } catch (error) {
    services.log.warn(`compare: ignoring ${file}: ${(error as Error).message}`);
    return false;
  }
  const staleness = savedDiffStaleness(saved, folders);
  if (staleness) {
    services.log.info(`compare: recomputing, ${staleness}`);
    void vscode.window.showInformationMessage(vscode.l10n.t('Frankenlens: comparing again, {0}.', staleness));
    return false;
  }
  services.log.info(`compare: reusing ${file} (checkpoints unchanged since ${saved.createdAt})`);
  DiffPanel.createOrShow(services, showDiffMessage(saved, file), diffPanelTitle(folders.inDir, folders.rlDir));
  const recomputeAction = vscode.l10n.t('Recompute');
  void vscode.window
    .showInformationMessage(vscode.l10n.t('Frankenlens: showing the saved comparison from {0}; the checkpoints have not changed since.', new Date(saved.createdAt).toLocaleString()), recomputeAction)
    .then((choice) => (choice === recomputeAction ? compareCheckpoints(services, [folders.inDir, folders.rlDir, folders.baseDir], true) : undefined));
  return true;
}

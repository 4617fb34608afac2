/**
 * The palette's GPU commands: set up onnxruntime's CUDA provider from a folder or archive the user
 * has (the same setup as `frankenlens gpu setup --from`, async file work so the host stays
 * responsive), and check what CUDA needs. Reports go to the log; the verdict to a message.
 */
import * as vscode from 'vscode';
import { describeCudaReport, detectCuda, type CudaReport } from '../core/model/cudaDetection';
import { setupCudaProvider } from '../core/model/cudaProviderSetup';
import type { HostServices } from './hostServices';
import { showFailure } from './showFailure';

export async function setUpGpuProvider(services: HostServices): Promise<void> {
  const folder = vscode.l10n.t('A folder holding the provider files…');
  const archive = vscode.l10n.t('An archive (.nupkg, .zip, .whl, .tgz)…');
  const kind = await vscode.window.showQuickPick([folder, archive], { title: vscode.l10n.t('Where are onnxruntime 1.30\'s CUDA provider files?') });
  if (!kind) return;
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: kind === folder,
    canSelectFiles: kind === archive,
    canSelectMany: false,
    openLabel: vscode.l10n.t('Set Up from Here'),
    ...(kind === archive ? { filters: { [vscode.l10n.t('Archives')]: ['nupkg', 'zip', 'whl', 'tgz', 'gz'] } } : {}),
  });
  const from = picked?.[0]?.fsPath;
  if (!from) return;
  try {
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Frankenlens: installing the CUDA provider…') }, () => setupCudaProvider(from));
    services.log.info(`installed onnxruntime ${result.version}'s CUDA provider (version from ${result.versionSource}): ${result.installed.join(', ')}`);
    await showReport(services, await detectCuda());
  } catch (error) {
    await showFailure(error, services.log);
  }
}

export async function checkGpuProvider(services: HostServices): Promise<void> {
  try {
    const report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Frankenlens: checking CUDA…') }, () => detectCuda());
    await showReport(services, report);
  } catch (error) {
    await showFailure(error, services.log);
  }
}

async function showReport(services: HostServices, report: CudaReport): Promise<void> {
  services.log.info(`GPU (CUDA) check:\n${describeCudaReport(report)}`);
  const showLog = vscode.l10n.t('Show log');
  const choice = report.ok ? await vscode.window.showInformationMessage(vscode.l10n.t('Frankenlens: {0}', report.message), showLog) : await vscode.window.showWarningMessage(vscode.l10n.t('Frankenlens: {0}', report.message), showLog);
  if (choice === showLog) services.log.show();
}

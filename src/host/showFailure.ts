/**
 * How a failed command reaches the user: core errors as a message naming the file (with a
 * "Show file" action), cancellation as a quiet note, anything else as an unexpected error with
 * the details in the log.
 */
import * as vscode from 'vscode';
import { isFrankenlensError } from '../core/errors';
import { revealFile } from './revealFile';

export async function showFailure(error: unknown, log: vscode.LogOutputChannel, cancelledMessage = vscode.l10n.t('Frankenlens: comparison cancelled.')): Promise<void> {
  if (!isFrankenlensError(error)) {
    log.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    const showLog = vscode.l10n.t('Show log');
    const message = error instanceof Error ? error.message : String(error);
    if ((await vscode.window.showErrorMessage(vscode.l10n.t('Frankenlens: unexpected error: {0}', message), showLog)) === showLog) log.show();
    return;
  }
  if (error.code === 'Cancelled') {
    log.info('cancelled by the user');
    void vscode.window.showInformationMessage(cancelledMessage);
    return;
  }
  // Core messages already name the file and tensor; `code` is for the log and for bug reports.
  log.error(`${error.code}: ${error.message}`);
  const showFile = vscode.l10n.t('Show file');
  const choice = await vscode.window.showErrorMessage(vscode.l10n.t('Frankenlens: {0}', error.message), ...(error.file ? [showFile] : []));
  if (choice === showFile && error.file) await revealFile(vscode.Uri.file(error.file), log);
}

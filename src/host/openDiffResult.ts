/** Opens a saved `diff.json` in the diff panel, the same way a restored panel is drawn. */
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { DiffPanel } from './diffPanel';
import { loadDiffResult } from './diffResultFile';
import type { HostServices } from './hostServices';
import { showDiffMessage } from './showDiffMessage';
import { showFailure } from './showFailure';

export function diffPanelTitle(inDir: string, rlDir: string): string {
  return vscode.l10n.t('{0} vs {1}', basename(inDir), basename(rlDir));
}

export async function openDiffResult(services: HostServices, arg: unknown): Promise<void> {
  if (!(arg instanceof vscode.Uri) || arg.scheme !== 'file') return;
  try {
    const result = await loadDiffResult(arg.fsPath);
    DiffPanel.createOrShow(services, showDiffMessage(result, arg.fsPath), diffPanelTitle(result.inputs.in.path, result.inputs.rl.path));
  } catch (error) {
    void showFailure(error, services.log);
  }
}

/** Opens a saved result (`diff.json`, `spectral.json`, …) in the panel, the same way a restored panel is drawn. */
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { DIFF_JSON } from '../core/diff/writeDiffJson';
import { loadAnalysisContent } from './analysisContent';
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
    if (basename(arg.fsPath) === DIFF_JSON) {
      const result = await loadDiffResult(arg.fsPath);
      DiffPanel.createOrShow(services, showDiffMessage(result, arg.fsPath), diffPanelTitle(result.inputs.in.path, result.inputs.rl.path));
    } else {
      const { message, title } = await loadAnalysisContent(arg.fsPath);
      DiffPanel.createOrShow(services, message, title);
    }
  } catch (error) {
    void showFailure(error, services.log);
  }
}

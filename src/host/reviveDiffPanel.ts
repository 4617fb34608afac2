/** Restores the panel after a window reload from the result path the page kept in its state. */
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { DIFF_JSON } from '../core/diff/writeDiffJson';
import { loadAnalysisContent } from './analysisContent';
import { isPanelState } from '../../webview/protocol';
import { DiffPanel } from './diffPanel';
import { loadDiffResult } from './diffResultFile';
import type { HostServices } from './hostServices';
import { showDiffMessage } from './showDiffMessage';

export async function reviveDiffPanel(services: HostServices, panel: vscode.WebviewPanel, state: unknown): Promise<void> {
  if (!isPanelState(state)) {
    DiffPanel.revive(panel, services, {
      type: 'error',
      message: vscode.l10n.t('This comparison was not saved (no workspace folder was open). Run "Frankenlens: Compare Checkpoints" again.'),
    });
    return;
  }
  try {
    const content = basename(state.resultFile) === DIFF_JSON ? showDiffMessage(await loadDiffResult(state.resultFile), state.resultFile) : (await loadAnalysisContent(state.resultFile)).message;
    DiffPanel.revive(panel, services, content);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    services.log.warn(`diff panel: cannot restore from ${state.resultFile}: ${message}`);
    DiffPanel.revive(panel, services, { type: 'error', message: vscode.l10n.t('Cannot restore this comparison: {0}', message) });
  }
}

/** Restores a diff panel after a window reload from the `diff.json` path the page kept in its state. */
import * as vscode from 'vscode';
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
    DiffPanel.revive(panel, services, showDiffMessage(await loadDiffResult(state.resultFile), state.resultFile));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    services.log.warn(`diff panel: cannot restore from ${state.resultFile}: ${message}`);
    DiffPanel.revive(panel, services, { type: 'error', message: vscode.l10n.t('Cannot restore this comparison: {0}', message) });
  }
}

import * as vscode from 'vscode';
import type { DiffResult } from '../core/diff/diffResult';
import { diffCharts } from '../core/report/diffSpecs';
import type { PanelStrings, ShowDiffMessage } from '../../webview/protocol';
import { summarizeDiff } from './diffSummary';

/** Everything the diff panel draws, built by core from the result alone. */
export function showDiffMessage(result: DiffResult, resultFile: string | null): ShowDiffMessage {
  return {
    type: 'showDiff',
    summary: summarizeDiff(result),
    // 'container': the charts follow the panel's width; the panel applies the theme's colours.
    charts: diffCharts(result, { width: 'container' }),
    strings: panelStrings(),
    resultFile,
  };
}

function panelStrings(): PanelStrings {
  return {
    inLabel: vscode.l10n.t('IN'),
    rlLabel: vscode.l10n.t('RL'),
    baseLabel: vscode.l10n.t('Base'),
    architectureLabel: vscode.l10n.t('Architecture'),
    unknownArchitecture: vscode.l10n.t('unknown (no config.json)'),
    mostChangedLayersLabel: vscode.l10n.t('Most changed layers (mean ‖W_RL − W_IN‖ / ‖W_IN‖)'),
    chartFailed: vscode.l10n.t('This chart could not be drawn:'),
    brushHint: vscode.l10n.t('Drag across LLM layers on a per-layer chart to merge or freeze that range.'),
    // {0} stays a placeholder for the panel to fill with the brushed range ("6–11").
    mergeRangeButton: vscode.l10n.t('Merge HF layers {0} from RL into IN', '{0}'),
    freezeRangeButton: vscode.l10n.t('Freeze HF layers {0} (RL with them held at IN)', '{0}'),
    nonDecoderIgnored: vscode.l10n.t('Vision blocks and the projector in the selection are ignored: merges and freezes take decoder layers only.'),
  };
}

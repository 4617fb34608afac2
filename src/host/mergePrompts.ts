/** The questions the merge commands ask: which layers, which way, and where to write. */
import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { HfLayerRange } from '../../webview/protocol';
import { parseLayerRange, rangeLabel, type RangeSupplier } from './layerRangePlan';
import { resolveTypedPath } from './mergeOutputFolder';

/** An inclusive HF range within [0, layers); `undefined` when the user cancelled. */
export async function askLayerRange(layers: number, title: string, suggestion: HfLayerRange): Promise<HfLayerRange | undefined> {
  const answer = await vscode.window.showInputBox({
    title,
    prompt: vscode.l10n.t('HF decoder layers, 0-based, both ends included (this checkpoint has layers 0–{0})', layers - 1),
    value: rangeLabel(suggestion),
    // Stays open while the user looks at the charts to choose the layers.
    ignoreFocusOut: true,
    validateInput(text) {
      const range = parseLayerRange(text);
      if (!range) return vscode.l10n.t('Write a range such as 6-11, or one layer such as 7');
      if (range.hfEnd >= layers) return vscode.l10n.t('The last decoder layer is {0}', layers - 1);
      return undefined;
    },
  });
  return answer === undefined ? undefined : parseLayerRange(answer);
}

/** Which model gives the range (RL into IN first, the paper's transplant); `undefined` when cancelled. */
export async function askSupplier(range: HfLayerRange): Promise<RangeSupplier | undefined> {
  const layers = `${range.hfStart}–${range.hfEnd}`;
  const items: (vscode.QuickPickItem & { supplier: RangeSupplier })[] = [
    { supplier: 'rl', label: vscode.l10n.t('IN with layers {0} from RL', layers), detail: vscode.l10n.t('Transplants what RL changed in these layers into the SFT model.') },
    { supplier: 'in', label: vscode.l10n.t('RL with layers {0} from IN', layers), detail: vscode.l10n.t('Takes these layers back to IN inside the RL model.') },
  ];
  const answer = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Frankenlens: which model gives layers {0}?', layers) });
  return answer?.supplier;
}

/** An absolute folder path (relative answers are inside the workspace); `undefined` when cancelled. */
export async function askOutputFolder(title: string, prompt: string, suggested: string): Promise<string | undefined> {
  const answer = await vscode.window.showInputBox({
    title,
    prompt,
    value: suggested,
    ignoreFocusOut: true,
    // Select the last path segment, the part people usually rename.
    valueSelection: [suggested.length - basename(suggested).length, suggested.length],
    validateInput(text) {
      if (text.trim() === '') return vscode.l10n.t('Enter a folder');
      const path = resolveTypedPath(text);
      if (existsSync(path) && !statSync(path).isDirectory()) return vscode.l10n.t('{0} is a file, not a folder', path);
      return undefined;
    },
  });
  return answer === undefined ? undefined : resolveTypedPath(answer);
}

/** Asks before replacing existing folders; true to replace them. */
export async function confirmReplace(folders: readonly string[]): Promise<boolean> {
  const replace = vscode.l10n.t('Replace');
  const message =
    folders.length === 1
      ? vscode.l10n.t('{0} already exists. Replace it?', folders[0]!)
      : vscode.l10n.t('{0} of these folders already exist: {1}. Replace them?', folders.length, folders.map((folder) => basename(folder)).join(', '));
  return (await vscode.window.showWarningMessage(message, { modal: true }, replace)) === replace;
}

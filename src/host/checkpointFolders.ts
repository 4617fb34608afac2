/**
 * Which checkpoint folders a comparison uses: from the command's arguments when a caller (menu,
 * test) passes them, otherwise asked with folder dialogs.
 */
import { isAbsolute, resolve } from 'node:path';
import * as vscode from 'vscode';
import { FrankenlensError } from '../core/errors';

export interface CheckpointFolders {
  inDir: string;
  rlDir: string;
  baseDir?: string;
}

/** `undefined` when the user cancelled a step. */
export async function resolveCheckpointFolders(args: readonly unknown[]): Promise<CheckpointFolders | undefined> {
  const [inArg, rlArg, baseArg] = args.slice(0, 3).map(toFolderPath);
  const inDir = inArg ?? (await pickFolder(vscode.l10n.t('Frankenlens: SFT checkpoint (IN)'), vscode.l10n.t('Use as IN')));
  if (inDir === undefined) return undefined;
  const rlDir = rlArg ?? (await pickFolder(vscode.l10n.t('Frankenlens: RL checkpoint trained from IN'), vscode.l10n.t('Use as RL')));
  if (rlDir === undefined) return undefined;
  // Callers that pass IN and RL decide about Base themselves; only the interactive path asks.
  if (baseArg !== undefined || (inArg !== undefined && rlArg !== undefined)) {
    return baseArg === undefined ? { inDir, rlDir } : { inDir, rlDir, baseDir: baseArg };
  }
  const baseDir = await askForBase();
  if (baseDir === null) return undefined;
  return baseDir === undefined ? { inDir, rlDir } : { inDir, rlDir, baseDir };
}

/** A command argument as a file-system path: a `Uri`, an absolute path, or one relative to the first workspace folder. */
function toFolderPath(arg: unknown): string | undefined {
  if (arg === undefined || arg === null) return undefined;
  if (arg instanceof vscode.Uri) return uriToPath(arg);
  if (typeof arg === 'string' && arg.length > 0) {
    const root = vscode.workspace.workspaceFolders?.[0];
    return isAbsolute(arg) || !root ? resolve(arg) : resolve(uriToPath(root.uri), arg);
  }
  throw new FrankenlensError('InvalidArgument', vscode.l10n.t('checkpoint folders must be given as paths or URIs, not {0}', JSON.stringify(arg) ?? typeof arg));
}

function uriToPath(uri: vscode.Uri): string {
  // The extension runs where the files are (extensionKind workspace), so its URIs are local files.
  if (uri.scheme !== 'file') throw new FrankenlensError('InvalidArgument', vscode.l10n.t('{0} is not a local folder', uri.toString()));
  return uri.fsPath;
}

async function pickFolder(title: string, openLabel: string): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title,
    openLabel,
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  return picked?.[0] ? uriToPath(picked[0]) : undefined;
}

/** The Base folder, `undefined` to compare without one, or `null` when the user cancelled. */
async function askForBase(): Promise<string | undefined | null> {
  const skip = { label: vscode.l10n.t('Compare IN and RL only') };
  const choose = {
    label: vscode.l10n.t('Also compare with a Base checkpoint…'),
    detail: vscode.l10n.t('The model IN was fine-tuned from: adds the Base→IN update and its alignment with IN→RL.'),
  };
  const answer = await vscode.window.showQuickPick([skip, choose], { title: vscode.l10n.t('Frankenlens: Base checkpoint (optional)') });
  if (answer === undefined) return null;
  if (answer === skip) return undefined;
  return (await pickFolder(vscode.l10n.t('Frankenlens: Base checkpoint IN was fine-tuned from'), vscode.l10n.t('Use as Base'))) ?? null;
}

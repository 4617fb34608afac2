/**
 * Which checkpoint folders a command uses: from the command's arguments when a caller (menu,
 * panel, test) passes them, otherwise asked with folder dialogs.
 */
import { basename, isAbsolute, resolve } from 'node:path';
import * as vscode from 'vscode';
import { FrankenlensError } from '../core/errors';

export interface CheckpointPair {
  inDir: string;
  rlDir: string;
}

export interface CheckpointFolders extends CheckpointPair {
  baseDir?: string;
}

/** `undefined` when the user cancelled a step. */
export async function resolveCheckpointFolders(args: readonly unknown[]): Promise<CheckpointFolders | undefined> {
  const [inArg, rlArg, baseArg] = args.slice(0, 3).map(toFolderPath);
  const pair = await pickMissing(inArg, rlArg);
  if (!pair) return undefined;
  const { inDir, rlDir } = pair;
  // Callers that pass IN and RL decide about Base themselves; only the interactive path asks.
  if (baseArg !== undefined || (inArg !== undefined && rlArg !== undefined)) {
    return baseArg === undefined ? { inDir, rlDir } : { inDir, rlDir, baseDir: baseArg };
  }
  const baseDir = await askForBase();
  if (baseDir === null) return undefined;
  return baseDir === undefined ? { inDir, rlDir } : { inDir, rlDir, baseDir };
}

/**
 * IN and RL for a merge: the first two arguments, or (when there are none) the pair of the last
 * comparison, offered first, or folder dialogs. `undefined` when the user cancelled a step.
 */
export async function resolveCheckpointPair(args: readonly unknown[], lastComparison: CheckpointPair | undefined): Promise<CheckpointPair | undefined> {
  const [inArg, rlArg] = args.slice(0, 2).map(toFolderPath);
  if (inArg === undefined && rlArg === undefined && lastComparison) {
    const reuse = await askToReuse(lastComparison);
    if (reuse === undefined) return undefined;
    if (reuse) return lastComparison;
  }
  return pickMissing(inArg, rlArg);
}

async function pickMissing(inArg: string | undefined, rlArg: string | undefined): Promise<CheckpointPair | undefined> {
  const inDir = inArg ?? (await pickFolder(vscode.l10n.t('Frankenlens: SFT checkpoint (IN)'), vscode.l10n.t('Use as IN')));
  if (inDir === undefined) return undefined;
  const rlDir = rlArg ?? (await pickFolder(vscode.l10n.t('Frankenlens: RL checkpoint trained from IN'), vscode.l10n.t('Use as RL')));
  if (rlDir === undefined) return undefined;
  return { inDir, rlDir };
}

/** Whether to use the last comparison's pair; `undefined` when the user cancelled. */
async function askToReuse(pair: CheckpointPair): Promise<boolean | undefined> {
  const reuse = {
    label: vscode.l10n.t('{0} and {1} (the last comparison)', basename(pair.inDir), basename(pair.rlDir)),
    detail: vscode.l10n.t('IN {0} · RL {1}', pair.inDir, pair.rlDir),
  };
  const choose = { label: vscode.l10n.t('Choose IN and RL folders…') };
  const answer = await vscode.window.showQuickPick([reuse, choose], { title: vscode.l10n.t('Frankenlens: IN and RL checkpoints') });
  return answer === undefined ? undefined : answer === reuse;
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

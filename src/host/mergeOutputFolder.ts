/** Where merged checkpoints go unless the user says otherwise. */
import { dirname, isAbsolute, join, resolve } from 'node:path';
import * as vscode from 'vscode';
import type { CheckpointPair } from './checkpointFolders';

/** `<workspace>/<resultsFolder>/merges`, or `merges` beside IN when no local folder is open. */
export function defaultMergesFolder(resultsFolder: string, pair: CheckpointPair): string {
  const root = vscode.workspace.workspaceFolders?.[0];
  if (!root || root.uri.scheme !== 'file') return join(dirname(pair.inDir), 'merges');
  return resolve(root.uri.fsPath, resultsFolder, 'merges');
}

/** A typed path: absolute as is, relative to the first workspace folder (or the current directory). */
export function resolveTypedPath(text: string): string {
  const root = vscode.workspace.workspaceFolders?.[0];
  const trimmed = text.trim();
  return isAbsolute(trimmed) || !root || root.uri.scheme !== 'file' ? resolve(trimmed) : resolve(root.uri.fsPath, trimmed);
}

import { resolve } from 'node:path';
import * as vscode from 'vscode';

/** The `frankenlens.*` settings, checked once here so handlers never see a malformed value. */
export interface FrankenlensSettings {
  /** Worker threads for weight analyses; 0 means every core. */
  threads: number;
  /** Results folder, relative to the first workspace folder (or absolute). */
  resultsFolder: string;
  /** Whether checkpoint paths in training code get CodeLenses. */
  codeLensEnabled: boolean;
}

const DEFAULTS: FrankenlensSettings = { threads: 0, resultsFolder: '.frankenlens', codeLensEnabled: true };

export function readSettings(): FrankenlensSettings {
  const configuration = vscode.workspace.getConfiguration('frankenlens');
  const threads = configuration.get<unknown>('threads');
  const resultsFolder = configuration.get<unknown>('resultsFolder');
  const codeLensEnabled = configuration.get<unknown>('codeLens.enabled');
  return {
    threads: Number.isSafeInteger(threads) && (threads as number) >= 0 ? (threads as number) : DEFAULTS.threads,
    resultsFolder: typeof resultsFolder === 'string' && resultsFolder.trim() !== '' ? resultsFolder.trim() : DEFAULTS.resultsFolder,
    codeLensEnabled: typeof codeLensEnabled === 'boolean' ? codeLensEnabled : DEFAULTS.codeLensEnabled,
  };
}

/** The results folder as an absolute path; undefined when no local workspace folder is open. */
export function resultsFolderPath(settings: FrankenlensSettings = readSettings()): string | undefined {
  const root = vscode.workspace.workspaceFolders?.[0];
  if (!root || root.uri.scheme !== 'file') return undefined;
  return resolve(root.uri.fsPath, settings.resultsFolder);
}

import * as vscode from 'vscode';

/** The `frankenlens.*` settings, checked once here so handlers never see a malformed value. */
export interface FrankenlensSettings {
  /** Worker threads for weight analyses; 0 means every core. */
  threads: number;
  /** Results folder, relative to the first workspace folder (or absolute). */
  resultsFolder: string;
}

const DEFAULTS: FrankenlensSettings = { threads: 0, resultsFolder: '.frankenlens' };

export function readSettings(): FrankenlensSettings {
  const configuration = vscode.workspace.getConfiguration('frankenlens');
  const threads = configuration.get<unknown>('threads');
  const resultsFolder = configuration.get<unknown>('resultsFolder');
  return {
    threads: Number.isSafeInteger(threads) && (threads as number) >= 0 ? (threads as number) : DEFAULTS.threads,
    resultsFolder: typeof resultsFolder === 'string' && resultsFolder.trim() !== '' ? resultsFolder.trim() : DEFAULTS.resultsFolder,
  };
}

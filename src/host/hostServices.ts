import type * as vscode from 'vscode';

/** What every lazily loaded handler gets from activation. */
export interface HostServices {
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
}

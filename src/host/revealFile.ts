import { extname } from 'node:path';
import * as vscode from 'vscode';

/** JSON files (config, shard index) open in an editor; binary shards and folders are revealed instead. */
export async function revealFile(uri: vscode.Uri, log: vscode.LogOutputChannel): Promise<void> {
  try {
    if (extname(uri.fsPath) === '.json') {
      await vscode.window.showTextDocument(uri);
    } else if (vscode.workspace.getWorkspaceFolder(uri)) {
      await vscode.commands.executeCommand('revealInExplorer', uri);
    } else {
      await vscode.commands.executeCommand('revealFileInOS', uri);
    }
  } catch (error) {
    // Revealing is a convenience (the file may be gone, or the OS shell unreachable over remote).
    log.warn(`could not reveal ${uri.fsPath}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

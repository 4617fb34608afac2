/**
 * One set of file watchers for everything the views and lenses show: checkpoint configs and shard
 * indexes anywhere in the workspace, and the results folder (comparisons, and merges, which appear
 * as a renamed folder and so raise no config.json event of their own). Events are debounced: a
 * merge or a git checkout touches many files at once. Granting workspace trust is a change too: in
 * an untrusted workspace the views and lenses read no checkpoint files and say trust is needed.
 */
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import type { CheckpointHeaders } from './checkpointHeaders';
import { Disposable } from './dispose';
import { readSettings, resultsFolderPath } from './settings';

const DEBOUNCE_MS = 300;

/** VS Code's own command that opens the workspace trust editor. */
export const MANAGE_TRUST_COMMAND = 'workbench.trust.manage';

/** The one row a view shows in an untrusted workspace: what trust would show, and a click to grant it. */
export function trustTreeItem(label: string, tooltip: string): vscode.TreeItem {
  const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
  item.tooltip = tooltip;
  item.iconPath = new vscode.ThemeIcon('shield');
  item.command = { command: MANAGE_TRUST_COMMAND, title: vscode.l10n.t('Manage Workspace Trust') };
  return item;
}

export class CheckpointFilesWatcher extends Disposable {
  private readonly changedEmitter = this._register(new vscode.EventEmitter<void>());
  /** Checkpoint folders or saved results changed (or the settings that locate them). */
  readonly onDidChange = this.changedEmitter.event;
  private resultsWatcher: vscode.FileSystemWatcher | undefined;
  private pending: NodeJS.Timeout | undefined;

  static register(headers: CheckpointHeaders): CheckpointFilesWatcher {
    return new CheckpointFilesWatcher(headers);
  }

  private constructor(private readonly headers: CheckpointHeaders) {
    super();
    for (const pattern of ['**/config.json', '**/*.safetensors.index.json']) {
      const watcher = this._register(vscode.workspace.createFileSystemWatcher(pattern));
      const changed = (uri: vscode.Uri) => {
        this.headers.forget(dirname(uri.fsPath));
        this.schedule();
      };
      this._register(watcher.onDidCreate(changed));
      this._register(watcher.onDidChange(changed));
      this._register(watcher.onDidDelete(changed));
    }
    this.watchResultsFolder();
    this._register(
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.headers.forget();
        this.changedEmitter.fire();
      }),
    );
    this._register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('frankenlens.resultsFolder')) this.watchResultsFolder();
        if (event.affectsConfiguration('frankenlens')) this.schedule();
      }),
    );
    this._register({ dispose: () => this.resultsWatcher?.dispose() });
    this._register({ dispose: () => clearTimeout(this.pending) });
  }

  /** Fires the change event soon, once for a burst of file events. */
  schedule(): void {
    clearTimeout(this.pending);
    this.pending = setTimeout(() => this.changedEmitter.fire(), DEBOUNCE_MS);
  }

  private watchResultsFolder(): void {
    this.resultsWatcher?.dispose();
    this.resultsWatcher = undefined;
    const folder = resultsFolderPath(readSettings());
    if (folder === undefined) return;
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(folder), '**'));
    const changed = (uri: vscode.Uri) => {
      // A merged checkpoint appears as a whole folder: forget whatever was read below the results folder.
      if (uri.fsPath !== folder) this.headers.forget();
      this.schedule();
    };
    watcher.onDidCreate(changed);
    watcher.onDidChange(changed);
    watcher.onDidDelete(changed);
    this.resultsWatcher = watcher;
  }
}

/**
 * The Analyses view: the comparisons (`diff.json`) and merges (`frankenlens-merge.json`) saved in the
 * results folder. A comparison opens in the diff panel, a merge's provenance record as JSON.
 */
import { readdirSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import * as vscode from 'vscode';
import { DIFF_JSON } from '../core/diff/writeDiffJson';
import { ANALYSES_VIEW, OPEN_DIFF_RESULT_COMMAND } from './contributionIds';
import { Disposable } from './dispose';
import type { WorkspaceCheckpointServices } from './hostServices';
import { resultsFolderPath } from './settings';

const MERGE_RECORD = 'frankenlens-merge.json';

interface AnalysisNode {
  file: string;
  kind: 'comparison' | 'merge';
}

/** Analysis files below `folder`, sorted by path; a missing folder has none. */
export function findAnalysisFiles(folder: string): AnalysisNode[] {
  try {
    return readdirSync(folder, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && (entry.name === DIFF_JSON || entry.name === MERGE_RECORD))
      .map((entry): AnalysisNode => ({ file: join(entry.parentPath, entry.name), kind: entry.name === DIFF_JSON ? 'comparison' : 'merge' }))
      .sort((a, b) => a.file.localeCompare(b.file));
  } catch {
    return [];
  }
}

export class AnalysesTreeProvider extends Disposable implements vscode.TreeDataProvider<AnalysisNode> {
  private readonly changedEmitter = this._register(new vscode.EventEmitter<void>());
  readonly onDidChangeTreeData = this.changedEmitter.event;

  static register(services: WorkspaceCheckpointServices): AnalysesTreeProvider {
    const provider = new AnalysesTreeProvider(services);
    provider._register(vscode.window.registerTreeDataProvider(ANALYSES_VIEW, provider));
    return provider;
  }

  private constructor(services: WorkspaceCheckpointServices) {
    super();
    this._register(services.watcher.onDidChange(() => this.changedEmitter.fire()));
  }

  refresh(): void {
    this.changedEmitter.fire();
  }

  getChildren(element?: AnalysisNode): AnalysisNode[] {
    if (element) return [];
    const folder = resultsFolderPath();
    return folder === undefined ? [] : findAnalysisFiles(folder);
  }

  getTreeItem({ file, kind }: AnalysisNode): vscode.TreeItem {
    const folder = resultsFolderPath();
    const uri = vscode.Uri.file(file);
    const item = new vscode.TreeItem(basename(dirname(file)), vscode.TreeItemCollapsibleState.None);
    item.id = file;
    item.description = kind === 'comparison' ? vscode.l10n.t('comparison') : vscode.l10n.t('merge');
    item.tooltip = folder === undefined ? file : relative(folder, file);
    item.contextValue = kind;
    item.iconPath = new vscode.ThemeIcon(kind === 'comparison' ? 'graph-line' : 'git-merge');
    item.command =
      kind === 'comparison'
        ? { command: OPEN_DIFF_RESULT_COMMAND, title: vscode.l10n.t('Open Comparison'), arguments: [uri] }
        : { command: 'vscode.open', title: vscode.l10n.t('Open Merge Record'), arguments: [uri] };
    return item;
  }
}

/**
 * The Checkpoints view: every Hugging Face checkpoint folder in the workspace (merged ones under the
 * results folder included), with its role and header facts. Headers are read when a row is drawn.
 */
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import { isCheckpointFolder } from '../core/workspace/checkpointPaths';
import { checkpointTooltip, checkpointTreeDescription } from './checkpointDescription';
import { ROLE_LABELS } from './checkpointRoles';
import { CHECKPOINTS_VIEW } from './contributionIds';
import { Disposable } from './dispose';
import type { WorkspaceCheckpointServices } from './hostServices';

const MAX_CONFIG_FILES = 200;

/** A row of the view; role commands get it as their argument from the row's context menu. */
export interface CheckpointNode {
  kind: 'checkpoint';
  folder: string;
}

export function isCheckpointNode(value: unknown): value is CheckpointNode {
  return typeof value === 'object' && value !== null && (value as CheckpointNode).kind === 'checkpoint' && typeof (value as CheckpointNode).folder === 'string';
}

/** Checkpoint folders in the workspace, sorted by path. */
export async function findWorkspaceCheckpoints(): Promise<string[]> {
  const configs = await vscode.workspace.findFiles('**/config.json', '**/{node_modules,.git}/**', MAX_CONFIG_FILES);
  const folders = new Set(configs.filter((uri) => uri.scheme === 'file').map((uri) => dirname(uri.fsPath)));
  return [...folders].filter(isCheckpointFolder).sort();
}

export class CheckpointTreeProvider extends Disposable implements vscode.TreeDataProvider<CheckpointNode> {
  private readonly changedEmitter = this._register(new vscode.EventEmitter<void>());
  readonly onDidChangeTreeData = this.changedEmitter.event;

  static register(services: WorkspaceCheckpointServices): CheckpointTreeProvider {
    const provider = new CheckpointTreeProvider(services);
    provider._register(vscode.window.registerTreeDataProvider(CHECKPOINTS_VIEW, provider));
    return provider;
  }

  private constructor(private readonly services: WorkspaceCheckpointServices) {
    super();
    this._register(services.watcher.onDidChange(() => this.changedEmitter.fire()));
    this._register(services.roles.onDidChange(() => this.changedEmitter.fire()));
  }

  /** The refresh button: read every header again. */
  refresh(): void {
    this.services.headers.forget();
    this.changedEmitter.fire();
  }

  async getChildren(element?: CheckpointNode): Promise<CheckpointNode[]> {
    if (element) return [];
    return (await findWorkspaceCheckpoints()).map((folder) => ({ kind: 'checkpoint', folder }));
  }

  getTreeItem({ folder }: CheckpointNode): vscode.TreeItem {
    const uri = vscode.Uri.file(folder);
    const relative = vscode.workspace.asRelativePath(uri, false);
    const item = new vscode.TreeItem(relative === folder ? basename(folder) : relative, vscode.TreeItemCollapsibleState.None);
    const role = this.services.roles.roleOf(folder);
    const roleLabel = role === undefined ? null : ROLE_LABELS[role];
    const header = this.services.headers.read(folder);
    item.id = folder;
    item.resourceUri = uri;
    item.contextValue = 'checkpoint';
    if ('info' in header) {
      item.description = checkpointTreeDescription(header.info, roleLabel);
      item.tooltip = checkpointTooltip(folder, header.info, roleLabel);
      item.iconPath = new vscode.ThemeIcon(role === undefined ? 'package' : 'pass-filled');
    } else {
      item.description = [roleLabel, vscode.l10n.t('unreadable')].filter((part) => part !== null).join(' · ');
      item.tooltip = header.error;
      item.iconPath = new vscode.ThemeIcon('warning');
    }
    return item;
  }
}

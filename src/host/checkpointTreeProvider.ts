/**
 * The Checkpoints view: every Hugging Face checkpoint folder in the workspace (merged ones under the
 * results folder included), with its role and header facts. Headers are read when a row is drawn,
 * with fs/promises; in an untrusted workspace nothing is read and one row asks for trust instead.
 */
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import { isCheckpointFolderAsync } from '../core/workspace/checkpointPaths';
import { checkpointTooltip, checkpointTreeDescription } from './checkpointDescription';
import { ROLE_LABELS } from './checkpointRoles';
import { trustTreeItem } from './checkpointFilesWatcher';
import { CHECKPOINTS_VIEW } from './contributionIds';
import { Disposable } from './dispose';
import type { WorkspaceCheckpointServices } from './hostServices';

const MAX_CONFIG_FILES = 200;

/** A row of the view; role commands get it as their argument from the row's context menu. */
export interface CheckpointNode {
  kind: 'checkpoint';
  folder: string;
}

/** The one row of an untrusted workspace. */
interface TrustNode {
  kind: 'trust';
}

export function isCheckpointNode(value: unknown): value is CheckpointNode {
  return typeof value === 'object' && value !== null && (value as CheckpointNode).kind === 'checkpoint' && typeof (value as CheckpointNode).folder === 'string';
}

/** Checkpoint folders in the workspace, sorted by path. */
export async function findWorkspaceCheckpoints(): Promise<string[]> {
  const configs = await vscode.workspace.findFiles('**/config.json', '**/{node_modules,.git}/**', MAX_CONFIG_FILES);
  const folders = [...new Set(configs.filter((uri) => uri.scheme === 'file').map((uri) => dirname(uri.fsPath)))];
  const isCheckpoint = await Promise.all(folders.map(isCheckpointFolderAsync));
  return folders.filter((_, i) => isCheckpoint[i]).sort();
}

export class CheckpointTreeProvider extends Disposable implements vscode.TreeDataProvider<CheckpointNode | TrustNode> {
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

  async getChildren(element?: CheckpointNode | TrustNode): Promise<(CheckpointNode | TrustNode)[]> {
    if (element) return [];
    if (!vscode.workspace.isTrusted) return [{ kind: 'trust' }];
    return (await findWorkspaceCheckpoints()).map((folder) => ({ kind: 'checkpoint', folder }));
  }

  async getTreeItem(node: CheckpointNode | TrustNode): Promise<vscode.TreeItem> {
    if (node.kind === 'trust') return trustItem();
    const { folder } = node;
    const uri = vscode.Uri.file(folder);
    const relative = vscode.workspace.asRelativePath(uri, false);
    const item = new vscode.TreeItem(relative === folder ? basename(folder) : relative, vscode.TreeItemCollapsibleState.None);
    const role = this.services.roles.roleOf(folder);
    const roleLabel = role === undefined ? null : ROLE_LABELS[role];
    const header = await this.services.headers.read(folder);
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

/** Checkpoint files come from anywhere (a downloaded repository, a hub cache): read them only once trusted. */
function trustItem(): vscode.TreeItem {
  return trustTreeItem(vscode.l10n.t('Trust this workspace to list its checkpoints'), vscode.l10n.t('Frankenlens reads no checkpoint files in an untrusted workspace.'));
}

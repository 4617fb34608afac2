/**
 * The Analyses view: the comparisons (`diff.json`), spectral analyses (`spectral.json`), probe
 * summaries (`<probe>.summary.json`) and merges (`frankenlens-merge.json`) saved in the results
 * folder. Analyses open in the panel, a merge's provenance record as JSON. The folder is listed with
 * fs/promises; in an untrusted workspace it is not read, and one row asks for trust instead.
 */
import { readdir } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import * as vscode from 'vscode';
import { DIFF_JSON } from '../core/diff/writeDiffJson';
import { SPECTRAL_JSON } from '../core/spectral/writeSpectralJson';
import { trustTreeItem } from './checkpointFilesWatcher';
import { ANALYSES_VIEW, OPEN_DIFF_RESULT_COMMAND } from './contributionIds';
import { Disposable } from './dispose';
import type { WorkspaceCheckpointServices } from './hostServices';
import { resultsFolderPath } from './settings';

const MERGE_RECORD = 'frankenlens-merge.json';

type AnalysisKind = 'comparison' | 'spectra' | 'probe' | 'variants' | 'merge';

interface AnalysisNode {
  file: string;
  kind: AnalysisKind;
}

/** The one row of an untrusted workspace. */
interface TrustNode {
  kind: 'trust';
}

function analysisKind(fileName: string): AnalysisKind | undefined {
  if (fileName === DIFF_JSON) return 'comparison';
  if (fileName === SPECTRAL_JSON) return 'spectra';
  if (fileName === MERGE_RECORD) return 'merge';
  if (fileName === 'variants.summary.json') return 'variants';
  return fileName.endsWith('.summary.json') ? 'probe' : undefined;
}

/** Analysis files below `folder`, sorted by path; a missing folder has none. */
export async function findAnalysisFiles(folder: string): Promise<AnalysisNode[]> {
  try {
    return (await readdir(folder, { recursive: true, withFileTypes: true }))
      .flatMap((entry): AnalysisNode[] => {
        const kind = entry.isFile() ? analysisKind(entry.name) : undefined;
        return kind === undefined ? [] : [{ file: join(entry.parentPath, entry.name), kind }];
      })
      .sort((a, b) => a.file.localeCompare(b.file));
  } catch {
    return [];
  }
}

const ICONS: Record<AnalysisKind, string> = { comparison: 'graph-line', spectra: 'pulse', probe: 'beaker', variants: 'checklist', merge: 'git-merge' };

export class AnalysesTreeProvider extends Disposable implements vscode.TreeDataProvider<AnalysisNode | TrustNode> {
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

  async getChildren(element?: AnalysisNode | TrustNode): Promise<(AnalysisNode | TrustNode)[]> {
    if (element) return [];
    if (!vscode.workspace.isTrusted) return [{ kind: 'trust' }];
    const folder = resultsFolderPath();
    return folder === undefined ? [] : findAnalysisFiles(folder);
  }

  getTreeItem(node: AnalysisNode | TrustNode): vscode.TreeItem {
    if (node.kind === 'trust') return trustItem();
    const { file, kind } = node;
    const folder = resultsFolderPath();
    const uri = vscode.Uri.file(file);
    const label = kind === 'probe' && basename(file) !== 'variants.summary.json' ? `${basename(dirname(file))} · ${basename(file, '.summary.json')}` : basename(dirname(file));
    const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
    item.id = file;
    const descriptions: Record<AnalysisKind, string> = {
      comparison: vscode.l10n.t('comparison'),
      spectra: vscode.l10n.t('spectra'),
      probe: vscode.l10n.t('probe'),
      variants: vscode.l10n.t('variant scores'),
      merge: vscode.l10n.t('merge'),
    };
    item.description = descriptions[kind];
    item.tooltip = folder === undefined ? file : relative(folder, file);
    item.contextValue = kind;
    item.iconPath = new vscode.ThemeIcon(ICONS[kind]);
    item.command =
      kind === 'merge'
        ? { command: 'vscode.open', title: vscode.l10n.t('Open Merge Record'), arguments: [uri] }
        : { command: OPEN_DIFF_RESULT_COMMAND, title: vscode.l10n.t('Open Analysis'), arguments: [uri] };
    return item;
  }
}

function trustItem(): vscode.TreeItem {
  return trustTreeItem(vscode.l10n.t('Trust this workspace to list saved analyses'), vscode.l10n.t('Frankenlens reads no workspace files in an untrusted workspace.'));
}

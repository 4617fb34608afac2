/**
 * CodeLenses above checkpoint paths in training code and configs: the checkpoint's architecture,
 * layers and dtype (headers only), and the layers RL changed most when a saved comparison has it as
 * IN or RL. Lenses are cached per document version and recomputed when checkpoints, results, roles
 * or settings change.
 */
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import { findPathMentions, isCheckpointFolder, resolveMention } from '../core/workspace/checkpointPaths';
import { checkpointHeadline } from './checkpointDescription';
import { COMPARE_WITH_IN_COMMAND, OPEN_DIFF_RESULT_COMMAND } from './contributionIds';
import { comparisonFor } from './diffResultIndex';
import { Disposable } from './dispose';
import type { WorkspaceCheckpointServices } from './hostServices';
import { readSettings, resultsFolderPath } from './settings';

export const CHECKPOINT_LENS_SELECTOR: vscode.DocumentSelector = [
  { scheme: 'file', pattern: '**/*.{py,yaml,yml,json,sh,toml}' },
];

/** Enough for any real config; a generated file with thousands of paths is not worth stat-ing. */
const MAX_MENTIONS = 200;

interface FolderMention {
  range: vscode.Range;
  folder: string;
}

export class CheckpointCodeLensProvider extends Disposable implements vscode.CodeLensProvider {
  private readonly changedEmitter = this._register(new vscode.EventEmitter<void>());
  readonly onDidChangeCodeLenses = this.changedEmitter.event;
  /** Mentions resolved to checkpoint folders, per document URI and version: the disk checks are the cost. */
  private readonly mentions = new Map<string, { version: number; mentions: FolderMention[] }>();

  static register(services: WorkspaceCheckpointServices): CheckpointCodeLensProvider {
    const provider = new CheckpointCodeLensProvider(services);
    provider._register(vscode.languages.registerCodeLensProvider(CHECKPOINT_LENS_SELECTOR, provider));
    return provider;
  }

  private constructor(private readonly services: WorkspaceCheckpointServices) {
    super();
    const refresh = () => {
      this.mentions.clear();
      this.changedEmitter.fire();
    };
    this._register(services.watcher.onDidChange(refresh));
    this._register(services.roles.onDidChange(refresh));
    this._register(vscode.workspace.onDidCloseTextDocument((document) => this.mentions.delete(document.uri.toString())));
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!readSettings().codeLensEnabled) return [];
    const mentions = this.checkpointMentions(document);
    if (mentions.length === 0) return [];
    const resultsFolder = resultsFolderPath();
    const comparisons = resultsFolder === undefined ? [] : this.services.diffResults.comparisons(resultsFolder);
    return mentions.flatMap(({ range, folder }) => this.lenses(range, folder, comparisonFor(comparisons, folder)));
  }

  private lenses(range: vscode.Range, folder: string, comparison: ReturnType<typeof comparisonFor>): vscode.CodeLens[] {
    const header = this.services.headers.read(folder);
    const headline =
      'info' in header ? `Frankenlens: ${checkpointHeadline(header.info)}` : vscode.l10n.t('Frankenlens: unreadable checkpoint ({0})', header.error);
    const lenses = [new vscode.CodeLens(range, { title: headline, command: 'revealInExplorer', arguments: [vscode.Uri.file(folder)] })];
    if (comparison) {
      const layers = comparison.topChangedHfLayers;
      lenses.push(
        new vscode.CodeLens(range, {
          title: layers.length === 0 ? vscode.l10n.t('RL changed no decoder layer') : vscode.l10n.t('top changed: layers {0}', layers.join(', ')),
          tooltip: vscode.l10n.t('Open the saved comparison {0}', comparison.file),
          command: OPEN_DIFF_RESULT_COMMAND,
          arguments: [vscode.Uri.file(comparison.file)],
        }),
      );
    } else if (this.services.roles.folder('in') !== undefined && this.services.roles.roleOf(folder) !== 'in') {
      lenses.push(new vscode.CodeLens(range, { title: vscode.l10n.t('Compare with IN'), command: COMPARE_WITH_IN_COMMAND, arguments: [vscode.Uri.file(folder)] }));
    }
    return lenses;
  }

  private checkpointMentions(document: vscode.TextDocument): FolderMention[] {
    const key = document.uri.toString();
    const cached = this.mentions.get(key);
    if (cached?.version === document.version) return cached.mentions;
    const baseFolders = [dirname(document.uri.fsPath), ...(vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.fsPath)];
    const seen = new Set<string>();
    const mentions: FolderMention[] = [];
    for (const mention of findPathMentions(document.getText()).slice(0, MAX_MENTIONS)) {
      const folder = resolveMention(mention.text, baseFolders).find(isCheckpointFolder);
      if (folder === undefined) continue;
      const start = document.positionAt(mention.start);
      // One set of lenses per checkpoint and line, however often the line names it.
      const lineKey = `${start.line}\0${folder}`;
      if (seen.has(lineKey)) continue;
      seen.add(lineKey);
      mentions.push({ range: new vscode.Range(start, document.positionAt(mention.end)), folder });
    }
    this.mentions.set(key, { version: document.version, mentions });
    return mentions;
  }
}

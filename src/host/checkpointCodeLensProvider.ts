/**
 * CodeLenses above checkpoint paths in training code and configs: the checkpoint's architecture,
 * layers and dtype (headers only), and the layers RL changed most when a saved comparison has it as
 * IN or RL. Lenses are cached per document version and recomputed when checkpoints, results, roles,
 * settings or workspace trust change. The disk is read with fs/promises; in an untrusted workspace
 * not at all, and one lens asks for trust instead.
 */
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import { findPathMentions, isCheckpointFolderAsync, resolveMention } from '../core/workspace/checkpointPaths';
import { checkpointHeadline } from './checkpointDescription';
import { MANAGE_TRUST_COMMAND } from './checkpointFilesWatcher';
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
  private readonly mentions = new Map<string, { version: number; mentions: Promise<FolderMention[]> }>();

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

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    if (!readSettings().codeLensEnabled) return [];
    if (!vscode.workspace.isTrusted) return trustLens(document);
    const mentions = await this.checkpointMentions(document);
    if (mentions.length === 0) return [];
    const resultsFolder = resultsFolderPath();
    const comparisons = resultsFolder === undefined ? [] : await this.services.diffResults.comparisons(resultsFolder);
    const lenses = await Promise.all(mentions.map(({ range, folder }) => this.lenses(range, folder, comparisonFor(comparisons, folder))));
    return lenses.flat();
  }

  private async lenses(range: vscode.Range, folder: string, comparison: ReturnType<typeof comparisonFor>): Promise<vscode.CodeLens[]> {
    const header = await this.services.headers.read(folder);
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

  private checkpointMentions(document: vscode.TextDocument): Promise<FolderMention[]> {
    const key = document.uri.toString();
    const cached = this.mentions.get(key);
    if (cached?.version === document.version) return cached.mentions;
    const mentions = this.findCheckpointMentions(document);
    this.mentions.set(key, { version: document.version, mentions });
    return mentions;
  }

  private async findCheckpointMentions(document: vscode.TextDocument): Promise<FolderMention[]> {
    const baseFolders = [dirname(document.uri.fsPath), ...(vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.fsPath)];
    const seen = new Set<string>();
    const mentions: FolderMention[] = [];
    for (const mention of findPathMentions(document.getText()).slice(0, MAX_MENTIONS)) {
      const folder = await firstCheckpointFolder(resolveMention(mention.text, baseFolders));
      if (folder === undefined) continue;
      const start = document.positionAt(mention.start);
      // One set of lenses per checkpoint and line, however often the line names it.
      const lineKey = `${start.line}\0${folder}`;
      if (seen.has(lineKey)) continue;
      seen.add(lineKey);
      mentions.push({ range: new vscode.Range(start, document.positionAt(mention.end)), folder });
    }
    return mentions;
  }
}

async function firstCheckpointFolder(candidates: string[]): Promise<string | undefined> {
  for (const candidate of candidates) {
    if (await isCheckpointFolderAsync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * One lens above the first path in an untrusted workspace: whether a path is a checkpoint is not
 * even looked up (that reads the disk), so it says what trusting the workspace would show.
 */
function trustLens(document: vscode.TextDocument): vscode.CodeLens[] {
  const [first] = findPathMentions(document.getText());
  if (first === undefined) return [];
  const range = new vscode.Range(document.positionAt(first.start), document.positionAt(first.end));
  return [new vscode.CodeLens(range, { title: vscode.l10n.t('Frankenlens: trust this workspace to see checkpoint facts'), command: MANAGE_TRUST_COMMAND })];
}

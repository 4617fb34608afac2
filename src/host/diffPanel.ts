/**
 * The panel that shows one comparison's charts. One panel at a time: a new comparison replaces
 * the content of the open one.
 *
 * Handshake: the page posts `ready` whenever its script starts (first load, and again each time
 * VS Code rebuilds a hidden webview), and the host answers with the current content, so content
 * posted while the page was not listening is never lost.
 */
import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { DiffResult } from '../core/diff/diffResult';
import {
  isFromPanelMessage,
  type ExportChartMessage,
  type FreezeLayerRangeMessage,
  type FromPanel,
  type LayerTensorsRequest,
  type MergeLayerRangeMessage,
  type ToPanel,
  type ToPanelAnswer,
} from '../../webview/protocol';
import { defaultExportPath, exportBytes } from './chartExportFile';
import type { CheckpointPair } from './checkpointFolders';
import { DIFF_PANEL_VIEW_TYPE, FREEZE_LAYER_RANGE_COMMAND, MERGE_LAYER_RANGE_COMMAND } from './contributionIds';
import { loadDiffResult } from './diffResultFile';
import { Disposable } from './dispose';
import type { HostServices } from './hostServices';
import { layerTensors } from './layerTensors';
import { panelResourceRoots, renderPanelHtml } from './renderPanelHtml';
import { resultBehind } from './showDiffMessage';

export class DiffPanel extends Disposable {
  static readonly viewType = DIFF_PANEL_VIEW_TYPE;
  private static current: DiffPanel | undefined;

  /** Shows `content` in the open panel, or opens one in the active editor group. */
  static createOrShow(services: HostServices, content: ToPanel, title: string): DiffPanel {
    if (DiffPanel.current) {
      DiffPanel.current.show(content, title);
      DiffPanel.current.panel.reveal();
      return DiffPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(DiffPanel.viewType, title, vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: panelResourceRoots(services.extensionUri),
    });
    DiffPanel.current = new DiffPanel(panel, services, content);
    return DiffPanel.current;
  }

  /** IN and RL of the comparison the open panel shows; undefined when none is open or it shows an error. */
  static currentPair(): CheckpointPair | undefined {
    return DiffPanel.current?.pair();
  }

  /** Takes over a panel VS Code restored after a reload. */
  static revive(panel: vscode.WebviewPanel, services: HostServices, content: ToPanel): DiffPanel {
    DiffPanel.current?.dispose();
    panel.webview.options = { enableScripts: true, localResourceRoots: panelResourceRoots(services.extensionUri) };
    DiffPanel.current = new DiffPanel(panel, services, content);
    return DiffPanel.current;
  }

  /** The result read back from `diff.json` when the content was built elsewhere (kept for the next look-up). */
  private loadedResult: { file: string; result: Promise<DiffResult> } | undefined;

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly services: HostServices,
    private content: ToPanel,
  ) {
    super();
    panel.webview.html = renderPanelHtml(panel.webview, services.extensionUri, {
      title: panel.title,
      script: 'webview.js',
      stylesheets: ['panel.css'],
    });
    this._register(panel.onDidDispose(() => this.dispose()));
    this._register(panel.webview.onDidReceiveMessage((message: unknown) => this.receive(message)));
  }

  override dispose(): void {
    if (DiffPanel.current === this) DiffPanel.current = undefined;
    super.dispose();
    this.panel.dispose();
  }

  private show(content: ToPanel, title: string): void {
    this.content = content;
    this.loadedResult = undefined;
    this.panel.title = title;
    void this.panel.webview.postMessage(content);
  }

  private receive(message: unknown): void {
    if (!isFromPanelMessage(message)) {
      this.services.log.warn(`diff panel: ignored a malformed message ${JSON.stringify(message)?.slice(0, 200)}`);
      return;
    }
    this.handle(message);
  }

  private handle(message: FromPanel): void {
    switch (message.type) {
      case 'ready':
        void this.panel.webview.postMessage(this.content);
        break;
      case 'layerRangeSelected':
        this.services.log.info(`diff panel: unified layers ${message.startUnified}..${message.endUnified} selected`);
        break;
      case 'mergeLayerRange':
      case 'freezeLayerRange':
        this.runOnPanelPair(message);
        break;
      case 'layerTensors':
        void this.answerLayerTensors(message);
        break;
      case 'exportChart':
        void this.exportChart(message);
        break;
    }
  }

  private answer(message: ToPanelAnswer): void {
    void this.panel.webview.postMessage(message);
  }

  /** The whole result the panel shows: the one its content was built from, else `diff.json` read again. */
  private async shownResult(): Promise<DiffResult | undefined> {
    if (this.content.type !== 'showDiff') return undefined;
    const behind = resultBehind(this.content);
    if (behind) return behind;
    const file = this.content.resultFile;
    if (file === null) return undefined;
    if (this.loadedResult?.file !== file) this.loadedResult = { file, result: loadDiffResult(file) };
    return this.loadedResult.result;
  }

  private async answerLayerTensors(message: LayerTensorsRequest): Promise<void> {
    try {
      const result = await this.shownResult();
      if (!result) {
        this.services.log.warn('diff panel: layerTensors ignored, the panel shows no comparison');
        return;
      }
      this.answer(layerTensors(result, message.requestId, message.unifiedLayer));
    } catch (error) {
      this.services.log.warn(`diff panel: cannot list the tensors of layer ${message.unifiedLayer}: ${error instanceof Error ? error.message : String(error)}`);
      this.answer({ type: 'layerTensors', requestId: message.requestId, unifiedLayer: message.unifiedLayer, layerName: String(message.unifiedLayer), tensors: [] });
    }
  }

  /** Asks where to save the chart (by default `<chart id>.<ext>` next to diff.json) and writes it. */
  private async exportChart(message: ExportChartMessage): Promise<void> {
    const resultFile = this.content.type === 'error' ? null : this.content.resultFile;
    const fallback = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const defaultPath = defaultExportPath(message, resultFile, fallback);
    const extension = defaultPath.slice(defaultPath.lastIndexOf('.') + 1);
    const target = await vscode.window.showSaveDialog({
      title: vscode.l10n.t('Export chart "{0}"', message.chartId),
      defaultUri: vscode.Uri.file(defaultPath),
      filters: { [extension.toUpperCase()]: [extension] },
    });
    if (!target) return;
    try {
      await vscode.workspace.fs.writeFile(target, exportBytes(message));
      this.services.log.info(`diff panel: exported ${message.chartId} (${message.format}) to ${target.fsPath}`);
      void vscode.window.showInformationMessage(vscode.l10n.t('Frankenlens: saved {0}', basename(target.fsPath)));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.services.log.error(`diff panel: cannot write ${target.fsPath}: ${reason}`);
      void vscode.window.showErrorMessage(vscode.l10n.t('Frankenlens: cannot save {0}: {1}', target.fsPath, reason));
    }
  }

  private pair(): CheckpointPair | undefined {
    return this.content.type === 'showDiff' ? { inDir: this.content.summary.in.path, rlDir: this.content.summary.rl.path } : undefined;
  }

  /** The paths come from what the host showed, never from the page: the message only names layers. */
  private runOnPanelPair(message: MergeLayerRangeMessage | FreezeLayerRangeMessage): void {
    const pair = this.pair();
    if (!pair) {
      this.services.log.warn(`diff panel: ${message.type} ignored, the panel shows no comparison`);
      return;
    }
    const command = message.type === 'mergeLayerRange' ? MERGE_LAYER_RANGE_COMMAND : FREEZE_LAYER_RANGE_COMMAND;
    // The command reports its own failures; RL into IN is what the merge button says.
    void vscode.commands.executeCommand(command, pair.inDir, pair.rlDir, { hfStart: message.hfStart, hfEnd: message.hfEnd }, ...(message.type === 'mergeLayerRange' ? ['rl'] : []));
  }
}

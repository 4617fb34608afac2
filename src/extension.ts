/**
 * Activation only wires commands and the panel serializer to their handlers. Handlers are loaded
 * with `await import(...)` on first use, so activating costs nothing until the user asks for work.
 */
import * as vscode from 'vscode';
import {
  COMPARE_CHECKPOINTS_COMMAND,
  DIFF_PANEL_VIEW_TYPE,
  FREEZE_LAYER_RANGE_COMMAND,
  MERGE_LAYER_RANGE_COMMAND,
  OUTPUT_CHANNEL_NAME,
  WRITE_THIRDS_VARIANTS_COMMAND,
} from './host/contributionIds';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel(OUTPUT_CHANNEL_NAME, { log: true });
  context.subscriptions.push(
    log,
    // Arguments (IN, RL, Base as paths or URIs) skip the folder dialogs: menus and tests use them.
    vscode.commands.registerCommand(COMPARE_CHECKPOINTS_COMMAND, async (...args: unknown[]) => {
      const { compareCheckpoints } = await import('./host/compareCheckpoints');
      await compareCheckpoints({ extensionUri: context.extensionUri, log }, args);
    }),
    // Arguments (IN, RL, then {hfStart, hfEnd} and for merges 'rl' or 'in') skip the questions: the panel's buttons use them.
    vscode.commands.registerCommand(MERGE_LAYER_RANGE_COMMAND, async (...args: unknown[]) => {
      const { mergeLayerRange } = await import('./host/mergeCommands');
      await mergeLayerRange({ extensionUri: context.extensionUri, log }, args);
    }),
    vscode.commands.registerCommand(FREEZE_LAYER_RANGE_COMMAND, async (...args: unknown[]) => {
      const { freezeLayerRange } = await import('./host/mergeCommands');
      await freezeLayerRange({ extensionUri: context.extensionUri, log }, args);
    }),
    vscode.commands.registerCommand(WRITE_THIRDS_VARIANTS_COMMAND, async (...args: unknown[]) => {
      const { writeThirdsVariants } = await import('./host/mergeCommands');
      await writeThirdsVariants({ extensionUri: context.extensionUri, log }, args);
    }),
    vscode.window.registerWebviewPanelSerializer(DIFF_PANEL_VIEW_TYPE, {
      async deserializeWebviewPanel(panel, state) {
        const { reviveDiffPanel } = await import('./host/reviveDiffPanel');
        await reviveDiffPanel({ extensionUri: context.extensionUri, log }, panel, state);
      },
    }),
  );
}

export function deactivate(): void {}

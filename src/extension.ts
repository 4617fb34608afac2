/**
 * Activation only wires commands, views, lenses and the panel serializer to their handlers.
 * Command handlers are loaded with `await import(...)` on first use; the views and lenses read
 * checkpoint headers only when a row or a lens is drawn.
 */
import * as vscode from 'vscode';
import { CheckpointCodeLensProvider } from './host/checkpointCodeLensProvider';
import { CheckpointFilesWatcher } from './host/checkpointFilesWatcher';
import { CheckpointHeaders } from './host/checkpointHeaders';
import { CheckpointRoles, type CheckpointRole } from './host/checkpointRoles';
import { CheckpointTreeProvider } from './host/checkpointTreeProvider';
import { AnalysesTreeProvider } from './host/analysesTreeProvider';
import { syncRoleContextKeys } from './host/contextKeys';
import {
  CHECK_GPU_COMMAND,
  COMPARE_CHECKPOINTS_COMMAND,
  COMPARE_IN_AND_RL_COMMAND,
  COMPARE_WITH_IN_COMMAND,
  DIFF_PANEL_VIEW_TYPE,
  FREEZE_LAYER_RANGE_COMMAND,
  MERGE_LAYER_RANGE_COMMAND,
  OPEN_DIFF_RESULT_COMMAND,
  OUTPUT_CHANNEL_NAME,
  REFRESH_ANALYSES_COMMAND,
  REFRESH_CHECKPOINTS_COMMAND,
  RUN_DEMO_COMMAND,
  RUN_PROBE_COMMAND,
  SCORE_VARIANTS_COMMAND,
  SET_AS_BASE_COMMAND,
  SET_AS_IN_COMMAND,
  SET_AS_RL_COMMAND,
  SET_UP_GPU_COMMAND,
  SPECTRAL_ANALYSIS_COMMAND,
  WRITE_THIRDS_VARIANTS_COMMAND,
} from './host/contributionIds';
import { DiffResultIndex } from './host/diffResultIndex';
import { defaultRoleFolders } from './host/settings';
import type { WorkspaceCheckpointServices } from './host/hostServices';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel(OUTPUT_CHANNEL_NAME, { log: true });
  const services = { extensionUri: context.extensionUri, log };
  const headers = new CheckpointHeaders();
  const watcher = CheckpointFilesWatcher.register(headers);
  const roles = new CheckpointRoles(context.workspaceState, defaultRoleFolders);
  const workspaceServices: WorkspaceCheckpointServices = { ...services, roles, headers, diffResults: new DiffResultIndex(), watcher };
  const checkpointTree = CheckpointTreeProvider.register(workspaceServices);
  const analysesTree = AnalysesTreeProvider.register(workspaceServices);
  syncRoleContextKeys(roles.assignment());

  const registerRoleCommand = (command: string, role: CheckpointRole) =>
    vscode.commands.registerCommand(command, async (arg: unknown) => {
      const { setCheckpointRole } = await import('./host/roleCommands');
      await setCheckpointRole(roles, role, arg);
    });

  context.subscriptions.push(
    log,
    watcher,
    checkpointTree,
    analysesTree,
    CheckpointCodeLensProvider.register(workspaceServices),
    roles.onDidChange(syncRoleContextKeys),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('frankenlens.defaultRoles')) roles.notify();
    }),
    // Arguments (IN, RL, Base as paths or URIs) skip the folder dialogs: menus and tests use them.
    vscode.commands.registerCommand(COMPARE_CHECKPOINTS_COMMAND, async (...args: unknown[]) => {
      const { compareCheckpoints } = await import('./host/compareCheckpoints');
      await compareCheckpoints(services, args);
    }),
    // Arguments (IN, RL, then {hfStart, hfEnd} and for merges 'rl' or 'in') skip the questions: the panel's buttons use them.
    vscode.commands.registerCommand(MERGE_LAYER_RANGE_COMMAND, async (...args: unknown[]) => {
      const { mergeLayerRange } = await import('./host/mergeCommands');
      await mergeLayerRange(services, args);
    }),
    vscode.commands.registerCommand(FREEZE_LAYER_RANGE_COMMAND, async (...args: unknown[]) => {
      const { freezeLayerRange } = await import('./host/mergeCommands');
      await freezeLayerRange(services, args);
    }),
    // Arguments (IN, RL, Base) skip the folder dialogs, as for Compare Checkpoints.
    vscode.commands.registerCommand(SPECTRAL_ANALYSIS_COMMAND, async (...args: unknown[]) => {
      const { spectralAnalysis } = await import('./host/spectralAnalysis');
      await spectralAnalysis(services, args);
    }),
    vscode.commands.registerCommand(RUN_PROBE_COMMAND, async (...args: unknown[]) => {
      const { runProbe } = await import('./host/probeCommands');
      await runProbe(services, roles, args);
    }),
    vscode.commands.registerCommand(RUN_DEMO_COMMAND, async () => {
      const { runDemoStudy } = await import('./host/demoCommand');
      await runDemoStudy(services);
    }),
    vscode.commands.registerCommand(SCORE_VARIANTS_COMMAND, async (...args: unknown[]) => {
      const { scoreVariants } = await import('./host/variantCommands');
      await scoreVariants(services, roles, args);
    }),
    vscode.commands.registerCommand(WRITE_THIRDS_VARIANTS_COMMAND, async (...args: unknown[]) => {
      const { writeThirdsVariants } = await import('./host/mergeCommands');
      await writeThirdsVariants(services, args);
    }),
    vscode.commands.registerCommand(SET_UP_GPU_COMMAND, async () => {
      const { setUpGpuProvider } = await import('./host/gpuCommands');
      await setUpGpuProvider(services);
    }),
    vscode.commands.registerCommand(CHECK_GPU_COMMAND, async () => {
      const { checkGpuProvider } = await import('./host/gpuCommands');
      await checkGpuProvider(services);
    }),
    registerRoleCommand(SET_AS_IN_COMMAND, 'in'),
    registerRoleCommand(SET_AS_RL_COMMAND, 'rl'),
    registerRoleCommand(SET_AS_BASE_COMMAND, 'base'),
    vscode.commands.registerCommand(COMPARE_WITH_IN_COMMAND, async (arg: unknown) => {
      const { compareWithIn } = await import('./host/roleCommands');
      await compareWithIn(roles, arg);
    }),
    vscode.commands.registerCommand(COMPARE_IN_AND_RL_COMMAND, async () => {
      const { compareInAndRl } = await import('./host/roleCommands');
      await compareInAndRl(roles);
    }),
    vscode.commands.registerCommand(OPEN_DIFF_RESULT_COMMAND, async (arg: unknown) => {
      const { openDiffResult } = await import('./host/openDiffResult');
      await openDiffResult(services, arg);
    }),
    vscode.commands.registerCommand(REFRESH_CHECKPOINTS_COMMAND, () => checkpointTree.refresh()),
    vscode.commands.registerCommand(REFRESH_ANALYSES_COMMAND, () => analysesTree.refresh()),
    vscode.window.registerWebviewPanelSerializer(DIFF_PANEL_VIEW_TYPE, {
      async deserializeWebviewPanel(panel, state) {
        const { reviveDiffPanel } = await import('./host/reviveDiffPanel');
        await reviveDiffPanel(services, panel, state);
      },
    }),
  );
}

export function deactivate(): void {}

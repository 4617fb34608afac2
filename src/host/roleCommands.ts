/**
 * "Set as IN / RL / Base", "Compare with IN…" and "Compare IN and RL": the Explorer's folder menu
 * and the Checkpoints view's rows pass the folder (a `Uri` or a view row); comparisons go through
 * the Compare Checkpoints command with (IN, RL, Base).
 */
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { isCheckpointFolderAsync } from '../core/workspace/checkpointPaths';
import { ROLE_LABELS, type CheckpointRole, type CheckpointRoles } from './checkpointRoles';
import { isCheckpointNode } from './checkpointTreeProvider';
import { COMPARE_CHECKPOINTS_COMMAND } from './contributionIds';

/** The folder a menu passed, or undefined when it passed none we can use. */
function folderArgument(arg: unknown): string | undefined {
  if (arg instanceof vscode.Uri && arg.scheme === 'file') return arg.fsPath;
  if (isCheckpointNode(arg)) return arg.folder;
  return undefined;
}

export async function setCheckpointRole(roles: CheckpointRoles, role: CheckpointRole, arg: unknown): Promise<void> {
  const folder = folderArgument(arg);
  if (folder === undefined) {
    void vscode.window.showWarningMessage(vscode.l10n.t('Frankenlens: choose a checkpoint folder in the Explorer or the Checkpoints view.'));
    return;
  }
  if (!(await isCheckpointFolderAsync(folder))) {
    void vscode.window.showWarningMessage(vscode.l10n.t('Frankenlens: {0} is not a checkpoint folder (it needs config.json and .safetensors weights).', basename(folder)));
    return;
  }
  await roles.assign(role, folder);
  vscode.window.setStatusBarMessage(vscode.l10n.t('Frankenlens: {0} is {1}', basename(folder), ROLE_LABELS[role]), 4000);
}

/** Compares IN (and Base, when set) with the folder the menu passed as RL. */
export async function compareWithIn(roles: CheckpointRoles, arg: unknown): Promise<void> {
  const folder = folderArgument(arg);
  const { in: inDir, base: baseDir } = roles.assignment();
  if (folder === undefined) return;
  if (inDir === undefined) {
    void vscode.window.showWarningMessage(vscode.l10n.t('Frankenlens: set a checkpoint as IN first (right-click its folder, "Set as IN").'));
    return;
  }
  if (roles.roleOf(folder) === 'in') {
    void vscode.window.showWarningMessage(vscode.l10n.t('Frankenlens: {0} is IN; choose the RL checkpoint to compare with it.', basename(folder)));
    return;
  }
  await vscode.commands.executeCommand(COMPARE_CHECKPOINTS_COMMAND, inDir, folder, roles.roleOf(folder) === 'base' ? undefined : baseDir);
}

export async function compareInAndRl(roles: CheckpointRoles): Promise<void> {
  const { in: inDir, rl: rlDir, base: baseDir } = roles.assignment();
  if (inDir === undefined || rlDir === undefined) {
    void vscode.window.showWarningMessage(vscode.l10n.t('Frankenlens: set a checkpoint as IN and one as RL first.'));
    return;
  }
  await vscode.commands.executeCommand(COMPARE_CHECKPOINTS_COMMAND, inDir, rlDir, baseDir);
}

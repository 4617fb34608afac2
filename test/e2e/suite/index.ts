/**
 * Runs inside the extension host of the E2E session (VS Code's `extensionTestsPath`): what the
 * browser cannot do, such as calling the command with arguments the way menus and scripts will.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';

const COMPARE_CHECKPOINTS = 'frankenlens.compareCheckpoints';

/** Tabs reach the extension host a moment after the panel opens, so assertions on them poll. */
async function eventually(description: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function openDiffPanels(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((group) => group.tabs)
    .filter((tab) => tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('frankenlens.diffPanel'));
}

export async function run(): Promise<void> {
  const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  assert.ok(workspace, 'the E2E session opens a workspace folder');
  const checkpoints = join(workspace, 'demo', 'checkpoints');

  // IN as a path relative to the workspace, RL as a Uri, Base as an absolute path: no dialog opens.
  await vscode.commands.executeCommand(COMPARE_CHECKPOINTS, 'demo/checkpoints/in', vscode.Uri.file(join(checkpoints, 'rl')), join(checkpoints, 'base'));

  const resultFile = join(workspace, '.frankenlens', 'diff-in-vs-rl', 'diff.json');
  assert.ok(existsSync(resultFile), `${resultFile} exists`);
  const result = JSON.parse(readFileSync(resultFile, 'utf8'));
  assert.equal(result.inputs.in.path, join(checkpoints, 'in'));
  assert.equal(result.inputs.base.path, join(checkpoints, 'base'));
  await eventually('the diff panel is open', () => openDiffPanels().length === 1);

  // A second comparison reuses the panel (IN and RL only: passing both skips the Base question).
  await vscode.commands.executeCommand(COMPARE_CHECKPOINTS, join(checkpoints, 'base'), join(checkpoints, 'rl'));
  assert.ok(existsSync(join(workspace, '.frankenlens', 'diff-base-vs-rl', 'diff.json')));
  await eventually('the one panel shows "base vs rl"', () => openDiffPanels().map((tab) => tab.label).join() === 'base vs rl');
}

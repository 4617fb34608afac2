/**
 * Runs inside the extension host of the E2E session: "Frankenlens: Run Probe" and "Score IN, RL
 * and Frankenstein Variants" called with arguments (no questions), then "Run the Demo Study", run
 * their jobs in the job runner and open their results in the panel; a probe run found in its folder is
 * continued or started over.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';

async function eventually(description: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function run(): Promise<void> {
  const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  assert.ok(workspace, 'the E2E session opens a workspace folder');
  const items = join(workspace, 'demo', 'benchmark', 'items.jsonl');
  await vscode.commands.executeCommand('frankenlens.runProbe', 'attention', 'demo/checkpoints/in', 'demo/checkpoints/rl', items, 'real', { layers: '0-3', maxNewTokens: 3 });

  const summaryFile = join(workspace, '.frankenlens', 'probes-in-vs-rl', 'attention.summary.json');
  assert.ok(existsSync(summaryFile), `${summaryFile} was written`);
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
  assert.equal(summary.schema, 'frankenlens.probe.attention/1');
  assert.equal(summary.items, 12);
  assert.deepEqual(summary.models.map((model: { role: string }) => model.role), ['in', 'rl']);
  await eventually('the panel shows the probe', () =>
    vscode.window.tabGroups.all.flatMap((group) => group.tabs).some((tab) => tab.input instanceof vscode.TabInputWebview && tab.label === 'Probe: attention'),
  );

  // The same run again: continued (every item was finished, so nothing is redone), then started over
  // (all of the run's files go, or the CLI would refuse the folder).
  const recordsFile = join(workspace, '.frankenlens', 'probes-in-vs-rl', 'attention.jsonl');
  const records = readFileSync(recordsFile, 'utf8');
  const firstRun = statSync(summaryFile).mtimeMs;
  await vscode.commands.executeCommand('frankenlens.runProbe', 'attention', 'demo/checkpoints/in', 'demo/checkpoints/rl', items, 'real', { layers: '0-3', maxNewTokens: 3, existingRun: 'resume' });
  assert.equal(readFileSync(recordsFile, 'utf8'), records, 'a continued run keeps the finished items');
  const resumed = statSync(summaryFile).mtimeMs;
  assert.ok(resumed > firstRun, 'the continued run wrote its summary again');
  await vscode.commands.executeCommand('frankenlens.runProbe', 'attention', 'demo/checkpoints/in', 'demo/checkpoints/rl', items, 'real', { layers: '0-3', maxNewTokens: 3, existingRun: 'restart' });
  assert.ok(statSync(summaryFile).mtimeMs > resumed, 'the run started over and finished');
  assert.equal(readFileSync(recordsFile, 'utf8').split('\n').length, records.split('\n').length, 'every item ran again');

  await vscode.commands.executeCommand('frankenlens.scoreVariants', 'demo/checkpoints/in', 'demo/checkpoints/rl', items, 2);
  const variantsFile = join(workspace, '.frankenlens', 'variants-in-vs-rl', 'variants.summary.json');
  assert.ok(existsSync(variantsFile), `${variantsFile} was written`);
  const variants = JSON.parse(readFileSync(variantsFile, 'utf8'));
  assert.equal(variants.schema, 'frankenlens.variants/2');
  assert.equal(variants.rows.length, 8, 'IN, RL and the six thirds variants');
  await eventually('the panel shows the variant scores', () =>
    vscode.window.tabGroups.all.flatMap((group) => group.tabs).some((tab) => tab.input instanceof vscode.TabInputWebview && tab.label === 'Variants: variants-in-vs-rl'),
  );

  // The whole demo study from the palette command: every result lands in the results folder.
  await vscode.commands.executeCommand('frankenlens.runDemo');
  const report = join(workspace, '.frankenlens', 'demo', 'report');
  for (const file of ['index.html', 'diff.json', 'spectral/spectral.json', 'probes/ablation.summary.json', 'probes/attention.summary.json', 'variants/variants.summary.json', 'merge-plan.json']) {
    assert.ok(existsSync(join(report, file)), `the demo wrote ${file}`);
  }
  const merges = join(workspace, '.frankenlens', 'demo', 'merges');
  const written = readdirSync(merges).filter((name) => !name.startsWith('.')); // not the output marker
  assert.equal(written.length, 1, 'the demo wrote one variant as a checkpoint');
  assert.ok(existsSync(join(merges, written[0]!, 'config.json')), `${written[0]} is a checkpoint folder`);
  await eventually('the panel shows the demo comparison', () =>
    vscode.window.tabGroups.all.flatMap((group) => group.tabs).some((tab) => tab.input instanceof vscode.TabInputWebview && tab.label === 'in vs rl'),
  );
}

// End-to-end check of the Frankenlens view, the checkpoint roles and the inline CodeLens in a real
// VS Code (code-server + headless Chromium), as a user works: open the Frankenlens activity-bar
// view and see the demo's three checkpoints; right-click demo/checkpoints/in in the Explorer →
// "Set as IN"; right-click rl → "Compare with IN…" → the diff panel opens and the comparison is
// listed under Analyses; a merged checkpoint written under .frankenlens/merges appears in the view
// without a refresh; Set as RL on a row shows the "Compare IN and RL" title action; a training script naming demo/checkpoints/rl shows the checkpoint's
// architecture and the layers RL changed most above that line, and clicking it opens the panel.
// Dark-theme screenshots go to test-artifacts/ (or $FRANKENLENS_ARTIFACTS).
//
//   node esbuild.mjs && node test/e2e/checkpointTree.e2e.mjs
//
// Needs code-server, Node 24 and Chromium as in /work/shared/E2E.md, and playwright-core. About 60 s.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findNotification, runCommand, openWorkbench, webviewFrame, runWithDemo } from './workbench.mjs';

const repoRoot = resolve(import.meta.dirname, '../..');
const artifacts = resolve(process.env.FRANKENLENS_ARTIFACTS ?? join(repoRoot, 'test-artifacts'));
const cli = join(repoRoot, 'dist/cli.js');

const run = mkdtempSync(join(tmpdir(), 'frankenlens-e2e-tree-'));
const workspace = join(run, 'workspace');
const checkpoints = join(workspace, 'demo', 'checkpoints');
mkdirSync(artifacts, { recursive: true });

/** A pane of the side bar by its header title ("Checkpoints", "Analyses", "Folders"). */
const pane = (page, title) => page.locator('.pane', { has: page.locator('.pane-header', { hasText: title }) });
const checkpointRow = (page, relativePath) => pane(page, 'Checkpoints').locator('.monaco-list-row', { hasText: relativePath });

/** Right-clicks `row` and picks `label` in its context menu. */
async function contextMenu(page, row, label) {
  await row.click({ button: 'right' });
  const item = page.locator('.monaco-menu .action-item', { hasText: label }).first();
  await item.waitFor({ state: 'visible' });
  await item.click();
  // A click that lands while the menu is still settling is dropped; the hovered item then takes Enter.
  const menu = page.locator('.monaco-menu').first();
  try {
    await menu.waitFor({ state: 'hidden', timeout: 1500 });
  } catch {
    await item.hover();
    await page.keyboard.press('Enter');
    await menu.waitFor({ state: 'hidden' });
  }
}

/** The Explorer row of `name` (a folder or file), expanding nothing: callers expand parents first. */
const explorerRow = (page, name) => page.locator('.explorer-folders-view .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${name}$`) }) });

async function userFlow(browser) {
  const { page, webviewErrors, close } = await openWorkbench(browser, { runDir: join(run, 'ui'), workspace, extensionPath: repoRoot, viewport: { width: 1400, height: 900 } });
  try {
    // The activity-bar view lists the three demo checkpoints with their header facts.
    await page.locator('.activitybar .action-item a[aria-label^="Frankenlens"]').click();
    for (const role of ['base', 'in', 'rl']) await checkpointRow(page, `demo/checkpoints/${role}`).waitFor({ timeout: 30_000 });
    const inRow = checkpointRow(page, 'demo/checkpoints/in');
    assert.match(await inRow.innerText(), /Qwen2_5_VLForConditionalGeneration · [\d.]+[KMB] · \w+ · \d+ layers/);
    await page.screenshot({ path: join(artifacts, 'checkpoint-tree-dark.png') });

    // Explorer: right-click demo/checkpoints/in → Set as IN; the view labels it IN.
    await page.keyboard.press('Control+Shift+E');
    for (const folder of ['demo', 'checkpoints']) await explorerRow(page, folder).click();
    await contextMenu(page, explorerRow(page, 'in'), 'Set as IN');
    await page.locator('.activitybar .action-item a[aria-label^="Frankenlens"]').click();
    await page.waitForFunction(() => [...document.querySelectorAll('.pane .monaco-list-row')].some((row) => /demo\/checkpoints\/in\s*IN ·/.test(row.textContent ?? '')));

    // Explorer: right-click rl → Compare with IN… → the diff panel draws the comparison.
    await page.keyboard.press('Control+Shift+E');
    await contextMenu(page, explorerRow(page, 'rl'), 'Compare with IN');
    const panel = webviewFrame(page);
    await panel.locator('main#app[aria-busy="false"] .charts figure svg').first().waitFor({ timeout: 120_000 });
    const resultFile = join(workspace, '.frankenlens', 'diff-in-vs-rl', 'diff.json');
    assert.ok(existsSync(resultFile), `${resultFile} was written`);
    assert.match(await panel.locator('.diff-header').innerText(), new RegExp(join(checkpoints, 'rl')));

    // The comparison is listed under Analyses; a merge written by the CLI appears in Checkpoints by itself.
    await page.locator('.activitybar .action-item a[aria-label^="Frankenlens"]').click();
    await pane(page, 'Analyses').locator('.monaco-list-row', { hasText: 'diff-in-vs-rl' }).waitFor({ timeout: 30_000 });
    execFileSync(process.execPath, [cli, 'freeze', '--in', join(checkpoints, 'in'), '--rl', join(checkpoints, 'rl'), '--layers', '6-11', '--out', join(workspace, '.frankenlens', 'merges', 'rl-frozen-6-11'), '--quiet']);
    await checkpointRow(page, '.frankenlens/merges/rl-frozen-6-11').waitFor({ timeout: 30_000 });
    await pane(page, 'Analyses').locator('.monaco-list-row', { hasText: 'rl-frozen-6-11' }).waitFor({ timeout: 30_000 });

    // A row's own menu: Set as RL; with IN and RL set, the view's title offers "Compare IN and RL".
    await contextMenu(page, checkpointRow(page, 'demo/checkpoints/rl'), 'Set as RL');
    const compareInAndRl = pane(page, 'Checkpoints').locator('.pane-header a.action-label[aria-label="Compare IN and RL"]');
    await compareInAndRl.waitFor({ timeout: 30_000 });
    await checkpointRow(page, 'demo/checkpoints/rl').filter({ hasText: 'RL · Qwen2_5_VL' }).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(artifacts, 'checkpoint-tree-roles-dark.png') });
    const firstRun = statSync(resultFile).mtimeMs;
    await compareInAndRl.click();
    // Nothing changed since the first comparison: the saved one is shown again, not recomputed.
    await (await findNotification(page, 'showing the saved comparison')).first().waitFor({ timeout: 30_000 });
    await runCommand(page, 'Notifications: Hide Notifications');
    assert.equal(statSync(resultFile).mtimeMs, firstRun, 'diff.json was reused, not rewritten');
    await panel.locator('main#app[aria-busy="false"] .charts figure svg').first().waitFor({ timeout: 120_000 });

    // The training script: lenses above the line naming demo/checkpoints/rl.
    // Through the Explorer with the mouse: the panel's webview has the keyboard focus now.
    await page.locator('.activitybar .action-item a[aria-label^="Explorer"]').click();
    await explorerRow(page, 'train\\.py').click();
    const lenses = page.locator('.monaco-editor .codelens-decoration');
    await lenses.filter({ hasText: 'top changed: layers' }).first().waitFor({ timeout: 30_000 });
    const lensText = await lenses.first().innerText();
    assert.match(lensText, /Frankenlens: Qwen2_5_VLForConditionalGeneration · 12 layers · \w+/);
    // The demo plants RL's update in HF layers 6–11.
    const topChanged = (await lenses.first().innerText()).match(/top changed: layers (\d+), (\d+), (\d+)/);
    assert.ok(topChanged, `the lens names three layers: ${lensText}`);
    for (const layer of topChanged.slice(1)) assert.ok(Number(layer) >= 6 && Number(layer) <= 11, `layer ${layer} is in 6–11`);
    await page.screenshot({ path: join(artifacts, 'checkpoint-codelens-dark.png') });

    // Clicking the lens opens the saved comparison in the panel.
    await page.locator('.monaco-editor .codelens-decoration a', { hasText: 'top changed' }).first().click();
    await panel.locator('main#app[aria-busy="false"] .charts figure svg').first().waitFor({ timeout: 60_000 });
    assert.deepEqual(webviewErrors, [], 'no errors in the webview console');
    return lensText.replaceAll('\n', ' ');
  } catch (error) {
    await page.screenshot({ path: join(artifacts, 'e2e-tree-failure.png') }).catch(() => {});
    throw error;
  } finally {
    await close();
  }
}

mkdirSync(workspace, { recursive: true });
writeFileSync(
  join(workspace, 'train.py'),
  ['# GRPO from the cold-start checkpoint', 'from transformers import AutoModel', '', 'model = AutoModel.from_pretrained("demo/checkpoints/rl")', ''].join('\n'),
);
await runWithDemo({ repoRoot, run, workspace, artifacts }, async (browser) => `lens: ${await userFlow(browser)}`);

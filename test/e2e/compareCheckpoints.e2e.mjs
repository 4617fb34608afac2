// End-to-end check of "Frankenlens: Compare Checkpoints" in a real VS Code (code-server + headless
// Chromium), as a user runs it: palette → three folder dialogs → progress → diff panel. Checks
// that diff.json is written, that the panel draws every chart under its strict CSP, that brushing
// the layer axis reaches the host, that the charts follow a theme change, that the panel comes
// back after a window reload and that a bad folder gives a clear error. Then, in a second session,
// a suite inside the extension host calls the command with folder arguments (no dialogs).
// Screenshots of the panel in dark and light themes go to test-artifacts/ (or $FRANKENLENS_ARTIFACTS).
//
//   node esbuild.mjs && node test/e2e/compareCheckpoints.e2e.mjs
//
// Needs code-server, Node 24 and Chromium as in /work/shared/E2E.md, and playwright-core (resolved
// from node_modules, or through NODE_PATH, e.g. NODE_PATH=.cache/e2e/node_modules). About 75 s.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runExtensionTests } from './extensionTests.mjs';
import { findNotification, openWorkbench, selectColorTheme, webviewFrame, waitFor, runWithDemo, compareFromPalette } from './workbench.mjs';

const repoRoot = resolve(import.meta.dirname, '../..');
const artifacts = resolve(process.env.FRANKENLENS_ARTIFACTS ?? join(repoRoot, 'test-artifacts'));

function findFiles(dir, predicate) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && predicate(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** The extension's log channel as written to disk by the extension host. */
function extensionLog(userDataDir) {
  return findFiles(join(userDataDir, 'logs'), (name) => name.includes('Frankenlens'))
    .map((file) => readFileSync(file, 'utf8'))
    .join('\n');
}

const axisTitleColour = (panel) => panel.locator('#chart-relative-update svg .role-axis-title text').first().getAttribute('fill');

/** The workbench as a person sees it, then each chart on its own (the panel scrolls). */
async function screenshotPanel(page, panel, theme) {
  await panel.locator('.diff-header').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(artifacts, `compare-checkpoints-${theme}.png`) });
  for (const figure of await panel.locator('.charts figure').all()) {
    const id = (await figure.getAttribute('id')).replace(/^chart-/, '');
    await figure.screenshot({ path: join(artifacts, `chart-${id}-${theme}.png`) });
  }
}

const run = mkdtempSync(join(tmpdir(), 'frankenlens-e2e-'));
const workspace = join(run, 'workspace');
const checkpoints = join(workspace, 'demo', 'checkpoints');
mkdirSync(artifacts, { recursive: true });

/** A person's session: palette, dialogs, panel, brush, theme switch, reload, a bad folder. */
async function userFlow(browser) {
  const { page, server, cspViolations, webviewErrors, close } = await openWorkbench(browser, { runDir: join(run, 'ui'), workspace, extensionPath: repoRoot });
  try {
    await compareFromPalette(page, { inDir: join(checkpoints, 'in'), rlDir: join(checkpoints, 'rl'), baseDir: join(checkpoints, 'base') });

    const panel = webviewFrame(page);
    await panel.locator('main#app[aria-busy="false"] .charts figure svg').first().waitFor({ timeout: 120_000 });
    const resultFile = join(workspace, '.frankenlens', 'diff-in-vs-rl', 'diff.json');
    assert.ok(existsSync(resultFile), `${resultFile} was written`);
    const result = JSON.parse(readFileSync(resultFile, 'utf8'));
    assert.equal(result.schema, 'frankenlens.diff/1');
    assert.ok(result.inputs.base, 'the result has the Base checkpoint');

    // Header: the three inputs and the most changed layers; the demo plants RL's update in HF layers 6-11.
    const header = await panel.locator('.diff-header').innerText();
    for (const role of ['in', 'rl', 'base']) assert.ok(header.includes(join(checkpoints, role)), `header names ${role}`);
    const topLayers = await panel.locator('.most-changed code').allInnerTexts();
    assert.equal(topLayers.length, 3);
    for (const name of topLayers) assert.match(name, /^model\.layers\.(6|7|8|9|10|11)$/);
    const figures = await panel.locator('.charts figure').count();
    assert.equal(await panel.locator('.charts figure svg.marks').count(), figures, 'every chart is drawn');
    assert.equal(await panel.locator('.chart-error').count(), 0);
    await screenshotPanel(page, panel, 'dark');

    // Brush unified layers on the first per-layer chart: the host logs the range.
    const plot = panel.locator('#chart-relative-update svg.marks');
    await plot.scrollIntoViewIfNeeded();
    const box = await plot.boundingBox();
    assert.ok(box, 'the relative-update chart has a size');
    await page.mouse.move(box.x + box.width * 0.55, box.y + box.height * 0.6);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.8, box.y + box.height * 0.6, { steps: 8 });
    await page.mouse.up();
    const brushLog = await waitFor('the layer range in the extension log', () =>
      extensionLog(server.userDataDir).match(/unified layers (-?\d+)\.\.(-?\d+) selected/),
    );
    assert.ok(Number(brushLog[1]) <= Number(brushLog[2]));
    await page.screenshot({ path: join(artifacts, 'compare-checkpoints-brush.png') });

    // Switch to a light theme the way a user does; the charts redraw in its colours.
    const darkTitleColour = await axisTitleColour(panel);
    await selectColorTheme(page, 'Light Modern');
    await waitFor('the charts to redraw in the light theme', async () =>
      (await axisTitleColour(panel)) !== darkTitleColour && (await panel.locator('main#app[aria-busy="false"]').count()) === 1,
    );
    await screenshotPanel(page, panel, 'light');

    // Hovering a layer shows its tooltip, styled by the panel's stylesheet (vega-tooltip's own is off).
    // Vega takes pointer events on its own <svg>, so the mouse moves there rather than onto the mark.
    // Data points are symbols with the mark role (legend swatches are symbols too); the last is layer 12.
    const lastPoint = panel.locator('#chart-relative-update g.mark-symbol.role-mark path').last();
    await lastPoint.scrollIntoViewIfNeeded();
    const point = await lastPoint.boundingBox();
    await page.mouse.move(point.x - 30, point.y + point.height / 2);
    await page.mouse.move(point.x + point.width / 2, point.y + point.height / 2, { steps: 5 });
    await panel.locator('#vg-tooltip-element.visible').waitFor();
    assert.match(await panel.locator('#vg-tooltip-element').innerText(), /model\.layers\.11/);
    await page.screenshot({ path: join(artifacts, 'compare-checkpoints-tooltip.png') });

    // After a window reload VS Code restores the panel, and the host redraws it from diff.json.
    await page.reload();
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await panel.locator('main#app[aria-busy="false"] .charts figure svg.marks').first().waitFor({ timeout: 60_000 });
    assert.equal(await panel.locator('.charts figure svg.marks').count(), figures, 'the restored panel draws every chart');

    // A folder that is not a checkpoint: a clear error naming it, with a "Show file" action.
    await compareFromPalette(page, { inDir: join(workspace, 'demo', 'report'), rlDir: join(checkpoints, 'rl') });
    await waitFor('the error in the extension log', () => extensionLog(server.userDataDir).includes('NotACheckpoint'));
    const error = await findNotification(page, 'no .safetensors files');
    await error.waitFor();
    assert.equal(await error.locator('.monaco-button', { hasText: 'Show file' }).count(), 1);
    // The failed run's progress notification is gone, not left spinning.
    await waitFor('the progress notification to close', async () => (await (await findNotification(page, 'comparing checkpoints')).count()) === 0, 10_000);
    await page.screenshot({ path: join(artifacts, 'compare-checkpoints-error.png') });

    assert.deepEqual(cspViolations, [], 'no CSP violations');
    assert.deepEqual(webviewErrors, [], 'no errors in the webview console');
    return `${figures} charts, brushed unified layers ${brushLog[1]}..${brushLog[2]}`;
  } catch (error) {
    await page.screenshot({ path: join(artifacts, 'e2e-failure.png') }).catch(() => {});
    throw error;
  } finally {
    await close();
  }
}

/** The command called with folder arguments from inside the extension host, in a fresh session. */
async function argumentsFlow(browser) {
  rmSync(join(workspace, '.frankenlens'), { recursive: true, force: true });
  const runDir = join(run, 'arguments');
  const { exitCode, consoleErrors } = await runExtensionTests({ browser, runDir, workspace, extensionPath: repoRoot, suite: join(repoRoot, 'test/e2e/suite/index.ts') });
  if (exitCode !== 0) throw new Error(`the extension-host suite failed (exit code ${exitCode}):\n${consoleErrors.join('\n')}`);
}

await runWithDemo({ repoRoot, run, workspace, artifacts }, async (browser) => {
  const summary = await userFlow(browser);
  await argumentsFlow(browser);
  return `${summary}; command arguments skip the dialogs`;
});

// End-to-end check of the analyses beyond the comparison, in a real VS Code (code-server +
// headless Chromium): "Frankenlens: Analyse Update Spectra (SVD)…" from the palette (dialogs,
// progress) draws the spectral charts; a probe summary written by the CLI is listed under
// Analyses and opens in the panel with IN and RL overlaid per layer (made with int8 weights: the
// panel shows its agreement with float32); a variant sweep's comparison
// table lists a model's items (keyboard) and exports CSV; the charts follow a theme change. Then, inside the extension host, "Run Probe" with arguments runs a probe job and
// shows its charts. Screenshots (dark and light) go to test-artifacts/.
//
//   node esbuild.mjs && node test/e2e/analysesPanel.e2e.mjs
//
// Needs what compareCheckpoints.e2e.mjs needs (code-server, Node 24, Chromium, playwright-core). About 90 s.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runExtensionTests } from './extensionTests.mjs';
import { acceptSaveDialog, answerFileDialog, openWorkbench, pickQuickInputItem, runCommand, runWithDemo, selectColorTheme, waitFor, webviewFrame } from './workbench.mjs';

const repoRoot = resolve(import.meta.dirname, '../..');
const artifacts = resolve(process.env.FRANKENLENS_ARTIFACTS ?? join(repoRoot, 'test-artifacts'));
const cli = join(repoRoot, 'dist/cli.js');
const run = mkdtempSync(join(tmpdir(), 'frankenlens-e2e-analyses-'));
const workspace = join(run, 'workspace');
const checkpoints = join(workspace, 'demo', 'checkpoints');
mkdirSync(artifacts, { recursive: true });

const pane = (page, title) => page.locator('.pane', { has: page.locator('.pane-header', { hasText: title }) });

async function allChartsDrawn(panel) {
  await panel.locator('main#app[aria-busy="false"] .charts figure svg.marks').first().waitFor({ timeout: 120_000 });
  const figures = await panel.locator('.charts figure').count();
  assert.ok(figures > 0, 'charts are shown');
  assert.equal(await panel.locator('.charts figure svg.marks').count(), figures, 'every chart is drawn');
  assert.equal(await panel.locator('.chart-error').count(), 0);
  return figures;
}

async function userFlow(browser) {
  const { page, cspViolations, webviewErrors, close } = await openWorkbench(browser, { runDir: join(run, 'ui'), workspace, extensionPath: repoRoot });
  try {
    // Spectral analysis from the palette: IN, RL, no Base.
    await runCommand(page, 'Frankenlens: Analyse Update Spectra (SVD)');
    await answerFileDialog(page, 'SFT checkpoint (IN)', join(checkpoints, 'in'));
    await answerFileDialog(page, 'RL checkpoint', join(checkpoints, 'rl'));
    await pickQuickInputItem(page, 'Compare IN and RL only');
    const panel = webviewFrame(page);
    const spectralCharts = await allChartsDrawn(panel);
    const spectralFile = join(workspace, '.frankenlens', 'spectral-in-vs-rl', 'spectral.json');
    assert.ok(existsSync(spectralFile), `${spectralFile} was written`);
    assert.equal(JSON.parse(readFileSync(spectralFile, 'utf8')).schema, 'frankenlens.spectral/1');
    assert.match(await panel.locator('.diff-header').innerText(), /Singular values of the updates/);
    // Another layer's spectra: the chart is swapped for that layer's.
    const spectrumTitle = () => panel.locator('#chart-spectral-spectrum svg .role-title-text').first().textContent();
    assert.match(await spectrumTitle(), /model\.layers\.\d+/);
    await panel.locator('select.chart-choice').selectOption({ label: '3 · model.layers.2' });
    await waitFor('the spectrum of HF layer 2', async () => (await spectrumTitle())?.includes('model.layers.2'));
    await page.screenshot({ path: join(artifacts, 'spectral-panel-dark.png') });

    // The probe summary the CLI wrote is listed under Analyses and opens in the panel.
    await page.locator('.activitybar .action-item a[aria-label^="Frankenlens"]').click();
    const probeRow = pane(page, 'Analyses').locator('.monaco-list-row', { hasText: 'ablation' });
    await probeRow.waitFor({ timeout: 30_000 });
    await probeRow.click();
    await panel.locator('.diff-header', { hasText: 'each decoder layer ablated' }).waitFor({ timeout: 60_000 });
    const probeCharts = await allChartsDrawn(panel);
    // The CLI ran it with int8 weights: the panel says how it agrees with float32 on its calibration items.
    assert.match(await panel.locator('.analysis-notice').innerText(), /^int8 weights: agreement with float32 on 2 items: top-1 [\d.]+% \(\d+\/\d+\), answers \d+\/\d+ \(95% CI [^)]*\), largest curve difference/);
    const legend = (await panel.locator('.charts figure svg .role-legend').first().textContent()) ?? '';
    assert.ok(legend.includes('IN') && legend.includes('RL'), `IN and RL overlaid: ${legend}`);
    await page.screenshot({ path: join(artifacts, 'probe-panel-dark.png') });

    // The variant sweep the CLI wrote (real, black and black+description): the comparison table with
    // the paper's metrics and the paired tests against IN, one model's items, CSV export, the charts.
    // The Frankenlens view is still open (clicking its icon again would close the side bar).
    await pane(page, 'Analyses').locator('.monaco-list-row', { hasText: 'variants-in-vs-rl' }).click();
    await panel.locator('.diff-header', { hasText: 'Frankenstein variants' }).waitFor({ timeout: 60_000 });
    assert.equal(await allChartsDrawn(panel), 3, 'accuracy, every measure, accuracy per category');
    await panel.locator('.charts figure', { hasText: 'M_v2r' }).waitFor();
    const models = await panel.locator('.analysis-table > .tensor-table-scroll tbody th').allInnerTexts();
    assert.equal(models.length, 8, `IN, RL and six variants: ${models.join(' | ')}`);
    const headers = await panel.locator('.analysis-table > .tensor-table-scroll thead th').allInnerTexts();
    for (const header of ['black+description accuracy', 'M_vis', 'M_v2r N', 'Δ vs IN', 'McNemar exact p']) assert.ok(headers.includes(header), `column ${header}: ${headers.join(' | ')}`);
    await panel.locator('.analysis-table button.row-pick', { hasText: /^RL$/ }).focus();
    await page.keyboard.press('Enter');
    await panel.locator('.analysis-details[data-row="RL"] tbody tr').first().waitFor();
    assert.equal(await panel.locator('.analysis-details tbody tr').count(), 36, 'one row per item and condition');
    await panel.locator('.analysis-table > .chart-export .chart-export-button[data-format="csv"]').click();
    const csvPath = await acceptSaveDialog(page, 'Export chart "variant-scores"');
    await waitFor(csvPath, () => existsSync(csvPath));
    const csv = readFileSync(csvPath, 'utf8').split('\r\n');
    assert.match(csv[0], /^model,kind,correct,scored,accuracy,lower 95%,upper 95%,black accuracy,.*,M_vis,.*,Δ vs IN,Δ lower 95%,Δ upper 95%,b \(only IN\),c \(only model\),McNemar exact p$/);
    assert.match(csv[1], /^IN,checkpoint,\d+,12,/);
    assert.match(csv[2], /^RL,checkpoint,.*,-?\d\.\d{4},-?\d\.\d{4},-?\d\.\d{4},\d+,\d+,\d\.\d{4}$/, 'RL against IN: Δ with bounds, b, c, p');
    await page.screenshot({ path: join(artifacts, 'variants-panel-dark.png') });

    await selectColorTheme(page, 'Light Modern');
    await allChartsDrawn(webviewFrame(page));
    await page.screenshot({ path: join(artifacts, 'probe-panel-light.png') });

    assert.deepEqual(cspViolations, [], 'no CSP violations');
    assert.deepEqual(webviewErrors, [], 'no errors in the webview console');
    return `${spectralCharts} spectral charts, ${probeCharts} probe charts`;
  } catch (error) {
    await page.screenshot({ path: join(artifacts, 'e2e-analyses-failure.png') }).catch(() => {});
    throw error;
  } finally {
    await close();
  }
}

/** "Run Probe" and "Score … Variants" called with arguments inside the extension host: jobs in the job runner, then the panel. */
async function commandFlow(browser) {
  // The suite scores variants afresh: the sweep the CLI wrote for the UI flow would be offered for resuming.
  rmSync(join(workspace, '.frankenlens', 'variants-in-vs-rl'), { recursive: true, force: true });
  const { exitCode, consoleErrors } = await runExtensionTests({ browser, runDir: join(run, 'host'), workspace, extensionPath: repoRoot, suite: join(repoRoot, 'test/e2e/suite/probeCommand.ts'), timeoutMs: 300_000 });
  if (exitCode !== 0) throw new Error(`the extension-host suite failed (exit code ${exitCode}):\n${consoleErrors.join('\n')}`);
}

await runWithDemo({ repoRoot, run, workspace, artifacts }, async (browser) => {
  execFileSync(process.execPath, [cli, 'probe', 'ablation', '--in', join(checkpoints, 'in'), '--rl', join(checkpoints, 'rl'), '--items', join(workspace, 'demo', 'benchmark', 'items.jsonl'), '--out', join(workspace, '.frankenlens', 'probes-in-vs-rl'), '--layers', '5-7', '--max-new-tokens', '4', '--precision', 'int8', '--calibration-items', '2', '--quiet']);
  execFileSync(process.execPath, [cli, 'variants', '--in', join(checkpoints, 'in'), '--rl', join(checkpoints, 'rl'), '--items', join(workspace, 'demo', 'benchmark', 'items.jsonl'), '--out', join(workspace, '.frankenlens', 'variants-in-vs-rl'), '--thirds', '--max-new-tokens', '2', '--quiet']);
  const summary = await userFlow(browser);
  await commandFlow(browser);
  return `${summary}; Run Probe and Score Variants with arguments ran their jobs`;
});

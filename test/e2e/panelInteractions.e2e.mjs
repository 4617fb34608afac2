// End-to-end check of the diff panel's interactions, in a real VS Code (code-server + headless
// Chromium): click a layer point → its tensors are listed below the charts; switch the metric and
// the section of the per-layer chart (and find them again after the webview reloads); export the
// chart as SVG (mouse), PNG (keyboard) and Vega-Lite spec through the save dialog; pick a layer
// range and list a layer's tensors with the keyboard alone. Screenshots
// (dark and light) go to test-artifacts/.
//
//   node esbuild.mjs && node test/e2e/panelInteractions.e2e.mjs
//
// Needs what compareCheckpoints.e2e.mjs needs (code-server, Node 24, Chromium, playwright-core).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { acceptSaveDialog, runCommand, openWorkbench, selectColorTheme, webviewFrame, waitFor, runWithDemo, compareFromPalette } from './workbench.mjs';

const repoRoot = resolve(import.meta.dirname, '../..');
const artifacts = resolve(process.env.FRANKENLENS_ARTIFACTS ?? join(repoRoot, 'test-artifacts'));

const run = mkdtempSync(join(tmpdir(), 'frankenlens-e2e-panel-'));
const workspace = join(run, 'workspace');
const checkpoints = join(workspace, 'demo', 'checkpoints');
mkdirSync(artifacts, { recursive: true });

const yAxisTitle = (panel) => panel.locator('#chart-relative-update .role-axis-title text').last();

async function userFlow(browser) {
  const { page, cspViolations, webviewErrors, close } = await openWorkbench(browser, { runDir: join(run, 'ui'), workspace, extensionPath: repoRoot });
  try {
    await compareFromPalette(page, { inDir: join(checkpoints, 'in'), rlDir: join(checkpoints, 'rl'), baseDir: join(checkpoints, 'base') });
    const panel = webviewFrame(page);
    await panel.locator('main#app[aria-busy="false"] .charts figure svg').first().waitFor({ timeout: 120_000 });
    const resultsDir = join(workspace, '.frankenlens');
    const diffDir = join(resultsDir, readdirSync(resultsDir).find((name) => name.startsWith('diff-')));
    const result = JSON.parse(readFileSync(join(diffDir, 'diff.json'), 'utf8'));

    // 1. Click a point of the relative-update chart: the table lists that layer's tensors.
    await panel.locator('.tensor-hint').waitFor({ state: 'visible' });
    const points = panel.locator('#chart-relative-update .role-mark.seriesPoints_marks path');
    const pointCount = await points.count();
    assert.ok(pointCount > 10, `points drawn: ${pointCount}`);
    // The IN→RL series comes first, in unified order: pick a late LLM layer of it.
    const layerCount = result.layers.length;
    const target = result.layers.map((layer) => layer.unifiedLayer).sort((a, b) => a - b)[layerCount - 3];
    await points.nth(layerCount - 3).scrollIntoViewIfNeeded();
    await points.nth(layerCount - 3).click();
    const table = panel.locator('#layer-tensors[aria-busy="false"] table');
    await table.waitFor({ timeout: 30_000 });
    assert.equal(await panel.locator('#layer-tensors').getAttribute('data-unified-layer'), String(target), 'the clicked layer is listed');
    const expected = result.tensors.filter((tensor) => tensor.unifiedLayer === target);
    const names = await table.locator('tbody th.tensor-name').allInnerTexts();
    assert.deepEqual(new Set(names), new Set(expected.map((tensor) => tensor.name)), 'the table holds exactly that layer\'s tensors');
    // Sorted by ‖ΔRL‖ (column 6), numbers to 4 significant digits, exact values in the title.
    const headers = await table.locator('thead th').allInnerTexts();
    assert.ok(headers.includes('cos(ΔIN, ΔRL)'), `a cosine column with a Base: ${headers.join(' | ')}`);
    const sizeColumn = headers.indexOf('‖ΔRL‖');
    const exact = await table.locator(`tbody tr td:nth-child(${sizeColumn + 1})`).evaluateAll((cells) => cells.map((cell) => Number(cell.title)));
    assert.deepEqual(exact, [...exact].sort((a, b) => b - a), 'largest update first');
    const shown = await table.locator(`tbody tr td:nth-child(${sizeColumn + 1})`).first().innerText();
    assert.equal(Number(shown).toPrecision(4), exact[0].toPrecision(4), `4 significant digits: ${shown} for ${exact[0]}`);
    await panel.locator('#layer-tensors').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(artifacts, 'panel-layer-tensors-dark.png') });

    // 2. The metric switch: the cosine is offered (Base given); the y axis follows the choice.
    const metric = panel.locator('select.metric-select');
    const options = await metric.locator('option').evaluateAll((items) => items.map((item) => item.value));
    assert.deepEqual(options, ['rlDeltaRelMean', 'rlDeltaFroMean', 'rlDeltaFroSum', 'cosineMean', 'unchangedFraction']);
    assert.equal(await panel.locator('label[for]', { hasText: 'Metric' }).count(), 1, 'the select is labelled');
    const before = await yAxisTitle(panel).textContent();
    await metric.selectOption('rlDeltaFroSum');
    await waitFor('the y axis title to change', async () => (await yAxisTitle(panel).textContent()) === 'sum of ‖ΔW‖ over tensors (Frobenius)');
    assert.notEqual(before, 'sum of ‖ΔW‖ over tensors (Frobenius)');
    // The section filter: only vision blocks remain.
    await panel.locator('select.section-select').selectOption('vision');
    await waitFor('only vision points', async () => {
      const labels = await points.evaluateAll((items) => items.map((item) => item.getAttribute('aria-label') ?? ''));
      return labels.length > 0 && labels.every((label) => label.includes('visual.blocks'));
    });
    await panel.locator('#chart-relative-update').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(artifacts, 'panel-metric-section-dark.png') });

    // The switches survive a reload of the webview (getState/setState).
    await runCommand(page, 'Developer: Reload Webviews');
    await webviewFrame(page).locator('main#app[aria-busy="false"] .charts figure svg').first().waitFor({ timeout: 60_000 });
    const reloaded = webviewFrame(page);
    assert.equal(await reloaded.locator('select.metric-select').inputValue(), 'rlDeltaFroSum', 'the metric is kept');
    assert.equal(await reloaded.locator('select.section-select').inputValue(), 'vision', 'the section is kept');
    assert.equal(await yAxisTitle(reloaded).textContent(), 'sum of ‖ΔW‖ over tensors (Frobenius)');
    // VS Code may load the reloaded page a second time, from the state it held before: a choice
    // made in the first page is then lost, so make it again until the page keeps it.
    await waitFor('the decoder back on the chart', async () => {
      const section = reloaded.locator('select.section-select');
      if ((await section.inputValue()) !== 'all') await section.selectOption('all');
      const labels = await reloaded.locator('#chart-relative-update .role-mark.seriesPoints_marks path').evaluateAll((items) => items.map((item) => item.getAttribute('aria-label') ?? ''));
      return labels.some((label) => label.includes('model.layers'));
    });

    // 3. Export: SVG with the mouse, PNG from the keyboard, the spec; each next to diff.json.
    const exportButton = (format) => reloaded.locator(`#chart-relative-update .chart-export-button[data-format="${format}"]`);
    await exportButton('svg').click();
    const svgPath = await acceptSaveDialog(page, 'Export chart "relative-update"');
    assert.equal(svgPath, join(diffDir, 'relative-update.svg'));
    await waitFor(svgPath, () => existsSync(svgPath));
    assert.ok(readFileSync(svgPath, 'utf8').startsWith('<svg'), 'an SVG file');
    assert.ok(readFileSync(svgPath, 'utf8').includes('sum of ‖ΔW‖'), 'the chart as shown (metric switched)');

    await exportButton('png').focus();
    await page.keyboard.press('Enter');
    const pngPath = await acceptSaveDialog(page, 'Export chart "relative-update"');
    assert.equal(pngPath, join(diffDir, 'relative-update.png'));
    await waitFor(pngPath, () => existsSync(pngPath));
    assert.deepEqual([...readFileSync(pngPath).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG file');

    await exportButton('spec').click();
    const specPath = await acceptSaveDialog(page, 'Export chart "relative-update"');
    await waitFor(specPath, () => existsSync(specPath));
    const spec = JSON.parse(readFileSync(specPath, 'utf8'));
    assert.ok(spec.$schema.includes('vega-lite') && Array.isArray(spec.datasets.layers), 'a Vega-Lite spec with its data');

    // 4. The keyboard alone: pick HF layers 6–11 (unified 7–12) and list the tensors of the first.
    const picker = reloaded.locator('form.layer-picker');
    await picker.locator('select').first().focus();
    await page.keyboard.type('7');
    await page.keyboard.press('Tab');
    await page.keyboard.type('12');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    const mergeButton = reloaded.locator('.merge-button.primary');
    await waitFor('the merge button for the picked range', async () => (await mergeButton.isVisible()) && (await mergeButton.innerText()).includes('6–11'));
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await waitFor('the first picked layer\'s tensors', async () => (await reloaded.locator('#layer-tensors[aria-busy="false"]').getAttribute('data-unified-layer').catch(() => null)) === '7');
    await picker.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(artifacts, 'panel-keyboard-range-dark.png') });

    // Light theme: the table and controls follow it.
    await selectColorTheme(page, 'Light Modern');
    const light = webviewFrame(page);
    await light.locator('main#app[aria-busy="false"]').waitFor();
    assert.equal(await light.locator('select.section-select').inputValue(), 'all', 'a theme change keeps the switches');
    await light.locator('#chart-relative-update .role-mark.seriesPoints_marks path').nth(2).click();
    await light.locator('#layer-tensors[aria-busy="false"] table').waitFor();
    await light.locator('#chart-relative-update').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(artifacts, 'panel-controls-light.png') });
    await light.locator('#layer-tensors').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(artifacts, 'panel-layer-tensors-light.png') });

    assert.deepEqual(cspViolations, [], 'no CSP violations');
    assert.deepEqual(webviewErrors, [], 'no errors in the webview console');
    return `layer ${target}: ${names.length} tensors listed; metric/section switched and kept across a reload; SVG, PNG and spec exported; HF 6–11 picked by keyboard`;
  } catch (error) {
    await page.screenshot({ path: join(artifacts, 'e2e-panel-failure.png') }).catch(() => {});
    throw error;
  } finally {
    await close();
  }
}

await runWithDemo({ repoRoot, run, workspace, artifacts }, userFlow);

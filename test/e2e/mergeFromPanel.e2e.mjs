// End-to-end check of merges and freezes started from the diff panel, in a real VS Code
// (code-server + headless Chromium), as a user does it: compare IN and RL, brush a late range of
// LLM layers on the relative-update chart, press "Freeze HF layers a–b" (mouse), accept the
// suggested output folder, and find the merged checkpoint with its provenance and no staging
// folder; then the same with the "Merge" button from the keyboard; then "Merge Layer Range…" from
// the palette on the last comparison's pair, and the six thirds variants. Screenshots (dark theme) go to test-artifacts/.
//
//   node esbuild.mjs && node test/e2e/mergeFromPanel.e2e.mjs
//
// Needs what compareCheckpoints.e2e.mjs needs (code-server, Node 24, Chromium, playwright-core).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findNotification, pickQuickInputItem, quickInput, runCommandAndPick, openWorkbench, webviewFrame, waitFor, runWithDemo, compareFromPalette } from './workbench.mjs';

const repoRoot = resolve(import.meta.dirname, '../..');
const artifacts = resolve(process.env.FRANKENLENS_ARTIFACTS ?? join(repoRoot, 'test-artifacts'));

const run = mkdtempSync(join(tmpdir(), 'frankenlens-e2e-merge-'));
const workspace = join(run, 'workspace');
const checkpoints = join(workspace, 'demo', 'checkpoints');
const merges = join(workspace, '.frankenlens', 'merges');
mkdirSync(artifacts, { recursive: true });

/** Drags across the relative-update chart between two fractions of its plot width. */
async function brush(page, panel, fromFraction, toFraction) {
  const plot = panel.locator('#chart-relative-update svg.marks');
  await plot.scrollIntoViewIfNeeded();
  const box = await plot.boundingBox();
  assert.ok(box, 'the relative-update chart has a size');
  await page.mouse.move(box.x + box.width * fromFraction, box.y + box.height * 0.6);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * toFraction, box.y + box.height * 0.6, { steps: 8 });
  await page.mouse.up();
}

/** "Freeze HF layers 8–11 (…)" → [8, 11]. */
function buttonRange(text) {
  const match = /HF layers (\d+)(?:–(\d+))?/.exec(text);
  assert.ok(match, `the button names its layers: ${text}`);
  return [Number(match[1]), Number(match[2] ?? match[1])];
}

/** Accepts the suggested folder in the output-folder input box and returns what it suggested. */
async function acceptSuggestedFolder(page, titleText, screenshotName) {
  const title = page.locator('.quick-input-widget .quick-input-title', { hasText: titleText });
  await title.waitFor({ state: 'visible', timeout: 30_000 });
  const box = page.locator('.quick-input-widget .quick-input-box input');
  const suggested = await box.inputValue();
  await page.screenshot({ path: join(artifacts, `${screenshotName}-dark.png`) });
  await box.press('Enter');
  await title.waitFor({ state: 'hidden' });
  return suggested;
}

/** Waits until `outDir` is complete (provenance in it, staging gone) and returns the provenance. */
async function waitForMerge(outDir) {
  await waitFor(`${outDir}/frankenlens-merge.json`, () => existsSync(join(outDir, 'frankenlens-merge.json')), 60_000);
  const staging = readdirSync(merges).filter((name) => name.includes('.partial-'));
  assert.deepEqual(staging, [], 'no staging folder left beside the output');
  assert.ok(readdirSync(outDir).some((name) => name.endsWith('.safetensors')), 'weights written');
  return JSON.parse(readFileSync(join(outDir, 'frankenlens-merge.json'), 'utf8'));
}

const sliceList = (plan) => plan.slices.map(({ start, end, source }) => [start, end, source]);

async function userFlow(browser) {
  const { page, cspViolations, webviewErrors, close } = await openWorkbench(browser, { runDir: join(run, 'ui'), workspace, extensionPath: repoRoot });
  try {
    await compareFromPalette(page, { inDir: join(checkpoints, 'in'), rlDir: join(checkpoints, 'rl') });
    const panel = webviewFrame(page);
    await panel.locator('main#app[aria-busy="false"] .charts figure svg').first().waitFor({ timeout: 120_000 });

    // Before a brush: a hint, no buttons.
    await panel.locator('.merge-hint').waitFor({ state: 'visible' });
    assert.equal(await panel.locator('.merge-button:visible').count(), 0, 'no buttons without a brush');

    // A brush over the late LLM layers (the demo plants RL's update in HF layers 6–11 of 12).
    await brush(page, panel, 0.8, 0.99);
    const freezeButton = panel.locator('button.merge-button.secondary');
    await freezeButton.waitFor({ state: 'visible' });
    const freezeText = await freezeButton.innerText();
    const [start, end] = buttonRange(freezeText);
    assert.ok(start >= 6 && end <= 11 && start <= end, `a late range: ${freezeText}`);
    assert.equal(await panel.locator('.merge-note:visible').count(), 0, 'no vision/projector note for an LLM-only brush');
    await panel.locator('.merge-actions').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(artifacts, 'merge-panel-buttons-dark.png') });

    // Freeze, with the mouse: RL with layers start..end held at IN.
    await freezeButton.click();
    const freezeOut = await acceptSuggestedFolder(page, 'frozen at IN', 'merge-freeze-output-folder');
    assert.equal(freezeOut, join(merges, `rl-with-layers-${start}-${end}-frozen-at-in`), 'the suggested folder is under the results folder');
    const frozen = await waitForMerge(freezeOut);
    assert.equal(frozen.plan.kind, 'freeze');
    assert.deepEqual(sliceList(frozen.plan), [[0, start, 'rl'], [start, end + 1, 'in'], ...(end + 1 < 12 ? [[end + 1, 12, 'rl']] : [])]);
    const written = await findNotification(page, 'wrote "RL with layers');
    await written.first().waitFor({ timeout: 30_000 });
    for (const action of ['Reveal in Explorer', 'Compare with IN']) {
      assert.equal(await written.first().locator('.monaco-button', { hasText: action }).count(), 1, `the done message offers "${action}"`);
    }
    await page.screenshot({ path: join(artifacts, 'merge-freeze-done-dark.png') });
    await page.keyboard.press('Escape');

    // A brush that also covers vision blocks and the projector: the buttons say they are ignored.
    await brush(page, panel, 0.3, 0.6);
    await panel.locator('.merge-note').waitFor({ state: 'visible' });
    const mergeButton = panel.locator('button.merge-button.primary');
    const [mergeStart, mergeEnd] = buttonRange(await mergeButton.innerText());
    assert.equal(mergeStart, 0, 'the decoder part of the brush starts at HF layer 0');
    await panel.locator('.merge-actions').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(artifacts, 'merge-panel-vision-ignored-dark.png') });

    // Merge, from the keyboard: focus the button, press Enter.
    await mergeButton.focus();
    await page.keyboard.press('Enter');
    const mergeOut = await acceptSuggestedFolder(page, 'from RL', 'merge-output-folder');
    assert.equal(mergeOut, join(merges, `in-with-layers-${mergeStart}-${mergeEnd}-from-rl`));
    const merged = await waitForMerge(mergeOut);
    assert.equal(merged.plan.kind, 'frankenstein');
    assert.deepEqual(merged.plan.nonDecoder, { rule: 'first-model' });
    assert.deepEqual(sliceList(merged.plan), [[0, mergeEnd + 1, 'rl'], ...(mergeEnd + 1 < 12 ? [[mergeEnd + 1, 12, 'in']] : [])]);

    // From the palette: the last comparison's pair is offered, then the range, the direction, the folder.
    await runCommandAndPick(page, 'Frankenlens: Merge Layer Range…', '(the last comparison)');
    const rangeBox = page.locator('.quick-input-widget .quick-input-box input');
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'layers to merge' }).waitFor();
    assert.equal(await rangeBox.inputValue(), '8-11', 'the late third is suggested');
    await rangeBox.fill('6-12');
    await quickInput(page).locator('.quick-input-message', { hasText: 'last decoder layer is 11' }).waitFor();
    await rangeBox.fill('6-11');
    await rangeBox.press('Enter');
    await pickQuickInputItem(page, 'RL with layers 6–11 from IN');
    const paletteOut = await acceptSuggestedFolder(page, 'RL with layers 6-11 from IN', 'merge-palette-output-folder');
    const reverse = await waitForMerge(paletteOut);
    assert.deepEqual(sliceList(reverse.plan), [[0, 6, 'rl'], [6, 12, 'in']]);

    // The paper's six thirds variants, one subfolder each under the suggested merges folder.
    await runCommandAndPick(page, 'Frankenlens: Write the Six Frankenstein Variants…', '(the last comparison)');
    assert.equal(await acceptSuggestedFolder(page, 'six Frankenstein variants', 'merge-thirds-output-folder'), merges);
    await (await findNotification(page, 'wrote the six Frankenstein variants')).first().waitFor({ timeout: 60_000 });
    const variants = readdirSync(merges).filter((name) => /^(in|rl)-early-[12]-3-/.test(name));
    assert.equal(variants.length, 6, `six variant folders: ${variants.join(', ')}`);
    for (const name of variants) assert.equal((await waitForMerge(join(merges, name))).plan.kind, 'frankenstein', name);
    await page.screenshot({ path: join(artifacts, 'merge-thirds-done-dark.png') });

    assert.deepEqual(cspViolations, [], 'no CSP violations');
    assert.deepEqual(webviewErrors, [], 'no errors in the webview console');
    return `froze HF ${start}–${end}, merged HF ${mergeStart}–${mergeEnd} from RL (keyboard), RL with 6–11 from IN (palette), the six thirds variants`;
  } catch (error) {
    await page.screenshot({ path: join(artifacts, 'e2e-merge-failure.png') }).catch(() => {});
    throw error;
  } finally {
    await close();
  }
}

await runWithDemo({ repoRoot, run, workspace, artifacts }, userFlow);

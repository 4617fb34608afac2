// Playwright helpers for driving the VS Code web workbench the way a person does: the command
// palette, quick inputs (the web's file dialogs are quick inputs too), notifications and webviews.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { startCodeServer } from './codeServer.mjs';

// Resolved at run time so the unit-test build never needs playwright-core.
const { chromium } = createRequire(import.meta.url)('playwright-core');

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Debian's Chromium; never a browser that a tool downloads. */
export function launchChromium() {
  return chromium.launch({ executablePath: process.env.FRANKENLENS_CHROMIUM ?? '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
}

export const quickInput = (page) => page.locator('.quick-input-widget');
const quickInputBox = (page) => page.locator('.quick-input-widget .quick-input-box input');

/** The rows of the open quick input whose text contains `label`. */
export const quickInputRow = (page, label) => page.locator('.quick-input-widget .monaco-list-row', { hasText: label });

/**
 * Types `text` into the quick input that `open` shows and clicks the row containing `label`.
 * Retries until the row is listed: right after start-up (or a reload) the workbench is still
 * restoring, and registering the development extension's commands and the built-in themes.
 */
async function pickWhenListed(page, open, text, label, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await open();
      await quickInputBox(page).fill(text, { timeout: 2000 });
      const row = quickInputRow(page, label).first();
      await row.waitFor({ state: 'visible', timeout: 2000 });
      await row.click();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`"${label}" never appeared in the quick input`, { cause: error });
      await page.keyboard.press('Escape');
    }
  }
}

/** Runs a palette command by its title. */
export function runCommand(page, title, { timeoutMs = 60_000 } = {}) {
  return pickWhenListed(page, () => page.keyboard.press('F1'), `>${title}`, title, timeoutMs);
}

/** Switches to a built-in colour theme through "Preferences: Color Theme", and waits until it applies. */
export async function selectColorTheme(page, theme, { timeoutMs = 60_000 } = {}) {
  await pickWhenListed(page, () => runCommand(page, 'Preferences: Color Theme'), theme, theme, timeoutMs);
  await page.locator(`.monaco-workbench.vscode-theme-defaults-themes-${theme.toLowerCase().replaceAll(' ', '_')}-json`).waitFor();
}

/**
 * Answers VS Code's web file dialog (a quick input with a path box) titled `title` with the
 * folder `path`. The dialog fills in its starting folder asynchronously and may overwrite what was
 * typed before that, so the answer is typed until it stays, and only then accepted.
 */
export async function answerFileDialog(page, title, path) {
  const dialogTitle = page.locator('.quick-input-widget .quick-input-title', { hasText: title });
  await dialogTitle.waitFor({ state: 'visible' });
  const box = quickInputBox(page);
  const answer = path.endsWith('/') ? path : `${path}/`;
  for (let attempt = 0; ; attempt++) {
    await box.fill(answer);
    await page.waitForTimeout(750);
    if ((await box.inputValue()) === answer) break;
    if (attempt === 10) throw new Error(`the "${title}" dialog does not keep the path ${answer}`);
  }
  await box.press('Enter');
  await dialogTitle.waitFor({ state: 'hidden' });
}

/** Accepts the save dialog titled `title` with its suggested path and returns that path. */
export async function acceptSaveDialog(page, title) {
  const dialogTitle = page.locator('.quick-input-widget .quick-input-title', { hasText: title });
  await dialogTitle.waitFor({ state: 'visible', timeout: 30_000 });
  const box = page.locator('.quick-input-widget .quick-input-box input');
  // The simple dialog fills its path in asynchronously: wait until it names a file.
  const suggested = await waitFor('a suggested file name', async () => {
    const value = await box.inputValue();
    return /\.[a-z.]+$/.test(value) ? value : undefined;
  });
  await box.press('Enter');
  await dialogTitle.waitFor({ state: 'hidden' });
  return suggested;
}

/**
 * Runs a palette command and picks the row containing `label` in the quick pick it opens. A
 * notification of the previous job can take the focus as the pick opens, and VS Code then closes
 * it (the command sees a cancel and does nothing): the command is run again until the pick is made.
 */
export async function runCommandAndPick(page, title, label, { timeoutMs = 90_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await runCommand(page, title);
    try {
      const row = quickInputRow(page, label).first();
      await row.waitFor({ state: 'visible', timeout: 10_000 });
      await row.click({ timeout: 5000 });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`"${label}" was never picked after "${title}"`, { cause: error });
      await page.keyboard.press('Escape');
    }
  }
}

/** Picks the row whose text contains `label` in the open quick pick. */
export async function pickQuickInputItem(page, label) {
  const row = quickInputRow(page, label).first();
  await row.waitFor({ state: 'visible' });
  await row.click();
}

/** The content frame of the visible webview: VS Code nests it two iframes deep. */
export function webviewFrame(page) {
  return page.frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');
}

/**
 * Notifications whose text contains `text`, read from the notification center: the workbench shows
 * no toasts under the smoke-test driver, which development extensions need.
 */
export async function findNotification(page, text) {
  if ((await page.locator('.notifications-center.visible').count()) === 0) await runCommand(page, 'Notifications: Show Notifications');
  return page.locator('.notifications-center .notification-list-item', { hasText: text });
}

/** Quiet test settings: no welcome page, no secondary side bar, no chat. */
const TEST_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'window.commandCenter': false,
};

/** Webview content is served from VS Code's webview host page or its resource origin. */
const isWebviewUrl = (url) => url.includes('/contrib/webview/browser/pre/') || url.includes('vscode-cdn.net') || url.startsWith('vscode-webview:');

/**
 * The "Activation: N ms" that VS Code's own Running Extensions view reports for the extension
 * shown as `extensionName` (its display name, or publisher.name for a development extension)
 * (the extension host's activation timing: code loading plus the activate() call).
 */
export async function activationMilliseconds(page, extensionName) {
  await runCommand(page, 'Developer: Show Running Extensions');
  const row = page.locator('.runtime-extensions-editor .monaco-list-row').filter({ has: page.getByText(extensionName, { exact: true }) });
  // The row is drawn before its timings arrive from the extension host.
  const match = await waitFor(`the activation time of ${extensionName}`, async () =>
    (await row.first().innerText({ timeout: 30_000 })).match(/Activation:\s*([\d.]+)\s*ms/),
  );
  return Number(match[1]);
}

/**
 * Starts code-server on `workspace` with the extension at `extensionPath`, opens it in a new page
 * and picks `theme` (in the UI: settings.json's theme is not applied at startup here). Content
 * Security Policy violations reported on the page's console are collected in `cspViolations`, and
 * errors logged by webviews (ours are the only ones) in `webviewErrors`.
 * `close()` closes the page and stops code-server (`server`) with every process it spawned.
 */
export async function openWorkbench(browser, { runDir, workspace, extensionPath, viewport = { width: 1400, height: 1000 }, theme = 'Dark Modern' }) {
  const server = await startCodeServer({ runDir, workspace, extensionPath, settings: TEST_SETTINGS });
  const page = await browser.newPage({ viewport });
  const close = async () => {
    await page.close();
    await server.stop();
  };
  const cspViolations = [];
  const webviewErrors = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    if (message.type() === 'error' && isWebviewUrl(message.location().url)) webviewErrors.push(message.text());
  });
  try {
    await page.goto(server.url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    // theme: null keeps the default: picking one writes settings.json, whose JSON model wakes
    // every extension activated on JSON files, ours included.
    if (theme !== null) await selectColorTheme(page, theme);
  } catch (error) {
    await close();
    throw error;
  }
  return { page, server, cspViolations, webviewErrors, close };
}

/** Polls `check` every `intervalMs` until it returns something truthy, and returns that. */
export async function waitFor(description, check, timeoutMs = 30_000, intervalMs = 250) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${description}`);
    await new Promise((done) => setTimeout(done, intervalMs));
  }
}

/**
 * Writes the CLI demo (dist/ must be built) into `workspace`, runs `scenario(browser)` in Chromium
 * and prints its summary; the run folder is removed afterwards unless FRANKENLENS_KEEP_RUN=1.
 */
export async function runWithDemo({ repoRoot, run, workspace, artifacts }, scenario) {
  execFileSync(process.execPath, [join(repoRoot, 'dist/cli.js'), 'demo', '--weights-only', '--dir', join(workspace, 'demo')], { stdio: 'ignore' });
  const browser = await launchChromium();
  try {
    console.log(`e2e: ok (${await scenario(browser)}); screenshots in ${artifacts}`);
  } finally {
    await browser.close();
    if (process.env.FRANKENLENS_KEEP_RUN === '1') console.log(`e2e: run folder kept at ${run}`);
    else rmSync(run, { recursive: true, force: true });
  }
}

/**
 * Runs "Frankenlens: Compare Checkpoints" from the palette and answers its dialogs: IN, RL and,
 * when `baseDir` is given, Base. Waiting for the result is the caller's business (it may fail).
 */
export async function compareFromPalette(page, { inDir, rlDir, baseDir }) {
  await runCommand(page, 'Frankenlens: Compare Checkpoints');
  await answerFileDialog(page, 'SFT checkpoint (IN)', inDir);
  await answerFileDialog(page, 'RL checkpoint', rlDir);
  if (baseDir === undefined) await pickQuickInputItem(page, 'Compare IN and RL only');
  else {
    await pickQuickInputItem(page, 'Also compare with a Base checkpoint');
    await answerFileDialog(page, 'Base checkpoint', baseDir);
  }
}

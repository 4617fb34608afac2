// Installs dependencies when node_modules is missing or older than the lock file, so that
// `npm test`, `npm run demo` and `npm run bench` work on a fresh clone.
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const marker = 'node_modules/.package-lock.json';
const stale = !existsSync(marker) || (existsSync('package-lock.json') && statSync('package-lock.json').mtimeMs > statSync(marker).mtimeMs);
if (stale) {
  console.log('frankenlens: installing dependencies (npm ci)...');
  execSync(existsSync('package-lock.json') ? 'npm ci' : 'npm install', { stdio: 'inherit' });
}

// Runs every real-VS-Code script in test/e2e (`*.e2e.mjs`) one after the other, each in its own
// process. A script that fails is run once more before the suite fails: a loaded machine can
// slow the workbench past a wait now and then, and a real defect fails twice. `npm run test:e2e`.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const here = resolve(import.meta.dirname);
const only = process.argv.slice(2);
const scripts = readdirSync(here)
  .filter((name) => name.endsWith('.e2e.mjs'))
  .filter((name) => only.length === 0 || only.some((wanted) => name.startsWith(wanted)))
  .sort();

const failures = [];
for (const script of scripts) {
  let passed = false;
  for (let attempt = 1; attempt <= 2 && !passed; attempt++) {
    const started = Date.now();
    const { status } = spawnSync(process.execPath, [join(here, script)], { stdio: 'inherit' });
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    passed = status === 0;
    console.log(`${passed ? 'pass' : 'FAIL'} ${script} (attempt ${attempt}, ${seconds} s)`);
  }
  if (!passed) failures.push(script);
}
if (failures.length > 0) {
  console.error(`e2e: ${failures.length} of ${scripts.length} failed: ${failures.join(', ')}`);
  process.exit(1);
}
console.log(`e2e: all ${scripts.length} passed`);

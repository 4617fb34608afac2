// `npm run package [-- --target <platform>]`: a platform-specific VSIX. The bundles carry all
// JavaScript; the VSIX adds onnxruntime-node with that one platform's native binaries (the npm
// package has every platform's, 288 MB), and onnxruntime-common, which it loads.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** vsce targets, and where onnxruntime-node keeps their binaries (1.30 ships no darwin-x64). */
const RUNTIME_FOLDERS = {
  'linux-x64': 'linux/x64',
  'linux-arm64': 'linux/arm64',
  'darwin-arm64': 'darwin/arm64',
  'win32-x64': 'win32/x64',
  'win32-arm64': 'win32/arm64',
};

const targetIndex = process.argv.indexOf('--target');
const target = targetIndex >= 0 ? process.argv[targetIndex + 1] : 'linux-x64';
const runtimeFolder = RUNTIME_FOLDERS[target];
if (runtimeFolder === undefined) {
  console.error(`unknown --target ${target}; one of ${Object.keys(RUNTIME_FOLDERS).join(', ')}`);
  process.exit(2);
}

// .vscodeignore leaves node_modules out; these lines bring back what the runtime loads.
const ignoreFile = join('out', `vsixignore-${target}`);
mkdirSync('out', { recursive: true });
writeFileSync(
  ignoreFile,
  [
    readFileSync('.vscodeignore', 'utf8'),
    '!node_modules/onnxruntime-common/package.json',
    '!node_modules/onnxruntime-common/dist/cjs/**',
    '!node_modules/onnxruntime-node/package.json',
    '!node_modules/onnxruntime-node/dist/**',
    `!node_modules/onnxruntime-node/bin/napi-v*/${runtimeFolder}/**`,
    '',
  ].join('\n'),
);
execFileSync('npx', ['vsce', 'package', '--target', target, '--ignoreFile', ignoreFile], { stdio: 'inherit' });

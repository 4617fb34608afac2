// `npm run package [-- --target <platform>]`: a platform-specific VSIX. The bundles carry all
// JavaScript; the VSIX adds the native modules the extension and its CLI jobs load, for that one
// platform: onnxruntime-node with that platform's binaries (the npm package has every platform's,
// 288 MB) and onnxruntime-common, which it loads; @resvg/resvg-js and its platform binding (the
// PNG charts). dist/jobRunner.js ships: the extension runs every long job (diff, merge, spectra, probes, scoring, demo) in it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** vsce targets and @resvg/resvg-js's binding package for each (glibc builds on Linux). */
const RESVG_BINDINGS = {
  'linux-x64': 'linux-x64-gnu',
  'linux-arm64': 'linux-arm64-gnu',
  'darwin-arm64': 'darwin-arm64',
  'win32-x64': 'win32-x64-msvc',
  'win32-arm64': 'win32-arm64-msvc',
};

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

// npm installs only this machine's resvg binding; another target's comes from the npm registry.
const resvgBinding = `@resvg/resvg-js-${RESVG_BINDINGS[target]}`;
const resvgFolder = join('node_modules', resvgBinding);
if (!existsSync(resvgFolder)) {
  const version = JSON.parse(readFileSync('node_modules/@resvg/resvg-js/package.json', 'utf8')).version;
  mkdirSync(join('out', 'resvg'), { recursive: true });
  const tarball = execFileSync('npm', ['pack', `${resvgBinding}@${version}`, '--pack-destination', join('out', 'resvg')], { encoding: 'utf8' }).trim().split('\n').at(-1);
  mkdirSync(resvgFolder, { recursive: true });
  execFileSync('tar', ['-xzf', join('out', 'resvg', tarball), '-C', resvgFolder, '--strip-components=1']);
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
    '!node_modules/@resvg/resvg-js/package.json',
    '!node_modules/@resvg/resvg-js/index.js',
    '!node_modules/@resvg/resvg-js/js-binding.js',
    `!${resvgFolder}/**`,
    '',
  ].join('\n'),
);
// package.json's "files" says what the npm package carries; vsce would read it as the VSIX's list
// too (and refuses it beside an ignore file), so vsce sees package.json without it, restored after.
const manifestText = readFileSync('package.json', 'utf8');
const { files: _npmFiles, ...vsixManifest } = JSON.parse(manifestText);
const restoreManifest = () => writeFileSync('package.json', manifestText);
process.once('SIGINT', () => {
  restoreManifest();
  process.exit(130);
});
writeFileSync('package.json', `${JSON.stringify(vsixManifest, null, 2)}\n`);
try {
  execFileSync('npx', ['vsce', 'package', '--target', target, '--ignoreFile', ignoreFile], { stdio: 'inherit' });
} finally {
  restoreManifest();
}

/**
 * `frankenlens gpu setup --from` and `gpu check` into a temp copy of onnxruntime-node's binary
 * folder (FRANKENLENS_ORT_BIN_DIR), from folders, a .nupkg and a .tgz holding fake provider files
 * that carry a version string; wrong versions and half sets are refused; `--device cuda` fails here
 * with what is missing, and `auto` runs on the CPU saying why.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../helpers/tempDir';
import { zip } from '../helpers/zipWriter';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');
const MODEL_DIR = join(__dirname, '..', '..', 'test', 'fixtures', 'qwen2_5_vl_tiny');
const REAL_BIN = join(dirname(require.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
const CUDA = 'libonnxruntime_providers_cuda.so';
const SHARED = 'libonnxruntime_providers_shared.so';
const ORIGINAL = readdirSync(REAL_BIN).filter((name) => name !== CUDA && name !== SHARED).sort();

/** A temp copy of onnxruntime-node's binary folder, without provider files. */
function binCopy(): string {
  const bin = join(tempDir(), 'bin');
  mkdirSync(bin);
  for (const name of ORIGINAL) cpSync(join(REAL_BIN, name), join(bin, name));
  return bin;
}

function frankenlens(bin: string, ...args: string[]) {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, FRANKENLENS_ORT_BIN_DIR: bin } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

const fakeLibrary = (name: string, version: string) => Buffer.from(`\x7fELF fake ${name} ...VERS_${version}\0 padding ${'x'.repeat(4096)}`, 'latin1');
const nuspec = (version: string) => `<?xml version="1.0"?><package><metadata><id>Microsoft.ML.OnnxRuntime.Gpu.Linux</id><version>${version}</version></metadata></package>`;

function writeFiles(root: string, files: Record<string, string | Buffer>): void {
  for (const [path, data] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), data);
  }
}

/** A zip with deflated entries (a .nupkg is one). */
/** A zip of these files, deflated. */
const zipOf = (files: Record<string, string | Buffer>) => zip(Object.entries(files).map(([name, data]) => ({ name, data })));

function assertInstalled(bin: string, version: string): void {
  assert.deepEqual(readdirSync(bin).sort(), [...ORIGINAL, CUDA, SHARED].sort(), 'only the two provider files are added, no temp files left');
  assert.deepEqual(readFileSync(join(bin, CUDA)), fakeLibrary(CUDA, version));
  assert.deepEqual(readFileSync(join(bin, SHARED)), fakeLibrary(SHARED, version));
  for (const name of ORIGINAL) assert.deepEqual(readFileSync(join(bin, name)), readFileSync(join(REAL_BIN, name)), `${name} untouched`);
}

const PROVIDERS_MISSING = (bin: string) =>
  `CUDA cannot be used. onnxruntime's CUDA provider files ${CUDA} and ${SHARED} are missing from ${bin} (the npm package of onnxruntime-node does not carry them): get the Microsoft.ML.OnnxRuntime.Gpu.Linux 1.30.0 NuGet package, the onnxruntime-linux-x64-gpu-1.30.0 release archive or a Python onnxruntime-gpu 1.30.0 install, then run "frankenlens gpu setup --from PATH".`;

describe('frankenlens gpu', () => {
  it('check reports the missing provider files with exit 3', () => {
    const bin = binCopy();
    const run = frankenlens(bin, 'gpu', 'check');
    assert.equal(run.status, 3, run.stderr);
    assert.match(run.stdout, new RegExp(`^FAIL provider files: ${CUDA} and ${SHARED} are not in `));
    assert.ok(run.stdout.includes(`\n\n${PROVIDERS_MISSING(bin)}`), run.stdout);
  });

  it('sets up from an extracted NuGet package (versions from its .nuspec), then checks', () => {
    const bin = binCopy();
    const from = join(tempDir(), 'nuget');
    writeFiles(from, { 'Microsoft.ML.OnnxRuntime.Gpu.Linux.nuspec': nuspec('1.30.0'), [`runtimes/linux-x64/native/${CUDA}`]: fakeLibrary(CUDA, '1.30.0'), [`runtimes/linux-x64/native/${SHARED}`]: fakeLibrary(SHARED, '1.30.0') });
    const run = frankenlens(bin, 'gpu', 'setup', '--from', from);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^installed onnxruntime 1\.30\.0's CUDA provider \(version from Microsoft\.ML\.OnnxRuntime\.Gpu\.Linux\.nuspec\):/);
    assert.match(run.stdout, /ok {3}provider files: /);
    assertInstalled(bin, '1.30.0');
  });

  it('sets up from a folder whose only version is the string inside the library', () => {
    const bin = binCopy();
    const from = join(tempDir(), 'capi');
    writeFiles(from, { [CUDA]: fakeLibrary(CUDA, '1.30.0'), [SHARED]: fakeLibrary(SHARED, '1.30.0') });
    const run = frankenlens(bin, 'gpu', 'setup', `--from=${from}`);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /version from the string VERS_1\.30\.0 in libonnxruntime_providers_cuda\.so/);
    assertInstalled(bin, '1.30.0');
  });

  it('sets up from a .nupkg and from a release .tgz', () => {
    const bin = binCopy();
    const dir = tempDir();
    const nupkg = join(dir, 'microsoft.ml.onnxruntime.gpu.linux.1.30.0.nupkg');
    writeFileSync(nupkg, zipOf({ 'Microsoft.ML.OnnxRuntime.Gpu.Linux.nuspec': nuspec('1.30.0'), [`runtimes/linux-x64/native/${CUDA}`]: fakeLibrary(CUDA, '1.30.0'), [`runtimes/linux-x64/native/${SHARED}`]: fakeLibrary(SHARED, '1.30.0') }));
    const fromZip = frankenlens(bin, 'gpu', 'setup', '--from', nupkg);
    assert.equal(fromZip.status, 0, fromZip.stderr);
    assertInstalled(bin, '1.30.0');

    const bin2 = binCopy();
    writeFiles(join(dir, 'release'), { [`onnxruntime-linux-x64-gpu-1.30.0/lib/${CUDA}`]: fakeLibrary(CUDA, '1.30.0'), [`onnxruntime-linux-x64-gpu-1.30.0/lib/${SHARED}`]: fakeLibrary(SHARED, '1.30.0') });
    const tgz = join(dir, 'onnxruntime-linux-x64-gpu-1.30.0.tgz');
    execFileSync('tar', ['-czf', tgz, '-C', join(dir, 'release'), 'onnxruntime-linux-x64-gpu-1.30.0']);
    const fromTgz = frankenlens(bin2, 'gpu', 'setup', '--from', tgz);
    assert.equal(fromTgz.status, 0, fromTgz.stderr);
    assert.match(fromTgz.stdout, /version from folder onnxruntime-linux-x64-gpu-1\.30\.0/);
    assertInstalled(bin2, '1.30.0');
  });

  it('refuses a .nupkg of another version', () => {
    const bin = binCopy();
    const nupkg = join(tempDir(), 'old.nupkg');
    writeFileSync(nupkg, zipOf({ 'Microsoft.ML.OnnxRuntime.Gpu.Linux.nuspec': nuspec('1.22.0'), [`runtimes/linux-x64/native/${CUDA}`]: fakeLibrary(CUDA, '1.22.0'), [`runtimes/linux-x64/native/${SHARED}`]: fakeLibrary(SHARED, '1.22.0') }));
    const run = frankenlens(bin, 'gpu', 'setup', '--from', nupkg);
    assert.equal(run.status, 3);
    assert.equal(run.stderr, `frankenlens: error: ${nupkg}: these are onnxruntime 1.22.0's CUDA provider files (Microsoft.ML.OnnxRuntime.Gpu.Linux.nuspec); onnxruntime-node here is 1.30.0 and needs those of 1.30.x\n`);
    assert.deepEqual(readdirSync(bin).sort(), ORIGINAL);
  });

  it('refuses a folder whose files carry another version', () => {
    const bin = binCopy();
    const from = join(tempDir(), 'capi');
    writeFiles(from, { [CUDA]: fakeLibrary(CUDA, '1.29.1'), [SHARED]: fakeLibrary(SHARED, '1.29.1') });
    const run = frankenlens(bin, 'gpu', 'setup', '--from', from);
    assert.equal(run.status, 3);
    assert.equal(run.stderr, `frankenlens: error: ${from}: these are onnxruntime 1.29.1's CUDA provider files (the string VERS_1.29.1 in ${CUDA}); onnxruntime-node here is 1.30.0 and needs those of 1.30.x\n`);
    assert.deepEqual(readdirSync(bin).sort(), ORIGINAL);
  });

  it('refuses half a set, and a folder with neither file', () => {
    const bin = binCopy();
    const from = join(tempDir(), 'half');
    writeFiles(from, { [`lib/${CUDA}`]: fakeLibrary(CUDA, '1.30.0') });
    const half = frankenlens(bin, 'gpu', 'setup', '--from', from);
    assert.equal(half.status, 3);
    assert.equal(half.stderr, `frankenlens: error: ${from}: ${join(from, 'lib')} holds ${CUDA} but not ${SHARED}; both provider files are needed\n`);
    const empty = frankenlens(bin, 'gpu', 'setup', '--from', tempDir());
    assert.equal(empty.status, 3);
    assert.match(empty.stderr, new RegExp(`holds neither ${CUDA} nor ${SHARED}`));
    assert.deepEqual(readdirSync(bin).sort(), ORIGINAL);
  });

  it('refuses a FIFO named like an archive at once, instead of waiting on it', () => {
    const bin = binCopy();
    const fifo = join(tempDir(), 'provider.nupkg');
    execFileSync('mkfifo', [fifo]);
    const run = frankenlens(bin, 'gpu', 'setup', '--from', fifo);
    assert.equal(run.status, 3);
    assert.equal(run.stderr, `frankenlens: error: ${fifo}: not a regular file or a folder (it is a FIFO (named pipe))\n`);
    assert.deepEqual(readdirSync(bin).sort(), ORIGINAL);
  });

  it('generate --device cuda fails with what is missing; auto runs on the CPU and says why', () => {
    const bin = binCopy();
    const cacheDir = tempDir();
    const cuda = frankenlens(bin, 'generate', '--model', MODEL_DIR, '--prompt', 'hi', '--max-new-tokens', '1', '--device', 'cuda', '--cache-dir', cacheDir);
    assert.equal(cuda.status, 3);
    assert.ok(cuda.stderr.includes(`\nfrankenlens: error: ${PROVIDERS_MISSING(bin)}`), cuda.stderr);
    assert.ok(cuda.stderr.endsWith('\n') && cuda.stderr.split('\n').filter((line) => line.startsWith('frankenlens: error: ')).length === 1);
    const auto = frankenlens(bin, 'generate', '--model', MODEL_DIR, '--prompt', 'hi', '--max-new-tokens', '1', '--device', 'auto', '--threads', '1', '--cache-dir', cacheDir, '--json');
    assert.equal(auto.status, 0, auto.stderr);
    assert.equal(auto.stderr.split('\n').filter((line) => line.startsWith('CUDA not used: ')).length, 1);
    assert.match(auto.stderr, new RegExp(`CUDA not used: provider files: ${CUDA} and ${SHARED} are not in `));
    const result = JSON.parse(auto.stdout);
    assert.equal(result.executionProvider, 'cpu');
    assert.equal(result.precision, 'float32');
  });
});

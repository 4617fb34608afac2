/**
 * CUDA detection through a fake environment: every failure path with its exact message, the test
 * session only when everything else is found, and `cuda`/`auto` in sessions.ts (no silent fallback).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { detectCuda, detectCudaFiles, describeCudaReport, type CudaEnvironment } from '../../../src/core/model/cudaDetection';
import { cudaAvailable, resolveExecutionProvider, useCudaEnvironment } from '../../../src/core/model/sessions';

const BIN = '/ort/bin';
const LIBS = '/usr/local/cuda/lib64';
const CUDA_LIBS = ['libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12', 'libcufft.so.11', 'libcurand.so.10'];

function fakeEnv(options: { without?: string[]; session?: string; driverVersion?: string } = {}): CudaEnvironment & { sessions: number } {
  const files = new Set([
    join(BIN, 'libonnxruntime.so.1'),
    join(BIN, 'libonnxruntime_providers_cuda.so'),
    join(BIN, 'libonnxruntime_providers_shared.so'),
    ...[...CUDA_LIBS, 'libcudnn.so.9'].map((name) => join(LIBS, name)),
    '/usr/lib/x86_64-linux-gnu/libcuda.so.1',
  ]);
  for (const name of options.without ?? []) for (const file of [...files]) if (file.endsWith(`/${name}`)) files.delete(file);
  const env = {
    platform: 'linux' as const,
    arch: 'x64',
    sessions: 0,
    binDir: () => BIN,
    fileExists: (path: string) => files.has(path),
    loaderDirs: () => [LIBS, '/usr/lib/x86_64-linux-gnu'],
    driverVersion: () => options.driverVersion ?? 'driver 550.54.15',
    async trySession() {
      env.sessions++;
      return options.session;
    },
  };
  return env;
}

const SETUP_HINT = 'get the Microsoft.ML.OnnxRuntime.Gpu.Linux 1.30.0 NuGet package, the onnxruntime-linux-x64-gpu-1.30.0 release archive or a Python onnxruntime-gpu 1.30.0 install, then run "frankenlens gpu setup --from PATH".';

describe('CUDA detection', () => {
  it('passes with everything found and a test session that runs', async () => {
    const env = fakeEnv();
    const report = await detectCuda(env);
    assert.equal(report.ok, true);
    assert.deepEqual(report.missing, []);
    assert.deepEqual(report.checks.map((check) => check.name), ['provider files', 'CUDA 12 libraries', 'cuDNN 9', 'NVIDIA driver', 'test session']);
    assert.equal(report.checks[3]!.detail, '/usr/lib/x86_64-linux-gnu/libcuda.so.1, driver 550.54.15');
    assert.equal(env.sessions, 1);
    assert.match(report.message, /^CUDA is ready/);
  });

  it('names both provider files when both are missing, and opens no session', async () => {
    const env = fakeEnv({ without: ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'] });
    const report = await detectCuda(env);
    assert.equal(report.ok, false);
    assert.equal(env.sessions, 0);
    assert.deepEqual(report.missing, ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so']);
    assert.deepEqual(report.checks[0], { name: 'provider files', ok: false, detail: 'libonnxruntime_providers_cuda.so and libonnxruntime_providers_shared.so are not in /ort/bin' });
    assert.equal(
      report.message,
      `CUDA cannot be used. onnxruntime's CUDA provider files libonnxruntime_providers_cuda.so and libonnxruntime_providers_shared.so are missing from /ort/bin (the npm package of onnxruntime-node does not carry them): ${SETUP_HINT}`,
    );
    assert.equal(report.checks.length, 4);
  });

  it('names the one provider file missing', async () => {
    const report = await detectCuda(fakeEnv({ without: ['libonnxruntime_providers_shared.so'] }));
    assert.deepEqual(report.missing, ['libonnxruntime_providers_shared.so']);
    assert.equal(report.message, `CUDA cannot be used. onnxruntime's CUDA provider file libonnxruntime_providers_shared.so is missing from /ort/bin (the npm package of onnxruntime-node does not carry them): ${SETUP_HINT}`);
  });

  it('names the CUDA 12 libraries the loader cannot find', async () => {
    const report = await detectCuda(fakeEnv({ without: ['libcublasLt.so.12', 'libcurand.so.10'] }));
    assert.deepEqual(report.missing, ['libcublasLt.so.12', 'libcurand.so.10']);
    assert.deepEqual(report.checks[1], { name: 'CUDA 12 libraries', ok: false, detail: 'libcublasLt.so.12 and libcurand.so.10 not found by the dynamic loader' });
    assert.equal(
      report.message,
      "CUDA cannot be used. The CUDA 12 runtime libraries libcublasLt.so.12 and libcurand.so.10 are not found: install the CUDA 12 runtime (apt, from NVIDIA's CUDA repository: cuda-cudart-12-X libcublas-12-X libcufft-12-X libcurand-12-X), or add their lib folder to LD_LIBRARY_PATH.",
    );
  });

  it('names cuDNN 9 when it is missing', async () => {
    const report = await detectCuda(fakeEnv({ without: ['libcudnn.so.9'] }));
    assert.deepEqual(report.missing, ['libcudnn.so.9']);
    assert.equal(report.message, "CUDA cannot be used. cuDNN 9 (libcudnn.so.9) is not found: install cuDNN 9 for CUDA 12 (apt, from NVIDIA's CUDA repository: libcudnn9-cuda-12), or add its lib folder to LD_LIBRARY_PATH.");
  });

  it('says no NVIDIA driver was found', async () => {
    const report = await detectCuda(fakeEnv({ without: ['libcuda.so.1'] }));
    assert.deepEqual(report.missing, ['libcuda.so.1']);
    assert.equal(report.message, 'CUDA cannot be used. No NVIDIA driver found (libcuda.so.1 is not found): CUDA needs an NVIDIA GPU with its driver installed (525 or newer for CUDA 12).');
  });

  it('reports a test session that fails', async () => {
    const report = await detectCuda(fakeEnv({ session: 'CUDA failure 100: no CUDA-capable device is detected' }));
    assert.equal(report.ok, false);
    assert.deepEqual(report.missing, ['a working CUDA session']);
    assert.deepEqual(report.checks[4], { name: 'test session', ok: false, detail: 'CUDA failure 100: no CUDA-capable device is detected' });
    assert.equal(report.message, 'CUDA cannot be used. Everything CUDA needs is found, but a test session on the CUDA provider failed: CUDA failure 100: no CUDA-capable device is detected.');
  });

  it('lists every missing thing in check order, and describes the report line by line', async () => {
    const report = await detectCuda(fakeEnv({ without: ['libonnxruntime_providers_cuda.so', 'libcudart.so.12', 'libcudnn.so.9', 'libcuda.so.1'] }));
    assert.deepEqual(report.missing, ['libonnxruntime_providers_cuda.so', 'libcudart.so.12', 'libcudnn.so.9', 'libcuda.so.1']);
    const text = describeCudaReport(report);
    assert.match(text, /^FAIL provider files: libonnxruntime_providers_cuda\.so is not in \/ort\/bin\nFAIL CUDA 12 libraries: /);
  });

  it('knows platforms without a CUDA provider', () => {
    const report = detectCudaFiles({ ...fakeEnv(), platform: 'darwin', arch: 'arm64' });
    assert.equal(report.ok, false);
    assert.equal(report.checks[0]!.detail, 'onnxruntime-node 1.30 has no CUDA provider for darwin/arm64');
  });
});

describe('execution provider choice', () => {
  afterEach(() => useCudaEnvironment(undefined));

  it('cuda fails with the detection message', async () => {
    useCudaEnvironment(fakeEnv({ without: ['libcudnn.so.9'] }));
    await assert.rejects(resolveExecutionProvider('cuda'), (error: Error) => error.message === "CUDA cannot be used. cuDNN 9 (libcudnn.so.9) is not found: install cuDNN 9 for CUDA 12 (apt, from NVIDIA's CUDA repository: libcudnn9-cuda-12), or add its lib folder to LD_LIBRARY_PATH.");
  });

  it('cuda fails when the test session fails', async () => {
    useCudaEnvironment(fakeEnv({ session: 'no device' }));
    await assert.rejects(resolveExecutionProvider('cuda'), /test session on the CUDA provider failed: no device/);
  });

  it('auto runs on the CPU and says why once', async () => {
    const lines: string[] = [];
    useCudaEnvironment(fakeEnv({ without: ['libcuda.so.1'] }));
    assert.equal(cudaAvailable((line) => lines.push(line)), false);
    assert.equal(await resolveExecutionProvider('auto'), 'cpu');
    assert.equal(await resolveExecutionProvider('auto'), 'cpu');
    assert.deepEqual(lines, ['CUDA not used: NVIDIA driver: libcuda.so.1 not found by the dynamic loader']);
  });

  it('auto runs on CUDA only when detection passes fully, test session included', async () => {
    const lines: string[] = [];
    useCudaEnvironment(fakeEnv({ session: 'out of memory' }));
    assert.equal(cudaAvailable((line) => lines.push(line)), true);
    assert.equal(await resolveExecutionProvider('auto'), 'cpu');
    assert.deepEqual(lines, ['CUDA not used: test session: out of memory']);
    useCudaEnvironment(fakeEnv());
    assert.equal(await resolveExecutionProvider('auto'), 'cuda');
    assert.equal(await resolveExecutionProvider('cpu'), 'cpu');
  });
});

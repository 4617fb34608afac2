/**
 * Whether onnxruntime-node can run graphs on CUDA here, and if not exactly what is missing. The
 * npm package of onnxruntime-node 1.30 carries no CUDA provider libraries (its install script
 * fetches them from NuGet, and our installs skip it), so they are checked first, then what the
 * provider loads: the CUDA 12 runtime libraries, cuDNN 9 and the NVIDIA driver. Only when all of
 * those are found is a one-node test session opened on CUDA and run. Every probe goes through a
 * CudaEnvironment, so tests walk each failure path on a machine without a GPU.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GraphBuilder } from './onnxGraph';

/** Folder holding onnxruntime-node's binaries; tests point it at a copy. */
export const ORT_BIN_DIR_ENV = 'FRANKENLENS_ORT_BIN_DIR';

/** The onnxruntime version whose CUDA provider files fit the installed binding. */
export const ORT_VERSION = '1.30.0';

export interface CudaCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface CudaReport {
  ok: boolean;
  checks: CudaCheck[];
  /** What is missing, file names first, in check order. */
  missing: string[];
  /** One paragraph: what is missing and how to get it (or that CUDA is ready). */
  message: string;
}

export interface CudaEnvironment {
  platform: NodeJS.Platform;
  arch: string;
  /** onnxruntime-node's binary folder for this platform and arch. */
  binDir(): string;
  fileExists(path: string): boolean;
  /** Folders the dynamic loader searches (LD_LIBRARY_PATH, ldconfig's cache, standard folders). */
  loaderDirs(): string[];
  /** The driver's version line, or undefined when none can be read. */
  driverVersion(): string | undefined;
  /** Opens and runs a one-node graph on CUDA: undefined when it ran, else why not. */
  trySession(): Promise<string | undefined>;
}

/** The two provider files, by platform. */
export function providerFileNames(platform: NodeJS.Platform = process.platform): [string, string] {
  return platform === 'win32' ? ['onnxruntime_providers_cuda.dll', 'onnxruntime_providers_shared.dll'] : ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'];
}

/** onnxruntime's own library next to which the provider files go. */
export function ortLibraryName(platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? 'onnxruntime.dll' : 'libonnxruntime.so.1';
}

/** What the CUDA execution provider of onnxruntime 1.30 (CUDA 12, cuDNN 9) loads. */
function runtimeLibraries(platform: NodeJS.Platform): { cuda: string[]; cudnn: string; driver: string } {
  if (platform === 'win32') return { cuda: ['cudart64_12.dll', 'cublas64_12.dll', 'cublasLt64_12.dll', 'cufft64_11.dll', 'curand64_10.dll'], cudnn: 'cudnn64_9.dll', driver: 'nvcuda.dll' };
  return { cuda: ['libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12', 'libcufft.so.11', 'libcurand.so.10'], cudnn: 'libcudnn.so.9', driver: 'libcuda.so.1' };
}

/** onnxruntime-node's binary folder, found as sessions.ts always has (or FRANKENLENS_ORT_BIN_DIR). */
export function ortBinDir(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string {
  const override = process.env[ORT_BIN_DIR_ENV];
  if (override) return override;
  return join(dirname(require.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', platform, arch);
}

const list = (names: string[]) => (names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`);

/** The checks in order; the test session only when every other check passed. */
export async function detectCuda(env: CudaEnvironment = systemCudaEnvironment()): Promise<CudaReport> {
  const found = checkFiles(env);
  const { checks, missing, remedies } = found;
  // (d) a test session, only when everything it needs is there.
  if (missing.length === 0) {
    const failure = await env.trySession();
    if (failure !== undefined) {
      checks.push({ name: 'test session', ok: false, detail: failure });
      missing.push('a working CUDA session');
      remedies.push(`Everything CUDA needs is found, but a test session on the CUDA provider failed: ${failure}.`);
    } else {
      checks.push({ name: 'test session', ok: true, detail: 'a one-node graph ran on the CUDA provider' });
    }
  }
  return toReport(found, true);
}

/** Checks (a) to (c) only, no session opened: what `auto` decides on before anything loads. */
export function detectCudaFiles(env: CudaEnvironment = systemCudaEnvironment()): CudaReport {
  return toReport(checkFiles(env), false);
}

interface Findings {
  checks: CudaCheck[];
  missing: string[];
  remedies: string[];
}

function toReport({ checks, missing, remedies }: Findings, sessionRan: boolean): CudaReport {
  const ok = missing.length === 0;
  const ready = sessionRan
    ? "CUDA is ready: onnxruntime's CUDA provider, the CUDA 12 runtime, cuDNN 9 and the NVIDIA driver are found, and a test session ran on the GPU."
    : "CUDA looks ready: onnxruntime's CUDA provider, the CUDA 12 runtime, cuDNN 9 and the NVIDIA driver are found (no test session run).";
  return { ok, checks, missing, message: ok ? ready : `CUDA cannot be used. ${remedies.join(' ')}` };
}

function checkFiles(env: CudaEnvironment): Findings {
  const checks: CudaCheck[] = [];
  const missing: string[] = [];
  const remedies: string[] = [];
  const bin = env.binDir();
  const supported = (env.platform === 'linux' || env.platform === 'win32') && env.arch === 'x64';

  // (a) the provider files next to onnxruntime's own library.
  const providers = providerFileNames(env.platform);
  if (!supported) {
    checks.push({ name: 'provider files', ok: false, detail: `onnxruntime-node 1.30 has no CUDA provider for ${env.platform}/${env.arch}` });
    missing.push(...providers);
    remedies.push(`onnxruntime-node 1.30 runs CUDA only on linux/x64 and win32/x64, not on ${env.platform}/${env.arch}.`);
  } else {
    const absent = providers.filter((name) => !env.fileExists(join(bin, name)));
    if (!env.fileExists(join(bin, ortLibraryName(env.platform)))) {
      checks.push({ name: 'provider files', ok: false, detail: `onnxruntime-node's ${ortLibraryName(env.platform)} is not in ${bin}` });
      missing.push(...absent);
      remedies.push(`onnxruntime-node's binaries are not in ${bin}; reinstall Frankenlens's dependencies (npm ci).`);
    } else if (absent.length > 0) {
      checks.push({ name: 'provider files', ok: false, detail: `${list(absent)} ${absent.length === 1 ? 'is' : 'are'} not in ${bin}` });
      missing.push(...absent);
      remedies.push(
        `onnxruntime's CUDA provider ${absent.length === 1 ? 'file' : 'files'} ${list(absent)} ${absent.length === 1 ? 'is' : 'are'} missing from ${bin} (the npm package of onnxruntime-node does not carry them): ` +
          `get the Microsoft.ML.OnnxRuntime.Gpu.Linux ${ORT_VERSION} NuGet package, the onnxruntime-linux-x64-gpu-${ORT_VERSION} release archive or a Python onnxruntime-gpu ${ORT_VERSION} install, then run "frankenlens gpu setup --from PATH".`,
      );
    } else {
      checks.push({ name: 'provider files', ok: true, detail: `${list(providers)} in ${bin}` });
    }
  }

  // (b) the CUDA 12 runtime and cuDNN 9, where the dynamic loader looks.
  const libraries = runtimeLibraries(env.platform);
  const dirs = env.loaderDirs();
  const find = (name: string) => dirs.map((dir) => join(dir, name)).find((path) => env.fileExists(path));
  const pathVariable = env.platform === 'win32' ? 'PATH' : 'LD_LIBRARY_PATH';
  const absentCuda = libraries.cuda.filter((name) => !find(name));
  if (absentCuda.length > 0) {
    checks.push({ name: 'CUDA 12 libraries', ok: false, detail: `${list(absentCuda)} not found by the dynamic loader` });
    missing.push(...absentCuda);
    remedies.push(`The CUDA 12 runtime ${absentCuda.length === 1 ? 'library' : 'libraries'} ${list(absentCuda)} ${absentCuda.length === 1 ? 'is' : 'are'} not found: install the CUDA 12 runtime (apt, from NVIDIA's CUDA repository: cuda-cudart-12-X libcublas-12-X libcufft-12-X libcurand-12-X), or add their lib folder to ${pathVariable}.`);
  } else {
    checks.push({ name: 'CUDA 12 libraries', ok: true, detail: libraries.cuda.map((name) => find(name)!).join(', ') });
  }
  const cudnn = find(libraries.cudnn);
  if (!cudnn) {
    checks.push({ name: 'cuDNN 9', ok: false, detail: `${libraries.cudnn} not found by the dynamic loader` });
    missing.push(libraries.cudnn);
    remedies.push(`cuDNN 9 (${libraries.cudnn}) is not found: install cuDNN 9 for CUDA 12 (apt, from NVIDIA's CUDA repository: libcudnn9-cuda-12), or add its lib folder to ${pathVariable}.`);
  } else {
    checks.push({ name: 'cuDNN 9', ok: true, detail: cudnn });
  }

  // (c) the driver.
  const driver = find(libraries.driver);
  if (!driver) {
    checks.push({ name: 'NVIDIA driver', ok: false, detail: `${libraries.driver} not found by the dynamic loader` });
    missing.push(libraries.driver);
    remedies.push(`No NVIDIA driver found (${libraries.driver} is not found): CUDA needs an NVIDIA GPU with its driver installed (525 or newer for CUDA 12).`);
  } else {
    const version = env.driverVersion();
    checks.push({ name: 'NVIDIA driver', ok: true, detail: version ? `${driver}, ${version}` : `${driver} (version not readable)` });
  }

  return { checks, missing, remedies };
}

/** The first failed check, for one log line: "CUDA not used: <this>". */
export function firstProblem(report: CudaReport): string {
  const failed = report.checks.find((check) => !check.ok);
  return failed ? `${failed.name}: ${failed.detail}` : 'none';
}

/** The report as text: one line per check, then the message. */
export function describeCudaReport(report: CudaReport): string {
  return [...report.checks.map((check) => `${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}`), '', report.message].join('\n');
}

/** The real machine: files, LD_LIBRARY_PATH, ldconfig's cache, /proc and onnxruntime-node. */
export function systemCudaEnvironment(): CudaEnvironment {
  const platform = process.platform;
  const arch = process.arch;
  return {
    platform,
    arch,
    binDir: () => ortBinDir(platform, arch),
    fileExists: existsSync,
    loaderDirs: () => systemLoaderDirs(platform, arch),
    driverVersion() {
      try {
        const line = readFileSync('/proc/driver/nvidia/version', 'utf8').split('\n')[0] ?? '';
        const version = /Kernel Module\s+([\d.]+)/.exec(line)?.[1];
        return version ? `driver ${version}` : line.trim() || undefined;
      } catch {
        return undefined;
      }
    },
    trySession: runTestSession,
  };
}

function systemLoaderDirs(platform: NodeJS.Platform, arch: string): string[] {
  const dirs: string[] = [];
  if (platform === 'win32') {
    dirs.push(...(process.env.PATH ?? '').split(';'));
    if (process.env.CUDA_PATH) dirs.push(join(process.env.CUDA_PATH, 'bin'));
    dirs.push(join(process.env.SystemRoot ?? 'C:\\Windows', 'System32'));
  } else {
    dirs.push(...(process.env.LD_LIBRARY_PATH ?? '').split(':'));
    for (const ldconfig of ['/sbin/ldconfig', '/usr/sbin/ldconfig', 'ldconfig']) {
      try {
        const output = execFileSync(ldconfig, ['-p'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
        for (const line of output.split('\n')) {
          const path = /=>\s*(\/\S+)$/.exec(line)?.[1];
          if (path) dirs.push(dirname(path));
        }
        break;
      } catch {
        // Not there, or not allowed: the standard folders below still count.
      }
    }
    const triplet = arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
    dirs.push('/usr/local/cuda/lib64', `/usr/lib/${triplet}`, '/usr/lib64', '/usr/lib/wsl/lib');
  }
  return [...new Set(dirs.filter((dir) => dir !== ''))];
}

/** A one-node graph (y = x + x) opened on CUDA only, run once, its answer checked. */
async function runTestSession(): Promise<string | undefined> {
  const ort = await import('onnxruntime-node');
  const builder = new GraphBuilder('cuda_check', (file) => file);
  const x = builder.input('x', 'float', [2]);
  builder.output('y', builder.op('Add', [x, x]), 'float', [2]);
  let session: Awaited<ReturnType<typeof ort.InferenceSession.create>> | undefined;
  try {
    session = await ort.InferenceSession.create(builder.toBytes(), { executionProviders: ['cuda'], logSeverityLevel: 3 });
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2]), [2]) });
    const y = out.y?.data as Float32Array | undefined;
    if (!y || y[0] !== 2 || y[1] !== 4) return `the test graph answered ${y ? `[${[...y].join(', ')}]` : 'nothing'} instead of [2, 4]`;
    return undefined;
  } catch (error) {
    return (error as Error).message.split('\n')[0];
  } finally {
    await session?.release();
  }
}

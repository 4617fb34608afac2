/**
 * onnxruntime-node sessions: the execution provider and thread settings. `cuda` runs on CUDA or
 * fails with what is missing (cudaDetection.ts); `auto` runs on CUDA only when detection passes
 * fully (provider files, CUDA 12, cuDNN 9, driver, a test session), otherwise on the CPU, and says
 * why once per process ("CUDA not used: ..."). Nothing falls back silently. Activations are
 * float32 on every provider; weights are float32, or int8 where a runtime asks (modelRuntime.ts's
 * precision, recorded beside each result's settings).
 */
import * as ort from 'onnxruntime-node';
import { FrankenlensError } from '../errors';
import { detectCuda, detectCudaFiles, firstProblem, systemCudaEnvironment, type CudaEnvironment, type CudaReport } from './cudaDetection';

export type ExecutionProviderChoice = 'auto' | 'cpu' | 'cuda';

export interface SessionSettings {
  executionProvider?: ExecutionProviderChoice;
  /** Threads inside one operator (0 = onnxruntime's default: one per core). */
  intraOpThreads?: number;
  /** Threads across independent operators (0 = default). */
  interOpThreads?: number;
}

export interface StartedSession {
  session: ort.InferenceSession;
  provider: 'cpu' | 'cuda';
}

/** Detection runs once per process (the files once, the test session once). */
let environment: CudaEnvironment | undefined;
let filesReport: CudaReport | undefined;
let fullReport: Promise<CudaReport> | undefined;
let noticeSink: ((message: string) => void) | undefined;
let noticed = false;

/** Tests: detection through another environment (undefined: the real one), caches and the notice reset. */
export function useCudaEnvironment(env: CudaEnvironment | undefined): void {
  environment = env;
  filesReport = undefined;
  fullReport = undefined;
  noticeSink = undefined;
  noticed = false;
}

function cudaEnvironment(): CudaEnvironment {
  return (environment ??= systemCudaEnvironment());
}

/** The full detection report (test session included when the files are all there), once per process. */
export function cudaReport(): Promise<CudaReport> {
  return (fullReport ??= detectCuda(cudaEnvironment()));
}

/** Says once per process why `auto` runs on the CPU: where cudaAvailable was told (a job's log), else stderr. */
function noteCudaNotUsed(report: CudaReport): void {
  if (noticed) return;
  noticed = true;
  const line = `CUDA not used: ${firstProblem(report)}`;
  if (noticeSink) noticeSink(line);
  else process.stderr.write(`${line}\n`);
}

/**
 * Whether CUDA's provider files, CUDA 12, cuDNN 9 and the driver are all found (no session opened):
 * what `auto` decides on before loading. When not, the reason is told once when sessions start,
 * through `log` if given here, else on stderr.
 */
export function cudaAvailable(log?: (message: string) => void): boolean {
  if (log) noticeSink = log;
  // Only a query: the "CUDA not used" notice comes when sessions start (a run refused earlier, by
  // its memory plan, says nothing about CUDA); `log` is where that notice will go.
  return (filesReport ??= detectCudaFiles(cudaEnvironment())).ok;
}

/** The provider a choice runs on here: `cuda` throws the detection's message when CUDA cannot be used. */
export async function resolveExecutionProvider(choice: ExecutionProviderChoice): Promise<'cpu' | 'cuda'> {
  if (choice === 'cpu') return 'cpu';
  const report = await cudaReport();
  if (report.ok) return 'cuda';
  if (choice === 'cuda') throw new FrankenlensError('InvalidArgument', report.message);
  noteCudaNotUsed(report);
  return 'cpu';
}

export async function startSession(graphPath: string, settings: SessionSettings = {}): Promise<StartedSession> {
  const choice = settings.executionProvider ?? 'auto';
  const options: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3, // errors only: the optimizer's notes are not for users
    // No per-session arena: with a session per layer, each arena would keep its own peak activations
    // (for a 7B prefill of 2,500 tokens about 2 GB per layer); freed activations go back to malloc.
    enableCpuMemArena: false,
    enableMemPattern: false,
    intraOpNumThreads: settings.intraOpThreads ?? 0,
    interOpNumThreads: settings.interOpThreads ?? 0,
  };
  if ((await resolveExecutionProvider(choice)) === 'cuda') {
    try {
      return { session: await ort.InferenceSession.create(graphPath, { ...options, executionProviders: ['cuda'] }), provider: 'cuda' };
    } catch (error) {
      // CUDA passed detection, so a graph that cannot start there is an error, not a quiet switch to the CPU.
      throw new FrankenlensError('InvalidArgument', `${graphPath}: the CUDA execution provider did not start (${(error as Error).message}); run on the CPU with --device cpu (setting frankenlens.executionProvider: "cpu")`, graphPath);
    }
  }
  try {
    return { session: await ort.InferenceSession.create(graphPath, { ...options, executionProviders: ['cpu'] }), provider: 'cpu' };
  } catch (error) {
    throw new FrankenlensError('InvalidArgument', `${graphPath}: onnxruntime could not load the graph (${(error as Error).message})`, graphPath);
  }
}

/**
 * Sessions shared by every runtime of the process, by graph file and settings: a layer graph
 * built from IN's weights is one file whoever runs it (IN itself or any Frankenstein variant that
 * takes that layer from IN), so it is one session and one copy of its weights. Counted: the
 * session is released when its last user lets go.
 */
const shared = new Map<string, { started: Promise<StartedSession>; users: number }>();

function sharedKey(graphPath: string, settings: SessionSettings): string {
  return JSON.stringify([graphPath, settings.executionProvider ?? 'auto', settings.intraOpThreads ?? 0, settings.interOpThreads ?? 0]);
}

/** `onStart` runs only when this call starts the session (not when it is already loaded). */
export function acquireSession(graphPath: string, settings: SessionSettings = {}, onStart?: () => void): Promise<StartedSession> {
  const key = sharedKey(graphPath, settings);
  let entry = shared.get(key);
  if (!entry) {
    onStart?.();
    const started = startSession(graphPath, settings);
    entry = { started, users: 0 };
    shared.set(key, entry);
    started.catch(() => shared.get(key)?.started === started && shared.delete(key));
  }
  entry.users++;
  return entry.started;
}

export async function releaseSession(graphPath: string, settings: SessionSettings = {}): Promise<void> {
  const key = sharedKey(graphPath, settings);
  const entry = shared.get(key);
  if (!entry) return;
  if (--entry.users > 0) return;
  shared.delete(key);
  const started = await entry.started.catch(() => undefined);
  await started?.session.release();
}

/** Graph files with a started (or starting) shared session: for tests and the bench. */
export function sharedSessionPaths(): string[] {
  return [...shared.keys()].map((key) => (JSON.parse(key) as [string])[0]);
}

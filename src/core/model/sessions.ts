/**
 * onnxruntime-node sessions: execution provider on 'auto' (CUDA when its provider is installed and
 * starts, otherwise CPU) and thread settings. Graphs compute in float32 on every provider.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { FrankenlensError } from '../errors';

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

/**
 * Whether onnxruntime-node's CUDA provider is installed: the CPU-only install lists the backend but
 * lacks its library, and trying it would print a load failure on every session.
 */
export function cudaAvailable(): boolean {
  if (!ort.listSupportedBackends().some((backend) => backend.name === 'cuda')) return false;
  const binaries = join(dirname(require.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
  return existsSync(join(binaries, process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so'));
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
  const tryCuda = choice === 'cuda' || (choice === 'auto' && cudaAvailable());
  if (tryCuda) {
    try {
      return { session: await ort.InferenceSession.create(graphPath, { ...options, executionProviders: ['cuda'] }), provider: 'cuda' };
    } catch (error) {
      if (choice === 'cuda') throw new FrankenlensError('InvalidArgument', `${graphPath}: the CUDA execution provider did not start (${(error as Error).message})`, graphPath);
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

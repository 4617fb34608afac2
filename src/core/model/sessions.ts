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

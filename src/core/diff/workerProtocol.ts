/** Messages between the diff executor and its worker threads. */
import type { SerializedError } from '../errors';
import type { DiffChunk } from './deltaKernel';
import type { DeltaSums } from './deltaSums';

/** Executor → worker: reduce one chunk. */
export interface ChunkRequest {
  type: 'chunk';
  id: number;
  chunk: DiffChunk;
}

/** Worker → executor: the chunk's partial sums. */
export interface ChunkResult {
  type: 'result';
  id: number;
  sums: DeltaSums;
}

/** Worker → executor: the chunk failed; the run stops. */
export interface ChunkFailure {
  type: 'error';
  id: number;
  error: SerializedError;
}

export type ToWorker = ChunkRequest;
export type FromWorker = ChunkResult | ChunkFailure;

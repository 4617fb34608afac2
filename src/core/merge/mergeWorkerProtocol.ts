/** Messages between the extension host and the merge worker thread (one merge per worker). */
import type { SerializedError } from '../errors';
import type { MergePlan } from './mergePlan';
import type { MergeProvenance } from './writeMerge';

/** Host → worker, as the worker's `workerData`: the validated plan and where to write it. */
export interface MergeRequest {
  plan: MergePlan;
  outDir: string;
  overwrite: boolean;
  maxShardBytes?: number;
}

/** Worker → host: fraction of the bytes written so far. */
export interface MergeProgressMessage {
  type: 'progress';
  fraction: number;
  message?: string;
}

/** Worker → host: the folder is complete and renamed into place. */
export interface MergeDoneMessage {
  type: 'done';
  provenance: MergeProvenance;
}

/** Worker → host: the merge failed; the writer has already removed its staging folder. */
export interface MergeFailedMessage {
  type: 'error';
  error: SerializedError;
}

export type FromMergeWorker = MergeProgressMessage | MergeDoneMessage | MergeFailedMessage;

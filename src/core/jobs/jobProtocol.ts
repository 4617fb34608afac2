/**
 * The jobs channel: what the extension host asks the job runner (dist/jobRunner.js, a child
 * process) to do, and what comes back. Both ends import this file and validate what they receive;
 * the CLI builds the same requests from its flags and runs them in-process (runJob.ts).
 *
 *   host → runner: start (one request per process), cancel
 *   runner → host: progress, log, then exactly one of result or error (a FrankenlensError's JSON)
 */
import type { DiffResult } from '../diff/diffResult';
import type { DiffOptions } from '../diff/runDiff';
import type { SerializedError } from '../errors';
import type { MergePlan } from '../merge/mergePlan';
import type { MergeProvenance } from '../merge/writeMerge';
import { WEIGHT_PRECISIONS, type WeightPrecision } from '../model/graphOps';
import type { PrecisionReport } from '../model/precisionReport';
import type { ExecutionProviderChoice } from '../model/sessions';
import type { Condition } from '../probes/conditions';
import type { ProbeName } from '../probes/probeResult';
import type { SwapDecoding, SwapMode } from '../probes/visualSwap';
import type { VisionTask } from '../probes/visionPairs';
import type { SpectralOptions } from '../spectral/runSpectral';
import type { ComparisonSettings, SweepRow } from '../variants/variantMetrics';

/** Where and how models run (probes, variants). */
export interface RuntimeChoice {
  executionProvider: ExecutionProviderChoice;
  /** onnxruntime intra-op threads; 0: every core. */
  intraOpThreads: number;
  /** Graph cache root; default ~/.cache/frankenlens/graphs. */
  cacheDir?: string;
  /** Decoder weights in float32 (default) or int8 (opt-in, CPU; part of a run's identity). */
  precision?: WeightPrecision;
}

/** Who describes images for black+description: the item's own description unless one of these. */
export type DescriberChoice =
  | { kind: 'items' }
  | { kind: 'model'; dir: string }
  | { kind: 'endpoint'; baseUrl: string; model: string; apiKey?: string; cacheDir?: string };

/** runDiff's options that travel (not its callbacks or test knobs). */
export interface DiffJob extends Pick<DiffOptions, 'inDir' | 'rlDir' | 'baseDir' | 'inclusion' | 'regionCuts' | 'threads'> {
  kind: 'diff';
  /** Where diff.json (and the report) go; without it nothing is written and the result carries the diff. */
  outDir?: string;
  report?: boolean;
}

/** runSpectral's options that travel (not its callbacks or test knobs). */
export interface SpectralJob extends Pick<SpectralOptions, 'inDir' | 'rlDir' | 'baseDir' | 'inclusion' | 'mode' | 'topK' | 'tolerance' | 'kernel' | 'threads' | 'regionCuts' | 'seed'> {
  kind: 'spectral';
  outDir: string;
  report?: boolean;
}

/** One or more plans written in turn (the six thirds variants are one job). */
export interface MergeJob {
  kind: 'merge';
  merges: { plan: MergePlan; outDir: string }[];
  overwrite?: boolean;
  maxShardBytes?: number;
}

export interface ProbeJob {
  kind: 'probe';
  probe: ProbeName;
  inDir: string;
  rlDir: string;
  /** A benchmark items .jsonl (attention, ablation) or a vision_functionality_dataset folder (swap). */
  items: string;
  outDir: string;
  /** HF 0-based decoder layers, "0-27" or "3,5,9"; default all. */
  layers?: string;
  maxNewTokens?: number;
  condition?: Condition;
  describer?: DescriberChoice;
  style?: { system?: string; prefix?: string };
  scope?: 'response' | 'think';
  sharedFrom?: 'in' | 'rl';
  tasks?: VisionTask[];
  rowsPerTask?: number;
  modes?: SwapMode[];
  decodings?: SwapDecoding[];
  batch?: number;
  resume?: boolean;
  runtime: RuntimeChoice;
  /** A --memory-budget value ("48GB"); default FRANKENLENS_MEMORY_BUDGET, else the free memory. */
  memoryBudget?: string;
  /** int8 runs: items run again in float32 for the agreement report (default 8; 0: none). Not part of the run's settings. */
  calibrationItems?: number;
}

export interface VariantsJob {
  kind: 'variants';
  inDir: string;
  rlDir: string;
  items: string;
  outDir: string;
  /** The six thirds variants first (the default when no plan is given), cut at these HF 0-based layers. */
  thirds?: boolean;
  cuts?: [number, number];
  plans?: MergePlan[];
  conditions?: Condition[];
  describer?: DescriberChoice;
  seed?: number;
  maxNewTokens?: number;
  style?: { system?: string; prefix?: string };
  /** Answers decoded together at most; default: the largest of DEFAULT_BATCH_ROWS that fits the memory budget. */
  batch?: number;
  resume?: boolean;
  runtime: RuntimeChoice;
  memoryBudget?: string;
  /** int8 sweeps: items answered again in float32 for the agreement report (default 8; 0: none). Not part of the sweep's settings. */
  calibrationItems?: number;
}

export interface DemoJob {
  kind: 'demo';
  dir: string;
  regenerate?: boolean;
  weightsOnly?: boolean;
  memoryBudget?: string;
}

export type JobRequest = DiffJob | SpectralJob | MergeJob | ProbeJob | VariantsJob | DemoJob;
export type JobKind = JobRequest['kind'];
export const JOB_KINDS: readonly JobKind[] = ['diff', 'spectral', 'merge', 'probe', 'variants', 'demo'];

export interface DiffJobResult {
  kind: 'diff';
  result: DiffResult;
  outDir?: string;
  files: string[];
}
export interface SpectralJobResult {
  kind: 'spectral';
  outDir: string;
  files: string[];
  /** The lines a user reads first. */
  summary: string;
}
export interface MergeJobResult {
  kind: 'merge';
  written: { name: string; outDir: string; summary: string; provenance: MergeProvenance }[];
}
export interface ProbeJobResult {
  kind: 'probe';
  summaryPath: string;
  files: string[];
  /** int8 runs: the agreement with float32 (also in the summary). */
  precisionAgreement?: PrecisionReport;
}
export interface VariantsJobResult {
  kind: 'variants';
  summaryPath: string;
  rows: SweepRow[];
  comparison: ComparisonSettings;
  resumed: number;
  /** int8 sweeps: the agreement with float32 (also in the summary). */
  precisionAgreement?: PrecisionReport;
}
export interface DemoJobResult {
  kind: 'demo';
  outDir: string;
  index: string;
  steps: { name: string; seconds: number; summary: string }[];
}

export type JobResult = DiffJobResult | SpectralJobResult | MergeJobResult | ProbeJobResult | VariantsJobResult | DemoJobResult;
/** The result type of a request kind. */
export type ResultOf<K extends JobKind> = Extract<JobResult, { kind: K }>;

export type ToJobRunner = { type: 'start'; request: JobRequest } | { type: 'cancel' };

export type FromJobRunner =
  | { type: 'progress'; fraction: number; message?: string }
  | { type: 'log'; text: string }
  | { type: 'result'; result: JobResult }
  | { type: 'error'; error: SerializedError };

/** Checks a message to the runner; returns why it is not one, or null. */
export function toJobRunnerProblem(value: unknown): string | null {
  if (!isRecord(value)) return 'a message must be an object';
  if (value.type === 'cancel') return null;
  if (value.type !== 'start') return `unknown message type ${JSON.stringify(value.type)}`;
  return jobRequestProblem(value.request);
}

/** Checks a job request's shape (each job checks its values further); returns why not, or null. */
export function jobRequestProblem(request: unknown): string | null {
  if (!isRecord(request)) return 'the request must be an object';
  const kind = request.kind as JobKind;
  if (!JOB_KINDS.includes(kind)) return `unknown job kind ${JSON.stringify(request.kind)}`;
  const required: Record<JobKind, string[]> = {
    diff: ['inDir', 'rlDir'],
    spectral: ['inDir', 'rlDir', 'outDir'],
    merge: [],
    probe: ['probe', 'inDir', 'rlDir', 'items', 'outDir'],
    variants: ['inDir', 'rlDir', 'items', 'outDir'],
    demo: ['dir'],
  };
  for (const field of required[kind]) if (typeof request[field] !== 'string' || request[field] === '') return `${kind} job: "${field}" must be a non-empty string`;
  for (const field of ['baseDir', 'outDir', 'memoryBudget'] as const) {
    if (request[field] !== undefined && typeof request[field] !== 'string') return `${kind} job: "${field}" must be a string`;
  }
  if (kind === 'merge') {
    const merges = request.merges;
    if (!Array.isArray(merges) || merges.length === 0) return 'merge job: "merges" must be a non-empty list';
    for (const merge of merges) if (!isRecord(merge) || !isRecord(merge.plan) || typeof merge.outDir !== 'string') return 'merge job: each merge needs a plan and an outDir';
  }
  if ((kind === 'probe' || kind === 'variants') && (!isRecord(request.runtime) || typeof request.runtime.executionProvider !== 'string')) return `${kind} job: "runtime" must name an executionProvider`;
  if ((kind === 'probe' || kind === 'variants') && isRecord(request.runtime) && request.runtime.precision !== undefined && !WEIGHT_PRECISIONS.includes(request.runtime.precision as WeightPrecision)) {
    return `${kind} job: "runtime.precision" must be one of ${WEIGHT_PRECISIONS.join(', ')}`;
  }
  if ((kind === 'probe' || kind === 'variants') && request.calibrationItems !== undefined && !(Number.isSafeInteger(request.calibrationItems) && (request.calibrationItems as number) >= 0)) {
    return `${kind} job: "calibrationItems" must be a whole number (0: no float32 calibration)`;
  }
  return null;
}

/** Checks a message from the runner; returns why it is not one, or null. */
export function fromJobRunnerProblem(value: unknown): string | null {
  if (!isRecord(value)) return 'a message must be an object';
  switch (value.type) {
    case 'progress':
      return typeof value.fraction === 'number' && Number.isFinite(value.fraction) && (value.message === undefined || typeof value.message === 'string') ? null : 'progress needs a finite fraction';
    case 'log':
      return typeof value.text === 'string' ? null : 'log needs text';
    case 'result':
      return isRecord(value.result) && JOB_KINDS.includes(value.result.kind as JobKind) ? null : 'result needs a job kind';
    case 'error':
      return isRecord(value.error) && typeof value.error.code === 'string' && typeof value.error.message === 'string' ? null : 'error needs a code and a message';
    default:
      return `unknown message type ${JSON.stringify(value.type)}`;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

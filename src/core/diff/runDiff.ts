/**
 * Weight-update characterization of an IN/RL pair (and optional Base):
 *
 *   discover → canonicalize → pair → plan chunks → execute (workers) → per-tensor → per-layer
 *
 * Only headers are read up front; weights stream through the workers a chunk at a time.
 */
import { inferModelShape, placeTensor, regionCutsProblem } from '../checkpoint/canonicalNames';
import { openCheckpoint, type Checkpoint } from '../checkpoint/checkpoint';
import { DTYPE_BITS } from '../checkpoint/dtypes';
import { FileReader } from '../checkpoint/fileReader';
import { fingerprintFiles } from '../checkpoint/fingerprint';
import { pairCheckpoints, type Role } from '../checkpoint/pairing';
import { FrankenlensError } from '../errors';
import { throwIfCancelled, type CancelToken, type Logger, type ProgressSink } from '../progress';
import { TOOL_NAME, TOOL_VERSION } from '../version';
import { layerAggregates, sectionSummaries, tensorRecord } from './aggregate';
import { resolveThreads, runChunks } from './chunkPool';
import type { DiffChunk } from './deltaKernel';
import { addSums, emptySums, type DeltaSums } from './deltaSums';
import { DIFF_SCHEMA, type CheckpointSummary, type DiffResult, type LayerPartition } from './diffResult';
import { INCLUSION_RULES, type InclusionRuleId } from './inclusionRule';
import { peakRssBytes } from '../processMemory';

export interface DiffOptions {
  inDir: string;
  rlDir: string;
  baseDir?: string;
  inclusion?: InclusionRuleId;
  /** HF 0-based region cuts; default floor(n/3), floor(2n/3). */
  regionCuts?: [number, number];
  /** Worker threads; 0 or undefined uses every available core. */
  threads?: number;
  /** Reduce on the calling thread (tests, tiny inputs). */
  inline?: boolean;
  workerScript?: string;
  /** Largest slice of one tensor a worker reads at once, in elements. */
  chunkElements?: number;
  cancel?: CancelToken;
  progress?: ProgressSink;
  logger?: Logger;
}

export const DEFAULT_CHUNK_ELEMENTS = 2 ** 21;

export const PRECISION_NOTE =
  'bf16/f16 values are decoded exactly to float32 and every difference, square and product is accumulated in float64. ' +
  "The paper's scripts instead cast bf16 to fp16 and subtract in fp16, which rounds small RL deltas (many become exact zeros); expect small differences from its numbers.";

export const AGGREGATION_NOTE =
  'Per-layer values are the mean and the sum of per-tensor statistics over the included tensors of that unified layer (not norms of the concatenated layer), also split by component. Relative norms of both deltas divide by ‖W_IN‖_F, as in the paper.';

export async function runDiff(options: DiffOptions): Promise<DiffResult> {
  const started = performance.now();
  const rule = INCLUSION_RULES[options.inclusion ?? 'paper'];
  if (!rule) throw new FrankenlensError('InvalidArgument', `unknown inclusion rule "${options.inclusion}" (use "paper" or "all")`);
  const reader = new FileReader();
  let checkpoints: { in: Checkpoint; rl: Checkpoint; base?: Checkpoint };
  try {
    checkpoints = { in: openCheckpoint(options.inDir, reader), rl: openCheckpoint(options.rlDir, reader) };
    if (options.baseDir !== undefined) checkpoints.base = openCheckpoint(options.baseDir, reader);
  } finally {
    reader.close();
  }
  throwIfCancelled(options.cancel);
  const pairs = pairCheckpoints(checkpoints);
  const shape = inferModelShape(
    pairs.map((pair) => pair.canonicalName),
    { llmLayers: checkpoints.in.info.llmLayers, visionDepth: checkpoints.in.info.visionDepth },
    options.regionCuts,
  );
  const cutsProblem = options.regionCuts ? regionCutsProblem(options.regionCuts, shape.llmLayers) : null;
  if (cutsProblem) throw new FrankenlensError('InvalidArgument', `region ${cutsProblem}`);
  const placements = pairs.map((pair) => placeTensor(pair.in.name, shape));

  const chunkElements = options.chunkElements ?? DEFAULT_CHUNK_ELEMENTS;
  const chunks: DiffChunk[] = [];
  const chunkOwner: number[] = [];
  const chunkBytes: number[] = [];
  pairs.forEach((pair, pairIndex) => {
    const numel = pair.in.shape.reduce((product, dim) => product * dim, 1);
    const bytesPerElement = [pair.in, pair.rl, pair.base].reduce((total, tensor) => total + (tensor ? DTYPE_BITS[tensor.dtype] / 8 : 0), 0);
    for (let start = 0; start === 0 || start < numel; start += chunkElements) {
      const count = Math.min(chunkElements, numel - start);
      const source = (tensor: typeof pair.in) => ({ file: tensor.file, tensor: tensor.name, dtype: tensor.dtype, byteOffset: tensor.byteOffset });
      const chunk: DiffChunk = { in: source(pair.in), rl: source(pair.rl), start, count };
      if (pair.base) chunk.base = source(pair.base);
      chunks.push(chunk);
      chunkOwner.push(pairIndex);
      chunkBytes.push(count * bytesPerElement);
      if (numel === 0) break;
    }
  });

  const totalBytes = chunkBytes.reduce((total, bytes) => total + bytes, 0);
  const sums: DeltaSums[] = pairs.map(() => emptySums());
  let bytesDone = 0;
  let lastReport = 0;
  const threads = options.inline ? 1 : resolveThreads(options.threads);
  options.logger?.info(`diff: ${pairs.length} tensors, ${(totalBytes / 2 ** 30).toFixed(2)} GiB to read, ${threads} thread(s)`);
  await runChunks(chunks, {
    threads,
    inline: options.inline,
    workerScript: options.workerScript,
    cancel: options.cancel,
    onResult(index, partial) {
      addSums(sums[chunkOwner[index]!]!, partial);
      bytesDone += chunkBytes[index]!;
      const fraction = totalBytes === 0 ? 1 : bytesDone / totalBytes;
      if (fraction - lastReport >= 0.01 || fraction === 1) {
        lastReport = fraction;
        options.progress?.report({ fraction, message: `${(bytesDone / 2 ** 30).toFixed(2)} of ${(totalBytes / 2 ** 30).toFixed(2)} GiB` });
      }
    },
  });

  const tensors = pairs.map((pair, i) => tensorRecord(pair, placements[i]!, rule.includes(pair.in.name, placements[i]!), sums[i]!));
  const result: DiffResult = {
    schema: DIFF_SCHEMA,
    tool: { name: TOOL_NAME, version: TOOL_VERSION, node: process.version },
    createdAt: new Date().toISOString(),
    config: { inclusionRule: { id: rule.id, description: rule.description }, precision: PRECISION_NOTE, aggregation: AGGREGATION_NOTE, threads },
    inputs: { in: summarizeCheckpoint('in', checkpoints.in), rl: summarizeCheckpoint('rl', checkpoints.rl) },
    partition: layerPartition(shape),
    tensors,
    layers: layerAggregates(tensors),
    sections: sectionSummaries(tensors),
    timing: { seconds: (performance.now() - started) / 1000, bytesRead: totalBytes, peakRssBytes: peakRssBytes() },
  };
  if (checkpoints.base) result.inputs.base = summarizeCheckpoint('base', checkpoints.base);
  return result;
}

/** The layer partition a result records, so its charts can be redrawn from the file alone. */
export function layerPartition(shape: Pick<LayerPartition, 'llmLayers' | 'visionDepth' | 'regionCuts'>): LayerPartition {
  return {
    llmLayers: shape.llmLayers,
    visionDepth: shape.visionDepth,
    regionCuts: shape.regionCuts,
    unifiedIndex: 'vision block i → i − visionDepth (negative), projector → 0, LLM decoder layer i (HF 0-based) → i + 1',
  };
}

export function summarizeCheckpoint(role: Role, checkpoint: Checkpoint): CheckpointSummary {
  const { info } = checkpoint;
  return {
    role,
    path: checkpoint.path,
    architecture: info.architecture,
    modelType: info.modelType,
    configSha256: checkpoint.configSha256,
    namingScheme: info.namingScheme,
    llmLayers: info.llmLayers,
    visionDepth: info.visionDepth,
    configDtype: info.configDtype,
    dtypes: info.dtypes as Record<string, number>,
    parameterCount: info.parameterCount,
    totalBytes: info.totalBytes,
    files: fingerprintFiles(checkpoint),
  };
}

/**
 * Streams a resolved merge into a new Hugging Face checkpoint folder: exact source bytes for
 * copied tensors (no dtype change), a float64 mix re-rounded to the stored dtype for interpolated
 * ones, the config and tokenizer files of the primary model, and `frankenlens-merge.json` with the
 * plan, the sources and an xxh64 content hash of every written tensor (a sha256 would halve the
 * merge's speed; xxh64 runs at several GB/s). Memory stays at one piece per tensor. The write stops
 * on cancel between pieces (8 MiB) and lets the event loop run, so a Ctrl-C stops it at once, and
 * leaves nothing behind.
 */
import xxhash from 'xxhash-wasm';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FloatDtype } from '../checkpoint/dtypes';
import { isFloatDtype } from '../checkpoint/dtypes';
import { FileReader } from '../checkpoint/fileReader';
import { fingerprintFiles, type FileFingerprint } from '../checkpoint/fingerprint';
import { decodeToF32Bits } from '../checkpoint/floatDecode';
import { encodeFloats } from '../checkpoint/floatEncode';
import { tensorByteLength, writeCheckpointFolderAsync, type TensorToWrite } from '../checkpoint/safetensorsWriter';
import { FrankenlensError } from '../errors';
import type { CancelToken, Logger, ProgressSink } from '../progress';
import { TOOL_NAME, TOOL_VERSION } from '../version';
import type { MergePlan } from './mergePlan';
import type { MergeTask, ResolvedMerge, UnusedTensor } from './resolveMerge';
import { readRegularFile, TOKENIZER_FILE_BYTES } from '../regularFile';

export const PROVENANCE_FILE = 'frankenlens-merge.json';
export const PROVENANCE_SCHEMA = 'frankenlens.merge/1';

/** Files a Hugging Face model folder carries besides weights; copied when the primary model has them. */
export const CARRIED_FILES = [
  'config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json',
  'added_tokens.json', 'vocab.json', 'merges.txt', 'tokenizer.model', 'chat_template.json', 'chat_template.jinja',
  'preprocessor_config.json', 'video_preprocessor_config.json',
];

const PIECE_BYTES = 8 * 2 ** 20;
export const DEFAULT_MAX_SHARD_BYTES = 5 * 2 ** 30;

export interface MergeWriteOptions {
  outDir: string;
  maxShardBytes?: number;
  /** Replace a merge written earlier at outDir (a folder the tool did not write is never replaced). */
  overwrite?: boolean;
  cancel?: CancelToken;
  progress?: ProgressSink;
  /** Where a reclaimed stale lock on outDir is reported. */
  logger?: Logger;
}

export interface MergeProvenance {
  schema: typeof PROVENANCE_SCHEMA;
  tool: { name: string; version: string; node: string };
  createdAt: string;
  plan: MergePlan;
  primary: string;
  sources: Record<string, { path: string; configSha256: string | null; files: FileFingerprint[] }>;
  carriedFiles: { name: string; from: string }[];
  /** `xxh64` is the hex xxHash64 (seed 0) of the tensor's bytes as written. */
  tensors: { name: string; from: string; sourceName: string; interpolatedWith?: string; alpha?: number; reason: string; xxh64: string }[];
  unused: UnusedTensor[];
}

export async function writeMerge(resolved: ResolvedMerge, options: MergeWriteOptions): Promise<MergeProvenance> {
  const { create64 } = await xxhash();
  const reader = new FileReader();
  const totalBytes = resolved.tasks.reduce((total, task) => total + task.from.tensor.byteLength, 0);
  let bytesDone = 0;
  const hashes = new Map<string, string>();
  // One reused piece buffer: a fresh 8 MiB allocation per tensor costs page faults on every read.
  const pieceBuffer = new Uint8Array(PIECE_BYTES);
  const advance = (bytes: number) => {
    bytesDone += bytes;
    options.progress?.report({ fraction: totalBytes === 0 ? 1 : bytesDone / totalBytes, message: `${(bytesDone / 2 ** 30).toFixed(2)} of ${(totalBytes / 2 ** 30).toFixed(2)} GiB` });
  };
  const tensors: TensorToWrite[] = resolved.tasks.map((task) => ({
    name: task.name,
    dtype: task.from.tensor.dtype,
    shape: task.from.tensor.shape,
    *pieces() {
      const hash = create64();
      for (const bytes of task.interpolate ? interpolatePieces(reader, task) : copyPieces(reader, task, pieceBuffer)) {
        hash.update(bytes);
        yield bytes;
        advance(bytes.byteLength);
      }
      hashes.set(task.name, hash.digest().toString(16).padStart(16, '0'));
    },
  }));

  const primary = resolved.checkpoints[resolved.primary]!;
  const carried: Record<string, Uint8Array> = {};
  for (const name of CARRIED_FILES) {
    const path = join(primary.path, name);
    if (existsSync(path)) carried[name] = readRegularFile(path, { code: 'InvalidConfig', maxBytes: TOKENIZER_FILE_BYTES });
  }
  let provenance: MergeProvenance | undefined;
  try {
    await writeCheckpointFolderAsync(options.outDir, tensors, {
      kind: 'merge',
      sources: Object.entries(resolved.checkpoints).map(([alias, checkpoint]) => ({ label: `"${alias}"`, path: checkpoint.path })),
      maxShardBytes: options.maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES,
      overwrite: options.overwrite,
      cancel: options.cancel,
      logger: options.logger,
      files: carried,
      indexMetadata: { frankenlens_version: TOOL_VERSION, frankenlens_plan: resolved.plan.name },
      filesAfterTensors: () => {
        provenance = describeMerge(resolved, Object.keys(carried), hashes);
        return { [PROVENANCE_FILE]: JSON.stringify(provenance, null, 2) + '\n' };
      },
    });
  } finally {
    reader.close();
  }
  return provenance!;
}

/** The tensor's stored bytes, one reused piece buffer at a time. */
function* copyPieces(reader: FileReader, task: MergeTask, buffer: Uint8Array): Generator<Uint8Array> {
  const { tensor } = task.from;
  for (let offset = 0; offset < tensor.byteLength; offset += buffer.byteLength) {
    const piece = buffer.subarray(0, Math.min(buffer.byteLength, tensor.byteLength - offset));
    reader.read(tensor.file, tensor.byteOffset + offset, piece, tensor.name);
    yield piece;
  }
}

/** (1 − α)·a + α·b in float64 from exactly decoded values, rounded once to the stored dtype. */
function* interpolatePieces(reader: FileReader, task: MergeTask): Generator<Uint8Array> {
  const a = task.from.tensor;
  const b = task.interpolate!.tensor;
  const alpha = task.interpolate!.alpha;
  if (!isFloatDtype(a.dtype)) throw new FrankenlensError('UnsupportedDtype', `${a.file}: tensor "${a.name}" is ${a.dtype}; only float tensors can be interpolated`, a.file, a.name);
  const dtype: FloatDtype = a.dtype;
  const elementBytes = tensorByteLength({ dtype, shape: [1] });
  const pieceElements = Math.floor(PIECE_BYTES / elementBytes);
  const numel = a.byteLength / elementBytes;
  const rawA = new Uint8Array(pieceElements * elementBytes);
  const rawB = new Uint8Array(pieceElements * elementBytes);
  const bitsA = new Uint32Array(pieceElements);
  const bitsB = new Uint32Array(pieceElements);
  const valuesA = new Float32Array(bitsA.buffer);
  const valuesB = new Float32Array(bitsB.buffer);
  for (let start = 0; start < numel; start += pieceElements) {
    const count = Math.min(pieceElements, numel - start);
    reader.read(a.file, a.byteOffset + start * elementBytes, rawA.subarray(0, count * elementBytes), a.name);
    reader.read(b.file, b.byteOffset + start * elementBytes, rawB.subarray(0, count * elementBytes), b.name);
    decodeToF32Bits(dtype, rawA, 0, count, bitsA);
    decodeToF32Bits(dtype, rawB, 0, count, bitsB);
    const mixed = new Float64Array(count);
    for (let i = 0; i < count; i++) mixed[i] = (1 - alpha) * valuesA[i]! + alpha * valuesB[i]!;
    yield encodeFloats(mixed, dtype);
  }
}

function describeMerge(resolved: ResolvedMerge, carriedFiles: string[], hashes: Map<string, string>): MergeProvenance {
  const sources: MergeProvenance['sources'] = {};
  for (const [alias, checkpoint] of Object.entries(resolved.checkpoints)) {
    sources[alias] = {
      path: checkpoint.path,
      configSha256: checkpoint.configSha256,
      files: fingerprintFiles(checkpoint),
    };
  }
  return {
    schema: PROVENANCE_SCHEMA,
    tool: { name: TOOL_NAME, version: TOOL_VERSION, node: process.version },
    createdAt: new Date().toISOString(),
    plan: resolved.plan,
    primary: resolved.primary,
    sources,
    carriedFiles: carriedFiles.map((name) => ({ name, from: resolved.primary })),
    tensors: resolved.tasks.map((task) => ({
      name: task.name,
      from: task.from.model,
      sourceName: task.from.tensor.name,
      ...(task.interpolate ? { interpolatedWith: task.interpolate.model, alpha: task.interpolate.alpha } : {}),
      reason: task.reason,
      xxh64: hashes.get(task.name)!,
    })),
    unused: resolved.unused,
  };
}

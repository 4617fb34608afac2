/**
 * Writes safetensors files that the strict reader accepts, and checkpoint folders made of them.
 * Tensor bytes are produced on demand (a callback or an iterator per tensor), so writing never
 * holds more than one piece in memory. Files are written under a temporary name and renamed when complete; a
 * folder is staged beside its final path and renamed last, so a killed process never leaves
 * anything that looks complete. Like Hugging Face's and mergekit's writers, nothing is fsynced:
 * forcing gigabytes to disk would make every merge wait on the disk rather than the page cache.
 */
import { closeSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { removeQuietly, writeFailure } from '../atomicWrite';
import { FrankenlensError, cancelledError } from '../errors';
import { stageOutputFolder, type OutputKind, type SourceFolder } from '../outputFolder';
import type { CancelToken, Logger } from '../progress';
import { INDEX_FILE } from './checkpoint';
import { DTYPE_BITS, type Dtype } from './dtypes';
import { MAX_HEADER_BYTES } from './safetensorsHeader';

interface TensorLayout {
  name: string;
  dtype: Dtype;
  shape: number[];
}

/**
 * A tensor to write, its bytes made on demand: by `produce`, which calls `write` with consecutive
 * pieces, or by `pieces`, whose pieces an async writer can stop (cancel) or yield between. Either
 * way the pieces add up to exactly the tensor's byte size.
 */
export type TensorToWrite = TensorLayout & ({ produce(write: (bytes: Uint8Array) => void): void; pieces?: never } | { pieces(): Iterable<Uint8Array>; produce?: never });

export function tensorByteLength(tensor: Pick<TensorToWrite, 'dtype' | 'shape'>): number {
  return (tensor.shape.reduce((product, dim) => product * dim, 1) * DTYPE_BITS[tensor.dtype]) / 8;
}

/**
 * A write in steps: each `yield` (after a piece or a tensor) is where an async driver may let the
 * event loop run or stop the write by throwing into it; the steps' own catch blocks then remove
 * what was half-written.
 */
type WriteSteps = Generator<void, void, void>;

/** Writes one .safetensors file (sorted by dtype size then name, header padded to 8 bytes). */
export function writeSafetensorsFile(path: string, tensors: readonly TensorToWrite[], metadata?: Record<string, string>): void {
  for (const _ of safetensorsFileSteps(path, tensors, metadata));
}

/** `shownPath`: the name errors give (a staged shard's final path). */
function* safetensorsFileSteps(path: string, tensors: readonly TensorToWrite[], metadata?: Record<string, string>, shownPath = path): WriteSteps {
  const ordered = [...tensors].sort((a, b) => DTYPE_BITS[b.dtype] - DTYPE_BITS[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const tensor of ordered) {
    const length = tensorByteLength(tensor);
    header[tensor.name] = { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [offset, offset + length] };
    offset += length;
  }
  let headerText = JSON.stringify(header);
  headerText += ' '.repeat((8 - (Buffer.byteLength(headerText) % 8)) % 8);
  const headerBytes = Buffer.from(headerText, 'utf8');
  if (headerBytes.byteLength > MAX_HEADER_BYTES) throw new FrankenlensError('HeaderTooLarge', `${path}: header would be ${headerBytes.byteLength} bytes, over the format's limit`, path);

  const partial = `${path}.partial`;
  let fd: number | undefined;
  try {
    fd = openSync(partial, 'w');
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(headerBytes.byteLength));
    writeAll(fd, prefix);
    writeAll(fd, headerBytes);
    for (const tensor of ordered) {
      let written = 0;
      const put = (bytes: Uint8Array) => {
        writeAll(fd!, bytes);
        written += bytes.byteLength;
      };
      if (tensor.pieces) {
        for (const piece of tensor.pieces()) {
          put(piece);
          yield;
        }
      } else {
        tensor.produce(put);
        yield;
      }
      if (written !== tensorByteLength(tensor)) {
        throw new FrankenlensError('TensorInvalidInfo', `${path}: tensor "${tensor.name}" produced ${written} bytes, expected ${tensorByteLength(tensor)}`, path, tensor.name);
      }
    }
    closeSync(fd);
    fd = undefined;
    renameSync(partial, path);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    removeQuietly(partial);
    throw writeFailure(error, shownPath);
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.byteLength) done += writeSync(fd, bytes, done, bytes.byteLength - done);
}

export interface CheckpointFolderOptions {
  /** Start a new shard before a tensor that would push the current one past this many bytes. */
  maxShardBytes?: number;
  /** Other files of the folder (config.json, tokenizer files...), by name. */
  files?: Record<string, string | Uint8Array>;
  /** Replace a folder the tool wrote earlier (a folder it did not write is never replaced). */
  overwrite?: boolean;
  indexMetadata?: Record<string, unknown>;
  /** Files that can only be written once every tensor is (a provenance record with hashes). */
  filesAfterTensors?: () => Record<string, string | Uint8Array>;
  /** What the folder's marker records (default 'checkpoint'). */
  kind?: OutputKind;
  /** Checkpoints the folder is made from: it may not be inside them, nor hold them. */
  sources?: readonly SourceFolder[];
  logger?: Logger;
}

/**
 * Writes a Hugging Face checkpoint folder: `model.safetensors`, or shards named
 * `model-0000i-of-0000N.safetensors` plus `model.safetensors.index.json`. Everything goes into a
 * hidden staging folder beside `dir`, renamed to `dir` only once complete (outputFolder.ts: the
 * marker, the lock, and what may be replaced).
 */
export function writeCheckpointFolder(dir: string, tensors: readonly TensorToWrite[], options: CheckpointFolderOptions = {}): void {
  for (const _ of checkpointFolderSteps(dir, tensors, options));
}

/** Longest the async writer keeps the event loop before letting it run (a signal handler, a progress bar). */
const MAX_BUSY_MS = 50;

/**
 * writeCheckpointFolder that stops on `cancel` between pieces (removing the staging folder) and
 * lets the event loop run every MAX_BUSY_MS, so a Ctrl-C is heard within a piece's time.
 */
export async function writeCheckpointFolderAsync(dir: string, tensors: readonly TensorToWrite[], options: CheckpointFolderOptions & { cancel?: CancelToken } = {}): Promise<void> {
  const steps = checkpointFolderSteps(dir, tensors, options);
  let step = steps.next();
  let busySince = performance.now();
  while (!step.done) {
    if (performance.now() - busySince > MAX_BUSY_MS) {
      await nextTurn();
      busySince = performance.now();
    }
    step = options.cancel?.isCancellationRequested ? steps.throw(cancelledError()) : steps.next();
  }
}

function* checkpointFolderSteps(dir: string, tensors: readonly TensorToWrite[], options: CheckpointFolderOptions): WriteSteps {
  const output = stageOutputFolder(dir, { kind: options.kind ?? 'checkpoint', overwrite: options.overwrite, sources: options.sources, logger: options.logger });
  const { staging } = output;
  const writeFile = (name: string, content: string | Uint8Array) => {
    try {
      writeFileSync(join(staging, name), content);
    } catch (error) {
      throw writeFailure(error, join(output.dir, name));
    }
  };
  try {
    const maxShardBytes = options.maxShardBytes ?? Infinity;
    const shards: TensorToWrite[][] = [[]];
    let shardBytes = 0;
    for (const tensor of tensors) {
      const length = tensorByteLength(tensor);
      if (shards.at(-1)!.length > 0 && shardBytes + length > maxShardBytes) {
        shards.push([]);
        shardBytes = 0;
      }
      shards.at(-1)!.push(tensor);
      shardBytes += length;
    }
    const pad = (n: number) => String(n).padStart(5, '0');
    const shardName = (i: number) => (shards.length === 1 ? 'model.safetensors' : `model-${pad(i + 1)}-of-${pad(shards.length)}.safetensors`);
    for (const [name, content] of Object.entries(options.files ?? {})) writeFile(name, content);
    const weightMap: Record<string, string> = {};
    for (const [i, shard] of shards.entries()) {
      yield* safetensorsFileSteps(join(staging, shardName(i)), shard, { format: 'pt' }, join(output.dir, shardName(i)));
      for (const tensor of shard) weightMap[tensor.name] = shardName(i);
    }
    if (shards.length > 1) {
      const totalSize = tensors.reduce((total, tensor) => total + tensorByteLength(tensor), 0);
      const index = { metadata: { total_size: totalSize, ...options.indexMetadata }, weight_map: weightMap };
      writeFile(INDEX_FILE, JSON.stringify(index, null, 2) + '\n');
    }
    for (const [name, content] of Object.entries(options.filesAfterTensors?.() ?? {})) writeFile(name, content);
    output.commit();
  } catch (error) {
    output.discard();
    throw error;
  }
}

/**
 * Writes safetensors files that the strict reader accepts, and checkpoint folders made of them.
 * Tensor bytes are produced on demand (a callback per tensor), so writing never holds more than
 * one piece in memory. Files are written under a temporary name and renamed when complete; a
 * folder is staged beside its final path and renamed last, so a killed process never leaves
 * anything that looks complete. Like Hugging Face's and mergekit's writers, nothing is fsynced:
 * forcing gigabytes to disk would make every merge wait on the disk rather than the page cache.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FrankenlensError } from '../errors';
import { INDEX_FILE } from './checkpoint';
import { DTYPE_BITS, type Dtype } from './dtypes';
import { MAX_HEADER_BYTES } from './safetensorsHeader';

export interface TensorToWrite {
  name: string;
  dtype: Dtype;
  shape: number[];
  /** Calls `write` with consecutive pieces that add up to exactly the tensor's byte size. */
  produce(write: (bytes: Uint8Array) => void): void;
}

export function tensorByteLength(tensor: Pick<TensorToWrite, 'dtype' | 'shape'>): number {
  return (tensor.shape.reduce((product, dim) => product * dim, 1) * DTYPE_BITS[tensor.dtype]) / 8;
}

/** Writes one .safetensors file (sorted by dtype size then name, header padded to 8 bytes). */
export function writeSafetensorsFile(path: string, tensors: readonly TensorToWrite[], metadata?: Record<string, string>): void {
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
  const fd = openSync(partial, 'w');
  try {
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(headerBytes.byteLength));
    writeAll(fd, prefix);
    writeAll(fd, headerBytes);
    for (const tensor of ordered) {
      let written = 0;
      tensor.produce((bytes) => {
        writeAll(fd, bytes);
        written += bytes.byteLength;
      });
      if (written !== tensorByteLength(tensor)) {
        throw new FrankenlensError('TensorInvalidInfo', `${path}: tensor "${tensor.name}" produced ${written} bytes, expected ${tensorByteLength(tensor)}`, path, tensor.name);
      }
    }
  } catch (error) {
    closeSync(fd);
    rmSync(partial, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(partial, path);
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
  overwrite?: boolean;
  indexMetadata?: Record<string, unknown>;
  /** Files that can only be written once every tensor is (a provenance record with hashes). */
  filesAfterTensors?: () => Record<string, string | Uint8Array>;
}

/**
 * Writes a Hugging Face checkpoint folder: `model.safetensors`, or shards named
 * `model-0000i-of-0000N.safetensors` plus `model.safetensors.index.json`. Everything goes into a
 * hidden staging folder beside `dir`, renamed to `dir` only once complete.
 */
export function writeCheckpointFolder(dir: string, tensors: readonly TensorToWrite[], options: CheckpointFolderOptions = {}): void {
  if (existsSync(dir) && !options.overwrite) throw new FrankenlensError('FileExists', `${dir}: already exists (pass overwrite to replace it)`, dir);
  removeAbandonedStaging(dir);
  const staging = join(dirname(dir), `.${basename(dir)}.partial-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
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
    for (const [name, content] of Object.entries(options.files ?? {})) writeFileSync(join(staging, name), content);
    const weightMap: Record<string, string> = {};
    shards.forEach((shard, i) => {
      writeSafetensorsFile(join(staging, shardName(i)), shard, { format: 'pt' });
      for (const tensor of shard) weightMap[tensor.name] = shardName(i);
    });
    if (shards.length > 1) {
      const totalSize = tensors.reduce((total, tensor) => total + tensorByteLength(tensor), 0);
      const index = { metadata: { total_size: totalSize, ...options.indexMetadata }, weight_map: weightMap };
      writeFileSync(join(staging, INDEX_FILE), JSON.stringify(index, null, 2) + '\n');
    }
    for (const [name, content] of Object.entries(options.filesAfterTensors?.() ?? {})) writeFileSync(join(staging, name), content);
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

/** Staging folders of writers that were killed mid-write (their process is gone) are removed. */
function removeAbandonedStaging(dir: string): void {
  const parent = dirname(dir);
  if (!existsSync(parent)) return;
  const pattern = new RegExp(`^\\.${basename(dir).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.partial-(\\d+)$`);
  for (const name of readdirSync(parent)) {
    const pid = Number(pattern.exec(name)?.[1]);
    if (pid && pid !== process.pid && !processAlive(pid)) rmSync(join(parent, name), { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

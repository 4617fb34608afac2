/**
 * A Hugging Face checkpoint folder: config.json plus either one or more .safetensors files or a
 * sharded set listed by model.safetensors.index.json. Opening reads headers only, never weights.
 */
import { createHash } from 'node:crypto';
import { readdirSync, type Stats } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { FrankenlensError } from '../errors';
import { CONFIG_FILE_BYTES, fileKind, parseJson, previewValue, quoted, readJsonFile, readJsonFileAsync, readRegularFile, readRegularFileAsync, statIfPresent, statIfPresentAsync, TOKENIZER_FILE_BYTES } from '../regularFile';
import type { Dtype } from './dtypes';
import { FileReader } from './fileReader';
import { detectNamingScheme, type NamingScheme } from './canonicalNames';
import { openSafetensorsFile, openSafetensorsFileAsync, type SafetensorsFile } from './safetensorsFile';
import type { TensorLocation } from './tensorInfo';

export const INDEX_FILE = 'model.safetensors.index.json';

export interface CheckpointInfo {
  architecture: string | null;
  modelType: string | null;
  llmLayers: number | null;
  visionDepth: number | null;
  configDtype: string | null;
  parameterCount: number;
  totalBytes: number;
  dtypes: Partial<Record<Dtype, number>>;
  namingScheme: NamingScheme;
}

export interface Checkpoint {
  /** The folder (or the single file when a bare .safetensors file was given). */
  path: string;
  config: Record<string, unknown> | null;
  configSha256: string | null;
  files: { path: string; bytes: number }[];
  /** Every tensor, in file order. */
  tensors: TensorLocation[];
  info: CheckpointInfo;
}

const CONFIG_LIMIT = { code: 'InvalidConfig', maxBytes: CONFIG_FILE_BYTES } as const;
const INDEX_LIMIT = { code: 'InvalidIndex', maxBytes: TOKENIZER_FILE_BYTES } as const;

/** Opens a checkpoint with blocking reads: for the CLI and workers. */
export function openCheckpoint(path: string, reader: FileReader = new FileReader()): Checkpoint {
  const absolute = resolve(path);
  const isFile = isSingleFile(absolute, statIfPresent(absolute));
  const folder = isFile ? dirname(absolute) : absolute;
  const configPath = join(folder, 'config.json');
  const config = !isFile && statIfPresent(configPath) ? configFromBytes(readRegularFile(configPath, CONFIG_LIMIT), configPath) : null;
  const indexPath = join(folder, INDEX_FILE);
  if (!isFile && statIfPresent(indexPath)) {
    const weightMap = weightMapOf(readJsonFile(indexPath, INDEX_LIMIT), indexPath);
    const shards = shardNamesOf(weightMap).map((shardName) => {
      const shardPath = join(folder, shardName);
      checkShard(shardPath, statIfPresent(shardPath), weightMap, shardName);
      return openSafetensorsFile(reader, shardPath);
    });
    return checkpointOf(absolute, config, shards, indexedTensors(weightMap, shards, folder));
  }
  const paths = isFile ? [absolute] : safetensorsPaths(folder, readdirSync(folder));
  const files = paths.map((filePath) => openSafetensorsFile(reader, filePath));
  return checkpointOf(absolute, config, files, folderTensors(files));
}

/** Opens a checkpoint without blocking the thread (the extension host): the same checks, read with fs/promises. */
export async function openCheckpointAsync(path: string): Promise<Checkpoint> {
  const absolute = resolve(path);
  const isFile = isSingleFile(absolute, await statIfPresentAsync(absolute));
  const folder = isFile ? dirname(absolute) : absolute;
  const configPath = join(folder, 'config.json');
  const config = !isFile && (await statIfPresentAsync(configPath)) ? configFromBytes(await readRegularFileAsync(configPath, CONFIG_LIMIT), configPath) : null;
  const indexPath = join(folder, INDEX_FILE);
  if (!isFile && (await statIfPresentAsync(indexPath))) {
    const weightMap = weightMapOf(await readJsonFileAsync(indexPath, INDEX_LIMIT), indexPath);
    const shards: SafetensorsFile[] = [];
    for (const shardName of shardNamesOf(weightMap)) {
      const shardPath = join(folder, shardName);
      checkShard(shardPath, await statIfPresentAsync(shardPath), weightMap, shardName);
      shards.push(await openSafetensorsFileAsync(shardPath));
    }
    return checkpointOf(absolute, config, shards, indexedTensors(weightMap, shards, folder));
  }
  const paths = isFile ? [absolute] : safetensorsPaths(folder, await readdir(folder));
  const files: SafetensorsFile[] = [];
  for (const filePath of paths) files.push(await openSafetensorsFileAsync(filePath));
  return checkpointOf(absolute, config, files, folderTensors(files));
}

/** Whether the path is a single .safetensors file (else a folder); anything else is refused. */
function isSingleFile(absolute: string, stats: Stats | undefined): boolean {
  if (!stats) throw new FrankenlensError('NotACheckpoint', `${absolute}: no such file or folder`, absolute);
  if (!stats.isFile() && !stats.isDirectory()) throw new FrankenlensError('NotARegularFile', `${absolute}: not a checkpoint folder or .safetensors file (it is ${fileKind(stats)})`, absolute);
  return stats.isFile();
}

function safetensorsPaths(folder: string, names: string[]): string[] {
  const paths = names.filter((name) => name.endsWith('.safetensors')).sort().map((name) => join(folder, name));
  if (paths.length === 0) throw new FrankenlensError('NotACheckpoint', `${folder}: no .safetensors files and no ${INDEX_FILE}`, folder);
  return paths;
}

interface Config {
  value: Record<string, unknown>;
  sha256: string;
}

function configFromBytes(bytes: Buffer, configPath: string): Config {
  const value = parseJson(bytes.toString('utf8'), configPath, 'InvalidConfig');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FrankenlensError('InvalidConfig', `${configPath}: not a JSON object`, configPath);
  return { value: value as Record<string, unknown>, sha256: createHash('sha256').update(bytes).digest('hex') };
}

function checkpointOf(absolute: string, config: Config | null, files: SafetensorsFile[], tensors: TensorLocation[]): Checkpoint {
  return {
    path: absolute,
    config: config?.value ?? null,
    configSha256: config?.sha256 ?? null,
    files: files.map((file) => ({ path: file.path, bytes: file.size })),
    tensors,
    info: describe(config?.value ?? null, tensors),
  };
}

/** Refuses shard names that could leave the folder. */
function weightMapOf(index: unknown, indexPath: string): Map<string, string> {
  const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new FrankenlensError('InvalidIndex', `${indexPath}: missing "weight_map" object`, indexPath);
  }
  const result = new Map<string, string>();
  for (const [name, shard] of Object.entries(weightMap as Record<string, unknown>)) {
    if (typeof shard !== 'string' || shard.length === 0) throw new FrankenlensError('InvalidIndex', `${indexPath}: tensor ${quoted(name)} maps to ${previewValue(shard)}, not a file name`, indexPath, name);
    // A shard must be named as an entry of the folder itself; that entry may be a symlink to a
    // regular file anywhere (a Hugging Face hub cache links snapshots/<rev>/* into ../../blobs/).
    const unsafe = shard !== basename(shard) || shard.includes('/') || shard.includes('\\') || shard === '.' || shard === '..' || shard.includes('\0');
    if (unsafe) throw new FrankenlensError('UnsafeShardPath', `${indexPath}: shard name ${quoted(shard)} for tensor ${quoted(name)} points outside the checkpoint folder`, indexPath, name);
    result.set(name, shard);
  }
  return result;
}

function shardNamesOf(weightMap: Map<string, string>): string[] {
  return [...new Set(weightMap.values())].sort();
}

function checkShard(shardPath: string, stats: Stats | undefined, weightMap: Map<string, string>, shardName: string): void {
  const example = [...weightMap].find(([, shard]) => shard === shardName)![0];
  if (!stats) throw new FrankenlensError('MissingShard', `${shardPath}: shard listed in ${INDEX_FILE} is missing (it holds ${quoted(example)} and others)`, shardPath, example);
  if (!stats.isFile()) throw new FrankenlensError('UnsafeShardPath', `${shardPath}: shard for tensor ${quoted(example)} is not a regular file (it is ${fileKind(stats)})`, shardPath, example);
}

/** The tensors the index assigns to each shard; every listed tensor must be there. */
function indexedTensors(weightMap: Map<string, string>, shards: SafetensorsFile[], folder: string): TensorLocation[] {
  const tensors: TensorLocation[] = [];
  for (const shard of shards) {
    const shardName = basename(shard.path);
    for (const tensor of shard.tensors) {
      if (weightMap.get(tensor.name) === shardName) tensors.push(tensor);
    }
  }
  const found = new Set(tensors.map((tensor) => tensor.name));
  for (const [name, shardName] of weightMap) {
    if (!found.has(name)) {
      const shardPath = join(folder, shardName);
      throw new FrankenlensError('TensorNotFound', `${shardPath}: tensor ${quoted(name)} is listed in ${INDEX_FILE} but not stored in this shard`, shardPath, name);
    }
  }
  return tensors;
}

/** Every tensor of unindexed files; a name stored twice is an error. */
function folderTensors(files: SafetensorsFile[]): TensorLocation[] {
  const tensors: TensorLocation[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    for (const tensor of file.tensors) {
      const previous = seen.get(tensor.name);
      if (previous !== undefined) throw new FrankenlensError('DuplicateTensor', `${file.path}: tensor ${quoted(tensor.name)} is also stored in ${basename(previous)}`, file.path, tensor.name);
      seen.set(tensor.name, file.path);
      tensors.push(tensor);
    }
  }
  return tensors;
}

function describe(config: Record<string, unknown> | null, tensors: TensorLocation[]): CheckpointInfo {
  const textConfig = (config?.text_config ?? null) as Record<string, unknown> | null;
  const visionConfig = (config?.vision_config ?? null) as Record<string, unknown> | null;
  const integer = (value: unknown) => (Number.isSafeInteger(value) ? (value as number) : null);
  const string = (value: unknown) => (typeof value === 'string' ? value : null);
  const dtypes: Partial<Record<Dtype, number>> = {};
  let parameterCount = 0;
  let totalBytes = 0;
  for (const tensor of tensors) {
    dtypes[tensor.dtype] = (dtypes[tensor.dtype] ?? 0) + 1;
    parameterCount += tensor.shape.reduce((product, dim) => product * dim, 1);
    totalBytes += tensor.byteLength;
  }
  const architectures = config?.architectures;
  return {
    architecture: Array.isArray(architectures) ? string(architectures[0]) : null,
    modelType: string(config?.model_type),
    llmLayers: integer(config?.num_hidden_layers) ?? integer(textConfig?.num_hidden_layers),
    visionDepth: integer(visionConfig?.depth) ?? integer(visionConfig?.num_hidden_layers),
    configDtype: string(config?.torch_dtype) ?? string(config?.dtype) ?? string(textConfig?.torch_dtype),
    parameterCount,
    totalBytes,
    dtypes,
    namingScheme: detectNamingScheme(tensors.map((tensor) => tensor.name)),
  };
}

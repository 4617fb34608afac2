/**
 * A Hugging Face checkpoint folder: config.json plus either one or more .safetensors files or a
 * sharded set listed by model.safetensors.index.json. Opening reads headers only, never weights.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { FrankenlensError } from '../errors';
import type { Dtype } from './dtypes';
import { FileReader } from './fileReader';
import { detectNamingScheme, type NamingScheme } from './canonicalNames';
import { openSafetensorsFile } from './safetensorsFile';
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

export function openCheckpoint(path: string, reader: FileReader = new FileReader()): Checkpoint {
  const absolute = resolve(path);
  if (!existsSync(absolute)) throw new FrankenlensError('NotACheckpoint', `${absolute}: no such file or folder`, absolute);
  const isFile = statSync(absolute).isFile();
  const folder = isFile ? dirname(absolute) : absolute;
  const { config, configSha256 } = isFile ? { config: null, configSha256: null } : readConfig(folder);

  const indexPath = join(folder, INDEX_FILE);
  const tensors: TensorLocation[] = [];
  const files: { path: string; bytes: number }[] = [];
  if (!isFile && existsSync(indexPath)) {
    const weightMap = readIndex(indexPath, folder);
    const shardNames = [...new Set(weightMap.values())].sort();
    for (const shardName of shardNames) {
      const shardPath = join(folder, shardName);
      if (!existsSync(shardPath)) {
        const example = [...weightMap].find(([, shard]) => shard === shardName)?.[0];
        throw new FrankenlensError('MissingShard', `${shardPath}: shard listed in ${INDEX_FILE} is missing (it holds "${example}" and others)`, shardPath, example);
      }
      const shard = openSafetensorsFile(reader, shardPath);
      files.push({ path: shardPath, bytes: shard.size });
      for (const tensor of shard.tensors) {
        if (weightMap.get(tensor.name) === shardName) tensors.push(tensor);
      }
    }
    const found = new Set(tensors.map((tensor) => tensor.name));
    for (const [name, shardName] of weightMap) {
      if (!found.has(name)) {
        const shardPath = join(folder, shardName);
        throw new FrankenlensError('TensorNotFound', `${shardPath}: tensor "${name}" is listed in ${INDEX_FILE} but not stored in this shard`, shardPath, name);
      }
    }
  } else {
    const paths = isFile ? [absolute] : readdirSync(folder).filter((name) => name.endsWith('.safetensors')).sort().map((name) => join(folder, name));
    if (paths.length === 0) throw new FrankenlensError('NotACheckpoint', `${folder}: no .safetensors files and no ${INDEX_FILE}`, folder);
    const seen = new Map<string, string>();
    for (const filePath of paths) {
      const file = openSafetensorsFile(reader, filePath);
      files.push({ path: filePath, bytes: file.size });
      for (const tensor of file.tensors) {
        const previous = seen.get(tensor.name);
        if (previous !== undefined) throw new FrankenlensError('DuplicateTensor', `${filePath}: tensor "${tensor.name}" is also stored in ${basename(previous)}`, filePath, tensor.name);
        seen.set(tensor.name, filePath);
        tensors.push(tensor);
      }
    }
  }
  return { path: absolute, config, configSha256, files, tensors, info: describe(config, tensors) };
}

function readConfig(folder: string): { config: Record<string, unknown> | null; configSha256: string | null } {
  const configPath = join(folder, 'config.json');
  if (!existsSync(configPath)) return { config: null, configSha256: null };
  const bytes = readFileSync(configPath);
  let config: unknown;
  try {
    config = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new FrankenlensError('InvalidConfig', `${configPath}: not valid JSON (${(error as Error).message})`, configPath);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new FrankenlensError('InvalidConfig', `${configPath}: not a JSON object`, configPath);
  return { config: config as Record<string, unknown>, configSha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Parses the index and refuses shard names that could leave the folder. */
function readIndex(indexPath: string, folder: string): Map<string, string> {
  let index: unknown;
  try {
    index = JSON.parse(readFileSync(indexPath, 'utf8'));
  } catch (error) {
    throw new FrankenlensError('InvalidIndex', `${indexPath}: not valid JSON (${(error as Error).message})`, indexPath);
  }
  const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new FrankenlensError('InvalidIndex', `${indexPath}: missing "weight_map" object`, indexPath);
  }
  const result = new Map<string, string>();
  for (const [name, shard] of Object.entries(weightMap as Record<string, unknown>)) {
    if (typeof shard !== 'string' || shard.length === 0) throw new FrankenlensError('InvalidIndex', `${indexPath}: tensor "${name}" maps to ${JSON.stringify(shard)}, not a file name`, indexPath, name);
    // A shard must be named as an entry of the folder itself; that entry may be a symlink to a
    // regular file anywhere (a Hugging Face hub cache links snapshots/<rev>/* into ../../blobs/).
    const unsafe = shard !== basename(shard) || shard.includes('/') || shard.includes('\\') || shard === '.' || shard === '..' || shard.includes('\0');
    if (unsafe) throw new FrankenlensError('UnsafeShardPath', `${indexPath}: shard name ${JSON.stringify(shard)} for tensor "${name}" points outside the checkpoint folder`, indexPath, name);
    const shardPath = join(folder, shard);
    if (existsSync(shardPath) && !statSync(shardPath).isFile()) throw new FrankenlensError('UnsafeShardPath', `${shardPath}: shard for tensor "${name}" is not a regular file`, shardPath, name);
    result.set(name, shard);
  }
  return result;
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

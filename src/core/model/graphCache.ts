/**
 * Where graph files live. onnxruntime resolves external data relative to the .onnx file and refuses
 * paths that leave its folder, so each checkpoint gets a cache folder holding hard links to its
 * weight files (same bytes on disk, nothing copied) next to its graphs:
 *
 *   <cacheRoot>/<key>/weights-0.safetensors   (hard link to model-00001-of-0000N.safetensors)
 *   <cacheRoot>/<key>/layer-3.onnx            (a few KB: structure and offsets only)
 *
 * The key hashes the builder version with each file's fingerprint (size, mtime, header hash),
 * config.json, the architecture the graph is built for and the precision of its weights, so a
 * changed checkpoint gets new graphs and float32 and int8 graphs never share a file. A graph with
 * weights quantized at build (int8) has their bytes in a data file beside it (`layer-3.data`): the
 * one case where the cache holds weight bytes of its own (about 1.16 bytes per weight).
 * A graph whose tensors all come from one checkpoint lives in that checkpoint's folder whoever runs
 * it (a merge variant's layer taken from IN is IN's own layer graph); one that mixes checkpoints
 * gets a folder linking all of their files, keyed also by which tensor comes from which. When a
 * hard link is impossible (cache on another filesystem, or a filesystem without links), the graph
 * is written beside the weight files instead, as a hidden `.frankenlens-<key>-<graph>.onnx`.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, linkSync, mkdirSync, openSync, realpathSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeFailure } from '../atomicWrite';
import type { Checkpoint } from '../checkpoint/checkpoint';
import { fingerprintFiles } from '../checkpoint/fingerprint';
import { FrankenlensError } from '../errors';
import type { WeightPrecision } from './graphOps';
import { GraphBuilder, type GraphDataFile } from './onnxGraph';

/** Bump when a graph builder changes what it writes. */
const BUILDER_VERSION = 5;

/** `selection`: which tensors come from which of `checkpoints`, when they are not all from one; `precision`: how the graph holds its weights. */
export function checkpointKey(checkpoints: readonly Checkpoint[], selection?: unknown, precision: WeightPrecision = 'float32'): string {
  const content = checkpoints.map((checkpoint) => ({ config: checkpoint.configSha256, files: fingerprintFiles(checkpoint) }));
  return createHash('sha256').update(JSON.stringify({ builder: BUILDER_VERSION, content, selection, precision })).digest('hex').slice(0, 24);
}

export interface GraphFile {
  path: string;
  /** Whether this call wrote it (false: reused from the cache). */
  built: boolean;
}

/**
 * The path of graph `graphName` for these weight files, building it with `build` if it is not
 * cached yet. `build` receives a builder whose external-data locations are already resolved.
 */
export function cachedGraph(cacheRoot: string, key: string, graphName: string, weightFiles: readonly string[], build: (builder: GraphBuilder) => void): GraphFile {
  const folder = join(cacheRoot, key);
  const linked = linkWeights(folder, weightFiles);
  if (linked) return writeOnce(join(folder, `${graphName}.onnx`), graphName, (file) => linked.get(file)!, build);
  const beside = dirname(weightFiles[0]!);
  const outside = weightFiles.find((file) => dirname(file) !== beside);
  if (outside) {
    throw new FrankenlensError('InvalidArgument', `${cacheRoot}: cannot hard-link the weight files into the graph cache, and they live in different folders (${beside}, ${dirname(outside)}); put the graph cache on the same filesystem as the checkpoints`, cacheRoot);
  }
  return writeOnce(join(beside, `.frankenlens-${key}-${graphName}.onnx`), graphName, (file) => basename(file), build);
}

/** Hard links to every weight file inside `folder` (reusing links that still point at the same file); null when linking is impossible. */
function linkWeights(folder: string, weightFiles: readonly string[]): Map<string, string> | null {
  mkdirSync(folder, { recursive: true });
  const links = new Map<string, string>();
  for (const [index, file] of weightFiles.entries()) {
    const name = `weights-${index}.safetensors`;
    const link = join(folder, name);
    // The file itself, not a symlink to it (a hub cache's snapshot entries are links into blobs/):
    // a hard link to a relative symlink would resolve from the cache folder.
    const target = realpathSync(file);
    const source = statSync(target);
    if (existsSync(link)) {
      const current = statSync(link);
      if (current.ino === source.ino && current.dev === source.dev) {
        links.set(file, name);
        continue;
      }
      rmSync(link);
    }
    try {
      linkSync(target, link);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EXDEV' || code === 'EPERM' || code === 'ENOTSUP' || code === 'EMLINK' || code === 'EACCES') return null;
      throw error;
    }
    links.set(file, name);
  }
  return links;
}

function writeOnce(path: string, graphName: string, location: (file: string) => string, build: (builder: GraphBuilder) => void): GraphFile {
  if (existsSync(path)) return { path, built: false };
  // The data file (if the graph writes one) is renamed into place before the graph, so a graph file
  // that exists always has its data; a build that fails leaves neither.
  const data = new PartialDataFile(path.replace(/\.onnx$/, '.data'));
  try {
    const builder = new GraphBuilder(graphName, location, data);
    build(builder);
    const bytes = builder.toBytes();
    data.finish();
    const temporary = `${path}.${process.pid}.partial`;
    writeFileSync(temporary, bytes);
    renameSync(temporary, path);
  } finally {
    data.discard();
  }
  return { path, built: true };
}

/** A graph's data file, written under a temporary name (created on the first append) and renamed by finish. */
class PartialDataFile implements GraphDataFile {
  readonly location: string;
  private readonly temporary: string;
  private fd: number | undefined;
  size = 0;

  constructor(private readonly path: string) {
    this.location = basename(path);
    this.temporary = `${path}.${process.pid}.partial`;
  }

  append(bytes: Uint8Array): number {
    const offset = this.size;
    try {
      this.fd ??= openSync(this.temporary, 'w');
      for (let done = 0; done < bytes.byteLength;) done += writeSync(this.fd, bytes, done, bytes.byteLength - done);
    } catch (error) {
      throw writeFailure(error, this.temporary);
    }
    this.size += bytes.byteLength;
    return offset;
  }

  finish(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    renameSync(this.temporary, this.path);
  }

  /** Removes an unfinished file (nothing once finished). */
  discard(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.temporary, { force: true });
  }
}

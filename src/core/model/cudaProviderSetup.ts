/**
 * Installs onnxruntime's two CUDA provider files into onnxruntime-node's binary folder from what
 * the user already has: a folder holding them at any depth (an extracted NuGet package's
 * runtimes/linux-x64/native/, the GitHub release archive's lib/, a Python onnxruntime-gpu
 * install's onnxruntime/capi/), a .nupkg/.zip/.whl archive, or a .tgz/.tar.gz (through `tar`).
 * The version must be 1.30.x: read from the NuGet .nuspec, the Python dist-info folder or
 * __init__.py, the release folder's name, or as a last resort the `VERS_x.y.z` string inside the
 * provider library. Only those two files are written, each to a temporary name then renamed.
 * All file work is async: the extension host runs this on its own thread.
 */
import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdtemp, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw } from 'node:zlib';
import { FrankenlensError } from '../errors';
import { ORT_VERSION, ortBinDir, ortLibraryName, providerFileNames } from './cudaDetection';
import { entryDataOffset, findZipDirectory, LOCAL_HEADER_BYTES, parseZipDirectory, unreadableEntry, ZIP_TAIL_BYTES, type ZipEntry } from '../zipDirectory';
import { fileKind } from '../regularFile';

export interface SetupResult {
  /** The installed files' paths. */
  installed: string[];
  /** The version found, and where it was read. */
  version: string;
  versionSource: string;
}

const fail = (message: string, file?: string) => new FrankenlensError('InvalidArgument', message, file);
const wantedVersion = (version: string) => version.split('.').slice(0, 2).join('.') === ORT_VERSION.split('.').slice(0, 2).join('.');
const MAX_DEPTH = 10;

/** Installs the provider files from `from` into `binDir` (default: onnxruntime-node's own). */
export async function setupCudaProvider(from: string, options: { binDir?: string } = {}): Promise<SetupResult> {
  const binDir = options.binDir ?? ortBinDir();
  const names = providerFileNames();
  try {
    await stat(join(binDir, ortLibraryName()));
  } catch {
    throw fail(`${binDir}: onnxruntime-node's ${ortLibraryName()} is not there, so this is not its binary folder; reinstall Frankenlens's dependencies (npm ci)`, binDir);
  }
  let info;
  try {
    info = await stat(from);
  } catch {
    throw fail(`${from}: no such file or folder`, from);
  }
  if (info.isDirectory()) return installFromFolder(from, from, binDir, names);
  // A FIFO or device named like an archive would block the reader (or tar) forever.
  if (!info.isFile()) throw fail(`${from}: not a regular file or a folder (it is ${fileKind(info)})`, from);
  const lower = from.toLowerCase();
  if (lower.endsWith('.tgz') || lower.endsWith('.tar.gz')) {
    const scratch = await mkdtemp(join(tmpdir(), 'frankenlens-gpu-'));
    try {
      await new Promise<void>((resolve, reject) => execFile('tar', ['-xzf', from, '-C', scratch], { maxBuffer: 1 << 20 }, (error, _out, stderr) => (error ? reject(fail(`${from}: tar could not extract it (${(stderr || error.message).trim()})`, from)) : resolve())));
      return await installFromFolder(scratch, from, binDir, names);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }
  if (lower.endsWith('.nupkg') || lower.endsWith('.zip') || lower.endsWith('.whl')) return installFromZip(from, binDir, names);
  throw fail(`${from}: not a folder, .nupkg, .zip, .whl, .tgz or .tar.gz`, from);
}

async function installFromFolder(root: string, shownAs: string, binDir: string, names: [string, string]): Promise<SetupResult> {
  const holders = await foldersHolding(root, names);
  const [first, second] = names;
  if (holders.both.length === 0) {
    const one = holders.some[0];
    if (one) throw fail(`${shownAs}: ${join(relativeTo(root, shownAs, one.dir))} holds ${one.name} but not ${one.name === first ? second : first}; both provider files are needed`, shownAs);
    throw fail(`${shownAs}: holds neither ${first} nor ${second} (looked ${MAX_DEPTH} folders deep)`, shownAs);
  }
  // The platform's own folder first (a NuGet package holds one per runtime).
  const rid = `${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`;
  const dir = holders.both.find((candidate) => candidate.split(sep).includes(rid)) ?? holders.both[0]!;
  const version = (await versionFromMetadata(root, dir)) ?? (await versionInBinary(join(dir, first)));
  if (!version) throw fail(`${shownAs}: cannot tell which onnxruntime version these provider files are (no .nuspec, dist-info, release folder name or version string in ${first}); use the files of onnxruntime ${ORT_VERSION}`, shownAs);
  checkVersion(version.version, version.source, shownAs);
  const installed: string[] = [];
  for (const name of names) installed.push(await installFile(binDir, name, (temp) => pipeline(createReadStream(join(dir, name)), createWriteStream(temp, { flags: 'wx' }))));
  return { installed, ...versionFields(version) };
}

const versionFields = (version: { version: string; source: string }) => ({ version: version.version, versionSource: version.source });

function relativeTo(root: string, shownAs: string, dir: string): string {
  const rel = relative(root, dir);
  return rel === '' ? shownAs : join(shownAs, rel);
}

function checkVersion(version: string, source: string, shownAs: string): void {
  if (!wantedVersion(version)) throw fail(`${shownAs}: these are onnxruntime ${version}'s CUDA provider files (${source}); onnxruntime-node here is ${ORT_VERSION} and needs those of ${ORT_VERSION.split('.').slice(0, 2).join('.')}.x`, shownAs);
}

async function foldersHolding(root: string, names: [string, string]): Promise<{ both: string[]; some: { dir: string; name: string }[] }> {
  const both: string[] = [];
  const some: { dir: string; name: string }[] = [];
  const walk = async (dir: string, depth: number) => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const files = new Set(entries.filter((entry) => entry.isFile()).map((entry) => entry.name));
    const held = names.filter((name) => files.has(name));
    if (held.length === 2) both.push(dir);
    else if (held.length === 1) some.push({ dir, name: held[0]! });
    if (depth >= MAX_DEPTH) return;
    for (const entry of entries.filter((entry) => entry.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) await walk(join(dir, entry.name), depth + 1);
  };
  await walk(root, 0);
  return { both, some };
}

/** The version the files' own package states, looking from their folder up to the root given. */
async function versionFromMetadata(root: string, dir: string): Promise<{ version: string; source: string } | undefined> {
  for (let at = dir; ; at = dirname(at)) {
    let entries: string[] = [];
    try {
      entries = await readdir(at);
    } catch {
      // unreadable: keep climbing
    }
    for (const name of entries.filter((entry) => entry.endsWith('.nuspec'))) {
      const version = nuspecVersion(await readFile(join(at, name), 'utf8'));
      if (version) return { version, source: `${name}` };
    }
    for (const name of entries) {
      const version = /^onnxruntime(?:_gpu)?-(\d+\.\d+\.\d+)[^/]*\.dist-info$/i.exec(name)?.[1];
      if (version) return { version, source: name };
    }
    if (basename(at) === 'onnxruntime' && entries.includes('__init__.py')) {
      const version = /__version__\s*=\s*["'](\d+\.\d+\.\d+)/.exec(await readFile(join(at, '__init__.py'), 'utf8'))?.[1];
      if (version) return { version, source: join(at, '__init__.py') };
    }
    const release = /^onnxruntime-[a-z]+-[a-z0-9_]+-gpu(?:_cuda\d+)?-(\d+\.\d+\.\d+)$/i.exec(basename(at))?.[1];
    if (release) return { version: release, source: `folder ${basename(at)}` };
    if (relative(root, at) === '' || dirname(at) === at) return undefined;
  }
}

function nuspecVersion(text: string): string | undefined {
  return /<version>\s*([^<\s]+)\s*<\/version>/.exec(text)?.[1];
}

/** Last resort: the `VERS_x.y.z` symbol version inside the library (read in chunks). */
async function versionInBinary(path: string): Promise<{ version: string; source: string } | undefined> {
  const pattern = /VERS_(\d+\.\d+\.\d+)/;
  let tail = '';
  for await (const chunk of createReadStream(path, { highWaterMark: 8 << 20 })) {
    const text = tail + (chunk as Buffer).toString('latin1');
    const match = pattern.exec(text);
    if (match) return { version: match[1]!, source: `the string ${match[0]} in ${basename(path)}` };
    tail = text.slice(-32);
  }
  return undefined;
}

/** Writes one file under a temporary name next to its place, then renames it there. */
async function installFile(binDir: string, name: string, write: (temp: string) => Promise<unknown>): Promise<string> {
  const target = join(binDir, name);
  const temp = join(binDir, `.${name}.${process.pid}.${Date.now()}.tmp`);
  try {
    await write(temp);
    await chmod(temp, 0o755);
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    if (error instanceof FrankenlensError) throw error;
    throw fail(`${target}: could not be written (${(error as Error).message})`, target);
  }
  return target;
}

/** A .nupkg/.zip/.whl: the central directory read, the two entries inflated straight to their temporary files. */
async function installFromZip(archive: string, binDir: string, names: [string, string]): Promise<SetupResult> {
  const bad = (problem: string) => fail(`${archive}: ${problem}`, archive);
  const handle = await open(archive, 'r');
  let entries: ZipEntry[];
  try {
    entries = await zipDirectory(handle, (await handle.stat()).size, bad);
  } finally {
    await handle.close();
  }
  const rid = `runtimes/${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}/native/`;
  const pick = (name: string) => {
    const matches = entries.filter((entry) => entry.name === name || entry.name.endsWith(`/${name}`));
    return matches.find((entry) => entry.name.startsWith(rid)) ?? matches[0];
  };
  const found = names.map(pick);
  if (!found[0] && !found[1]) throw bad(`holds neither ${names[0]} nor ${names[1]}`);
  const absent = names.find((_, index) => !found[index]);
  if (absent) throw bad(`holds ${names.find((_, index) => found[index])} but not ${absent}; both provider files are needed`);
  const nuspec = entries.find((entry) => !entry.name.includes('/') && entry.name.endsWith('.nuspec'));
  let version: { version: string; source: string } | undefined;
  if (nuspec) {
    const text = (await readEntry(archive, nuspec, bad)).toString('utf8');
    const stated = nuspecVersion(text);
    if (stated) version = { version: stated, source: nuspec.name };
  }
  if (!version) {
    for (const entry of entries) {
      const stated = /^onnxruntime(?:_gpu)?-(\d+\.\d+\.\d+)[^/]*\.dist-info\//i.exec(entry.name)?.[1] ?? /(?:^|\/)onnxruntime-[a-z]+-[a-z0-9_]+-gpu(?:_cuda\d+)?-(\d+\.\d+\.\d+)\//i.exec(entry.name)?.[1];
      if (stated) {
        version = { version: stated, source: entry.name.split('/').find((part) => part.includes(stated))! };
        break;
      }
    }
  }
  const installed: string[] = [];
  if (version) checkVersion(version.version, version.source, archive);
  for (const [index, name] of names.entries()) {
    installed.push(
      await installFile(binDir, name, async (temp) => {
        await extractEntry(archive, found[index]!, temp, bad);
        if (!version && index === 0) {
          version = await versionInBinary(temp);
          if (!version) throw bad(`cannot tell which onnxruntime version its provider files are (no .nuspec, dist-info, release folder name or version string in ${name}); use the files of onnxruntime ${ORT_VERSION}`);
          checkVersion(version.version, version.source, archive);
        }
      }),
    );
  }
  return { installed, ...versionFields(version!) };
}

async function zipDirectory(handle: import('node:fs/promises').FileHandle, size: number, bad: (problem: string) => FrankenlensError): Promise<ZipEntry[]> {
  const read = async (position: number, length: number) => {
    if (position < 0 || position + length > size) throw bad('not a valid zip archive (an entry points outside the file)');
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, position);
    if (bytesRead !== length) throw bad('not a valid zip archive (the file ended early)');
    return buffer;
  };
  const tailLength = Math.min(size, ZIP_TAIL_BYTES);
  const found = findZipDirectory(await read(size - tailLength, tailLength));
  if (found.kind === 'none') throw bad('not a zip archive (no zip directory)');
  if (found.kind === 'zip64') throw bad(ZIP64_REFUSAL);
  const entries = parseZipDirectory(await read(found.directoryOffset, found.directorySize), found.count);
  if (typeof entries === 'string') throw bad(`not a valid zip archive (${entries})`);
  return entries;
}

/** Where an entry's data starts, its method checked. */
async function entryData(archive: string, entry: ZipEntry, bad: (problem: string) => FrankenlensError): Promise<number> {
  const unreadable = unreadableEntry(entry);
  if (unreadable === 'encrypted') throw bad(`its entry ${entry.name} is encrypted`);
  if (unreadable === 'zip64') throw bad(ZIP64_REFUSAL);
  if (unreadable) throw bad(`its entry ${entry.name} uses zip compression method ${unreadable.method} (only stored and deflate are read)`);
  const handle = await open(archive, 'r');
  try {
    const local = Buffer.alloc(LOCAL_HEADER_BYTES);
    await handle.read(local, 0, LOCAL_HEADER_BYTES, entry.localHeaderOffset);
    const start = entryDataOffset(entry, local);
    if (start === null) throw bad(`not a valid zip archive (its entry ${entry.name} has no local header)`);
    return start;
  } finally {
    await handle.close();
  }
}

const ZIP64_REFUSAL = 'a ZIP64 archive, which this reader does not take; extract it and pass the folder';

async function extractEntry(archive: string, entry: ZipEntry, target: string, bad: (problem: string) => FrankenlensError): Promise<void> {
  const start = await entryData(archive, entry, bad);
  const source = createReadStream(archive, { start, end: start + entry.compressedSize - 1 });
  const out = createWriteStream(target, { flags: 'wx' });
  try {
    await (entry.method === 8 ? pipeline(source, createInflateRaw(), out) : pipeline(source, out));
  } catch (error) {
    throw bad(`its entry ${entry.name} does not extract (${(error as Error).message})`);
  }
  const written = (await stat(target)).size;
  if (written !== entry.size) throw bad(`its entry ${entry.name} holds ${written} bytes, its directory declares ${entry.size}`);
}

/** A small entry (the .nuspec) in memory. */
async function readEntry(archive: string, entry: ZipEntry, bad: (problem: string) => FrankenlensError): Promise<Buffer> {
  if (entry.size > 1 << 20) throw bad(`its entry ${entry.name} is too large for a package description`);
  const start = await entryData(archive, entry, bad);
  const chunks: Buffer[] = [];
  const source = createReadStream(archive, { start, end: start + Math.max(0, entry.compressedSize - 1) });
  const stream = entry.method === 8 ? source.pipe(createInflateRaw()) : source;
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Output folders, and the rule that keeps the user's files safe: every folder the tool creates
 * carries a marker file, `.frankenlens-output.json` (tool, version, the kinds of output it holds,
 * when it was created), and the tool writes only into a folder that is missing (created, marked),
 * empty (adopted, marked) or marked; it replaces only a marked or empty folder, and only when asked.
 * An output inside or equal to a source checkpoint is refused (realpaths compared). Every writer
 * holds the folder's lock (outputLock.ts) while it writes.
 *
 * Two ways to write:
 * - prepareOutputFolder: results written into the folder file by file (diff, spectral, probes,
 *   variant sweeps); one folder may hold several kinds (the demo's report/ holds the diff and more);
 * - stageOutputFolder: a folder written whole (a checkpoint) in a hidden staging folder beside it,
 *   renamed into place on commit. A folder it replaces is first renamed aside, then deleted, so a
 *   failure halfway never leaves a half-deleted folder under the real name; rm never follows links.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { removeQuietly, writeFailure, writeJsonAtomic } from './atomicWrite';
import { FrankenlensError } from './errors';
import { acquireOutputLock, processAlive } from './outputLock';
import type { Logger } from './progress';
import { TOOL_NAME, TOOL_VERSION } from './version';
import { readRegularFileText } from './regularFile';

export const OUTPUT_MARKER = '.frankenlens-output.json';

export type OutputKind = 'checkpoint' | 'merge' | 'diff' | 'spectral' | 'probes' | 'variants' | 'score' | 'benchmark' | 'report';

export interface OutputMarker {
  tool: string;
  version: string;
  kinds: OutputKind[];
  created: string;
}

/** A folder the output is computed from ("the RL checkpoint"), which it must not be inside of. */
export interface SourceFolder {
  label: string;
  path: string;
}

export interface OutputFolderOptions {
  kind: OutputKind;
  sources?: readonly SourceFolder[];
  /** Where a reclaimed stale lock is reported. */
  logger?: Logger;
}

export interface PreparedOutput {
  /** The folder, absolute. */
  dir: string;
  /** Gives up the folder's lock; call it when the writing is done, failed or cancelled. */
  release(): void;
}

/** Writes into `dir` (prepareOutputFolder's rules) under its lock, released however `write` ends. */
export function withOutputFolder<T>(dir: string, options: OutputFolderOptions, write: (dir: string) => T): T {
  const output = prepareOutputFolder(dir, options);
  try {
    return write(output.dir);
  } finally {
    output.release();
  }
}

/** Where `pid` stages a folder written whole (stageOutputFolder): hidden, beside `dir`. */
export function stagingFolderOf(dir: string, pid = process.pid): string {
  return join(dirname(dir), `.${basename(dir)}.partial-${pid}`);
}

/**
 * Makes `dir` ready to write results into, under its lock: created and marked when missing,
 * adopted when empty, accepted when marked; anything else is refused (FileExists).
 */
export function prepareOutputFolder(dir: string, options: OutputFolderOptions): PreparedOutput {
  const absolute = resolve(dir);
  refuseInsideSources(absolute, options.sources ?? [], false);
  const lock = acquireOutputLock(absolute, options.logger);
  try {
    const state = folderState(absolute);
    if (state === 'foreign') throw notOurs(absolute);
    if (state === 'not-a-folder') throw new FrankenlensError('FileExists', `${absolute}: exists and is not a folder; choose another output folder`, absolute);
    if (state === 'missing') mkdirOrExplain(absolute);
    markOutput(absolute, options.kind);
  } catch (error) {
    lock.release();
    throw error;
  }
  return { dir: absolute, release: () => lock.release() };
}

export interface StagedOutputOptions extends OutputFolderOptions {
  /** Replace a marked folder already at `dir` (without it, such a folder is refused). */
  overwrite?: boolean;
}

export interface StagedOutput {
  /** The final folder, absolute. */
  dir: string;
  /** The hidden folder to write into: `.<name>.partial-<pid>` beside `dir`, already marked. */
  staging: string;
  /** Puts the staging folder in place (replacing what `dir` holds, renamed aside first) and releases the lock. */
  commit(): void;
  /** Removes the staging folder and releases the lock; safe after commit. */
  discard(): void;
}

/** Checks that `dir` may be (re)placed, under its lock, and creates the marked staging folder beside it. */
export function stageOutputFolder(dir: string, options: StagedOutputOptions): StagedOutput {
  const absolute = resolve(dir);
  refuseInsideSources(absolute, options.sources ?? [], true);
  mkdirOrExplain(dirname(absolute));
  const lock = acquireOutputLock(absolute, options.logger);
  const staging = stagingFolderOf(absolute);
  let created = false;
  const discard = () => {
    if (created) removeQuietly(staging);
    created = false;
    lock.release();
  };
  try {
    removeAbandoned(absolute);
    checkReplaceable(absolute, options.overwrite ?? false);
    // This process's own leftover (an earlier write that could not clean up) is removed if marked.
    if (existsSync(staging)) {
      if (folderState(staging) !== 'ours') throw notOurs(staging);
      rmSync(staging, { recursive: true, force: true });
    }
    mkdirOrExplain(staging);
    created = true;
    markOutput(staging, options.kind);
  } catch (error) {
    discard();
    throw error;
  }
  return {
    dir: absolute,
    staging,
    commit() {
      checkReplaceable(absolute, options.overwrite ?? false);
      replaceWith(staging, absolute);
      created = false;
      lock.release();
    },
    discard,
  };
}

/**
 * Deletes a folder the tool wrote (marked, or empty), under its lock: renamed aside first, so a
 * failure halfway leaves no half-deleted folder under its name. A missing folder is fine; any
 * other is refused (FileExists) and left as it is.
 */
export function removeOutputFolder(dir: string, logger?: Logger): void {
  const absolute = resolve(dir);
  if (folderState(absolute) === 'missing') return;
  const lock = acquireOutputLock(absolute, logger);
  try {
    checkReplaceable(absolute, true);
    const aside = join(dirname(absolute), `.${basename(absolute)}.replaced-${process.pid}`);
    renameOrExplain(absolute, aside);
    removeQuietly(aside);
  } finally {
    lock.release();
  }
}

/** The marker of a folder the tool wrote, or null (no marker, or not a plain file, or not ours). */
export function readOutputMarker(dir: string): OutputMarker | null {
  const path = join(dir, OUTPUT_MARKER);
  try {
    if (!lstatSync(path).isFile()) return null;
    const value = JSON.parse(readRegularFileText(path, { code: 'FileExists', maxBytes: 64 * 1024 })) as Partial<OutputMarker>;
    return value.tool === TOOL_NAME && Array.isArray(value.kinds) ? (value as OutputMarker) : null;
  } catch {
    return null;
  }
}

/**
 * Refuses an output inside or equal to a source (its files would be read while being written, or
 * mixed with results), and, for a folder about to be replaced, one that holds a source.
 */
export function refuseInsideSources(dir: string, sources: readonly SourceFolder[], replacing: boolean): void {
  const target = realOrPlanned(dir);
  for (const source of sources) {
    const real = realOrPlanned(source.path);
    if (isWithin(target, real)) {
      const where = target === real ? 'is' : 'is inside';
      throw new FrankenlensError('InvalidArgument', `${dir}: the output folder ${where} the ${source.label} checkpoint ${source.path}; choose an output folder outside every checkpoint`, dir);
    }
    if (replacing && isWithin(real, target)) {
      throw new FrankenlensError('InvalidArgument', `${dir}: the output folder holds the ${source.label} checkpoint ${source.path}, which replacing it would delete; choose another output folder`, dir);
    }
  }
}

type FolderState = 'missing' | 'empty' | 'ours' | 'foreign' | 'not-a-folder';

function folderState(dir: string): FolderState {
  let stat;
  try {
    stat = lstatSync(dir);
  } catch {
    return 'missing';
  }
  // A link to a folder is followed when results are written into it (the user pointed there).
  const target = stat.isSymbolicLink() ? safeStat(dir) : stat;
  if (!target) return 'not-a-folder';
  if (!target.isDirectory()) return 'not-a-folder';
  // A marker torn mid-write (the writer was killed right after making the folder) holds nothing of anyone's.
  const entries = readdirSync(dir);
  if (entries.length === 0 || (entries.length === 1 && entries[0] === `${OUTPUT_MARKER}.partial`)) return 'empty';
  return readOutputMarker(dir) ? 'ours' : 'foreign';
}

function isSymbolicLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function safeStat(path: string) {
  try {
    return lstatSync(realpathSync(path));
  } catch {
    return null;
  }
}

/** Refuses (FileExists) replacing `dir` unless it is missing, empty or marked (and, when marked, `overwrite`); never a link. */
export function checkReplaceable(dir: string, overwrite: boolean): void {
  if (isSymbolicLink(dir)) throw new FrankenlensError('FileExists', `${dir}: is a symbolic link; the tool does not replace links, choose another output folder`, dir);
  const state = folderState(dir);
  if (state === 'foreign') throw notOurs(dir);
  if (state === 'not-a-folder') throw new FrankenlensError('FileExists', `${dir}: exists and is not a folder; choose another output folder`, dir);
  if (state === 'ours' && !overwrite) throw new FrankenlensError('FileExists', `${dir}: already exists (pass overwrite to replace it)`, dir);
}

/** Renames `staging` to `dir`; a folder at `dir` is renamed aside first and deleted last. */
function replaceWith(staging: string, dir: string): void {
  if (!existsSync(dir)) {
    renameOrExplain(staging, dir);
    return;
  }
  const aside = join(dirname(dir), `.${basename(dir)}.replaced-${process.pid}`);
  renameOrExplain(dir, aside);
  try {
    renameOrExplain(staging, dir);
  } catch (error) {
    renameSync(aside, dir);
    throw error;
  }
  // Only a marked or empty folder gets here (checkReplaceable); rm removes links, never what they point to.
  removeQuietly(aside);
}

/**
 * Leftovers of writers of `dir` that died: staging folders (removed) and a replaced folder renamed
 * aside (put back when nothing took its place, else removed). Only marked or empty ones are touched.
 */
function removeAbandoned(dir: string): void {
  const parent = dirname(dir);
  const pattern = new RegExp(`^\\.${escapeRegExp(basename(dir))}\\.(partial|replaced)-(\\d+)$`);
  for (const name of readdirSync(parent)) {
    const match = pattern.exec(name);
    const pid = Number(match?.[2]);
    if (!match || pid === process.pid || processAlive(pid)) continue;
    const path = join(parent, name);
    const state = folderState(path);
    if (state !== 'ours' && state !== 'empty') continue;
    if (match[1] === 'replaced' && !existsSync(dir)) renameSync(path, dir);
    else rmSync(path, { recursive: true, force: true });
  }
}

function markOutput(dir: string, kind: OutputKind): void {
  const marker = readOutputMarker(dir);
  if (marker?.kinds.includes(kind)) return;
  const next: OutputMarker = marker ? { ...marker, kinds: [...marker.kinds, kind] } : { tool: TOOL_NAME, version: TOOL_VERSION, kinds: [kind], created: new Date().toISOString() };
  writeJsonAtomic(join(dir, OUTPUT_MARKER), next);
}

function notOurs(dir: string): FrankenlensError {
  return new FrankenlensError('FileExists', `${dir}: exists and was not written by frankenlens; choose another folder`, dir);
}

function mkdirOrExplain(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw writeFailure(error, dir);
  }
}

function renameOrExplain(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    throw writeFailure(error, to);
  }
}

/** The realpath of `path`, or of its nearest existing ancestor joined with the rest (a folder not yet made). */
function realOrPlanned(path: string): string {
  const absolute = resolve(path);
  let existing = absolute;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  try {
    return join(realpathSync(existing), relative(existing, absolute));
  } catch {
    return absolute;
  }
}

function isWithin(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

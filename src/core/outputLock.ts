/**
 * One writer per output folder, across processes: a lock file beside the folder (it may not exist
 * yet), created with O_CREAT|O_EXCL and holding the writer's pid, host, start time and a token. A
 * lock left by a process of this host that is gone is taken over, with a warning; any other lock
 * is refused, naming its holder. A held lock is removed on release and, failing that, when the
 * process exits (a killed process leaves it behind, for the next writer to reclaim).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, linkSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { writeFailure } from './atomicWrite';
import { FrankenlensError } from './errors';
import { silentLogger, type Logger } from './progress';
import { readRegularFileText } from './regularFile';

export const LOCK_SUFFIX = '.frankenlens-lock';

/** A lock file nobody finished writing (its writer died between create and write) is stale after this long. */
const UNWRITTEN_LOCK_MS = 30_000;

export interface OutputLock {
  /** The lock file. */
  readonly path: string;
  /** Removes the lock file if it is still this lock's; safe to call twice. */
  release(): void;
}

interface LockHolder {
  pid: number;
  host: string;
  started: string;
  token: string;
}

const held = new Set<OutputLock>();
let exitHookInstalled = false;

/** `<parent>/.<name>.frankenlens-lock`: beside the folder, so a folder written whole (a merge) can be locked before it exists. */
export function outputLockPath(dir: string): string {
  const absolute = resolve(dir);
  return join(dirname(absolute), `.${basename(absolute)}${LOCK_SUFFIX}`);
}

/** Takes the lock on `dir` for this process, or throws OutputLocked naming the holder. */
export function acquireOutputLock(dir: string, logger: Logger = silentLogger): OutputLock {
  const path = outputLockPath(dir);
  mkdirSync(dirname(path), { recursive: true });
  const mine: LockHolder = { pid: process.pid, host: hostname(), started: new Date().toISOString(), token: randomBytes(8).toString('hex') };
  for (let attempt = 0; attempt < 5; attempt++) {
    if (create(path, mine)) return remember(path, mine.token);
    const holder = readHolder(path);
    if (holder === 'gone') continue;
    const stale = holder === 'unwritten' ? ageMs(path) > UNWRITTEN_LOCK_MS : holder.host === mine.host && !processAlive(holder.pid);
    if (!stale) {
      const who = holder === 'unwritten' ? 'a process that is starting' : `pid ${holder.pid} on ${holder.host}, since ${holder.started}`;
      throw new FrankenlensError('OutputLocked', `${resolve(dir)}: another frankenlens run is writing this folder (${who}); wait for it to finish, or delete ${path} if that process is gone`, resolve(dir));
    }
    if (reclaim(path, holder)) logger.warn(`${resolve(dir)}: took over the lock ${path} left by ${holder === 'unwritten' ? 'a process that died while taking it' : `pid ${holder.pid} (started ${holder.started}), which is gone`}`);
  }
  throw new FrankenlensError('OutputLocked', `${resolve(dir)}: could not take the lock ${path}: other writers keep taking it`, resolve(dir));
}

/** Whether `pid` is a running process of this host (EPERM: it runs, as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** O_CREAT|O_EXCL: true when this call created the lock. */
function create(path: string, holder: LockHolder): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw writeFailure(error, path);
  }
  try {
    writeSync(fd, `${JSON.stringify(holder)}\n`);
  } catch (error) {
    closeSync(fd);
    unlinkSync(path);
    throw writeFailure(error, path);
  }
  closeSync(fd);
  return true;
}

function readHolder(path: string): LockHolder | 'unwritten' | 'gone' {
  let text: string;
  try {
    // Regular and small only: a FIFO or a huge file planted as the lock must not hang or fill memory.
    text = readRegularFileText(path, { code: 'OutputLocked', maxBytes: 64 * 1024 });
  } catch (error) {
    if (!existsSync(path)) return 'gone';
    throw error;
  }
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (Number.isInteger(value.pid) && typeof value.host === 'string' && typeof value.token === 'string') return value as LockHolder;
  } catch {
    // An empty or torn lock: its writer is starting or died starting.
  }
  return 'unwritten';
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Moves the stale lock aside under a private name (only one of several reclaimers gets it), then
 * checks that what it moved is the stale lock and not one a faster reclaimer just took; such a
 * lock is put back.
 */
function reclaim(path: string, stale: LockHolder | 'unwritten'): boolean {
  const aside = `${path}.stale-${process.pid}`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  const moved = readHolder(aside);
  const same = stale === 'unwritten' ? moved === 'unwritten' : typeof moved === 'object' && moved.token === stale.token;
  if (!same) {
    try {
      linkSync(aside, path);
    } catch {
      // Someone took the lock meanwhile: theirs stands.
    }
  }
  unlinkSync(aside);
  return same;
}

function remember(path: string, token: string): OutputLock {
  const lock: OutputLock = {
    path,
    release() {
      if (!held.delete(lock)) return;
      const holder = readHolder(path);
      if (typeof holder === 'object' && holder.token === token) unlinkSync(path);
    },
  };
  held.add(lock);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const lock of [...held]) {
        try {
          lock.release();
        } catch {
          // Exiting anyway: a lock left behind is reclaimed by the next writer (its pid is gone).
        }
      }
    });
  }
  return lock;
}

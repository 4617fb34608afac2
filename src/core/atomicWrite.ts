/**
 * Result files are written under a temporary name and then renamed, so a half-written file never
 * looks complete; a write that fails removes its temporary file. A full disk, a read-only file
 * system or a forbidden path becomes a FrankenlensError naming the file, in words.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { FrankenlensError } from './errors';

const DISK_FULL: Record<string, string> = {
  ENOSPC: 'the disk is full (no space left on the device)',
  EDQUOT: 'the disk is full for this user (disk quota exceeded)',
  EFBIG: 'the disk is full for a file this large (over the file system\'s file size limit)',
};

const NOT_WRITABLE: Record<string, string> = {
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
};

/** The FrankenlensError a failed write of `path` means, or the error itself when it is not about space or permission. */
export function writeFailure(error: unknown, path: string): unknown {
  if (error instanceof FrankenlensError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  if (DISK_FULL[code]) return new FrankenlensError('DiskFull', `${path}: cannot write: ${DISK_FULL[code]}; nothing half-written was kept; free some space or choose another output folder`, path);
  if (NOT_WRITABLE[code]) return new FrankenlensError('NotWritable', `${path}: cannot write: ${NOT_WRITABLE[code]}; choose another output folder`, path);
  return error;
}

/** Removes a file or folder the tool was writing; a failure to clean up must not hide the failure that caused it. */
export function removeQuietly(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch {
    // Left behind under its temporary name, which never looks complete.
  }
}

export function writeFileAtomic(path: string, content: string | Uint8Array): void {
  const partial = `${path}.partial`;
  try {
    writeFileSync(partial, content);
    renameSync(partial, path);
  } catch (error) {
    removeQuietly(partial);
    throw writeFailure(error, path);
  }
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** writeFileAtomic for the async writers (report pages and charts). */
export async function writeFileAtomicAsync(path: string, content: string | Uint8Array): Promise<void> {
  const partial = `${path}.partial`;
  try {
    await writeFile(partial, content);
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true }).catch(() => undefined);
    throw writeFailure(error, path);
  }
}

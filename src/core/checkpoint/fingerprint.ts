/**
 * What identifies a checkpoint's contents cheaply: per weight file its size, modification time and
 * the sha256 of its safetensors header (names, dtypes, shapes, offsets), plus the sha256 of
 * config.json. Saved results carry it, so a changed checkpoint invalidates them without reading
 * gigabytes of weights.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { statSync } from 'node:fs';
import type { Checkpoint } from './checkpoint';
import { FileReader } from './fileReader';
import { readRegularFile, TABLE_FILE_BYTES } from '../regularFile';

export interface FileFingerprint {
  name: string;
  bytes: number;
  modified: string;
  headerSha256: string;
}

/** What a saved result records of one checkpoint. */
export interface CheckpointFingerprint {
  path: string;
  configSha256: string | null;
  files: FileFingerprint[];
}

export function fingerprintCheckpoint(checkpoint: Checkpoint): CheckpointFingerprint {
  return { path: checkpoint.path, configSha256: checkpoint.configSha256, files: fingerprintFiles(checkpoint) };
}

export function fingerprintFiles(checkpoint: Checkpoint): FileFingerprint[] {
  const reader = new FileReader();
  try {
    return checkpoint.files.map((file) => {
      const stat = statSync(file.path);
      return { name: basename(file.path), bytes: stat.size, modified: stat.mtime.toISOString(), headerSha256: headerSha256(reader, file.path) };
    });
  } finally {
    reader.close();
  }
}

/** sha256 of a safetensors file's length prefix and header (already validated when the checkpoint was opened). */
function headerSha256(reader: FileReader, path: string): string {
  const prefix = new Uint8Array(8);
  reader.read(path, 0, prefix);
  const header = new Uint8Array(Number(new DataView(prefix.buffer).getBigUint64(0, true)));
  reader.read(path, 8, header);
  return createHash('sha256').update(prefix).update(header).digest('hex');
}

/** Why two fingerprints of one checkpoint differ, in words; null when they agree. */
export function fingerprintChange(
  saved: { configSha256: string | null; files: readonly FileFingerprint[] },
  current: { configSha256: string | null; files: readonly FileFingerprint[] },
): string | null {
  if (saved.configSha256 !== current.configSha256) return 'config.json changed';
  const currentByName = new Map(current.files.map((file) => [file.name, file]));
  for (const file of saved.files) {
    const now = currentByName.get(file.name);
    if (!now) return `${file.name} is gone`;
    if (now.bytes !== file.bytes) return `${file.name} changed size (${file.bytes} → ${now.bytes} bytes)`;
    if (now.headerSha256 !== file.headerSha256) return `${file.name} holds different tensors (its header changed)`;
    if (now.modified !== file.modified) return `${file.name} was modified (${file.modified} → ${now.modified})`;
  }
  const added = current.files.find((file) => !saved.files.some((old) => old.name === file.name));
  return added ? `${added.name} is new` : null;
}

/**
 * An input file of a run: size and modification time, and for small files that decide results (a
 * benchmark's items) the sha256 of the content. `bytes` is -1 for a file that is gone.
 */
export interface FileStamp {
  path: string;
  bytes: number;
  modified: string;
  sha256?: string;
}

export function stampFile(path: string, options: { hash: boolean }): FileStamp {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return { path, bytes: -1, modified: '' };
  }
  const stamp: FileStamp = { path, bytes: stat.size, modified: stat.mtime.toISOString() };
  if (options.hash && stat.isFile()) stamp.sha256 = createHash('sha256').update(readRegularFile(path, { code: 'InvalidArgument', maxBytes: TABLE_FILE_BYTES })).digest('hex');
  return stamp;
}

/** Why a file's stamp differs from the saved one, in words; null when it agrees (a hashed file only changes with its content). */
export function fileStampChange(saved: FileStamp, current: FileStamp): string | null {
  if (current.bytes < 0) return saved.bytes < 0 ? null : `${saved.path} is gone`;
  if (saved.bytes < 0) return `${saved.path} is new`;
  if (saved.sha256 !== undefined && current.sha256 !== undefined) {
    return saved.sha256 === current.sha256 ? null : `${saved.path}: its content changed (${saved.bytes} → ${current.bytes} bytes, modified ${current.modified})`;
  }
  if (saved.bytes !== current.bytes) return `${saved.path} changed size (${saved.bytes} → ${current.bytes} bytes)`;
  if (saved.modified !== current.modified) return `${saved.path} was modified (${saved.modified} → ${current.modified})`;
  return null;
}

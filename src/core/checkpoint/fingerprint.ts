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

export interface FileFingerprint {
  name: string;
  bytes: number;
  modified: string;
  headerSha256: string;
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

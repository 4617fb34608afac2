/**
 * The parts of the zip format both of our zip readers need (xlsx sheets, CUDA provider archives):
 * the end-of-central-directory record, the central directory's entries, and where an entry's data
 * starts. Pure functions over bytes the caller reads (synchronously or not); problems come back as
 * words for the caller's own message, which names its file.
 */

export interface ZipEntry {
  /** Forward slashes, no leading slash. */
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

/** The end-of-central-directory record is 22 bytes, then a comment of at most 65,535 bytes. */
export const ZIP_TAIL_BYTES = 22 + 65535;
/** A local file header before its name and extra field. */
export const LOCAL_HEADER_BYTES = 30;

export type ZipTail = { kind: 'directory'; count: number; directorySize: number; directoryOffset: number } | { kind: 'zip64' } | { kind: 'none' };

/** Finds the end-of-central-directory record in the last ZIP_TAIL_BYTES (or fewer) of a file. */
export function findZipDirectory(tail: Buffer): ZipTail {
  for (let at = tail.length - 22; at >= 0; at--) {
    if (tail.readUInt32LE(at) !== 0x06054b50) continue;
    const count = tail.readUInt16LE(at + 10);
    const directorySize = tail.readUInt32LE(at + 12);
    const directoryOffset = tail.readUInt32LE(at + 16);
    if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) return { kind: 'zip64' };
    return { kind: 'directory', count, directorySize, directoryOffset };
  }
  return { kind: 'none' };
}

/** The central directory's `count` entries, or the problem (words) when it is broken. */
export function parseZipDirectory(directory: Buffer, count: number): ZipEntry[] | string {
  const entries: ZipEntry[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 46 > directory.length || directory.readUInt32LE(at) !== 0x02014b50) return 'a broken zip directory';
    const nameLength = directory.readUInt16LE(at + 28);
    entries.push({
      flags: directory.readUInt16LE(at + 8),
      method: directory.readUInt16LE(at + 10),
      crc: directory.readUInt32LE(at + 16),
      compressedSize: directory.readUInt32LE(at + 20),
      size: directory.readUInt32LE(at + 24),
      localHeaderOffset: directory.readUInt32LE(at + 42),
      name: directory.toString('utf8', at + 46, at + 46 + nameLength).replace(/\\/g, '/').replace(/^\/+/, ''),
    });
    at += 46 + nameLength + directory.readUInt16LE(at + 30) + directory.readUInt16LE(at + 32);
  }
  return entries;
}

/** Why an entry cannot be read by a stored/deflate reader (encrypted, another method, ZIP64), or null. */
export function unreadableEntry(entry: ZipEntry): 'encrypted' | 'zip64' | { method: number } | null {
  if (entry.flags & 1) return 'encrypted';
  if (entry.method !== 0 && entry.method !== 8) return { method: entry.method };
  if (entry.size === 0xffffffff || entry.compressedSize === 0xffffffff) return 'zip64';
  return null;
}

/** Where an entry's data starts, from its local header's first LOCAL_HEADER_BYTES; null when that is no local header. */
export function entryDataOffset(entry: ZipEntry, localHeader: Buffer): number | null {
  if (localHeader.length < LOCAL_HEADER_BYTES || localHeader.readUInt32LE(0) !== 0x04034b50) return null;
  return entry.localHeaderOffset + LOCAL_HEADER_BYTES + localHeader.readUInt16LE(26) + localHeader.readUInt16LE(28);
}

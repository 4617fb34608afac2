/**
 * File names for the images an importer writes, from the row indices of a benchmark that anyone may
 * have written: collision-free, short and confined to the image folder on every file system.
 *
 * A plain index keeps its name ("101.png", "104_2.png" for a row's second image). Anything else gets
 * a short hash of the exact index appended to a sanitised stem: characters other than ASCII letters,
 * digits, ".", "-" and "_" (path separators, "..", NUL, controls, non-ASCII) become "_", leading dots
 * are dropped, the stem is cut to MAX_STEM_BYTES, and Windows device names (CON, NUL, COM1, …) are
 * never used bare. Names are compared case-insensitively (macOS and Windows folders are), and a
 * counter settles the rare hash clash, so two rows never share a file.
 */
import { createHash } from 'node:crypto';

/** Far below the 255-byte limit of a path component, leaving room for the hash and extension. */
export const MAX_STEM_BYTES = 100;

const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])$/i;

export class ImportedImageNames {
  private readonly used = new Set<string>();

  /** The file name for image `part` (1-based, when a row has several) of the row `index`. */
  next(index: string, part: number | undefined, extension: string): string {
    const suffix = part === undefined ? '' : `_${part}`;
    const sanitized = sanitizedStem(index);
    // Windows reserves a device name before any extension ("aux.txt" too).
    const device = WINDOWS_DEVICE.test(sanitized.split('.')[0]!);
    const plain = sanitized === index && !device;
    const stem = device ? `_${sanitized}` : sanitized || 'image';
    let name = plain ? `${stem}${suffix}.${extension}` : `${stem}-${shortHash(index)}${suffix}.${extension}`;
    for (let n = 2; this.used.has(name.toLowerCase()); n++) name = `${stem}-${shortHash(index)}${suffix}-${n}.${extension}`;
    this.used.add(name.toLowerCase());
    return name;
  }
}

function sanitizedStem(index: string): string {
  return index
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^\.+/, '')
    .slice(0, MAX_STEM_BYTES);
}

const shortHash = (index: string) => createHash('sha256').update(index, 'utf8').digest('hex').slice(0, 10);

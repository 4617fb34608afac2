/**
 * Reading the files a user or a downloaded checkpoint names, defensively. A FIFO, a device or a
 * folder where a file belongs fails at once, saying what it is: opening is non-blocking (a plain
 * open of a FIFO waits for a writer and blocks the event loop, Ctrl-C included) and anything but a
 * regular file is refused before a byte is read (/dev/zero would be read forever). Every read stops
 * at a limit chosen for the kind of file, whatever fstat claims. Parsed JSON is refused past a
 * nesting depth that the recursive code downstream could not walk.
 * Symlinks are followed: a Hugging Face hub cache links every file into ../../blobs/.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { FrankenlensError, type ErrorCode } from './errors';

const MiB = 1024 * 1024;

/** config.json, generation/preprocessor/tokenizer configs, chat templates, merge plans, caches. */
export const CONFIG_FILE_BYTES = 16 * MiB;
/** tokenizer.json (the largest vocabularies are about 30 MiB) and model.safetensors.index.json. */
export const TOKENIZER_FILE_BYTES = 64 * MiB;
/** Benchmark items, responses, evaluation logs and TSVs: below V8's longest string (2^29 − 24 characters). */
export const TABLE_FILE_BYTES = 500 * MiB;

/** Deeper nesting than any real config, shallow enough for every recursive walker to follow. */
export const MAX_NESTING = 1000;

export interface ReadLimit {
  /** The code for problems with this file: unreadable, invalid content. */
  code: ErrorCode;
  maxBytes: number;
}

/** What a non-regular file is, in words. */
export function fileKind(stats: Stats): string {
  if (stats.isFile()) return 'a regular file';
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'a special file';
}

/** stat that follows symlinks (never blocks, even on a FIFO); undefined for a path that is not there or not reachable. */
export function statIfPresent(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

export async function statIfPresentAsync(path: string): Promise<Stats | undefined> {
  return stat(path).catch(() => undefined);
}

// O_NONBLOCK does not exist on Windows, where opening a named pipe does not wait for a writer.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

function openError(path: string, code: ErrorCode, error: unknown): FrankenlensError {
  const errno = (error as NodeJS.ErrnoException).code;
  if (errno === 'EISDIR') return notRegular(path, 'a folder');
  // A socket file cannot be opened at all.
  if (errno === 'ENXIO') return notRegular(path, 'a socket');
  const why = errno === 'ENOENT' ? ': the file is missing' : errno === 'EACCES' || errno === 'EPERM' ? ': permission denied' : '';
  return new FrankenlensError(code, `${path}: cannot read (${errno ?? (error as Error).message})${why}`, path);
}

function notRegular(path: string, kind: string): FrankenlensError {
  return new FrankenlensError('NotARegularFile', `${path}: not a regular file (it is ${kind})`, path);
}

function megabytes(bytes: number): string {
  return bytes >= MiB ? `${+(bytes / MiB).toFixed(1)} MiB` : `${bytes} bytes`;
}

function tooLarge(path: string, maxBytes: number, size?: number): FrankenlensError {
  const actual = size === undefined ? `more than ${megabytes(maxBytes)}` : megabytes(size);
  return new FrankenlensError('FileTooLarge', `${path}: too large (${actual}; the limit for this kind of file is ${megabytes(maxBytes)})`, path);
}

function checkRegular(path: string, stats: Stats, maxBytes: number): void {
  if (!stats.isFile()) throw notRegular(path, fileKind(stats));
  if (stats.size > maxBytes) throw tooLarge(path, maxBytes, stats.size);
}

/**
 * Opens a regular file for positioned reads (the caller closes the descriptor); a FIFO, device or
 * folder is refused without blocking. `maxBytes` defaults to no limit: safetensors shards are read in
 * bounded pieces.
 */
export function openRegularFile(path: string, code: ErrorCode, maxBytes = Number.MAX_SAFE_INTEGER): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (error) {
    throw openError(path, code, error);
  }
  try {
    const stats = fstatSync(fd);
    checkRegular(path, stats, maxBytes);
    return { fd, size: stats.size };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

export async function openRegularFileAsync(path: string, code: ErrorCode, maxBytes = Number.MAX_SAFE_INTEGER): Promise<{ handle: FileHandle; size: number }> {
  let handle: FileHandle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (error) {
    throw openError(path, code, error);
  }
  try {
    const stats = await handle.stat();
    checkRegular(path, stats, maxBytes);
    return { handle, size: stats.size };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Collects a whole file but never more than `maxBytes` + 1 bytes: fstat's size is only the first
 * guess (a /proc file says 0, a file may grow while read).
 */
class BoundedBuffer {
  private buffer: Buffer;
  private length = 0;

  constructor(
    private readonly path: string,
    private readonly maxBytes: number,
    sizeHint: number,
  ) {
    this.buffer = Buffer.allocUnsafe(Math.min(Math.max(sizeHint + 1, 64 * 1024), maxBytes + 1));
  }

  /** Where the next read goes. */
  space(): { buffer: Buffer; offset: number; length: number; position: number } {
    if (this.length === this.buffer.length) {
      if (this.length > this.maxBytes) throw tooLarge(this.path, this.maxBytes);
      const grown = Buffer.allocUnsafe(Math.min(this.buffer.length * 2, this.maxBytes + 1));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    return { buffer: this.buffer, offset: this.length, length: this.buffer.length - this.length, position: this.length };
  }

  /** Records `count` bytes read; the whole file once a read returns nothing. */
  add(count: number): Buffer | undefined {
    this.length += count;
    return count === 0 ? this.buffer.subarray(0, this.length) : undefined;
  }
}

/** The bytes of a regular file of at most `limit.maxBytes`. */
export function readRegularFile(path: string, limit: ReadLimit): Buffer {
  const { fd, size } = openRegularFile(path, limit.code, limit.maxBytes);
  try {
    const bytes = new BoundedBuffer(path, limit.maxBytes, size);
    for (;;) {
      const { buffer, offset, length, position } = bytes.space();
      const done = bytes.add(readSync(fd, buffer, offset, length, position));
      if (done) return done;
    }
  } finally {
    closeSync(fd);
  }
}

export async function readRegularFileAsync(path: string, limit: ReadLimit): Promise<Buffer> {
  const { handle, size } = await openRegularFileAsync(path, limit.code, limit.maxBytes);
  try {
    const bytes = new BoundedBuffer(path, limit.maxBytes, size);
    for (;;) {
      const { buffer, offset, length, position } = bytes.space();
      const done = bytes.add((await handle.read(buffer, offset, length, position)).bytesRead);
      if (done) return done;
    }
  } finally {
    await handle.close();
  }
}

/** A text file as UTF-8 (invalid bytes read as U+FFFD, as Python's errors="replace"). */
export function readRegularFileText(path: string, limit: ReadLimit): string {
  return readRegularFile(path, limit).toString('utf8');
}

/** A JSON file, parsed and checked for nesting. */
export function readJsonFile(path: string, limit: ReadLimit): unknown {
  return parseJson(readRegularFileText(path, limit), path, limit.code);
}

export async function readJsonFileAsync(path: string, limit: ReadLimit): Promise<unknown> {
  return parseJson((await readRegularFileAsync(path, limit)).toString('utf8'), path, limit.code);
}

/**
 * JSON.parse with errors naming `where` (the file, or "file, line N"); nesting deeper than
 * MAX_NESTING is refused, so recursive code that walks the value cannot overflow the stack.
 */
export function parseJson(text: string, file: string, code: ErrorCode, where = file): unknown {
  if (text.startsWith('\uFEFF')) throw new FrankenlensError(code, `${where}: not valid JSON (it starts with a byte order mark)`, file);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    if (isStackOverflow(error)) throw nestedTooDeeply(file, where);
    throw new FrankenlensError(code, `${where}: not valid JSON (${jsonProblem(error)})`, file);
  }
  if (nestingExceeds(value, MAX_NESTING)) throw nestedTooDeeply(file, where);
  return value;
}

/** V8's JSON.parse message without the excerpt of the input it quotes, which may hold anything. */
export function jsonProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return printable(message.replace(/, ".*" is not valid JSON$/s, '')).slice(0, 200);
}

/** Control and invisible characters as \uXXXX, so a message stays one readable line. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028\u2029\ufeff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Whether a parsed value nests arrays/objects more than `limit` deep; walked without recursion. */
export function nestingExceeds(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length > 0) {
    const [next, depth] = pending.pop()!;
    if (depth > limit) return true;
    for (const child of Object.values(next as object)) {
      if (typeof child === 'object' && child !== null) pending.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * Whether YAML text nests more than `limit` levels, told from the text before any parser recurses
 * into it (the yaml library recurses per level; a stack that runs out inside a regular expression
 * compile kills the process instead of throwing): flow brackets still open outside quotes, and a
 * block line's indentation plus the sequence dashes that start it. Generous: a deeper plan is refused.
 */
export function yamlNestingExceeds(text: string, limit: number): boolean {
  let open = 0;
  let quote = '';
  let lineStart = true;
  let indent = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === '\n') {
      lineStart = true;
      indent = 0;
      continue;
    }
    if (lineStart && (char === ' ' || char === '-')) {
      indent++;
      if (indent > limit) return true;
      continue;
    }
    lineStart = false;
    if (quote) {
      if (char === quote) quote = '';
      else if (char === '\\' && quote === '"') i++;
    } else if (char === '"' || char === "'") quote = char;
    else if (char === '#') while (i + 1 < text.length && text[i + 1] !== '\n') i++;
    else if (char === '[' || char === '{') {
      if (++open > limit) return true;
    } else if ((char === ']' || char === '}') && open > 0) open--;
  }
  return false;
}

export function nestedTooDeeply(file: string | undefined, where = file ?? 'input'): FrankenlensError {
  return new FrankenlensError('TooDeeplyNested', `${where}: nested too deeply (more than ${MAX_NESTING} levels, or more than the parser can follow)`, file);
}

/** A parser (YAML, Jinja, a tokenizer) that recursed until the stack ran out. */
export function isStackOverflow(error: unknown): boolean {
  return error instanceof Error && /Maximum call stack size exceeded/.test(error.message);
}

/**
 * A short, one-line preview of a parsed value for error messages: whatever its size or depth, at
 * most about 80 characters, and never "undefined" or "[object Object]".
 */
export function previewValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = preview(value, 3);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

/** A name from a file (a tensor, a key) in double quotes, escaped and cut to one readable line. */
export function quoted(text: string, maxLength = 200): string {
  return printable(JSON.stringify(text.length > maxLength ? `${text.slice(0, maxLength)}…` : text));
}

function preview(value: unknown, depth: number): string {
  if (typeof value === 'string') return quoted(value, 80);
  if (typeof value !== 'object' || value === null) return String(value);
  if (depth === 0) return Array.isArray(value) ? '[…]' : '{…}';
  const parts: string[] = [];
  let more = false;
  for (const key in value) {
    if (parts.length === 8) {
      more = true;
      break;
    }
    const item = preview((value as Record<string, unknown>)[key], depth - 1);
    parts.push(Array.isArray(value) ? item : `${preview(key, 0)}: ${item}`);
  }
  if (more) parts.push('…');
  return Array.isArray(value) ? `[${parts.join(', ')}]` : `{${parts.join(', ')}}`;
}

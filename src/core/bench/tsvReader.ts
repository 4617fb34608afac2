/**
 * Streaming reader for the tables pandas writes with to_csv (sep='\t' for VLMEvalKit's TSVs, ','
 * for CSVs): one record at a time, in memory bounded by the longest record, whatever the file's size.
 *
 * Quoting as pandas (Python's csv module) writes it: a field that starts with a double quote runs to
 * the next lone quote and may hold delimiters, newlines and "" for one quote; QUOTE_ALL files (what
 * VLMEvalKit's dump writes) quote every field. Records end at \n or \r\n; a UTF-8 byte order mark
 * is skipped; blank lines are skipped. The file is read in pieces with positioned reads and parsed
 * as bytes: the delimiter, quote and newline are ASCII and never part of a multi-byte UTF-8
 * character, so each field is decoded once, from a slice (invalid UTF-8 reads as U+FFFD).
 */
import { closeSync, readSync } from 'node:fs';
import { FrankenlensError, type ErrorCode } from '../errors';
import { openRegularFile } from '../regularFile';

export interface TableRecord {
  /** 1-based line on which the record starts (newlines inside quoted fields counted). */
  line: number;
  fields: string[];
}

const MiB = 1024 * 1024;
/** One positioned read. */
const READ_BYTES = 4 * MiB;
/** A longer record is refused: VLMEvalKit rows with several base64 images stay far below it. */
export const MAX_RECORD_BYTES = 256 * MiB;

const QUOTE = 0x22;
const NEWLINE = 0x0a;
const RETURN = 0x0d;

export interface TableOptions {
  /** '\t' (default) or ','. */
  delimiter?: string;
  /** The code of errors about this file. */
  code?: ErrorCode;
  /** Bytes per read (tests use a few bytes, so records straddle reads). */
  readBytes?: number;
}

interface ParsedRecord {
  fields: string[];
  /** Where the next record starts. */
  next: number;
  /** Newlines consumed, the terminator included. */
  newlines: number;
}

class UnclosedQuote extends Error {
  constructor(readonly newlinesBefore: number) {
    super('a quoted field never closes');
  }
}

/** Newlines in data[from, to). */
function countNewlines(data: Buffer, from: number, to: number): number {
  let count = 0;
  for (let at = data.indexOf(NEWLINE, from); at >= 0 && at < to; at = data.indexOf(NEWLINE, at + 1)) count++;
  return count;
}

/**
 * One record starting at `start` in data (data.length is the end of what has been read), or
 * undefined when it may run past what has been read and more must be read first.
 */
function parseRecord(data: Buffer, start: number, eof: boolean, delimiter: number): ParsedRecord | undefined {
  const end = data.length;
  const fields: string[] = [];
  let newlines = 0;
  let pos = start;
  // The next delimiter and newline at or after `pos` (-1: none in what has been read), found lazily.
  let nextDelimiter = -2;
  let nextNewline = -2;
  for (;;) {
    let quoted = '';
    if (pos < end && data[pos] === QUOTE) {
      const parts: string[] = [];
      let at = pos + 1;
      for (;;) {
        const quote = data.indexOf(QUOTE, at);
        if (quote < 0 || (quote + 1 >= end && !eof)) {
          if (eof) throw new UnclosedQuote(newlines);
          return undefined;
        }
        parts.push(data.toString('utf8', at, quote));
        if (data[quote + 1] === QUOTE) {
          parts.push('"');
          at = quote + 2;
          continue;
        }
        newlines += countNewlines(data, pos, quote);
        pos = quote + 1;
        break;
      }
      quoted = parts.length === 1 ? parts[0]! : parts.join('');
    }
    if (nextDelimiter !== -1 && nextDelimiter < pos) nextDelimiter = data.indexOf(delimiter, pos);
    if (nextNewline !== -1 && nextNewline < pos) nextNewline = data.indexOf(NEWLINE, pos);
    let stop = nextDelimiter >= 0 && (nextNewline < 0 || nextDelimiter < nextNewline) ? nextDelimiter : nextNewline;
    if (stop < 0) {
      if (!eof) return undefined;
      stop = end;
    }
    // Text after a closing quote (pandas never writes any) is kept, as Python's csv module keeps it.
    let textEnd = stop;
    if (stop < end && data[stop] === NEWLINE && textEnd > pos && data[textEnd - 1] === RETURN) textEnd--;
    fields.push(textEnd > pos ? quoted + data.toString('utf8', pos, textEnd) : quoted);
    if (stop === end) return { fields, next: end, newlines };
    if (data[stop] === delimiter) {
      pos = stop + 1;
      continue;
    }
    return { fields, next: stop + 1, newlines: newlines + 1 };
  }
}

/**
 * The records of a table file, read lazily; the file stays open until the iteration ends. A FIFO,
 * device or folder is refused without blocking (regularFile.ts).
 */
export function* readTableRecords(file: string, options: TableOptions = {}): Generator<TableRecord> {
  const code = options.code ?? 'InvalidBenchmarkItem';
  const delimiter = (options.delimiter ?? '\t').charCodeAt(0);
  const { fd } = openRegularFile(file, code);
  try {
    yield* tableRecords((buffer, offset, length, position) => readSync(fd, buffer, offset, length, position), { file, code, delimiter, readBytes: options.readBytes ?? READ_BYTES });
  } finally {
    closeSync(fd);
  }
}

/** The records of a table held in memory (tests, small files). */
export function parseTableText(text: string, options: TableOptions & { file?: string } = {}): TableRecord[] {
  const bytes = Buffer.from(text, 'utf8');
  const read = (buffer: Buffer, offset: number, length: number, position: number) => bytes.copy(buffer, offset, position, Math.min(bytes.length, position + length));
  const delimiter = (options.delimiter ?? '\t').charCodeAt(0);
  return [...tableRecords(read, { file: options.file ?? 'input', code: options.code ?? 'InvalidBenchmarkItem', delimiter, readBytes: options.readBytes ?? READ_BYTES })];
}

type Read = (buffer: Buffer, offset: number, length: number, position: number) => number;

function* tableRecords(read: Read, { file, code, delimiter, readBytes }: { file: string; code: ErrorCode; delimiter: number; readBytes: number }): Generator<TableRecord> {
  let buffer = Buffer.allocUnsafe(readBytes);
  let start = 0;
  let end = 0;
  let position = 0;
  let eof = false;
  let line = 1;
  let first = true;
  for (;;) {
    let parsed: ParsedRecord | undefined;
    if (start < end || eof) {
      if (start === end) return;
      try {
        parsed = parseRecord(buffer.subarray(0, end), start, eof, delimiter);
      } catch (error) {
        if (error instanceof UnclosedQuote) throw new FrankenlensError(code, `${file}, line ${line}: a quoted field never closes`, file);
        throw error;
      }
    }
    if (!parsed) {
      // Read more: keep the unparsed bytes, with room for at least as many again (each retry of a
      // long record then at least doubles what it sees, so parsing stays linear).
      const pending = end - start;
      if (pending > MAX_RECORD_BYTES) throw new FrankenlensError(code, `${file}, line ${line}: a record longer than ${MAX_RECORD_BYTES / MiB} MiB (a quoted field that never closes?)`, file);
      const wanted = Math.max(readBytes, 2 * pending);
      if (buffer.length - pending < wanted / 2 || buffer.length > 2 * wanted) {
        const grown = Buffer.allocUnsafe(wanted);
        buffer.copy(grown, 0, start, end);
        buffer = grown;
      } else if (start > 0) buffer.copyWithin(0, start, end);
      start = 0;
      end = pending;
      const count = read(buffer, end, buffer.length - end, position);
      position += count;
      end += count;
      if (count === 0) eof = true;
      if (first && end >= 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) start = 3;
      if (first && (end >= 3 || eof)) first = false;
      continue;
    }
    const record = { line, fields: parsed.fields };
    line += parsed.newlines;
    start = parsed.next;
    if (record.fields.length > 1 || record.fields[0] !== '') yield record;
  }
}

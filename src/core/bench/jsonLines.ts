import { FrankenlensError, type ErrorCode } from '../errors';
import { parseJson, readRegularFileText, TABLE_FILE_BYTES } from '../regularFile';

export interface JsonLine {
  /** 1-based line number in the file. */
  line: number;
  value: Record<string, unknown>;
}

/** `file, line N: problem`, the one shape every line error of a JSONL file takes. */
export function lineError(code: ErrorCode, file: string, line: number, problem: string): FrankenlensError {
  return new FrankenlensError(code, `${file}, line ${line}: ${problem}`, file);
}

/**
 * Reads a JSONL file: one JSON object per line, blank lines skipped; a broken line is an error naming
 * it. A FIFO, device or folder is refused, and so is a file over TABLE_FILE_BYTES or a line nested
 * deeper than the readers follow.
 */
export function readJsonLines(file: string, code: ErrorCode): JsonLine[] {
  const text = readRegularFileText(file, { code, maxBytes: TABLE_FILE_BYTES });
  const lines: JsonLine[] = [];
  text
    .replace(/^\uFEFF/, '')
    .split('\n')
    .forEach((raw, index) => {
      const source = raw.replace(/\r$/, '');
      if (!source.trim()) return;
      const value = parseJson(source, file, code, `${file}, line ${index + 1}`);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw lineError(code, file, index + 1, 'expected a JSON object');
      lines.push({ line: index + 1, value: value as Record<string, unknown> });
    });
  if (lines.length === 0) throw new FrankenlensError(code, `${file}: no lines`, file);
  return lines;
}

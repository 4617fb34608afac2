import { readFileSync } from 'node:fs';
import { FrankenlensError, type ErrorCode } from '../errors';

export interface JsonLine {
  /** 1-based line number in the file. */
  line: number;
  value: Record<string, unknown>;
}

/** `file, line N: problem`, the one shape every line error of a JSONL file takes. */
export function lineError(code: ErrorCode, file: string, line: number, problem: string): FrankenlensError {
  return new FrankenlensError(code, `${file}, line ${line}: ${problem}`, file);
}

/** Reads a JSONL file: one JSON object per line, blank lines skipped; a broken line is an error naming it. */
export function readJsonLines(file: string, code: ErrorCode): JsonLine[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new FrankenlensError(code, `${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, file);
  }
  const lines: JsonLine[] = [];
  text
    .replace(/^\uFEFF/, '')
    .split('\n')
    .forEach((raw, index) => {
      const source = raw.replace(/\r$/, '');
      if (!source.trim()) return;
      let value: unknown;
      try {
        value = JSON.parse(source);
      } catch (error) {
        throw lineError(code, file, index + 1, `not valid JSON (${(error as Error).message})`);
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw lineError(code, file, index + 1, 'expected a JSON object');
      lines.push({ line: index + 1, value: value as Record<string, unknown> });
    });
  if (lines.length === 0) throw new FrankenlensError(code, `${file}: no lines`, file);
  return lines;
}

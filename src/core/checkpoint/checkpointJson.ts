import { readFileSync } from 'node:fs';
import { FrankenlensError, type ErrorCode } from '../errors';

/** Reads one JSON object file of a checkpoint folder (tokenizer, processor, generation configs); failures name the file. */
export function readCheckpointJson(path: string, code: ErrorCode): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `cannot be read (${(error as Error).message})`;
    throw new FrankenlensError(code, `${path}: ${reason}`, path);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new FrankenlensError(code, `${path}: not valid JSON (${(error as Error).message})`, path);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FrankenlensError(code, `${path}: expected a JSON object`, path);
  return value as Record<string, unknown>;
}

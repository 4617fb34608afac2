import { FrankenlensError, type ErrorCode } from '../errors';
import { CONFIG_FILE_BYTES, readJsonFile } from '../regularFile';

/**
 * Reads one JSON object file of a checkpoint folder (tokenizer, processor, generation configs);
 * failures name the file. A FIFO, device or folder is refused, and so is a file over `maxBytes`.
 */
export function readCheckpointJson(path: string, code: ErrorCode, maxBytes = CONFIG_FILE_BYTES): Record<string, unknown> {
  const value = readJsonFile(path, { code, maxBytes });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FrankenlensError(code, `${path}: expected a JSON object`, path);
  return value as Record<string, unknown>;
}

import { UsageError } from './cliErrors';

/** `--cuts 8,20` → [8, 20]; whether the cuts fit the model is the core's check. */
export function parseCuts(text: string): [number, number] {
  const parts = text.split(',').map((part) => Number(part.trim()));
  if (parts.length !== 2 || !parts.every(Number.isInteger)) throw new UsageError(`--cuts must be two integers like 8,20, not "${text}"`);
  return [parts[0]!, parts[1]!];
}

import { UsageError } from './cliErrors';

/** `--threads 4` → 4; anything but digits is a usage error naming the flag. */
export function wholeNumber(flag: string, text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) throw new UsageError(`${flag} must be a whole number, not "${text}"`);
  return value;
}

/** `--batch N` (rows decoded together): a whole number ≥ 1, or undefined when not given. */
export function batchFlag(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const batch = wholeNumber('--batch', text);
  if (batch === 0) throw new UsageError('--batch must be at least 1');
  return batch;
}

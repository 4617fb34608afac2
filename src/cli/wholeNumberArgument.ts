import { UsageError } from './cliErrors';

/** `--threads 4` → 4; anything but digits is a usage error naming the flag. */
export function wholeNumber(flag: string, text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) throw new UsageError(`${flag} must be a whole number, not "${text}"`);
  return value;
}

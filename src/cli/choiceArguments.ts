import { UsageError } from './cliErrors';

/** `--scope think` → "think" when it is one of `allowed`; anything else is a usage error naming the flag and the choices. */
export function oneOf<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) throw new UsageError(`${flag} must be one of ${allowed.join(', ')}, not "${text}"`);
  return text as T;
}

/** `--conditions real,black` → ["real", "black"]: comma-separated choices, each checked by oneOf. */
export function listOf<T extends string>(flag: string, text: string, allowed: readonly T[]): T[] {
  return text.split(',').map((part) => oneOf(flag, part.trim(), allowed));
}

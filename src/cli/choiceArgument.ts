import type { ExecutionProviderChoice } from '../core/model/sessions';
import { UsageError } from './cliErrors';

/** `--mode fast` → 'fast' when it is one of `allowed`; anything else is a usage error listing them. */
export function oneOf<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  if (!allowed.includes(text as T)) throw new UsageError(`${flag} must be one of ${allowed.join(', ')}, not "${text}"`);
  return text as T;
}

/** `--modes suffix,single` → each of them checked by oneOf. */
export function listOf<T extends string>(flag: string, text: string, allowed: readonly T[]): T[] {
  return text.split(',').map((part) => oneOf(flag, part.trim(), allowed));
}

const EXECUTION_PROVIDERS: readonly ExecutionProviderChoice[] = ['auto', 'cpu', 'cuda'];

/** `--device`: where the model runs. */
export function executionProvider(text: string): ExecutionProviderChoice {
  return oneOf('--device', text, EXECUTION_PROVIDERS);
}

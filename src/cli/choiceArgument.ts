import { WEIGHT_PRECISIONS, type WeightPrecision } from '../core/model/graphOps';
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

/** `--precision`: how the decoder's weights are held (int8: opt-in, CPU). */
export function weightPrecision(text: string): WeightPrecision {
  return oneOf('--precision', text, WEIGHT_PRECISIONS);
}

/** The --precision line of the model commands' usage. */
export const PRECISION_USAGE = `  --precision P        decoder weights: float32 (default) or int8 (opt-in, CPU only: the projections
                       and lm_head in 8-bit blocks, about 2.8× less weight memory, answers may
                       differ slightly from float32's; a run's precision is part of its settings)`;

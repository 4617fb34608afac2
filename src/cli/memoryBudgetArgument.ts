/**
 * `--memory-budget SIZE` for the commands that run models. The check itself is the core's
 * (src/core/jobs/memoryCheck.ts): planned from config.json before any session opens.
 */
import { isFrankenlensError } from '../core/errors';
import { MEMORY_BUDGET_ENV, resolveMemoryBudget } from '../core/model/memoryPlan';
import { UsageError } from './cliErrors';

export const MEMORY_BUDGET_OPTION = { 'memory-budget': { type: 'string' } } as const;

export const MEMORY_BUDGET_USAGE = `  --memory-budget SIZE   memory the run may use, e.g. 48GB, 512MiB or bytes (units are binary:
                         48GB = 48GiB; default ${MEMORY_BUDGET_ENV}, else the free memory); the
                         command refuses before loading anything when its CPU plan needs more`;

/** The flag's value, checked now so a typo is a usage error (and the environment's value a clear one). */
export function memoryBudgetFlag(text: string | undefined): string | undefined {
  try {
    resolveMemoryBudget(text);
  } catch (error) {
    throw isFrankenlensError(error) && error.code === 'InvalidArgument' ? new UsageError(error.message) : error;
  }
  return text;
}

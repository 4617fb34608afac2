/**
 * `--memory-budget SIZE` for the commands that run models: the plan (src/core/model/memoryPlan.ts)
 * is computed from config.json before any onnxruntime session opens; a plan over the budget stops
 * the command with one message (exit 3), a plan that fits is printed in one line on stderr.
 */
import { openCheckpoint } from '../core/checkpoint/checkpoint';
import { isFrankenlensError } from '../core/errors';
import { assertMemoryFits, describeMemoryPlan, MEMORY_BUDGET_ENV, planMemory, resolveMemoryBudget, type MemoryPlan, type MemoryPlanRequest } from '../core/model/memoryPlan';
import { readModelConfig, type ModelConfig } from '../core/model/modelConfig';
import { cudaAvailable, type ExecutionProviderChoice } from '../core/model/sessions';
import { UsageError } from './cliErrors';

export const MEMORY_BUDGET_OPTION = { 'memory-budget': { type: 'string' } } as const;

export const MEMORY_BUDGET_USAGE = `  --memory-budget SIZE   memory the run may use, e.g. 48GB, 512MiB or bytes (units are binary:
                         48GB = 48GiB; default ${MEMORY_BUDGET_ENV}, else the free memory); the
                         command refuses before loading anything when its CPU float32 plan needs more`;

/** config.json of a checkpoint folder (no weights read). */
export function modelConfigOf(dir: string): ModelConfig {
  return readModelConfig(openCheckpoint(dir));
}

export interface MemoryCheckOptions {
  /** The --memory-budget value, if given. */
  budget: string | undefined;
  device: ExecutionProviderChoice;
  /** No line on stderr when the plan fits. */
  quiet?: boolean;
}

/**
 * Plans the command's memory against the budget (the returned plan's request.visionResident false:
 * run with releaseVisionAfterEncoding, the only way it fits): throws FrankenlensError('MemoryBudget') when it
 * does not fit on the CPU. On a GPU (--device cuda, or auto with CUDA installed) the CPU figures
 * are printed but not enforced: weights and activations live in GPU memory.
 */
export function checkMemoryPlan(request: Omit<MemoryPlanRequest, 'budgetBytes' | 'budgetSource'>, options: MemoryCheckOptions): MemoryPlan {
  let budget: { bytes: number; source: string };
  try {
    budget = resolveMemoryBudget(options.budget);
  } catch (error) {
    throw isFrankenlensError(error) && error.code === 'InvalidArgument' ? new UsageError(error.message) : error;
  }
  let plan = planMemory({ ...request, budgetBytes: budget.bytes, budgetSource: budget.source });
  // The vision tower stays loaded between images unless only releasing it after each encoding fits;
  // a refusal speaks of the released plan, whose suggestions (rows, answer cap) are the ones that fit.
  if (!plan.fits && request.images) plan = planMemory({ ...plan.request, visionResident: false });
  const gpu = options.device === 'cuda' || (options.device === 'auto' && cudaAvailable());
  if (gpu) {
    if (!options.quiet) process.stderr.write(`${describeMemoryPlan(plan)}; not checked: the models run on the GPU\n`);
    return plan;
  }
  assertMemoryFits(plan);
  if (!options.quiet) process.stderr.write(`${describeMemoryPlan(plan)}\n`);
  return plan;
}

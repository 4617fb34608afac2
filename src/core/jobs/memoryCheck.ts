/**
 * The memory check of the jobs that run models: the plan (src/core/model/memoryPlan.ts) is computed
 * from config.json before any onnxruntime session opens; a plan over the budget stops the job with
 * one message, a plan that fits is logged in one line.
 */
import { openCheckpoint } from '../checkpoint/checkpoint';
import { assertMemoryFits, describeMemoryPlan, planToFit, resolveMemoryBudget, type MemoryPlan, type MemoryPlanRequest } from '../model/memoryPlan';
import { readModelConfig, type ModelConfig } from '../model/modelConfig';
import { cudaAvailable, type ExecutionProviderChoice } from '../model/sessions';

/** config.json of a checkpoint folder (no weights read). */
export function modelConfigOf(dir: string): ModelConfig {
  return readModelConfig(openCheckpoint(dir));
}

export interface MemoryCheckOptions {
  /** A --memory-budget value ("48GB"), if given. */
  budget: string | undefined;
  device: ExecutionProviderChoice;
  /** The request's rows are a default, not the user's --batch: fewer may be chosen to fit the budget. */
  rowsChosen?: boolean;
  /** Where the one-line plan goes when it fits. */
  log(message: string): void;
}

/**
 * Plans the job's memory against the budget (the returned plan's request.visionResident false:
 * run with releaseVisionAfterEncoding, the only way it fits; its request.rows: the rows to decode
 * together, fewer than asked when they were a default and only fewer fit): throws FrankenlensError('MemoryBudget')
 * when it does not fit on the CPU. On a GPU (device cuda, or auto with CUDA installed) the CPU
 * figures are logged but not enforced: weights and activations live in GPU memory.
 */
export function checkMemoryPlan(request: Omit<MemoryPlanRequest, 'budgetBytes' | 'budgetSource'>, options: MemoryCheckOptions): MemoryPlan {
  const budget = resolveMemoryBudget(options.budget);
  // The vision tower stays loaded between images unless only releasing it after each encoding fits;
  // a refusal speaks of the released plan, whose suggestions (rows, answer cap) are the ones that fit.
  const plan = planToFit({ ...request, budgetBytes: budget.bytes, budgetSource: budget.source }, options.rowsChosen === true);
  if (options.device === 'cuda' || (options.device === 'auto' && cudaAvailable(options.log))) {
    options.log(`${describeMemoryPlan(plan)}; not checked: the models run on the GPU`);
    return plan;
  }
  assertMemoryFits(plan);
  options.log(describeMemoryPlan(plan));
  return plan;
}

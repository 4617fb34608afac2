/**
 * A merge plan run without writing the merged checkpoint (a "virtual checkpoint"): every tensor
 * the plan takes from IN, RL or Base is referenced where it lies. A decoder layer taken whole from
 * one checkpoint is that checkpoint's own layer graph, so its session is shared with IN's or RL's
 * runtime (sessions.ts): any number of variants costs no weight memory beyond IN and RL. A layer
 * that mixes sources gets a graph of its own. Its logits equal those of the folder writeMerge
 * writes for the same plan: the graphs compute the same and the bytes are the same.
 *
 * Interpolated slices (α strictly between 0 and 1) have no bytes to reference: they are refused,
 * to be materialized with the merge writer first (a graph-side blend in float32 would not match the
 * writer's float64 mix rounded to the stored dtype). α = 0 or 1 references one side.
 */
import type { MergePlan } from '../merge/mergePlan';
import { resolveMerge, type ResolvedMerge } from '../merge/resolveMerge';
import type { TensorLocation } from '../checkpoint/tensorInfo';
import { FrankenlensError } from '../errors';
import { ModelRuntime, type RuntimeOptions, type RuntimeWeights } from './modelRuntime';
import { ModelWeights } from './modelWeights';

/** The variant's weights by canonical name and every checkpoint they point into. */
export function variantWeights(resolved: ResolvedMerge): RuntimeWeights {
  const { plan } = resolved;
  const byName = new Map<string, TensorLocation>();
  for (const task of resolved.tasks) {
    let source = task.from;
    if (task.interpolate) {
      const { alpha, model } = task.interpolate;
      if (alpha !== 0 && alpha !== 1) {
        throw new FrankenlensError('InvalidPlan', `plan "${plan.name}": tensor "${task.name}" interpolates "${task.from.model}" with "${model}" at alpha ${alpha}; a variant can only be run from referenced weights (alpha 0 or 1), so write it with frankenlens merge first`, task.from.tensor.file, task.name);
      }
      if (alpha === 1) source = { model, tensor: task.interpolate.tensor };
    }
    byName.set(task.canonicalName, source.tensor);
  }
  const aliases = Object.keys(resolved.checkpoints).sort();
  return { weights: new ModelWeights(`plan "${plan.name}"`, byName), sources: aliases.map((alias) => resolved.checkpoints[alias]!) };
}

/** A runtime for a merge plan: config from the plan's primary model (as the merge writer copies it), weights from wherever the plan says. */
export function openVariantRuntime(plan: MergePlan, options: RuntimeOptions = {}): ModelRuntime {
  const resolved = resolveMerge(plan);
  return new ModelRuntime(resolved.checkpoints[resolved.primary]!, options, variantWeights(resolved));
}

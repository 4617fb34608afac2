/** Merges as a job: each plan resolved against its checkpoints and written, one after another. */
import { resolve } from 'node:path';
import type { MergePlan } from '../merge/mergePlan';
import { resolveMerge, type ResolvedMerge } from '../merge/resolveMerge';
import { writeMerge } from '../merge/writeMerge';
import { throwIfCancelled } from '../progress';
import { stepContext, type JobContext } from './jobContext';
import type { MergeJob, MergeJobResult } from './jobProtocol';

export async function runMergeJob(job: MergeJob, context: JobContext): Promise<MergeJobResult> {
  const written: MergeJobResult['written'] = [];
  for (const [index, { plan, outDir }] of job.merges.entries()) {
    throwIfCancelled(context.cancel);
    const resolved = resolveMerge(plan);
    const target = resolve(outDir);
    const name = job.merges.length > 1 ? `${index + 1}/${job.merges.length} ${plan.name}` : plan.name;
    const step = stepContext(context, name, index / job.merges.length, (index + 1) / job.merges.length);
    step.log(`writing ${target}`);
    const provenance = await writeMerge(resolved, { outDir: target, maxShardBytes: job.maxShardBytes, overwrite: job.overwrite, cancel: context.cancel, progress: step.progress, logger: { info: step.log, warn: step.log } });
    written.push({ name: plan.name, outDir: target, summary: mergeSummary(plan, resolved), provenance });
  }
  return { kind: 'merge', written };
}

/** "<name>: N tensors (a from "rl", b from "in"); config and tokenizer from "in"". */
export function mergeSummary(plan: MergePlan, resolved: ResolvedMerge): string {
  const fromCounts = new Map<string, number>();
  for (const task of resolved.tasks) fromCounts.set(task.from.model, (fromCounts.get(task.from.model) ?? 0) + 1);
  return `${plan.name}: ${resolved.tasks.length} tensors (${[...fromCounts].map(([alias, count]) => `${count} from "${alias}"`).join(', ')}); config and tokenizer from "${resolved.primary}"`;
}

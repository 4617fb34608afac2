/** What the output channel says about a written merge, from its provenance record. */
import type { MergeProvenance } from '../core/merge/writeMerge';

function countBy<T>(items: readonly T[], key: (item: T) => string): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts].map(([name, count]) => `${count} from "${name}"`).join(', ');
}

export function mergeSummaryLines(provenance: MergeProvenance, outDir: string): string[] {
  const { plan, tensors, unused, carriedFiles, primary } = provenance;
  const interpolated = tensors.filter((tensor) => tensor.interpolatedWith !== undefined).length;
  return [
    `merge: wrote "${plan.name}" (${plan.kind}) to ${outDir}`,
    `merge: ${plan.description}`,
    `merge: ${tensors.length} tensors (${countBy(tensors, (tensor) => tensor.from)}${interpolated > 0 ? `, ${interpolated} interpolated` : ''}); ${carriedFiles.length} config/tokenizer files from "${primary}"`,
    unused.length === 0 ? 'merge: every source tensor was used' : `merge: ${unused.length} source tensors not used (${countBy(unused, (tensor) => tensor.model)}), each with its reason in frankenlens-merge.json`,
  ];
}

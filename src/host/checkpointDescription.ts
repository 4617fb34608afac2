/**
 * How a checkpoint's header facts read in the Checkpoints view and in CodeLenses. Pure (no
 * `vscode`), so the wording is unit-tested.
 */
import type { CheckpointInfo } from '../core/checkpoint/checkpoint';

export type CheckpointFacts = Pick<CheckpointInfo, 'architecture' | 'modelType' | 'llmLayers' | 'visionDepth' | 'parameterCount' | 'dtypes'>;

/** 8.29B, 291.7K, 512: short enough for a tree row, precise enough to tell 7B from 8B. */
export function formatParameterCount(count: number): string {
  if (count >= 1e9) return `${(count / 1e9).toFixed(2)}B`;
  if (count >= 1e6) return `${(count / 1e6).toFixed(1)}M`;
  if (count >= 1e3) return `${(count / 1e3).toFixed(1)}K`;
  return String(count);
}

/** The stored dtype most tensors use, as people write it (bf16); null for a checkpoint without tensors. */
export function dominantDtype(dtypes: CheckpointFacts['dtypes']): string | null {
  let best: [string, number] | null = null;
  for (const [dtype, count] of Object.entries(dtypes)) {
    if (count !== undefined && (best === null || count > best[1])) best = [dtype, count];
  }
  return best ? best[0].toLowerCase() : null;
}

function architectureName(facts: CheckpointFacts): string {
  return facts.architecture ?? facts.modelType ?? 'unknown architecture';
}

function layerCounts(facts: CheckpointFacts): string | null {
  if (facts.llmLayers === null) return null;
  return facts.visionDepth === null ? `${facts.llmLayers} layers` : `${facts.llmLayers} layers + ${facts.visionDepth} vision blocks`;
}

/** "Qwen2_5_VLForConditionalGeneration · 28 layers · bf16": the CodeLens headline. */
export function checkpointHeadline(facts: CheckpointFacts): string {
  const layers = facts.llmLayers === null ? null : `${facts.llmLayers} layers`;
  return [architectureName(facts), layers, dominantDtype(facts.dtypes)].filter((part) => part !== null).join(' · ');
}

/** The tree row's description: role first (when assigned), then the facts that tell checkpoints apart. */
export function checkpointTreeDescription(facts: CheckpointFacts, roleLabel: string | null): string {
  return [roleLabel, architectureName(facts), formatParameterCount(facts.parameterCount), dominantDtype(facts.dtypes), layerCounts(facts)]
    .filter((part) => part !== null)
    .join(' · ');
}

/** The tree row's tooltip: one fact per line, every stored dtype with its tensor count. */
export function checkpointTooltip(folder: string, facts: CheckpointFacts, roleLabel: string | null): string {
  const dtypes = Object.entries(facts.dtypes)
    .map(([dtype, count]) => `${dtype.toLowerCase()} × ${count}`)
    .join(', ');
  return [
    roleLabel === null ? folder : `${roleLabel}: ${folder}`,
    `Architecture: ${architectureName(facts)}`,
    `Parameters: ${formatParameterCount(facts.parameterCount)} (${facts.parameterCount.toLocaleString('en-US')})`,
    `Stored dtypes: ${dtypes || 'none'}`,
    `LLM layers: ${facts.llmLayers ?? 'unknown'}`,
    `Vision blocks: ${facts.visionDepth ?? 'none'}`,
  ].join('\n');
}

/**
 * Checks a plan against the real checkpoints and decides, for every output tensor, the exact
 * source bytes: same architecture, same tensor set and shapes, same dtypes, and slices that cover
 * exactly the decoder's layers. Every tensor of every source is either placed or listed as unused
 * with a reason, so nothing can be dropped silently.
 */
import { inferModelShape, placeTensor } from '../checkpoint/canonicalNames';
import { openCheckpoint, type Checkpoint } from '../checkpoint/checkpoint';
import { FileReader } from '../checkpoint/fileReader';
import { matchTensorSets } from '../checkpoint/pairing';
import type { TensorLocation } from '../checkpoint/tensorInfo';
import { FrankenlensError } from '../errors';
import { planLayerCount, type LayerSlice, type MergePlan } from './mergePlan';

export interface MergeTask {
  /** Output name, in the naming scheme of the model that gives the non-decoder parts. */
  name: string;
  canonicalName: string;
  hfLayer: number | null;
  from: { model: string; tensor: TensorLocation };
  interpolate?: { model: string; tensor: TensorLocation; alpha: number };
  reason: string;
}

export interface UnusedTensor {
  model: string;
  tensor: string;
  reason: string;
}

export interface ResolvedMerge {
  plan: MergePlan;
  checkpoints: Record<string, Checkpoint>;
  /** The model whose config, tokenizer files and tensor names the output takes. */
  primary: string;
  layers: number;
  tasks: MergeTask[];
  unused: UnusedTensor[];
}

function mismatch(message: string, file?: string, tensor?: string): never {
  throw new FrankenlensError('PlanMismatch', message, file, tensor);
}

export function resolveMerge(plan: MergePlan): ResolvedMerge {
  const reader = new FileReader();
  const checkpoints: Record<string, Checkpoint> = {};
  try {
    for (const [alias, path] of Object.entries(plan.models)) checkpoints[alias] = openCheckpoint(path, reader);
  } finally {
    reader.close();
  }
  const firstSource = plan.slices[0]!.source;
  const lastSource = plan.slices.at(-1)!.source;
  const primary = plan.nonDecoder.rule === 'model' ? plan.nonDecoder.source : firstSource;
  const aliases = [primary, ...Object.keys(checkpoints).filter((alias) => alias !== primary)];
  checkArchitectures(aliases.map((alias) => [alias, checkpoints[alias]!]));

  const matched = matchTensorSets(aliases.map((alias) => ({ label: `"${alias}"`, checkpoint: checkpoints[alias]! })));
  const byAlias = new Map(aliases.map((alias, i) => [alias, matched[i]!]));
  const primaryTensors = byAlias.get(primary)!;
  const shape = inferModelShape([...primaryTensors.keys()], { llmLayers: checkpoints[primary]!.info.llmLayers, visionDepth: checkpoints[primary]!.info.visionDepth });
  const layers = shape.llmLayers ?? 0;
  if (planLayerCount(plan) !== layers) {
    mismatch(`plan "${plan.name}" covers HF layers [0, ${planLayerCount(plan)}) but the checkpoints have ${layers} decoder layers`, checkpoints[primary]!.path);
  }

  const tasks: MergeTask[] = [];
  const used = new Map<string, Set<string>>(aliases.map((alias) => [alias, new Set<string>()]));
  const unusedReason = new Map<string, string>();
  for (const [canonical, primaryTensor] of primaryTensors) {
    const placement = placeTensor(primaryTensor.name, shape);
    let source: string;
    let interpolate: MergeTask['interpolate'];
    let reason: string;
    if (placement.hfLayer !== null) {
      const slice = sliceFor(plan.slices, placement.hfLayer);
      if (!slice) mismatch(`tensor "${primaryTensor.name}" is in HF layer ${placement.hfLayer}, outside every slice of plan "${plan.name}"`, primaryTensor.file, primaryTensor.name);
      source = slice.source;
      reason = `decoder layer ${placement.hfLayer} from "${source}"`;
      const mix = slice.interpolate;
      if (mix && (mix.components === 'all' || mix.components === placement.component)) {
        interpolate = { model: mix.with, tensor: byAlias.get(mix.with)!.get(canonical)!, alpha: mix.alpha };
        reason += `, interpolated with "${mix.with}" at alpha ${mix.alpha}`;
      }
    } else if (plan.nonDecoder.rule === 'mergekit' && placement.section === 'head') {
      source = lastSource;
      reason = `final norm / lm_head from the last slice's model "${source}" (mergekit rule)`;
    } else {
      source = primary;
      reason = `${placement.section} part from "${source}" (${plan.nonDecoder.rule === 'model' ? 'named in the plan' : plan.nonDecoder.rule === 'mergekit' ? "first slice's model, mergekit rule" : "the first model, the paper's rule"})`;
    }
    const from = byAlias.get(source)!.get(canonical)!;
    const dtypes = new Set([from.dtype, interpolate?.tensor.dtype].filter(Boolean));
    if (dtypes.size > 1) mismatch(`tensor "${canonical}" is ${[...dtypes].join(' in one model and ')} in the other; interpolating across dtypes is not supported`, from.file, from.name);
    if (from.dtype !== primaryTensor.dtype) {
      mismatch(`tensor "${from.name}" is ${from.dtype} in "${source}" but ${primaryTensor.dtype} in "${primary}"; a merge never changes dtypes, so convert one checkpoint first`, from.file, from.name);
    }
    used.get(source)!.add(canonical);
    if (interpolate) used.get(interpolate.model)!.add(canonical);
    unusedReason.set(canonical, reason);
    tasks.push({ name: primaryTensor.name, canonicalName: canonical, hfLayer: placement.hfLayer, from: { model: source, tensor: from }, ...(interpolate ? { interpolate } : {}), reason });
  }

  const unused: UnusedTensor[] = [];
  for (const alias of aliases) {
    for (const [canonical, tensor] of byAlias.get(alias)!) {
      if (!used.get(alias)!.has(canonical)) unused.push({ model: alias, tensor: tensor.name, reason: `not used: ${unusedReason.get(canonical)}` });
    }
  }
  return { plan, checkpoints, primary, layers, tasks, unused };
}

function sliceFor(slices: readonly LayerSlice[], hfLayer: number): LayerSlice | undefined {
  return slices.find((slice) => slice.start <= hfLayer && hfLayer < slice.end);
}

function checkArchitectures(entries: readonly [string, Checkpoint][]): void {
  const [[firstAlias, first]] = entries as [[string, Checkpoint]];
  for (const [alias, checkpoint] of entries.slice(1)) {
    for (const field of ['architecture', 'modelType', 'llmLayers', 'visionDepth'] as const) {
      const a = first.info[field];
      const b = checkpoint.info[field];
      if (a !== null && b !== null && a !== b) {
        mismatch(`"${firstAlias}" and "${alias}" are different models: ${field} is ${a} in ${first.path} but ${b} in ${checkpoint.path}`, checkpoint.path);
      }
    }
  }
}

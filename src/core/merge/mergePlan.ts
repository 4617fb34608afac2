/**
 * A merge plan says where every part of a new checkpoint comes from: which model gives each range
 * of decoder layers, and which gives everything outside the decoder. It is plain data (JSON or
 * YAML), validated here on its own; `resolveMerge` then checks it against the real checkpoints
 * before anything is written.
 */
import { FrankenlensError } from '../errors';
import { previewValue, quoted } from '../regularFile';

export const MERGE_PLAN_SCHEMA = 'frankenlens.merge-plan/1';

export type ComponentFilter = 'all' | 'attention' | 'mlp';

/** Decoder layers [start, end) taken from `source` (HF 0-based unless the plan says unified). */
export interface LayerSlice {
  start: number;
  end: number;
  source: string;
  /** W = (1 − alpha)·W_source + alpha·W_with on the matching tensors of these layers. */
  interpolate?: { with: string; alpha: number; components: ComponentFilter };
}

/**
 * Where the parts outside the decoder layers (vision tower, projector, embeddings, final norm,
 * lm_head, config, tokenizer) come from:
 * - `first-model`: the paper's rule, everything from the model of the first slice;
 * - `mergekit`: mergekit's rule, embeddings (and vision, projector, config) from the first slice,
 *   final norm and lm_head from the last;
 * - `model`: everything from the named model.
 */
export type NonDecoderRule = { rule: 'first-model' } | { rule: 'mergekit' } | { rule: 'model'; source: string };

export type MergeKind = 'frankenstein' | 'freeze' | 'custom';

export interface MergePlan {
  schema: typeof MERGE_PLAN_SCHEMA;
  name: string;
  kind: MergeKind;
  description: string;
  /** Alias → checkpoint folder. */
  models: Record<string, string>;
  /** Slices are numbered with HF 0-based decoder indices unless this says 'unified' (LLM layer i → i + 1). */
  layerIndex: 'hf' | 'unified';
  slices: LayerSlice[];
  nonDecoder: NonDecoderRule;
}

function invalid(message: string, file?: string): never {
  throw new FrankenlensError('InvalidPlan', file ? `${file}: ${message}` : message, file);
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Checks the plan's own consistency (not the checkpoints) and returns it with defaults filled in. */
export function validatePlan(raw: unknown, file?: string): MergePlan {
  if (!isObject(raw)) invalid('a merge plan must be an object', file);
  if (raw.schema !== undefined && raw.schema !== MERGE_PLAN_SCHEMA) invalid(`unknown plan schema ${previewValue(raw.schema)} (expected ${MERGE_PLAN_SCHEMA})`, file);
  const models = raw.models;
  if (!isObject(models) || Object.keys(models).length === 0) invalid('"models" must map aliases to checkpoint folders', file);
  for (const [alias, path] of Object.entries(models)) {
    if (typeof path !== 'string' || path.length === 0) invalid(`model ${quoted(alias)} must be a folder path`, file);
  }
  const known = (alias: unknown, where: string): string => {
    if (typeof alias !== 'string' || !(alias in models)) invalid(`${where} names model ${previewValue(alias)}, which is not in "models" (${Object.keys(models).join(', ')})`, file);
    return alias;
  };
  const layerIndex = raw.layerIndex ?? 'hf';
  if (layerIndex !== 'hf' && layerIndex !== 'unified') invalid('"layerIndex" must be "hf" or "unified"', file);
  if (!Array.isArray(raw.slices) || raw.slices.length === 0) invalid('"slices" must list at least one layer range', file);

  const slices = raw.slices.map((value: unknown, i: number): LayerSlice => {
    const where = `slice ${i + 1}`;
    if (!isObject(value)) invalid(`${where} must be an object`, file);
    const { start, end } = value;
    if (!Number.isInteger(start) || !Number.isInteger(end) || (start as number) < 0 || (end as number) <= (start as number)) {
      invalid(`${where} has range [${previewValue(start)}, ${previewValue(end)}): start and end must be integers with 0 ≤ start < end`, file);
    }
    const slice: LayerSlice = { start: start as number, end: end as number, source: known(value.source, where) };
    if (value.interpolate !== undefined) {
      const interpolation = value.interpolate;
      if (!isObject(interpolation)) invalid(`${where}: "interpolate" must be an object`, file);
      const alpha = interpolation.alpha;
      if (typeof alpha !== 'number' || !(alpha >= 0 && alpha <= 1)) invalid(`${where}: interpolation alpha must be a number in [0, 1]`, file);
      const components = interpolation.components ?? 'all';
      if (components !== 'all' && components !== 'attention' && components !== 'mlp') invalid(`${where}: interpolation components must be "all", "attention" or "mlp"`, file);
      slice.interpolate = { with: known(interpolation.with, `${where} interpolation`), alpha, components };
    }
    return slice;
  });
  if (layerIndex === 'unified') {
    for (const slice of slices) {
      if (slice.start < 1) invalid(`unified LLM layer indices start at 1 (HF layer 0), but a slice starts at ${slice.start}`, file);
      slice.start -= 1;
      slice.end -= 1;
    }
  }
  const ordered = [...slices].sort((a, b) => a.start - b.start);
  let expected = 0;
  for (const slice of ordered) {
    if (slice.start < expected) invalid(`layer ranges overlap at HF layer ${slice.start}`, file);
    if (slice.start > expected) invalid(`no slice covers HF layers [${expected}, ${slice.start})`, file);
    expected = slice.end;
  }

  const nonDecoderRaw = raw.nonDecoder ?? { rule: 'first-model' };
  if (!isObject(nonDecoderRaw)) invalid('"nonDecoder" must be an object', file);
  let nonDecoder: NonDecoderRule;
  if (nonDecoderRaw.rule === 'first-model' || nonDecoderRaw.rule === 'mergekit') nonDecoder = { rule: nonDecoderRaw.rule };
  else if (nonDecoderRaw.rule === 'model') nonDecoder = { rule: 'model', source: known(nonDecoderRaw.source, '"nonDecoder"') };
  else invalid('"nonDecoder.rule" must be "first-model", "mergekit" or "model"', file);

  const kind = raw.kind ?? 'custom';
  if (kind !== 'frankenstein' && kind !== 'freeze' && kind !== 'custom') invalid('"kind" must be "frankenstein", "freeze" or "custom"', file);
  return {
    schema: MERGE_PLAN_SCHEMA,
    name: typeof raw.name === 'string' && raw.name.length > 0 ? raw.name : 'merge',
    kind,
    description: typeof raw.description === 'string' ? raw.description : '',
    models: models as Record<string, string>,
    layerIndex: 'hf',
    slices: ordered,
    nonDecoder,
  };
}

/** The layer count the plan covers: the end of its last slice. */
export function planLayerCount(plan: MergePlan): number {
  return plan.slices.at(-1)!.end;
}

/** The folder name a plan is written to by default (CLI and extension alike). */
export function planFolderName(plan: Pick<MergePlan, 'name'>): string {
  return plan.name.toLowerCase().replace(/\//g, '-').replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
}

/**
 * Merge plans as mergekit configs (`mergekit-yaml CONFIG OUT`), and passthrough configs back as
 * plans. The schema follows mergekit's `config.py` (MergeConfiguration and its module, slice and
 * source definitions), the planner in `plan.py` (slices stack in order; embeddings come from the
 * first slice's sources, final norm and lm_head from the last slice's) and the module names of
 * `_data/architectures/qwen2_5_vl.json`, all read at arcee-ai/mergekit@a6e4028.
 */
import { Document, isScalar, parseDocument, visit } from 'yaml';
import { FrankenlensError } from '../errors';
import { isStackOverflow, MAX_NESTING, nestedTooDeeply, nestingExceeds, previewValue, quoted, yamlNestingExceeds } from '../regularFile';
import { MERGE_PLAN_SCHEMA, validatePlan, type ComponentFilter, type LayerSlice, type MergePlan, type NonDecoderRule } from './mergePlan';

/** `qwen2_5_vl` needs mergekit's `modules:` syntax; a single-module decoder takes top-level `slices:`. */
export type MergekitArchitecture = 'qwen2_5_vl' | 'decoder-only';

export interface MergekitExportOptions {
  architecture: MergekitArchitecture;
  /** The checkpoints' dtype, e.g. 'bfloat16': what mergekit loads (plain copies) or writes (interpolations). */
  dtype?: string;
}

export interface MergekitExport {
  yaml: string;
  /** Where mergekit's result would differ from the plan's; also written as comments atop `yaml`. */
  warnings: string[];
}

/** A model as mergekit's ModelReference reads it: a plain string, or the object form for awkward paths. */
type MergekitModel = string | { model: { path: string } };

/** One weight, or a list of conditions whose first matching `filter` (a substring of the tensor name) wins. */
type MergekitWeight = number | { filter?: string; value: number }[];

interface MergekitSource {
  model: MergekitModel;
  layer_range: [number, number];
  parameters?: { weight: MergekitWeight };
}

interface MergekitWholeModel {
  model: MergekitModel;
  parameters?: { weight: number };
}

type MergekitSlice = { sources: MergekitSource[] };

/** Module names of mergekit's Qwen2.5-VL definition; a module left out is not written at all. */
const TEXT_MODULE = 'text_decoder';
const VISION_MODULES = ['vision_tower', 'multi_modal_projector'] as const;

/**
 * mergekit's ModelReference splits a string at '+' (model + LoRA) and ModelPath at '@' (hub
 * revision), so a folder whose path holds either is written as `{model: {path}}`.
 */
function modelReference(path: string): MergekitModel {
  return path.includes('+') || path.includes('@') ? { model: { path } } : path;
}

/**
 * The two weights of an interpolated slice under merge_method `linear` with `normalize: false`
 * (Σ weight·W, exactly (1 − alpha)·W_source + alpha·W_with). Filters restrict the mix to the
 * slice's components; every other tensor, including the embeddings and final norm/lm_head that
 * mergekit plans with the first and last slice's settings, keeps the source at weight 1.
 */
function interpolationWeights(alpha: number, components: ComponentFilter): { source: MergekitWeight; with: MergekitWeight } {
  const conditions = (mixed: number, kept: number): MergekitWeight => {
    switch (components) {
      case 'all':
        // Every decoder-layer tensor holds "layers."; embed_tokens, model.norm and lm_head do not.
        return [{ filter: 'layers.', value: mixed }, { value: kept }];
      case 'attention':
      case 'mlp':
        // Norms first, as Frankenlens classifies them (so a Qwen3 `self_attn.q_norm` stays a norm).
        return [{ filter: 'norm', value: kept }, { filter: components === 'attention' ? 'self_attn' : 'mlp', value: mixed }, { value: kept }];
    }
  };
  return { source: conditions(1 - alpha, 1), with: conditions(alpha, 0) };
}

function mergekitSlice(slice: LayerSlice, plan: MergePlan, linear: boolean): MergekitSlice {
  const layerRange: [number, number] = [slice.start, slice.end];
  const source = (alias: string, weight?: MergekitWeight): MergekitSource => ({
    model: modelReference(plan.models[alias]!),
    layer_range: layerRange,
    ...(weight === undefined ? {} : { parameters: { weight } }),
  });
  if (!slice.interpolate) return { sources: [linear ? source(slice.source, 1) : source(slice.source)] };
  const weights = interpolationWeights(slice.interpolate.alpha, slice.interpolate.components);
  return { sources: [source(slice.source, weights.source), source(slice.interpolate.with, weights.with)] };
}

function ruleLabel(rule: NonDecoderRule): string {
  return rule.rule === 'model' ? `model "${rule.source}"` : rule.rule;
}

/**
 * mergekit fixes where the text embeddings (first slice) and final norm/lm_head (last slice) come
 * from; the vision tower, projector, config and tokenizer follow the model the config names.
 */
function nonDecoderWarnings(plan: MergePlan, primary: string): string[] {
  const first = plan.slices[0]!.source;
  const last = plan.slices.at(-1)!.source;
  const wantedHead = plan.nonDecoder.rule === 'mergekit' ? last : primary;
  const warnings: string[] = [];
  const rule = `nonDecoder rule: ${ruleLabel(plan.nonDecoder)}`;
  if (first !== primary) {
    warnings.push(`mergekit takes embed_tokens from the first slice's model "${first}" (${plan.models[first]}), but the plan takes them from "${primary}" (${plan.models[primary]}; ${rule}).`);
  }
  if (last !== wantedHead) {
    warnings.push(`mergekit takes the final norm and lm_head from the last slice's model "${last}" (${plan.models[last]}), but the plan takes them from "${wantedHead}" (${plan.models[wantedHead]}; ${rule}).`);
  }
  return warnings;
}

/** Numeric lists in flow style (`layer_range: [0, 9]`), as mergekit's own examples and dumper write them. */
function flowNumericLists(document: Document): void {
  visit(document, {
    Seq(_, node) {
      if (node.items.length > 0 && node.items.every((item) => isScalar(item) && typeof item.value === 'number')) node.flow = true;
    },
  });
}

export function toMergekitYaml(plan: MergePlan, options: MergekitExportOptions): MergekitExport {
  // mergekit has one merge method per config: passthrough copies a single source per slice, and
  // linear (weight 1 for plain slices) is the only method that is exactly an interpolation.
  const linear = plan.slices.some((slice) => slice.interpolate !== undefined);
  const primary = plan.nonDecoder.rule === 'model' ? plan.nonDecoder.source : plan.slices[0]!.source;
  const warnings = nonDecoderWarnings(plan, primary);

  const dtypes: Record<string, string> = {};
  if (linear) {
    // Frankenlens interpolates in float32 and stores the source dtype; mergekit computes in `dtype`.
    dtypes.dtype = 'float32';
    if (options.dtype) dtypes.out_dtype = options.dtype;
    else warnings.push('No output dtype was given: mergekit will write the interpolated model in float32. Set out_dtype to the checkpoints\' dtype.');
  } else if (options.dtype) {
    dtypes.dtype = options.dtype;
  }

  const slices = plan.slices.map((slice) => mergekitSlice(slice, plan, linear));
  const wholePrimary: MergekitWholeModel[] = [{ model: modelReference(plan.models[primary]!), ...(linear ? { parameters: { weight: 1 } } : {}) }];
  const layers =
    options.architecture === 'qwen2_5_vl'
      ? { modules: { [TEXT_MODULE]: { slices }, ...Object.fromEntries(VISION_MODULES.map((name) => [name, { models: wholePrimary }])) } }
      : { slices };
  const config = {
    merge_method: linear ? 'linear' : 'passthrough',
    // base_model is mergekit's donor of config.json, tokenizer and tagalong files; without it the
    // donor is the first of an unordered set of models.
    base_model: modelReference(plan.models[primary]!),
    ...dtypes,
    ...(linear ? { parameters: { normalize: false } } : {}),
    ...layers,
  };

  const document = new Document(config, { aliasDuplicateObjects: false });
  flowNumericLists(document);
  document.commentBefore = [` Frankenlens merge plan "${plan.name}" as a mergekit config: mergekit-yaml THIS_FILE OUTPUT_FOLDER`, ...warnings.map((warning) => ` WARNING: ${warning}`)].join('\n');
  return { yaml: document.toString({ lineWidth: 0, flowCollectionPadding: false }), warnings };
}

// ---------------------------------------------------------------------------------------------
// Import

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const isPresent = (value: unknown): boolean => value !== undefined && value !== null;

/** The last path segment, for either separator and ignoring a trailing one. */
function lastPathSegment(path: string): string {
  return path.replace(/[\\/]+$/, '').split(/[\\/]/).at(-1) ?? '';
}

/** Distinct paths in first-use order → aliases: the folder name where it is unique and an identifier, else m1, m2, … */
function aliasesFor(paths: readonly string[]): Map<string, string> {
  const names = paths.map(lastPathSegment);
  const aliases = paths.map((_, i) => {
    const name = names[i]!;
    const unique = names.filter((other) => other === name).length === 1;
    return unique && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `m${i + 1}`;
  });
  // A folder literally named like another model's fallback alias ("m2") would collide.
  const distinct = new Set(aliases).size === aliases.length;
  return new Map(paths.map((path, i) => [path, distinct ? aliases[i]! : `m${i + 1}`]));
}

class MergekitReader {
  constructor(private readonly file?: string) {}

  fail(message: string): never {
    throw new FrankenlensError('InvalidPlan', this.file ? `${this.file}: ${message}` : message, this.file);
  }

  /** The folder of a ModelReference, refusing what is not a plain local checkpoint. */
  modelPath(value: unknown, where: string): string {
    if (typeof value === 'string') {
      if (value.includes('+')) this.fail(`${where} names ${quoted(value)}, a model plus a LoRA adapter ("+"); merge the adapter into the model first`);
      return this.pathOf(value, where);
    }
    if (isObject(value)) {
      if (isPresent(value.lora)) this.fail(`${where} adds a LoRA adapter; merge it into the model first`);
      return this.pathOf(value.model, where);
    }
    return this.fail(`${where}: "model" must be a path`);
  }

  /** mergekit's ModelPath: a string (where '@' pins a hub revision) or `{path, revision}`. */
  private pathOf(value: unknown, where: string): string {
    const [path, revision] = isObject(value) ? [value.path, value.revision] : typeof value === 'string' ? value.split('@') : [];
    if (typeof path !== 'string' || path.length === 0) this.fail(`${where}: "model" must be a path`);
    if (isPresent(revision)) this.fail(`${where} pins the hub revision ${previewValue(revision)} of ${quoted(path)}; Frankenlens merges local checkpoint folders`);
    return path;
  }

  noParameters(value: Record<string, unknown>, where: string): void {
    if (isPresent(value.parameters)) {
      this.fail(`${where} has "parameters" (passthrough's "scale" changes the weights), which a merge plan cannot express`);
    }
  }

  layerSlices(value: unknown, where: string): { start: number; end: number; path: string }[] {
    if (!Array.isArray(value) || value.length === 0) this.fail(`${where} must list at least one slice`);
    return value.map((slice: unknown, i) => {
      const at = `${where} ${i + 1}`;
      if (!isObject(slice)) this.fail(`${at} must be an object with "sources"`);
      this.noParameters(slice, at);
      const sources = slice.sources;
      if (!Array.isArray(sources) || sources.length !== 1) {
        this.fail(`${at} has ${Array.isArray(sources) ? sources.length : 'no'} sources; only slices copied from a single model can be imported`);
      }
      const source: unknown = sources[0];
      if (!isObject(source)) this.fail(`${at}: its source must be an object with "model" and "layer_range"`);
      this.noParameters(source, `${at}'s source`);
      const range = source.layer_range;
      if (!Array.isArray(range) || range.length !== 2 || !range.every((bound) => Number.isInteger(bound))) {
        this.fail(`${at}: "layer_range" must be [start, end] with integers`);
      }
      return { start: range[0] as number, end: range[1] as number, path: this.modelPath(source.model, at) };
    });
  }

  /** The one model of a vision module given as `models: [{model}]`. */
  wholeModel(module: unknown, name: string): string {
    const where = `modules.${name}`;
    if (module === undefined) this.fail(`${where} is missing: mergekit would write none of its tensors, which a merge plan cannot express`);
    if (!isObject(module)) this.fail(`${where} must be an object`);
    this.noParameters(module, where);
    const models = module.models;
    if (!Array.isArray(models) || models.length !== 1) this.fail(`${where} must name exactly one model under "models"`);
    const entry: unknown = models[0];
    if (!isObject(entry)) this.fail(`${where}: its model entry must be an object with "model"`);
    this.noParameters(entry, where);
    return this.modelPath(entry.model, where);
  }
}

/**
 * Imports a mergekit passthrough config (top-level `slices:` or `modules.text_decoder.slices`).
 * Non-decoder rule: 'mergekit' when the vision modules (or, without them, `base_model`) name the
 * first slice's model, which is then exactly what mergekit does; otherwise `{rule: 'model'}` for
 * that model, and the description says which text parts mergekit would take elsewhere.
 */
export function fromMergekitYaml(text: string, file?: string): MergePlan {
  const reader: MergekitReader = new MergekitReader(file); // typed, so fail()'s `never` narrows
  if (yamlNestingExceeds(text, MAX_NESTING)) throw nestedTooDeeply(file, file ?? 'a mergekit config');
  const document = parseDocument(text);
  const [error] = document.errors;
  if (error && isStackOverflow(error)) throw nestedTooDeeply(file, file ?? 'a mergekit config');
  // The parser's message goes on to quote the line; the first line says what and where.
  if (error) reader.fail(`not valid YAML (${error.message.split('\n')[0]})`);
  const config: unknown = document.toJS();
  if (nestingExceeds(config, MAX_NESTING)) throw nestedTooDeeply(file, file ?? 'a mergekit config');
  if (!isObject(config)) reader.fail('a mergekit config must be a mapping');

  const method = config.merge_method;
  if (method !== 'passthrough') {
    reader.fail(method === undefined ? '"merge_method" is missing' : `merge_method ${previewValue(method)} cannot be imported: only passthrough configs copy each layer from one model`);
  }
  reader.noParameters(config, 'the config');
  for (const key of ['tokenizer_source', 'tokenizer'] as const) {
    if (isPresent(config[key])) reader.fail(`"${key}" rebuilds the vocabulary and permutes the embeddings, which a merge plan cannot express`);
  }
  const layout = (['models', 'slices', 'modules'] as const).filter((key) => isPresent(config[key]));
  if (layout.length !== 1) reader.fail(`exactly one of "models", "slices" or "modules" must be present (found ${layout.length === 0 ? 'none' : layout.join(', ')})`);
  if (layout[0] === 'models') reader.fail('"models:" merges whole models and has no layer slices to import');

  let slices: { start: number; end: number; path: string }[];
  let namedModel: string | undefined;
  const basePath = isPresent(config.base_model) ? reader.modelPath(config.base_model, 'base_model') : undefined;
  if (layout[0] === 'slices') {
    slices = reader.layerSlices(config.slices, 'slice');
    namedModel = basePath;
  } else {
    const modules = config.modules;
    if (!isObject(modules)) reader.fail('"modules" must map module names to definitions');
    const unknown = Object.keys(modules).filter((name) => name !== TEXT_MODULE && !(VISION_MODULES as readonly string[]).includes(name));
    if (unknown.length > 0) reader.fail(`unknown module ${quoted(unknown[0]!)} (Qwen2.5-VL's are ${[TEXT_MODULE, ...VISION_MODULES].join(', ')})`);
    const decoder = modules[TEXT_MODULE];
    if (!isObject(decoder) || !Array.isArray(decoder.slices)) reader.fail(`modules.${TEXT_MODULE} must list decoder layer "slices"`);
    reader.noParameters(decoder, `modules.${TEXT_MODULE}`);
    slices = reader.layerSlices(decoder.slices, `modules.${TEXT_MODULE} slice`);
    const [tower, projector] = VISION_MODULES.map((name) => reader.wholeModel(modules[name], name)) as [string, string];
    if (tower !== projector) reader.fail(`the vision tower comes from "${tower}" but the projector from "${projector}"; a merge plan takes both from one model`);
    // mergekit appends base_model to every `models:` module, and passthrough then meets two tensors.
    if (basePath !== undefined && basePath !== tower) reader.fail(`base_model "${basePath}" differs from the vision modules' model "${tower}"; mergekit would add it to them and passthrough would fail`);
    namedModel = tower;
  }
  for (let i = 1; i < slices.length; i++) {
    if (slices[i]!.start < slices[i - 1]!.start) {
      reader.fail(`slices are out of order (layer ${slices[i]!.start} after ${slices[i - 1]!.start}): mergekit stacks slices as listed, so layers would change places`);
    }
  }

  const paths = [...new Set([...slices.map((slice) => slice.path), ...(namedModel === undefined ? [] : [namedModel])])];
  const aliases = aliasesFor(paths);
  const alias = (path: string) => aliases.get(path)!;
  const first = slices[0]!.path;
  const last = slices.at(-1)!.path;
  let nonDecoder: NonDecoderRule = { rule: 'mergekit' };
  const notes: string[] = [];
  if (namedModel !== undefined && namedModel !== first) {
    nonDecoder = { rule: 'model', source: alias(namedModel) };
    notes.push(`mergekit itself would take embed_tokens from "${alias(first)}"`);
    if (last !== namedModel) notes.push(`the final norm and lm_head from "${alias(last)}"`);
  }
  const origin = file ?? 'a mergekit config';
  return validatePlan(
    {
      schema: MERGE_PLAN_SCHEMA,
      name: file ? lastPathSegment(file).replace(/\.ya?ml$/i, '') : 'mergekit import',
      kind: 'custom',
      description: `Imported from ${origin} (passthrough).${notes.length > 0 ? ` Everything outside the decoder comes from "${alias(namedModel!)}", but ${notes.join(' and ')}.` : ''}`,
      models: Object.fromEntries(paths.map((path) => [alias(path), path])),
      layerIndex: 'hf',
      slices: slices.map((slice) => ({ start: slice.start, end: slice.end, source: alias(slice.path) })),
      nonDecoder,
    },
    file,
  );
}

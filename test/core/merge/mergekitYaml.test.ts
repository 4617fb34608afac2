import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { placeTensor } from '../../../src/core/checkpoint/canonicalNames';
import type { FrankenlensError } from '../../../src/core/errors';
import type { ComponentFilter, MergePlan } from '../../../src/core/merge/mergePlan';
import { fromMergekitYaml, toMergekitYaml, type MergekitArchitecture } from '../../../src/core/merge/mergekitYaml';
import { freezePlan, thirdsVariants } from '../../../src/core/merge/presets';

const PATHS = { in: '/ckpt/OpenMMReasoner-ColdStart', rl: '/ckpt/OpenMMReasoner-RL' };
const ARCHITECTURES: MergekitArchitecture[] = ['qwen2_5_vl', 'decoder-only'];

// ---------------------------------------------------------------------------------------------
// What mergekit's config parser accepts (config.py at arcee-ai/mergekit@a6e4028): the keys of
// MergeConfiguration, OutputModuleDefinition, OutputSliceDefinition, InputSliceDefinition and
// InputModelDefinition, and the module names of _data/architectures/qwen2_5_vl.json.

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function assertKeys(value: unknown, allowed: string[], where: string): asserts value is Json {
  assert.ok(isObject(value), `${where} is a mapping`);
  for (const key of Object.keys(value)) assert.ok(allowed.includes(key), `${where} has no field "${key}" in mergekit's schema`);
}

function assertModelReference(value: unknown, where: string): void {
  if (typeof value === 'string') return assert.ok(value.length > 0 && !value.includes('+') && !value.includes('@'), `${where} is a plain path`);
  assertKeys(value, ['model'], where);
  assertKeys(value.model, ['path'], `${where}.model`);
  assert.equal(typeof value.model.path, 'string');
}

function assertParameters(value: unknown, where: string): void {
  if (value === undefined) return;
  assertKeys(value, ['weight', 'normalize', 'scale'], where);
  for (const [name, setting] of Object.entries(value)) {
    if (typeof setting === 'number' || typeof setting === 'boolean') continue;
    assert.ok(Array.isArray(setting), `${where}.${name} is a scalar or a list of conditions`);
    for (const condition of setting) {
      assertKeys(condition, ['filter', 'value'], `${where}.${name} condition`);
      assert.equal(typeof condition.value, 'number');
    }
  }
}

function assertSlices(value: unknown, where: string): void {
  assert.ok(Array.isArray(value) && value.length > 0, `${where} is a non-empty list`);
  for (const [i, slice] of value.entries()) {
    assertKeys(slice, ['sources', 'base_model', 'residual_weight', 'parameters'], `${where}[${i}]`);
    assert.ok(Array.isArray(slice.sources) && slice.sources.length > 0);
    const lengths = new Set<number>();
    for (const source of slice.sources) {
      assertKeys(source, ['model', 'layer_range', 'parameters'], `${where}[${i}] source`);
      assertModelReference(source.model, `${where}[${i}] source model`);
      const range = source.layer_range;
      assert.ok(Array.isArray(range) && range.length === 2 && range.every(Number.isInteger), 'layer_range is a pair of integers');
      lengths.add(range[1] - range[0]);
      assertParameters(source.parameters, `${where}[${i}] source parameters`);
    }
    assert.equal(lengths.size, 1, 'mergekit: all inputs to a slice must contain the same number of layers');
  }
}

function assertMergekitConfig(config: unknown, architecture: MergekitArchitecture): asserts config is Json {
  assertKeys(config, ['modules', 'slices', 'models', 'merge_method', 'base_model', 'dtype', 'tokenizer_source', 'tokenizer', 'chat_template', 'out_dtype', 'parameters'], 'config');
  assert.equal(['modules', 'slices', 'models'].filter((key) => config[key] !== undefined).length, 1, "exactly one of 'models', 'slices', or 'modules'");
  assert.ok(config.merge_method === 'passthrough' || config.merge_method === 'linear');
  assertModelReference(config.base_model, 'base_model');
  assertParameters(config.parameters, 'parameters');
  if (architecture === 'decoder-only') return assertSlices(config.slices, 'slices');
  assert.equal(config.slices, undefined, 'a multi-module architecture must use modules: syntax');
  assertKeys(config.modules, ['text_decoder', 'vision_tower', 'multi_modal_projector'], 'modules');
  assert.deepEqual(Object.keys(config.modules).sort(), ['multi_modal_projector', 'text_decoder', 'vision_tower'], 'every module is listed, so none is dropped');
  for (const [name, module] of Object.entries(config.modules)) {
    assertKeys(module, ['slices', 'models', 'parameters'], `modules.${name}`);
    assert.ok((module.slices === undefined) !== (module.models === undefined), 'mergekit: either output slices or models');
  }
  assertSlices((config.modules.text_decoder as Json).slices, 'modules.text_decoder.slices');
  for (const name of ['vision_tower', 'multi_modal_projector'] as const) {
    const models = (config.modules[name] as Json).models;
    assert.ok(Array.isArray(models) && models.length === 1);
    assertKeys(models[0], ['model', 'parameters'], `modules.${name}.models[0]`);
    assertModelReference(models[0].model, name);
    assertParameters(models[0].parameters, `modules.${name}.models[0].parameters`);
  }
}

// ---------------------------------------------------------------------------------------------
// What mergekit then does with the text decoder (plan.py: stacking, pre/post weights from the
// first/last slice, zip over the first slice's sources; config.py: parameter precedence and
// substring filters; linear.py and passthrough.py), as {model path: weight} per output tensor.

const LAYER_SUFFIXES = [
  'input_layernorm.weight', 'mlp.down_proj.weight', 'mlp.gate_proj.weight', 'mlp.up_proj.weight', 'post_attention_layernorm.weight', 'self_attn.k_proj.bias',
  'self_attn.k_proj.weight', 'self_attn.o_proj.weight', 'self_attn.q_proj.bias', 'self_attn.q_proj.weight', 'self_attn.v_proj.bias', 'self_attn.v_proj.weight',
  'self_attn.q_norm.weight', // Qwen3-style: a norm under self_attn
];

type Weights = Record<string, number>;
type Slice = { sources: { model: unknown; layer_range: [number, number]; parameters?: Json }[]; parameters?: Json };

const pathOf = (model: unknown): string => (typeof model === 'string' ? model : ((model as Json).model as Json).path as string);

function evaluate(setting: unknown, tensor: string): number | undefined {
  if (typeof setting === 'number' || typeof setting === 'boolean') return Number(setting);
  for (const condition of setting as { filter?: string; value: number }[]) {
    if (condition.filter === undefined || condition.filter === '*' || tensor.includes(condition.filter)) return condition.value;
  }
  return undefined;
}

function simulateTextDecoder(config: Json): Map<string, Weights> {
  const module = (config.modules as Json | undefined)?.text_decoder as Json | undefined;
  const slices = (module?.slices ?? config.slices) as Slice[];
  const parameter = (name: string, tensor: string, slice: Slice, model?: string): number | undefined => {
    const scopes = [...slice.sources.filter((source) => pathOf(source.model) === model).map((source) => source.parameters), slice.parameters, module?.parameters as Json | undefined, config.parameters as Json | undefined];
    for (const scope of scopes) {
      const value = scope && name in scope ? evaluate(scope[name], tensor) : undefined;
      if (value !== undefined) return value;
    }
    return undefined;
  };
  const gather = (slice: Slice, models: string[], inputNames: string[], outputName: string): Weights => {
    const gathered = new Map<string, string>();
    for (let i = 0; i < Math.min(models.length, inputNames.length); i++) if (!gathered.has(models[i]!)) gathered.set(models[i]!, inputNames[i]!);
    if (config.merge_method === 'passthrough') {
      assert.equal(gathered.size, 1, `passthrough expects exactly one tensor for ${outputName}`);
      return { [[...gathered.keys()][0]!]: 1 };
    }
    const normalize = parameter('normalize', outputName, slice) ?? 1;
    const weights: Weights = {};
    for (const [model, inputName] of gathered) {
      const weight = parameter('weight', inputName, slice, model);
      assert.ok(weight !== undefined, `linear needs a weight for ${model} on ${inputName}`);
      weights[model] = weight;
    }
    const total = Object.values(weights).reduce((sum, weight) => sum + weight, 0);
    return Object.fromEntries(Object.entries(weights).filter(([, weight]) => weight !== 0).map(([model, weight]) => [model, normalize ? weight / total : weight]));
  };

  const result = new Map<string, Weights>();
  const [first, last] = [slices[0]!, slices.at(-1)!];
  const firstModels = first.sources.map((source) => pathOf(source.model));
  result.set('model.embed_tokens.weight', gather(first, firstModels, firstModels.map(() => 'model.embed_tokens.weight'), 'model.embed_tokens.weight'));
  let output = 0;
  for (const slice of slices) {
    const [start, end] = slice.sources[0]!.layer_range;
    for (let offset = 0; offset < end - start; offset++, output++) {
      for (const suffix of LAYER_SUFFIXES) {
        const name = `model.layers.${output}.${suffix}`;
        result.set(name, gather(slice, slice.sources.map((source) => pathOf(source.model)), slice.sources.map((source) => `model.layers.${source.layer_range[0] + offset}.${suffix}`), name));
      }
    }
  }
  for (const name of ['model.norm.weight', 'lm_head.weight']) {
    result.set(name, gather(last, last.sources.map((source) => pathOf(source.model)), firstModels.map(() => name), name));
  }
  return result;
}

/** Frankenlens' own reading of the plan for the decoder layers; mergekit's first/last rule outside them. */
function expectedTextDecoder(plan: MergePlan): Map<string, Weights> {
  const path = (alias: string) => plan.models[alias]!;
  const result = new Map<string, Weights>([['model.embed_tokens.weight', { [path(plan.slices[0]!.source)]: 1 }]]);
  for (const slice of plan.slices) {
    for (let layer = slice.start; layer < slice.end; layer++) {
      for (const suffix of LAYER_SUFFIXES) {
        const name = `model.layers.${layer}.${suffix}`;
        const mix = slice.interpolate;
        const mixed = mix && (mix.components === 'all' || mix.components === placeTensor(name, { llmLayers: null, visionDepth: null, regionCuts: null }).component);
        const weights: Weights = mixed ? { [path(slice.source)]: 1 - mix.alpha, [path(mix.with)]: mix.alpha } : { [path(slice.source)]: 1 };
        result.set(name, Object.fromEntries(Object.entries(weights).filter(([, weight]) => weight !== 0)));
      }
    }
  }
  for (const name of ['model.norm.weight', 'lm_head.weight']) result.set(name, { [path(plan.slices.at(-1)!.source)]: 1 });
  return result;
}

/** The model that the plan's rule gives the embeddings and the final norm/lm_head (mergePlan.ts). */
function planNonDecoder(plan: MergePlan): { embed: string; head: string; vision: string } {
  const first = plan.slices[0]!.source;
  const named = plan.nonDecoder.rule === 'model' ? plan.nonDecoder.source : first;
  return { embed: named, head: plan.nonDecoder.rule === 'mergekit' ? plan.slices.at(-1)!.source : named, vision: named };
}

function presets(): MergePlan[] {
  const plans: MergePlan[] = [];
  for (const layers of [28, 36]) {
    plans.push(...thirdsVariants(PATHS, layers));
    const third = Math.floor(layers / 3);
    for (const range of [[0, third], [third, 2 * third], [2 * third, layers], [1, 2], [0, layers]] as [number, number][]) plans.push(freezePlan(PATHS, layers, range));
  }
  return plans;
}

const sliceSummary = (plan: MergePlan) => plan.slices.map((slice) => [slice.start, slice.end, plan.models[slice.source]]);

describe('mergekit export', () => {
  for (const architecture of ARCHITECTURES) {
    it(`writes every preset as a config mergekit parses and plans faithfully (${architecture})`, () => {
      for (const plan of presets()) {
        const { yaml, warnings } = toMergekitYaml(plan, { architecture, dtype: 'bfloat16' });
        const config: unknown = parse(yaml);
        assertMergekitConfig(config, architecture);
        assert.equal(config.merge_method, 'passthrough');
        assert.equal(config.dtype, 'bfloat16');
        assert.equal(config.parameters, undefined);
        assert.deepEqual(simulateTextDecoder(config), expectedTextDecoder(plan), plan.name);

        const wanted = planNonDecoder(plan);
        assert.equal(config.base_model, plan.models[wanted.vision], 'config.json and tokenizer come from the model the rule names');
        if (architecture === 'qwen2_5_vl') {
          const modules = config.modules as Record<string, { models: { model: string }[] }>;
          assert.deepEqual([modules.vision_tower!.models, modules.multi_modal_projector!.models], [[{ model: plan.models[wanted.vision] }], [{ model: plan.models[wanted.vision] }]]);
        }
        const exact = wanted.embed === plan.slices[0]!.source && wanted.head === plan.slices.at(-1)!.source;
        assert.equal(warnings.length === 0, exact, `${plan.name}: warnings exactly when mergekit's rule differs from the plan's`);
        const commentWarnings = yaml.split('\n').filter((line) => line.startsWith('# WARNING: ')).map((line) => line.slice('# WARNING: '.length));
        assert.deepEqual(commentWarnings, warnings, 'the warnings head the YAML as comments');
      }
    });
  }

  it('warns about the head for two-way variants, the embeddings for freezes at the start, never for sandwiches', () => {
    const count = (plan: MergePlan) => toMergekitYaml(plan, { architecture: 'qwen2_5_vl' }).warnings;
    const variants = thirdsVariants(PATHS, 28);
    for (const plan of variants.slice(0, 4)) assert.deepEqual(count(plan).map((warning) => /final norm and lm_head/.test(warning)), [true]);
    for (const plan of variants.slice(4)) assert.deepEqual(count(plan), []);
    assert.deepEqual(count(freezePlan(PATHS, 28, [9, 18])), []);
    assert.match(count(freezePlan(PATHS, 28, [0, 9])).join(), /embed_tokens from the first slice's model "in".*takes them from "rl"/);
    assert.match(count(freezePlan(PATHS, 28, [18, 28])).join(), /lm_head from the last slice's model "in"/);
    assert.equal(count(freezePlan(PATHS, 28, [0, 28])).length, 2);
    assert.deepEqual(count({ ...variants[0]!, nonDecoder: { rule: 'mergekit' } }), [], "mergekit's own rule is always exact");
  });

  for (const components of ['all', 'attention', 'mlp'] as ComponentFilter[]) {
    it(`expresses interpolation of ${components} exactly with linear weights and filters`, () => {
      const plan = structuredClone(thirdsVariants(PATHS, 28)[4]!);
      plan.slices[0]!.interpolate = { with: 'rl', alpha: 0.25, components };
      plan.slices[1]!.interpolate = { with: 'in', alpha: 0.5, components };
      plan.slices[2]!.interpolate = { with: 'rl', alpha: 1, components };
      for (const architecture of ARCHITECTURES) {
        const { yaml, warnings } = toMergekitYaml(plan, { architecture, dtype: 'bfloat16' });
        const config: unknown = parse(yaml);
        assertMergekitConfig(config, architecture);
        assert.deepEqual([config.merge_method, config.dtype, config.out_dtype, config.parameters], ['linear', 'float32', 'bfloat16', { normalize: false }]);
        assert.deepEqual(simulateTextDecoder(config), expectedTextDecoder(plan), 'embeddings and head stay unblended, layers mix as planned');
        assert.deepEqual(warnings, []);
        if (architecture === 'qwen2_5_vl') {
          assert.deepEqual((config.modules as Json).vision_tower, { models: [{ model: PATHS.in, parameters: { weight: 1 } }] });
        }
      }
    });
  }

  it('warns that an interpolation without a dtype is written in float32', () => {
    const plan = structuredClone(freezePlan(PATHS, 28, [9, 18]));
    plan.slices[1]!.interpolate = { with: 'rl', alpha: 0.5, components: 'mlp' };
    const { yaml, warnings } = toMergekitYaml(plan, { architecture: 'qwen2_5_vl' });
    assert.equal((parse(yaml) as Json).out_dtype, undefined);
    assert.match(warnings.join(), /float32/);
  });

  it("writes paths holding '+' or '@' in the object form mergekit does not split", () => {
    const plan = freezePlan({ in: '/ckpt/in+sft', rl: '/ckpt/rl@step100' }, 28, [9, 18]);
    const config = parse(toMergekitYaml(plan, { architecture: 'qwen2_5_vl' }).yaml) as Json;
    assert.deepEqual(config.base_model, { model: { path: '/ckpt/rl@step100' } });
    const slices = ((config.modules as Json).text_decoder as Json).slices as Slice[];
    assert.deepEqual(slices[1]!.sources[0]!.model, { model: { path: '/ckpt/in+sft' } });
    assert.deepEqual(sliceSummary(fromMergekitYaml(toMergekitYaml(plan, { architecture: 'qwen2_5_vl' }).yaml)), sliceSummary(plan));
  });

  it('writes layer ranges in flow style under a comment naming the plan', () => {
    const { yaml } = toMergekitYaml(thirdsVariants(PATHS, 28)[4]!, { architecture: 'qwen2_5_vl' });
    assert.match(yaml, /^# Frankenlens merge plan "IN early 1\/3 \+ RL middle 1\/3 \+ IN late 1\/3"/);
    assert.match(yaml, /layer_range: \[0, 9\]/);
    assert.doesNotMatch(yaml, /[&*]a\d/, 'no YAML anchors');
  });
});

describe('mergekit import', () => {
  for (const architecture of ARCHITECTURES) {
    it(`round-trips every preset's slices and model paths (${architecture})`, () => {
      for (const plan of presets()) {
        const imported = fromMergekitYaml(toMergekitYaml(plan, { architecture }).yaml, 'merge.yml');
        assert.deepEqual(sliceSummary(imported), sliceSummary(plan), plan.name);
        assert.ok(Object.keys(imported.models).every((alias) => /^m\d$/.test(alias)), 'folder names with dashes are not identifiers');
        const wanted = planNonDecoder(plan);
        if (plan.models[wanted.vision] === plan.models[plan.slices[0]!.source]) {
          assert.deepEqual(imported.nonDecoder, { rule: 'mergekit' });
        } else {
          assert.equal(imported.nonDecoder.rule, 'model');
          assert.equal(imported.models[(imported.nonDecoder as { source: string }).source], plan.models[wanted.vision]);
          assert.match(imported.description, /mergekit itself would take embed_tokens from/);
        }
      }
    });
  }

  it('names models by folder where that is a unique identifier, else m1, m2, …', () => {
    const config = (a: string, b: string) => `merge_method: passthrough\nslices:\n  - sources: [{model: ${a}, layer_range: [0, 4]}]\n  - sources: [{model: ${b}, layer_range: [4, 8]}]\n`;
    assert.deepEqual(fromMergekitYaml(config('/x/in_model/', '/x/rl_model')).models, { in_model: '/x/in_model/', rl_model: '/x/rl_model' });
    assert.deepEqual(fromMergekitYaml(config('/x/step', '/y/step')).models, { m1: '/x/step', m2: '/y/step' });
    assert.deepEqual(fromMergekitYaml(config('/x/m2', '/y/a-b')).models, { m1: '/x/m2', m2: '/y/a-b' });
    const plan = fromMergekitYaml(config('/x/in_model', '/x/rl_model'), '/configs/frank.yaml');
    assert.equal(plan.name, 'frank');
    assert.equal(plan.kind, 'custom');
    assert.deepEqual(plan.nonDecoder, { rule: 'mergekit' });
  });

  it('takes everything outside the decoder from base_model in a decoder-only config when it is not the first model', () => {
    const text = 'merge_method: passthrough\nbase_model: /x/rl_model\nslices:\n  - sources: [{model: /x/in_model, layer_range: [0, 4]}]\n  - sources: [{model: /x/rl_model, layer_range: [4, 8]}]\n';
    const plan = fromMergekitYaml(text);
    assert.deepEqual(plan.nonDecoder, { rule: 'model', source: 'rl_model' });
    assert.match(plan.description, /embed_tokens from "in_model"/);
  });

  const modular = (body: string) =>
    `merge_method: passthrough\nmodules:\n  text_decoder:\n    slices:\n${body}\n  vision_tower:\n    models: [{model: /x/a}]\n  multi_modal_projector:\n    models: [{model: /x/a}]\n`;
  const slice = (model: string, start: number, end: number) => `      - sources: [{model: ${model}, layer_range: [${start}, ${end}]}]`;
  const refuses = (text: string, pattern: RegExp) =>
    assert.throws(
      () => fromMergekitYaml(text, 'bad.yml'),
      (error: FrankenlensError) => error.code === 'InvalidPlan' && error.message.startsWith('bad.yml: ') && pattern.test(error.message),
    );

  it('refuses malformed YAML and configs that are not layer-slice passthroughs', () => {
    refuses('merge_method: [passthrough\n', /not valid YAML/);
    refuses('- a\n- b\n', /must be a mapping/);
    refuses(modular(slice('/x/a', 0, 4)).replace('passthrough', 'slerp'), /merge_method "slerp" cannot be imported/);
    refuses(modular(slice('/x/a', 0, 4)).replace('merge_method: passthrough\n', ''), /"merge_method" is missing/);
    refuses('merge_method: passthrough\nmodels: [{model: /x/a}]\n', /no layer slices/);
    refuses(`${modular(slice('/x/a', 0, 4))}slices: []\n`, /exactly one of/);
    refuses(`${modular(slice('/x/a', 0, 4))}tokenizer_source: union\n`, /tokenizer_source/);
  });

  it('refuses slices it cannot express', () => {
    refuses(modular('      - sources: [{model: /x/a, layer_range: [0, 4]}, {model: /x/b, layer_range: [0, 4]}]'), /slice 1 has 2 sources/);
    refuses(modular(`${slice('/x/a', 0, 5)}\n${slice('/x/b', 4, 8)}`), /overlap at HF layer 4/);
    refuses(modular(`${slice('/x/a', 0, 4)}\n${slice('/x/b', 5, 8)}`), /no slice covers HF layers \[4, 5\)/);
    refuses(modular(`${slice('/x/b', 4, 8)}\n${slice('/x/a', 0, 4)}`), /out of order/);
    refuses(modular(`${slice('/x/a', 0, 4)}\n      - sources: [{model: /x/b, layer_range: [4, 8], parameters: {scale: 0}}]`), /"parameters"/);
    refuses(modular(slice('/x/a', 0, 4)).replace('/x/a, layer', '/x/a+/x/lora, layer'), /LoRA/);
    refuses(modular(slice('/x/a@main', 0, 4)), /revision "main"/);
    refuses(modular(slice('/x/a', 0, 4)).replace('      - sources: [{model: /x/a, layer_range: [0, 4]}]', '      - sources: [{model: /x/a, layer_range: [0]}]'), /layer_range/);
  });

  it('refuses vision modules that are missing, split or fighting base_model', () => {
    const complete = modular(slice('/x/a', 0, 4));
    refuses(complete.replace(/  vision_tower:\n.*\n/, ''), /vision_tower is missing: mergekit would write none of its tensors/);
    refuses(complete.replace('projector:\n    models: [{model: /x/a}]', 'projector:\n    models: [{model: /x/b}]'), /projector from "\/x\/b"/);
    refuses(`${complete}base_model: /x/b\n`, /base_model "\/x\/b" differs/);
    refuses(complete.replace('  vision_tower:', '  audio_tower:\n    models: [{model: /x/a}]\n  vision_tower:'), /unknown module "audio_tower"/);
    const plan = fromMergekitYaml(`${modular(`${slice('/x/b', 0, 4)}\n${slice('/x/a', 4, 8)}`)}base_model: /x/a\n`);
    assert.deepEqual(plan.nonDecoder, { rule: 'model', source: 'a' });
  });

  it('refuses its own linear export, which is not a passthrough', () => {
    const plan = structuredClone(thirdsVariants(PATHS, 28)[4]!);
    plan.slices[1]!.interpolate = { with: 'in', alpha: 0.5, components: 'all' };
    refuses(toMergekitYaml(plan, { architecture: 'qwen2_5_vl', dtype: 'bfloat16' }).yaml, /merge_method "linear"/);
  });
});

/**
 * A small hand-made DiffResult: a 4-block vision tower (unified −4…−1, the first two frozen by RL),
 * a projector (0) and a 6-layer LLM (unified 1…6, HF 0…5). Values are chosen by hand so that
 * tests can compare chart data with them one by one.
 */
import type { Component, Section } from '../../../src/core/checkpoint/tensorInfo';
import type { CheckpointSummary, DiffResult, LayerAggregate, StatSummary, TensorDiffRecord } from '../../../src/core/diff/diffResult';
import { DIFF_SCHEMA } from '../../../src/core/diff/diffResult';

export const VISION_DEPTH = 4;
export const LLM_LAYERS = 6;

interface LayerValues {
  unifiedLayer: number;
  section: Section;
  rlDeltaRelMean: number;
  inDeltaRelMean: number;
  cosineMean: number;
  unchangedFraction: number;
  byComponent: Partial<Record<Component, number>>;
}

/** Per-layer values; `byComponent` holds each component's rlDeltaRelMean. */
export const LAYER_VALUES: readonly LayerValues[] = [
  { unifiedLayer: -4, section: 'vision', rlDeltaRelMean: 0, inDeltaRelMean: 0.012, cosineMean: 0, unchangedFraction: 1, byComponent: { attention: 0, mlp: 0, norm: 0 } },
  { unifiedLayer: -3, section: 'vision', rlDeltaRelMean: 0, inDeltaRelMean: 0.011, cosineMean: 0, unchangedFraction: 1, byComponent: { attention: 0, mlp: 0, norm: 0 } },
  { unifiedLayer: -2, section: 'vision', rlDeltaRelMean: 2.5e-5, inDeltaRelMean: 0.010, cosineMean: 0.02, unchangedFraction: 0.91, byComponent: { attention: 3e-5, mlp: 2e-5, norm: 1e-6 } },
  { unifiedLayer: -1, section: 'vision', rlDeltaRelMean: 4e-5, inDeltaRelMean: 0.013, cosineMean: 0.03, unchangedFraction: 0.88, byComponent: { attention: 5e-5, mlp: 3e-5, norm: 2e-6 } },
  { unifiedLayer: 0, section: 'projector', rlDeltaRelMean: 3.1e-4, inDeltaRelMean: 0.031, cosineMean: 0.05, unchangedFraction: 0.52, byComponent: { mlp: 3.1e-4, norm: 1e-5 } },
  { unifiedLayer: 1, section: 'llm', rlDeltaRelMean: 1.2e-3, inDeltaRelMean: 0.021, cosineMean: 0.11, unchangedFraction: 0.35, byComponent: { attention: 1.4e-3, mlp: 1.0e-3, norm: 2e-4 } },
  { unifiedLayer: 2, section: 'llm', rlDeltaRelMean: 1.5e-3, inDeltaRelMean: 0.022, cosineMean: 0.12, unchangedFraction: 0.33, byComponent: { attention: 1.7e-3, mlp: 1.3e-3, norm: 2.5e-4 } },
  { unifiedLayer: 3, section: 'llm', rlDeltaRelMean: 2.1e-3, inDeltaRelMean: 0.024, cosineMean: 0.09, unchangedFraction: 0.3, byComponent: { attention: 2.4e-3, mlp: 1.8e-3, norm: 3e-4 } },
  { unifiedLayer: 4, section: 'llm', rlDeltaRelMean: 2.6e-3, inDeltaRelMean: 0.020, cosineMean: 0.08, unchangedFraction: 0.28, byComponent: { attention: 2.9e-3, mlp: 2.3e-3, norm: 3.5e-4 } },
  { unifiedLayer: 5, section: 'llm', rlDeltaRelMean: 1.9e-3, inDeltaRelMean: 0.018, cosineMean: 0.1, unchangedFraction: 0.31, byComponent: { attention: 2.0e-3, mlp: 1.8e-3, norm: 2.8e-4 } },
  { unifiedLayer: 6, section: 'llm', rlDeltaRelMean: 1.1e-3, inDeltaRelMean: 0.017, cosineMean: 0.14, unchangedFraction: 0.4, byComponent: { attention: 1.2e-3, mlp: 1.0e-3, norm: 1.9e-4, other: 5e-4 } },
];

function summary(rlDeltaRelMean: number, inDeltaRelMean: number | null, extra: Partial<StatSummary> = {}): StatSummary {
  return {
    tensorCount: 4,
    parameterCount: 4096,
    rlDeltaFroMean: rlDeltaRelMean * 30,
    rlDeltaFroSum: rlDeltaRelMean * 120,
    rlDeltaRelMean,
    inDeltaFroMean: inDeltaRelMean === null ? null : inDeltaRelMean * 30,
    inDeltaFroSum: inDeltaRelMean === null ? null : inDeltaRelMean * 120,
    inDeltaRelMean,
    cosineMean: null,
    unchangedFraction: 0.5,
    maxAbsDelta: rlDeltaRelMean * 2,
    ...extra,
  };
}

function hfLayerOf(unifiedLayer: number, section: Section): number | null {
  return section === 'llm' ? unifiedLayer - 1 : null;
}

function layerAggregate(values: LayerValues, withBase: boolean): LayerAggregate {
  const byComponent: Partial<Record<Component, StatSummary>> = {};
  for (const [component, rel] of Object.entries(values.byComponent) as [Component, number][]) {
    byComponent[component] = summary(rel, withBase ? rel * 10 : null, { tensorCount: component === 'norm' ? 1 : 2 });
  }
  return {
    ...summary(values.rlDeltaRelMean, withBase ? values.inDeltaRelMean : null, {
      cosineMean: withBase ? values.cosineMean : null,
      unchangedFraction: values.unchangedFraction,
    }),
    unifiedLayer: values.unifiedLayer,
    hfLayer: hfLayerOf(values.unifiedLayer, values.section),
    section: values.section,
    region: null,
    byComponent,
  };
}

function tensorName(values: LayerValues, leaf: string): string {
  if (values.section === 'vision') return `visual.blocks.${values.unifiedLayer + VISION_DEPTH}.${leaf}`;
  if (values.section === 'projector') return `visual.merger.${leaf}`;
  return `model.layers.${values.unifiedLayer - 1}.${leaf}`;
}

/** Two tensors per layer (attention and MLP weight), with rlDeltaRel spread around the layer mean. */
function tensorRecords(withBase: boolean): TensorDiffRecord[] {
  const records: TensorDiffRecord[] = [];
  for (const values of LAYER_VALUES) {
    const leaves: [string, Component, number][] = [
      ['attn.qkv.weight', 'attention', 1.1],
      ['mlp.fc1.weight', 'mlp', 0.9],
    ];
    for (const [leaf, component, factor] of leaves) {
      const name = tensorName(values, leaf);
      const rlDeltaRel = values.rlDeltaRelMean * factor;
      records.push({
        name,
        canonicalName: name,
        names: withBase ? { in: name, rl: name, base: name } : { in: name, rl: name },
        unifiedLayer: values.unifiedLayer,
        hfLayer: hfLayerOf(values.unifiedLayer, values.section),
        visionBlock: values.section === 'vision' ? values.unifiedLayer + VISION_DEPTH : null,
        section: values.section,
        component,
        region: null,
        shape: [64, 64],
        dtype: 'BF16',
        dtypes: withBase ? { in: 'BF16', rl: 'BF16', base: 'BF16' } : { in: 'BF16', rl: 'BF16' },
        numel: 4096,
        included: true,
        inFro: 30,
        rlDeltaFro: rlDeltaRel * 30,
        rlDeltaRel,
        inDeltaFro: withBase ? values.inDeltaRelMean * 30 : null,
        inDeltaRel: withBase ? values.inDeltaRelMean : null,
        cosine: withBase ? values.cosineMean : null,
        unchangedFraction: values.unchangedFraction,
        maxAbsDelta: rlDeltaRel * 2,
        inUnchangedFraction: withBase ? 0.1 : null,
        inMaxAbsDelta: withBase ? values.inDeltaRelMean * 2 : null,
      });
    }
  }
  return records;
}

function checkpoint(role: CheckpointSummary['role'], path: string): CheckpointSummary {
  return {
    role,
    path,
    architecture: 'Qwen2_5_VLForConditionalGeneration',
    modelType: 'qwen2_5_vl',
    configSha256: `${role}`.padEnd(64, '0'),
    namingScheme: 'legacy',
    llmLayers: LLM_LAYERS,
    visionDepth: VISION_DEPTH,
    configDtype: 'bfloat16',
    dtypes: { BF16: 22 },
    parameterCount: 90112,
    totalBytes: 180224,
    files: [{ name: 'model.safetensors', bytes: 180224, modified: '2026-01-01T00:00:00.000Z', headerSha256: '0'.repeat(64) }],
  };
}

export interface SampleOptions {
  withBase?: boolean;
  /** Replaces the IN checkpoint's path, e.g. with markup to check escaping. */
  inPath?: string;
}

export function sampleDiffResult(options: SampleOptions = {}): DiffResult {
  const withBase = options.withBase ?? false;
  const inputs: DiffResult['inputs'] = {
    in: checkpoint('in', options.inPath ?? '/ckpt/qwen-in'),
    rl: checkpoint('rl', '/ckpt/qwen-rl'),
  };
  if (withBase) inputs.base = checkpoint('base', '/ckpt/qwen-base');
  const layers = LAYER_VALUES.map((values) => layerAggregate(values, withBase));
  return {
    schema: DIFF_SCHEMA,
    tool: { name: 'frankenlens', version: '0.1.0', node: 'v20.20.2' },
    createdAt: '2025-01-01T00:00:00.000Z',
    config: {
      inclusionRule: { id: 'paper', description: 'attention and MLP weight matrices of vision blocks, projector and decoder layers' },
      precision: 'bf16/f16 decoded exactly to f32; differences and sums in float64',
      aggregation: 'mean over included tensors of each layer',
      threads: 1,
    },
    inputs,
    partition: { llmLayers: LLM_LAYERS, visionDepth: VISION_DEPTH, regionCuts: [2, 4], unifiedIndex: 'vision block i → i − 4, projector 0, LLM layer i → i + 1' },
    tensors: tensorRecords(withBase),
    layers,
    sections: {},
    timing: { seconds: 1.5, bytesRead: 360448, peakRssBytes: 90_000_000 },
  };
}

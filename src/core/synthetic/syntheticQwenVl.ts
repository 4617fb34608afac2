/**
 * Seeded synthetic Qwen2.5-VL checkpoints in the real Hugging Face layout (tensor names, shapes,
 * config.json), with an RL update planted in known layers. Used by the tests, the demo and the
 * benchmark; everything it writes is labelled synthetic in config.json.
 *
 * Values depend only on (seed, canonical tensor name, element index), so the same model written
 * under another naming scheme, shard split or dtype holds the same numbers (up to rounding).
 */
import type { Dtype } from '../checkpoint/dtypes';
import { writeCheckpointFolder, type TensorToWrite } from '../checkpoint/safetensorsWriter';
import { encodeFloats } from '../checkpoint/floatEncode';
import { seededRandom } from '../seededRandom';

export interface SyntheticShape {
  hiddenSize: number;
  intermediateSize: number;
  llmLayers: number;
  attentionHeads: number;
  keyValueHeads: number;
  vocabSize: number;
  visionDepth: number;
  visionHidden: number;
  visionIntermediate: number;
  visionHeads: number;
  fullAttentionBlocks: number[];
}

/** The shape of the reference goldens' tiny model. */
export const TINY_SHAPE: SyntheticShape = {
  hiddenSize: 64, intermediateSize: 128, llmLayers: 4, attentionHeads: 4, keyValueHeads: 2, vocabSize: 300,
  visionDepth: 4, visionHidden: 32, visionIntermediate: 64, visionHeads: 2, fullAttentionBlocks: [3],
};

/** Small enough to diff in seconds, big enough for readable charts. */
export const DEMO_SHAPE: SyntheticShape = {
  hiddenSize: 256, intermediateSize: 768, llmLayers: 12, attentionHeads: 8, keyValueHeads: 2, vocabSize: 2048,
  visionDepth: 8, visionHidden: 128, visionIntermediate: 320, visionHeads: 4, fullAttentionBlocks: [3, 7],
};

export type NamingSchemeChoice = 'legacy' | 'transformers-4.52';

/** A change planted into the RL checkpoint (or, for Base, subtracted from IN). */
export interface PlantedUpdate {
  /** HF 0-based decoder layers that change. */
  llmLayers: number[];
  /** Vision blocks that change. */
  visionBlocks?: number[];
  /** Components that change; default both. */
  components?: ('attention' | 'mlp')[];
  /** Delta standard deviation relative to the weight's own scale (1/sqrt(fan_in)). */
  scale: number;
  /** Fraction of entries that change; the rest stay bit-identical. Default 1. */
  density?: number;
}

export interface SyntheticOptions {
  shape: SyntheticShape;
  seed: number;
  dtype: Extract<Dtype, 'BF16' | 'F16' | 'F32'>;
  naming?: NamingSchemeChoice;
  maxShardBytes?: number;
  /** Applied on top of the seed weights; omitted for the IN checkpoint. */
  update?: PlantedUpdate;
  /** A small update everywhere, seeded separately: makes a "Base" that IN was fine-tuned from. */
  baseOffset?: PlantedUpdate;
  label?: string;
  /** More files beside config.json (tokenizer and processor files from qwenProcessorFiles, to run the model). */
  extraFiles?: Record<string, string>;
  overwrite?: boolean;
}

export interface TensorSpec {
  name: string;
  shape: number[];
  kind: 'weight' | 'bias' | 'norm' | 'embedding';
  fanIn: number;
  section: 'vision' | 'projector' | 'llm' | 'other';
  layer: number | null;
  component: 'attention' | 'mlp' | 'other';
}

/** Every tensor of a Qwen2.5-VL checkpoint in legacy hub names, in state-dict order. */
export function qwen2_5VlTensorSpecs(shape: SyntheticShape): TensorSpec[] {
  const specs: TensorSpec[] = [];
  const headDim = shape.hiddenSize / shape.attentionHeads;
  const kvSize = headDim * shape.keyValueHeads;
  const add = (name: string, dims: number[], kind: TensorSpec['kind'], section: TensorSpec['section'], layer: number | null, component: TensorSpec['component']) =>
    specs.push({ name, shape: dims, kind, fanIn: dims.length > 1 ? dims.slice(1).reduce((a, b) => a * b, 1) : dims[0]!, section, layer, component });
  const { visionHidden: vh, visionIntermediate: vi, hiddenSize: h, intermediateSize: mi } = shape;
  add('visual.patch_embed.proj.weight', [vh, 3, 2, 14, 14], 'weight', 'vision', null, 'other');
  for (let b = 0; b < shape.visionDepth; b++) {
    const p = `visual.blocks.${b}.`;
    add(`${p}norm1.weight`, [vh], 'norm', 'vision', b, 'other');
    add(`${p}norm2.weight`, [vh], 'norm', 'vision', b, 'other');
    add(`${p}attn.qkv.weight`, [3 * vh, vh], 'weight', 'vision', b, 'attention');
    add(`${p}attn.qkv.bias`, [3 * vh], 'bias', 'vision', b, 'attention');
    add(`${p}attn.proj.weight`, [vh, vh], 'weight', 'vision', b, 'attention');
    add(`${p}attn.proj.bias`, [vh], 'bias', 'vision', b, 'attention');
    for (const [proj, dims] of [['gate_proj', [vi, vh]], ['up_proj', [vi, vh]], ['down_proj', [vh, vi]]] as const) {
      add(`${p}mlp.${proj}.weight`, [...dims], 'weight', 'vision', b, 'mlp');
      add(`${p}mlp.${proj}.bias`, [dims[0]], 'bias', 'vision', b, 'mlp');
    }
  }
  const merged = vh * 4;
  add('visual.merger.ln_q.weight', [vh], 'norm', 'projector', null, 'other');
  add('visual.merger.mlp.0.weight', [merged, merged], 'weight', 'projector', null, 'mlp');
  add('visual.merger.mlp.0.bias', [merged], 'bias', 'projector', null, 'mlp');
  add('visual.merger.mlp.2.weight', [h, merged], 'weight', 'projector', null, 'mlp');
  add('visual.merger.mlp.2.bias', [h], 'bias', 'projector', null, 'mlp');
  add('model.embed_tokens.weight', [shape.vocabSize, h], 'embedding', 'other', null, 'other');
  for (let l = 0; l < shape.llmLayers; l++) {
    const p = `model.layers.${l}.`;
    add(`${p}self_attn.q_proj.weight`, [h, h], 'weight', 'llm', l, 'attention');
    add(`${p}self_attn.q_proj.bias`, [h], 'bias', 'llm', l, 'attention');
    add(`${p}self_attn.k_proj.weight`, [kvSize, h], 'weight', 'llm', l, 'attention');
    add(`${p}self_attn.k_proj.bias`, [kvSize], 'bias', 'llm', l, 'attention');
    add(`${p}self_attn.v_proj.weight`, [kvSize, h], 'weight', 'llm', l, 'attention');
    add(`${p}self_attn.v_proj.bias`, [kvSize], 'bias', 'llm', l, 'attention');
    add(`${p}self_attn.o_proj.weight`, [h, h], 'weight', 'llm', l, 'attention');
    add(`${p}mlp.gate_proj.weight`, [mi, h], 'weight', 'llm', l, 'mlp');
    add(`${p}mlp.up_proj.weight`, [mi, h], 'weight', 'llm', l, 'mlp');
    add(`${p}mlp.down_proj.weight`, [h, mi], 'weight', 'llm', l, 'mlp');
    add(`${p}input_layernorm.weight`, [h], 'norm', 'llm', l, 'other');
    add(`${p}post_attention_layernorm.weight`, [h], 'norm', 'llm', l, 'other');
  }
  add('model.norm.weight', [h], 'norm', 'other', null, 'other');
  add('lm_head.weight', [shape.vocabSize, h], 'weight', 'other', null, 'other');
  return specs;
}

export function renameForScheme(legacyName: string, naming: NamingSchemeChoice): string {
  if (naming === 'legacy') return legacyName;
  if (legacyName.startsWith('visual.')) return `model.${legacyName}`;
  if (legacyName.startsWith('model.')) return `model.language_model.${legacyName.slice('model.'.length)}`;
  return legacyName;
}

/** Uniform noise with unit variance: cheap, and all the analyses need is a known scale. */
const unitNoise = (random: () => number) => (random() * 2 - 1) * Math.sqrt(3);

function affects(update: PlantedUpdate | undefined, spec: TensorSpec): boolean {
  if (!update) return false;
  const inLayer = (spec.section === 'llm' && spec.layer !== null && update.llmLayers.includes(spec.layer))
    || (spec.section === 'vision' && spec.layer !== null && (update.visionBlocks ?? []).includes(spec.layer));
  const components = update.components ?? ['attention', 'mlp'];
  return inLayer && spec.component !== 'other' && components.includes(spec.component);
}

/**
 * Streams the float64 values of one tensor in order: seed weights, plus the planted update and
 * minus the base offset where they apply. Each call returns the next `count` values.
 */
export function syntheticValueStream(spec: TensorSpec, options: Pick<SyntheticOptions, 'seed' | 'update' | 'baseOffset'>): (count: number) => Float64Array {
  const scale = 1 / Math.sqrt(spec.fanIn);
  const weights = seededRandom(options.seed, `w:${spec.name}`);
  const offsets = ([[options.update, 1, 'rl'], [options.baseOffset, -1, 'base']] as const)
    .filter(([update]) => affects(update, spec))
    .map(([update, sign, key]) => ({ update: update!, sign, random: seededRandom(options.seed, `${key}:${spec.name}`) }));
  return (count) => {
    const values = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const noise = unitNoise(weights);
      values[i] = spec.kind === 'norm' ? 1 + 0.1 * noise : spec.kind === 'bias' ? 0.1 * noise : spec.kind === 'embedding' ? noise : noise * scale;
    }
    for (const { update, sign, random } of offsets) {
      const density = update.density ?? 1;
      for (let i = 0; i < count; i++) {
        const keep = random() < density;
        const noise = unitNoise(random);
        if (keep) values[i]! += sign * update.scale * scale * noise;
      }
    }
    return values;
  };
}

const PIECE_ELEMENTS = 1 << 20;

export function qwen2_5VlConfigJson(shape: SyntheticShape, dtype: SyntheticOptions['dtype'], label: string): Record<string, unknown> {
  return {
    architectures: ['Qwen2_5_VLForConditionalGeneration'],
    model_type: 'qwen2_5_vl',
    _frankenlens_synthetic: label,
    hidden_size: shape.hiddenSize,
    intermediate_size: shape.intermediateSize,
    num_hidden_layers: shape.llmLayers,
    num_attention_heads: shape.attentionHeads,
    num_key_value_heads: shape.keyValueHeads,
    vocab_size: shape.vocabSize,
    hidden_act: 'silu',
    rms_norm_eps: 1e-6,
    rope_theta: 1000000.0,
    rope_scaling: { type: 'mrope', mrope_section: mropeSection(shape.hiddenSize / shape.attentionHeads) },
    max_position_embeddings: 32768,
    tie_word_embeddings: false,
    torch_dtype: { BF16: 'bfloat16', F16: 'float16', F32: 'float32' }[dtype],
    image_token_id: shape.vocabSize - 10,
    vision_start_token_id: shape.vocabSize - 9,
    vision_end_token_id: shape.vocabSize - 8,
    video_token_id: shape.vocabSize - 7,
    bos_token_id: shape.vocabSize - 6,
    eos_token_id: shape.vocabSize - 5,
    vision_config: {
      depth: shape.visionDepth,
      hidden_size: shape.visionHidden,
      intermediate_size: shape.visionIntermediate,
      num_heads: shape.visionHeads,
      out_hidden_size: shape.hiddenSize,
      in_chans: 3,
      patch_size: 14,
      spatial_merge_size: 2,
      temporal_patch_size: 2,
      window_size: 112,
      fullatt_block_indexes: shape.fullAttentionBlocks,
      hidden_act: 'silu',
      tokens_per_second: 2,
    },
  };
}

/** Qwen's [16, 24, 24] split of head_dim/2 = 64, scaled to another head size. */
function mropeSection(headDim: number): number[] {
  const half = headDim / 2;
  const temporal = Math.round(half / 4);
  const spatial = Math.floor((half - temporal) / 2);
  return [half - 2 * spatial, spatial, spatial];
}

export function writeSyntheticCheckpoint(dir: string, options: SyntheticOptions): void {
  const naming = options.naming ?? 'legacy';
  const tensors: TensorToWrite[] = qwen2_5VlTensorSpecs(options.shape).map((spec) => ({
    name: renameForScheme(spec.name, naming),
    dtype: options.dtype,
    shape: spec.shape,
    produce(write) {
      const numel = spec.shape.reduce((a, b) => a * b, 1);
      const next = syntheticValueStream(spec, options);
      for (let start = 0; start < numel; start += PIECE_ELEMENTS) write(encodeFloats(next(Math.min(PIECE_ELEMENTS, numel - start)), options.dtype));
    },
  }));
  const label = options.label ?? 'synthetic Frankenlens test checkpoint: random weights, not a trained model';
  writeCheckpointFolder(dir, tensors, {
    maxShardBytes: options.maxShardBytes,
    overwrite: options.overwrite,
    files: { ...options.extraFiles, 'config.json': JSON.stringify(qwen2_5VlConfigJson(options.shape, options.dtype, label), null, 2) + '\n' },
  });
}

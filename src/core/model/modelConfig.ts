/**
 * The architecture facts a graph needs, read from config.json of a supported checkpoint
 * (Qwen2.5-VL in both config layouts, plain Qwen2 decoders), with a clear refusal otherwise.
 */
import { join } from 'node:path';
import type { Checkpoint } from '../checkpoint/checkpoint';
import { FrankenlensError } from '../errors';
import { previewValue } from '../regularFile';
import type { MropeTokenIds } from './ropeIndex';

export interface DecoderConfig {
  hiddenSize: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediateSize: number;
  vocabSize: number;
  rmsNormEps: number;
  ropeTheta: number;
  /** Rotary frequency pairs per position row (t, h, w); [headDim/2, 0, 0] for 1-D positions. */
  mropeSection: [number, number, number];
  tieWordEmbeddings: boolean;
  /** max_position_embeddings when config.json gives it (transformers caps its default answer length by it). */
  maxPositionEmbeddings?: number;
}

export interface VisionConfig {
  depth: number;
  hiddenSize: number;
  heads: number;
  intermediateSize: number;
  outHiddenSize: number;
  patchSize: number;
  temporalPatchSize: number;
  spatialMergeSize: number;
  windowSize: number;
  fullAttentionBlocks: number[];
  inChannels: number;
}

export interface ModelConfig {
  modelType: 'qwen2_5_vl' | 'qwen2';
  decoder: DecoderConfig;
  vision: VisionConfig | null;
  /** Special token ids of image prompts (vision models only). */
  visionTokens: MropeTokenIds | null;
}

export const SUPPORTED_MODEL_TYPES = ['qwen2_5_vl', 'qwen2'] as const;

export function readModelConfig(checkpoint: Checkpoint): ModelConfig {
  const configPath = join(checkpoint.path, 'config.json');
  const config = checkpoint.config;
  if (!config) throw new FrankenlensError('InvalidConfig', `${configPath}: missing; running a model needs its config.json`, configPath);
  const modelType = config.model_type;
  if (modelType !== 'qwen2_5_vl' && modelType !== 'qwen2') {
    throw new FrankenlensError('InvalidConfig', `${configPath}: model_type ${previewValue(modelType)} cannot be run yet (supported: ${SUPPORTED_MODEL_TYPES.join(', ')})`, configPath);
  }
  // transformers ≥ 4.52 nests the language-model fields in text_config.
  const text = { ...config, ...((config.text_config ?? {}) as Record<string, unknown>) };
  const read = fieldReader(configPath);
  const hiddenSize = read.integer(text, 'hidden_size');
  const heads = read.integer(text, 'num_attention_heads');
  const headDim = hiddenSize / heads;
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new FrankenlensError('InvalidConfig', `${configPath}: hidden_size ${hiddenSize} is not an even multiple of num_attention_heads ${heads}`, configPath);
  const ropeScaling = (text.rope_scaling ?? null) as Record<string, unknown> | null;
  const section = ropeScaling?.mrope_section;
  let mropeSection: [number, number, number] = [headDim / 2, 0, 0];
  if (Array.isArray(section)) {
    if (section.length !== 3 || section.some((value) => !Number.isInteger(value)) || section.reduce((a: number, b: number) => a + b, 0) !== headDim / 2) {
      throw new FrankenlensError('InvalidConfig', `${configPath}: rope_scaling.mrope_section ${JSON.stringify(section)} must be three integers summing to head_dim/2 = ${headDim / 2}`, configPath);
    }
    mropeSection = section as [number, number, number];
  }
  const decoder: DecoderConfig = {
    hiddenSize,
    layers: read.integer(text, 'num_hidden_layers'),
    heads,
    kvHeads: read.integer(text, 'num_key_value_heads', heads),
    headDim,
    intermediateSize: read.integer(text, 'intermediate_size'),
    vocabSize: read.integer(text, 'vocab_size'),
    rmsNormEps: read.number(text, 'rms_norm_eps', 1e-6),
    ropeTheta: read.number(text, 'rope_theta', 10000),
    mropeSection,
    tieWordEmbeddings: (config.tie_word_embeddings ?? text.tie_word_embeddings) === true,
  };
  if (Number.isInteger(text.max_position_embeddings) && (text.max_position_embeddings as number) > 0) decoder.maxPositionEmbeddings = text.max_position_embeddings as number;
  if (decoder.heads % decoder.kvHeads !== 0) throw new FrankenlensError('InvalidConfig', `${configPath}: num_attention_heads ${heads} is not a multiple of num_key_value_heads ${decoder.kvHeads}`, configPath);
  if (modelType === 'qwen2') return { modelType, decoder, vision: null, visionTokens: null };

  const visionRaw = config.vision_config;
  if (typeof visionRaw !== 'object' || visionRaw === null) throw new FrankenlensError('InvalidConfig', `${configPath}: qwen2_5_vl config without vision_config`, configPath);
  const v = visionRaw as Record<string, unknown>;
  const fullAttentionBlocks = v.fullatt_block_indexes;
  if (!Array.isArray(fullAttentionBlocks) || fullAttentionBlocks.some((value) => !Number.isInteger(value))) {
    throw new FrankenlensError('InvalidConfig', `${configPath}: vision_config.fullatt_block_indexes must be a list of block numbers`, configPath);
  }
  const vision: VisionConfig = {
    depth: read.integer(v, 'depth'),
    hiddenSize: read.integer(v, 'hidden_size'),
    heads: read.integer(v, 'num_heads'),
    intermediateSize: read.integer(v, 'intermediate_size'),
    outHiddenSize: read.integer(v, 'out_hidden_size'),
    patchSize: read.integer(v, 'patch_size', 14),
    temporalPatchSize: read.integer(v, 'temporal_patch_size', 2),
    spatialMergeSize: read.integer(v, 'spatial_merge_size', 2),
    windowSize: read.integer(v, 'window_size'),
    fullAttentionBlocks: fullAttentionBlocks as number[],
    inChannels: read.integer(v, 'in_channels', read.integer(v, 'in_chans', 3)),
  };
  const ids = { ...text, ...config };
  const visionTokens = { imageTokenId: read.integer(ids, 'image_token_id'), videoTokenId: read.integer(ids, 'video_token_id'), visionStartTokenId: read.integer(ids, 'vision_start_token_id') };
  return { modelType, decoder, vision, visionTokens };
}

function fieldReader(configPath: string) {
  const fail = (key: string, value: unknown, what: string) => new FrankenlensError('InvalidConfig', `${configPath}: "${key}" is ${previewValue(value)}, expected ${what}`, configPath);
  return {
    integer(object: Record<string, unknown>, key: string, fallback?: number): number {
      const value = object[key] ?? fallback;
      if (!Number.isSafeInteger(value) || (value as number) < 0) throw fail(key, value, 'a non-negative integer');
      return value as number;
    },
    number(object: Record<string, unknown>, key: string, fallback?: number): number {
      const value = object[key] ?? fallback;
      if (typeof value !== 'number' || !Number.isFinite(value)) throw fail(key, value, 'a number');
      return value;
    },
  };
}

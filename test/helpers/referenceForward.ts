/**
 * A naive float64 forward of Qwen2.5-VL, used only in tests to check the ONNX graphs and the
 * probes. Plain loops over plain arrays, written from the model's definition, one step per line
 * of the math; speed matters only enough for the tiny fixture model.
 *
 * Weights come through the project's checkpoint reader (exact float decoding, canonical names).
 * Token and patch positions come from src/core/model/ropeIndex.ts, which is tested on its own
 * against the transformers goldens; everything numeric after that is computed here.
 *
 * Decoder layer i (HF 0-based), with gates gA, gM (default 1):
 *   h ← h + gA · o_proj(attention(input_layernorm(h)))
 *   h ← h + gM · down(silu(gate(x)) · up(x)),  x = post_attention_layernorm(h)
 * A removed layer is the identity, h_out = h_in (the paper's ablation).
 */
import { join } from 'node:path';
import { openCheckpoint } from '../../src/core/checkpoint/checkpoint';
import { canonicalName } from '../../src/core/checkpoint/canonicalNames';
import { isFloatDtype } from '../../src/core/checkpoint/dtypes';
import { FileReader } from '../../src/core/checkpoint/fileReader';
import { decodeToF32Bits } from '../../src/core/checkpoint/floatDecode';
import { FrankenlensError } from '../../src/core/errors';
import { mropePositionIds, visionFullAttentionSeqlens, visionRotaryAngles, visionWindows, type ImageGrid } from '../../src/core/model/ropeIndex';

export interface ReferenceConfig {
  hiddenSize: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediateSize: number;
  vocabSize: number;
  rmsNormEps: number;
  ropeTheta: number;
  mropeSection: [number, number, number];
  imageTokenId: number;
  videoTokenId: number;
  visionStartTokenId: number;
  vision: {
    depth: number;
    hiddenSize: number;
    heads: number;
    outHiddenSize: number;
    patchSize: number;
    temporalPatchSize: number;
    inChannels: number;
    spatialMergeSize: number;
    windowSize: number;
    fullAttentionBlocks: number[];
  };
}

export interface ReferenceModel {
  config: ReferenceConfig;
  /** A weight by canonical (legacy hub) name, as float64. */
  weight(name: string): Float64Array;
}

/** Reads config.json and every weight of a Qwen2.5-VL checkpoint folder into memory (tiny models only). */
export function loadReferenceModel(dir: string): ReferenceModel {
  const checkpoint = openCheckpoint(dir);
  const configPath = join(checkpoint.path, 'config.json');
  const raw = checkpoint.config;
  if (!raw) throw new FrankenlensError('InvalidConfig', `${configPath}: missing`, configPath);
  const text = { ...raw, ...((raw.text_config ?? {}) as Record<string, unknown>) };
  const vision = (raw.vision_config ?? {}) as Record<string, unknown>;
  const number = (object: Record<string, unknown>, key: string): number => {
    const value = object[key];
    if (typeof value !== 'number') throw new FrankenlensError('InvalidConfig', `${configPath}: "${key}" is ${JSON.stringify(value)}, expected a number`, configPath);
    return value;
  };
  const hiddenSize = number(text, 'hidden_size');
  const heads = number(text, 'num_attention_heads');
  const config: ReferenceConfig = {
    hiddenSize,
    layers: number(text, 'num_hidden_layers'),
    heads,
    kvHeads: number(text, 'num_key_value_heads'),
    headDim: hiddenSize / heads,
    intermediateSize: number(text, 'intermediate_size'),
    vocabSize: number(text, 'vocab_size'),
    rmsNormEps: number(text, 'rms_norm_eps'),
    ropeTheta: number(text, 'rope_theta'),
    mropeSection: (text.rope_scaling as { mrope_section: [number, number, number] }).mrope_section,
    imageTokenId: number(raw, 'image_token_id'),
    videoTokenId: number(raw, 'video_token_id'),
    visionStartTokenId: number(raw, 'vision_start_token_id'),
    vision: {
      depth: number(vision, 'depth'),
      hiddenSize: number(vision, 'hidden_size'),
      heads: number(vision, 'num_heads'),
      outHiddenSize: number(vision, 'out_hidden_size'),
      patchSize: number(vision, 'patch_size'),
      temporalPatchSize: number(vision, 'temporal_patch_size'),
      inChannels: number(vision, 'in_channels'),
      spatialMergeSize: number(vision, 'spatial_merge_size'),
      windowSize: number(vision, 'window_size'),
      fullAttentionBlocks: vision.fullatt_block_indexes as number[],
    },
  };

  const reader = new FileReader();
  const weights = new Map<string, Float64Array>();
  try {
    for (const tensor of checkpoint.tensors) {
      if (!isFloatDtype(tensor.dtype)) continue;
      const bytes = new Uint8Array(tensor.byteLength);
      reader.read(tensor.file, tensor.byteOffset, bytes, tensor.name);
      const count = tensor.shape.reduce((product, dim) => product * dim, 1);
      const bits = new Uint32Array(count);
      decodeToF32Bits(tensor.dtype, bytes, 0, count, bits);
      weights.set(canonicalName(tensor.name), Float64Array.from(new Float32Array(bits.buffer)));
    }
  } finally {
    reader.close();
  }
  if (raw.tie_word_embeddings === true && !weights.has('lm_head.weight')) weights.set('lm_head.weight', weights.get('model.embed_tokens.weight')!);
  return {
    config,
    weight(name) {
      const value = weights.get(name);
      if (!value) throw new FrankenlensError('TensorNotFound', `${checkpoint.path}: no tensor "${name}"`, checkpoint.path, name);
      return value;
    },
  };
}

/** Replacement K and V for one decoder layer at chosen key positions. */
export interface KvOverride {
  layer: number;
  positions: readonly number[];
  /** [kvHeads, positions, headDim]: keys after M-RoPE (rotated at the positions of the run they came from), per KV head before GQA sharing. */
  keys: Float64Array;
  /** [kvHeads, positions, headDim]: v_proj outputs (bias included). */
  values: Float64Array;
}

export interface ReferenceOptions {
  /** Pixel values of every image, row-major [patches, C·T·P·P] as the processor emits them, images in the order of their image-token runs. */
  pixelValues?: ArrayLike<number>;
  grids?: readonly ImageGrid[];
  /** Per decoder layer, multipliers of the attention and MLP residual contributions (default 1; 0 zero-ablates). */
  attentionGates?: readonly number[];
  mlpGates?: readonly number[];
  /** Decoder layers replaced by the identity. */
  removedLayers?: readonly number[];
  /** Applied after K (post-RoPE) and V of the layer are computed and before attention, so every query sees them. */
  kvOverrides?: readonly KvOverride[];
  /** In `layer`, each key at `positions` counts `copies(query)` times in query row `query`'s softmax (the paper's swap code appends the source K/V again at every decode step). */
  keyCopies?: readonly { layer: number; positions: readonly number[]; copies: (query: number) => number }[];
  /** Query rows and key positions for `attentionMass`. */
  attentionMass?: { queries: readonly number[]; keys: readonly number[] };
}

export interface ReferenceLayerRun {
  /** Softmax probabilities [heads, sequence, sequence] (causal: zero above the diagonal). */
  attention: Float64Array;
  /** [kvHeads, sequence, headDim], post-RoPE, after any override: what the attention used. */
  keys: Float64Array;
  values: Float64Array;
  /** For each chosen query row, Σ over the chosen keys of the probability, averaged over heads. */
  attentionMass: Float64Array | null;
}

export interface ReferenceVisionRun {
  /** [patches, visionHidden], patch order. */
  patchEmbed: Float64Array;
  /** Each block's output [patches, visionHidden], in window order. */
  blocks: Float64Array[];
  /** [mergedTokens, outHidden], window order. */
  merger: Float64Array;
  /** [mergedTokens, outHidden], patch order: what replaces the image tokens' embeddings. */
  imageEmbeds: Float64Array;
}

export interface ReferenceRun {
  inputIds: readonly number[];
  positionIds: Int32Array;
  ropeDelta: number;
  /** layers + 1 entries [sequence, hidden]: 0 = input embeddings (images scattered in), i = output of layer i − 1, the last after the final norm (HF's convention). */
  hiddenStates: Float64Array[];
  /** One entry per decoder layer; null for a removed layer. */
  layers: (ReferenceLayerRun | null)[];
  /** [sequence, vocab]. */
  logits: Float64Array;
  vision: ReferenceVisionRun | null;
}

export function referenceForward(model: ReferenceModel, inputIds: readonly number[], options: ReferenceOptions = {}): ReferenceRun {
  const c = model.config;
  const w = model.weight;
  const n = inputIds.length;
  const D = c.hiddenSize;
  const grids = options.grids ?? [];
  const { positionIds, ropeDelta } = mropePositionIds(inputIds, grids, c, c.vision.spatialMergeSize);
  const checkLayers = (what: string, values: readonly number[] | undefined, exact: boolean) => {
    if (values === undefined) return;
    const valid = exact ? values.length === c.layers : values.every((layer) => Number.isInteger(layer) && layer >= 0 && layer < c.layers);
    if (!valid) throw new FrankenlensError('InvalidArgument', `${what}: ${exact ? `needs one value per decoder layer (${c.layers})` : `layers must be 0..${c.layers - 1}`}, got [${values}]`);
  };
  checkLayers('attentionGates', options.attentionGates, true);
  checkLayers('mlpGates', options.mlpGates, true);
  checkLayers('removedLayers', options.removedLayers, false);
  checkLayers('kvOverrides', options.kvOverrides?.map((override) => override.layer), false);

  const embeddings = w('model.embed_tokens.weight');
  const h = new Float64Array(n * D);
  for (let i = 0; i < n; i++) h.set(embeddings.subarray(inputIds[i]! * D, (inputIds[i]! + 1) * D), i * D);
  let vision: ReferenceVisionRun | null = null;
  if (grids.length > 0) {
    if (!options.pixelValues) throw new FrankenlensError('InvalidArgument', 'grids given without pixelValues');
    vision = referenceVision(model, options.pixelValues, grids);
    let row = 0;
    for (let i = 0; i < n; i++) {
      if (inputIds[i] === c.imageTokenId) h.set(vision.imageEmbeds.subarray(row * D, ++row * D), i * D);
    }
  }

  const angles = mropeAngles(positionIds, n, c);
  const hiddenStates: Float64Array[] = [h.slice()];
  const layers: (ReferenceLayerRun | null)[] = [];
  for (let layer = 0; layer < c.layers; layer++) {
    if (options.removedLayers?.includes(layer)) {
      layers.push(null);
      hiddenStates.push(h.slice());
      continue;
    }
    const p = `model.layers.${layer}.`;
    const x = rmsNorm(h, D, w(`${p}input_layernorm.weight`), c.rmsNormEps);
    const q = linear(x, D, w(`${p}self_attn.q_proj.weight`), w(`${p}self_attn.q_proj.bias`));
    const k = linear(x, D, w(`${p}self_attn.k_proj.weight`), w(`${p}self_attn.k_proj.bias`));
    const v = linear(x, D, w(`${p}self_attn.v_proj.weight`), w(`${p}self_attn.v_proj.bias`));
    // Token-major [n, heads·headDim] → head-major [heads, n, headDim], rotated.
    const queries = rotateHalf(headMajor(q, n, c.heads, c.headDim), n, c.heads, c.headDim, angles);
    const keys = rotateHalf(headMajor(k, n, c.kvHeads, c.headDim), n, c.kvHeads, c.headDim, angles);
    const values = headMajor(v, n, c.kvHeads, c.headDim);
    for (const override of options.kvOverrides ?? []) {
      if (override.layer === layer) applyKvOverride(override, keys, values, n, c.kvHeads, c.headDim);
    }
    const copies = options.keyCopies?.filter((entry) => entry.layer === layer) ?? [];
    const keyCount = (query: number, key: number) => copies.reduce((count, entry) => (entry.positions.includes(key) ? count * entry.copies(query) : count), 1);
    const { output, probabilities } = attention(queries, keys, values, { length: n, heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim, segments: [0, n], causal: true, keyCount });
    const attentionOut = linear(tokenMajor(output, n, c.heads, c.headDim), D, w(`${p}self_attn.o_proj.weight`));
    const attentionGate = options.attentionGates?.[layer] ?? 1;
    for (let i = 0; i < h.length; i++) h[i]! += attentionGate * attentionOut[i]!;

    const y = rmsNorm(h, D, w(`${p}post_attention_layernorm.weight`), c.rmsNormEps);
    const mlpOut = gatedMlp(y, D, w, `${p}mlp.`, false);
    const mlpGate = options.mlpGates?.[layer] ?? 1;
    for (let i = 0; i < h.length; i++) h[i]! += mlpGate * mlpOut[i]!;

    layers.push({ attention: probabilities, keys, values, attentionMass: options.attentionMass ? attentionMass(probabilities, n, c.heads, options.attentionMass) : null });
    hiddenStates.push(h.slice());
  }
  const final = rmsNorm(h, D, w('model.norm.weight'), c.rmsNormEps);
  hiddenStates[c.layers] = final;
  return { inputIds, positionIds, ropeDelta, hiddenStates, layers, logits: linear(final, D, w('lm_head.weight')), vision };
}

/** Positions of the image tokens in `inputIds`: where a swap puts source K/V. */
export function imageTokenPositions(inputIds: readonly number[], imageTokenId: number): number[] {
  return inputIds.flatMap((id, position) => (id === imageTokenId ? [position] : []));
}

/** K/V overrides that carry a source run's keys and values at `positions` into the same positions of each chosen layer. */
export function kvOverridesFrom(source: ReferenceRun, layers: readonly number[], positions: readonly number[], config: ReferenceConfig): KvOverride[] {
  const n = source.inputIds.length;
  return layers.map((layer) => {
    const run = source.layers[layer];
    if (!run) throw new FrankenlensError('InvalidArgument', `source run has no K/V for decoder layer ${layer} (removed or out of range)`);
    const keys = new Float64Array(config.kvHeads * positions.length * config.headDim);
    const values = new Float64Array(keys.length);
    for (let head = 0; head < config.kvHeads; head++) {
      positions.forEach((position, slot) => {
        const from = (head * n + position) * config.headDim;
        const to = (head * positions.length + slot) * config.headDim;
        keys.set(run.keys.subarray(from, from + config.headDim), to);
        values.set(run.values.subarray(from, from + config.headDim), to);
      });
    }
    return { layer, positions, keys, values };
  });
}

/** The vision tower on concatenated patches of every image, as transformers runs it. */
export function referenceVision(model: ReferenceModel, pixelValues: ArrayLike<number>, grids: readonly ImageGrid[]): ReferenceVisionRun {
  const v = model.config.vision;
  const w = model.weight;
  const patchWidth = v.inChannels * v.temporalPatchSize * v.patchSize * v.patchSize;
  const patches = grids.reduce((sum, grid) => sum + grid.t * grid.h * grid.w, 0);
  if (pixelValues.length !== patches * patchWidth) {
    throw new FrankenlensError('InvalidArgument', `pixelValues: ${pixelValues.length} values, the grids need ${patches} patches × ${patchWidth}`);
  }
  const H = v.hiddenSize;
  const headDim = H / v.heads;
  const unit = v.spatialMergeSize ** 2;
  // Conv3d with kernel = stride = (T, P, P) over one patch is a dot product with each filter.
  const patchEmbed = linear(Float64Array.from(pixelValues), patchWidth, w('visual.patch_embed.proj.weight'));

  const { windowIndex, inverseWindowIndex, cuWindowSeqlens } = visionWindows(grids, v);
  const inWindowOrder = (values: Float64Array, width: number) => {
    const permuted = new Float64Array(values.length);
    windowIndex.forEach((original, slot) => permuted.set(values.subarray(original * unit * width, (original + 1) * unit * width), slot * unit * width));
    return permuted;
  };
  const angles = inWindowOrder(visionRotaryAngles(grids, v.spatialMergeSize, headDim), headDim / 2);
  const fullSeqlens = visionFullAttentionSeqlens(grids);

  let x = inWindowOrder(patchEmbed, H);
  const blocks: Float64Array[] = [];
  for (let block = 0; block < v.depth; block++) {
    const p = `visual.blocks.${block}.`;
    const normed = rmsNorm(x, H, w(`${p}norm1.weight`), 1e-6);
    const qkv = linear(normed, H, w(`${p}attn.qkv.weight`), w(`${p}attn.qkv.bias`));
    const part = (index: number) => {
      const slice = new Float64Array(patches * H);
      for (let i = 0; i < patches; i++) slice.set(qkv.subarray(i * 3 * H + index * H, i * 3 * H + (index + 1) * H), i * H);
      return headMajor(slice, patches, v.heads, headDim);
    };
    const queries = rotateHalf(part(0), patches, v.heads, headDim, angles);
    const keys = rotateHalf(part(1), patches, v.heads, headDim, angles);
    const segments = v.fullAttentionBlocks.includes(block) ? fullSeqlens : cuWindowSeqlens;
    const { output } = attention(queries, keys, part(2), { length: patches, heads: v.heads, kvHeads: v.heads, headDim, segments: [...segments], causal: false });
    const attended = linear(tokenMajor(output, patches, v.heads, headDim), H, w(`${p}attn.proj.weight`), w(`${p}attn.proj.bias`));
    for (let i = 0; i < x.length; i++) x[i]! += attended[i]!;
    const mlpOut = gatedMlp(rmsNorm(x, H, w(`${p}norm2.weight`), 1e-6), H, w, `${p}mlp.`, true);
    for (let i = 0; i < x.length; i++) x[i]! += mlpOut[i]!;
    blocks.push(x.slice());
  }

  // Merger: RMSNorm per patch, then m² consecutive patches side by side → Linear → GELU → Linear.
  const mergedWidth = H * unit;
  const units = rmsNorm(x, H, w('visual.merger.ln_q.weight'), 1e-6);
  const expanded = linear(units, mergedWidth, w('visual.merger.mlp.0.weight'), w('visual.merger.mlp.0.bias')).map(gelu);
  const merger = linear(expanded, mergedWidth, w('visual.merger.mlp.2.weight'), w('visual.merger.mlp.2.bias'));
  const out = v.outHiddenSize;
  const imageEmbeds = new Float64Array(merger.length);
  for (let token = 0; token < windowIndex.length; token++) imageEmbeds.set(merger.subarray(inverseWindowIndex[token]! * out, (inverseWindowIndex[token]! + 1) * out), token * out);
  return { patchEmbed, blocks, merger, imageEmbeds };
}

/**
 * Decoder rotary angle of every frequency pair j < headDim/2 at every token, [n, headDim/2]:
 * position_row(j) · theta^(−2j/headDim), where the first mrope_section[0] pairs read the t row,
 * the next mrope_section[1] the h row and the rest the w row.
 */
function mropeAngles(positionIds: Int32Array, n: number, c: ReferenceConfig): Float64Array {
  const half = c.headDim / 2;
  const angles = new Float64Array(n * half);
  for (let j = 0; j < half; j++) {
    const row = j < c.mropeSection[0] ? 0 : j < c.mropeSection[0] + c.mropeSection[1] ? 1 : 2;
    const frequency = 1 / c.ropeTheta ** ((2 * j) / c.headDim);
    for (let i = 0; i < n; i++) angles[i * half + j] = positionIds[row * n + i]! * frequency;
  }
  return angles;
}

/** Rotate-half RoPE on [heads, n, headDim]: pair (x_j, x_{j+headDim/2}) turns by angles[token, j]. */
function rotateHalf(x: Float64Array, n: number, heads: number, headDim: number, angles: Float64Array): Float64Array {
  const half = headDim / 2;
  const out = new Float64Array(x.length);
  for (let head = 0; head < heads; head++) {
    for (let i = 0; i < n; i++) {
      const base = (head * n + i) * headDim;
      for (let j = 0; j < half; j++) {
        const [cos, sin] = [Math.cos(angles[i * half + j]!), Math.sin(angles[i * half + j]!)];
        const [a, b] = [x[base + j]!, x[base + half + j]!];
        out[base + j] = a * cos - b * sin;
        out[base + half + j] = b * cos + a * sin;
      }
    }
  }
  return out;
}

/**
 * Scaled dot-product attention on head-major arrays. Keys attend only inside their segment
 * (`segments` are cumulative boundaries), and only to earlier tokens when causal. `probabilities`
 * of a key counted k times (`keyCount`) is the sum over its k copies. Query head h
 * reads KV head ⌊h·kvHeads/heads⌋ (GQA).
 */
function attention(
  queries: Float64Array,
  keys: Float64Array,
  values: Float64Array,
  shape: { length: number; heads: number; kvHeads: number; headDim: number; segments: readonly number[]; causal: boolean; keyCount?: (query: number, key: number) => number },
): { output: Float64Array; probabilities: Float64Array } {
  const { length: n, heads, kvHeads, headDim, segments, causal } = shape;
  const keyCount = shape.keyCount ?? (() => 1);
  const output = new Float64Array(heads * n * headDim);
  const probabilities = new Float64Array(heads * n * n);
  const scale = 1 / Math.sqrt(headDim);
  for (let head = 0; head < heads; head++) {
    const kvHead = Math.floor((head * kvHeads) / heads);
    for (let s = 0; s + 1 < segments.length; s++) {
      for (let i = segments[s]!; i < segments[s + 1]!; i++) {
        const last = causal ? i : segments[s + 1]! - 1;
        const scores: number[] = [];
        for (let j = segments[s]!; j <= last; j++) {
          let dot = 0;
          for (let d = 0; d < headDim; d++) dot += queries[(head * n + i) * headDim + d]! * keys[(kvHead * n + j) * headDim + d]!;
          scores.push(dot * scale);
        }
        const max = Math.max(...scores);
        // A key present k times contributes k identical terms to the softmax.
        const exps = scores.map((score, offset) => keyCount(i, segments[s]! + offset) * Math.exp(score - max));
        const sum = exps.reduce((a, b) => a + b, 0);
        exps.forEach((e, offset) => {
          const j = segments[s]! + offset;
          const probability = e / sum;
          probabilities[(head * n + i) * n + j] = probability;
          for (let d = 0; d < headDim; d++) output[(head * n + i) * headDim + d]! += probability * values[(kvHead * n + j) * headDim + d]!;
        });
      }
    }
  }
  return { output, probabilities };
}

function applyKvOverride(override: KvOverride, keys: Float64Array, values: Float64Array, n: number, kvHeads: number, headDim: number): void {
  const count = override.positions.length;
  if (override.keys.length !== kvHeads * count * headDim || override.values.length !== kvHeads * count * headDim) {
    throw new FrankenlensError('InvalidArgument', `kvOverrides for layer ${override.layer}: keys and values need ${kvHeads}×${count}×${headDim} values`);
  }
  override.positions.forEach((position, slot) => {
    if (!Number.isInteger(position) || position < 0 || position >= n) throw new FrankenlensError('InvalidArgument', `kvOverrides for layer ${override.layer}: position ${position} is outside 0..${n - 1}`);
    for (let head = 0; head < kvHeads; head++) {
      const from = (head * count + slot) * headDim;
      keys.set(override.keys.subarray(from, from + headDim), (head * n + position) * headDim);
      values.set(override.values.subarray(from, from + headDim), (head * n + position) * headDim);
    }
  });
}

function attentionMass(probabilities: Float64Array, n: number, heads: number, selection: { queries: readonly number[]; keys: readonly number[] }): Float64Array {
  return Float64Array.from(selection.queries, (query) => {
    let total = 0;
    for (let head = 0; head < heads; head++) {
      for (const key of selection.keys) total += probabilities[(head * n + query) * n + key]!;
    }
    return total / heads;
  });
}

/** x·Wᵀ + b for x [rows, inWidth] and a stored W [out, inWidth]. */
function linear(x: Float64Array, inWidth: number, weight: Float64Array, bias?: Float64Array): Float64Array {
  const rows = x.length / inWidth;
  const outWidth = weight.length / inWidth;
  const y = new Float64Array(rows * outWidth);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outWidth; o++) {
      let sum = bias ? bias[o]! : 0;
      for (let i = 0; i < inWidth; i++) sum += x[r * inWidth + i]! * weight[o * inWidth + i]!;
      y[r * outWidth + o] = sum;
    }
  }
  return y;
}

function rmsNorm(x: Float64Array, width: number, weight: Float64Array, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / width; r++) {
    let squares = 0;
    for (let i = 0; i < width; i++) squares += x[r * width + i]! ** 2;
    const scale = 1 / Math.sqrt(squares / width + eps);
    for (let i = 0; i < width; i++) y[r * width + i] = x[r * width + i]! * scale * weight[i]!;
  }
  return y;
}

/** down(silu(gate(x)) · up(x)); the vision MLP has biases, the decoder's has none. */
function gatedMlp(x: Float64Array, width: number, w: (name: string) => Float64Array, prefix: string, biased: boolean): Float64Array {
  const bias = (name: string) => (biased ? w(`${prefix}${name}.bias`) : undefined);
  const gate = linear(x, width, w(`${prefix}gate_proj.weight`), bias('gate_proj'));
  const up = linear(x, width, w(`${prefix}up_proj.weight`), bias('up_proj'));
  const product = gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]!);
  return linear(product, gate.length / (x.length / width), w(`${prefix}down_proj.weight`), bias('down_proj'));
}

function headMajor(x: Float64Array, n: number, heads: number, headDim: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < n; i++) {
    for (let head = 0; head < heads; head++) out.set(x.subarray((i * heads + head) * headDim, (i * heads + head + 1) * headDim), (head * n + i) * headDim);
  }
  return out;
}

function tokenMajor(x: Float64Array, n: number, heads: number, headDim: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let head = 0; head < heads; head++) {
    for (let i = 0; i < n; i++) out.set(x.subarray((head * n + i) * headDim, (head * n + i + 1) * headDim), (i * heads + head) * headDim);
  }
  return out;
}

/** Exact GELU, x/2 · (1 + erf(x/√2)). */
export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

/**
 * erf to double precision: erf(z) = 2/√π · e^(−z²) · Σ_k (2z²)^k · z / (1·3·…·(2k+1)), a series of
 * positive terms (no cancellation); |z| ≥ 6 gives ±1 (erfc(6) < 3e-17).
 */
export function erf(z: number): number {
  if (Math.abs(z) >= 6) return Math.sign(z);
  let term = z;
  let sum = z;
  for (let k = 1; Math.abs(term) > 1e-17 * Math.abs(sum); k++) {
    term *= (2 * z * z) / (2 * k + 1);
    sum += term;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-z * z) * sum;
}

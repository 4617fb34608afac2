/**
 * Scheme-independent tensor names and their place in the model. The rules are data: renames that
 * map every known naming scheme onto the legacy hub layout, then patterns that place a canonical
 * name into a section, component and layer. Both layer numberings come out of one function, so no
 * consumer ever converts between them by hand.
 */
import type { Component, LayerPlacement, Region, Section } from './tensorInfo';

export type NamingScheme = 'qwen2_5_vl-legacy' | 'qwen2_5_vl-transformers-4.52' | 'llava' | 'decoder-only';

/** Prefix renames onto the legacy hub layout (`model.layers.N`, `visual.blocks.N`, `lm_head`). */
const CANONICAL_PREFIXES: readonly [from: string, to: string][] = [
  ['model.language_model.', 'model.'], // transformers ≥ 4.52 Qwen2.5-VL
  ['model.visual.', 'visual.'],
  ['language_model.model.', 'model.'], // LLaVA-style wrappers
  ['language_model.lm_head.', 'lm_head.'],
];

export function canonicalName(name: string): string {
  for (const [from, to] of CANONICAL_PREFIXES) {
    if (name.startsWith(from)) return to + name.slice(from.length);
  }
  return name;
}

export function detectNamingScheme(names: readonly string[]): NamingScheme {
  if (names.some((name) => name.startsWith('model.language_model.') || name.startsWith('model.visual.'))) return 'qwen2_5_vl-transformers-4.52';
  if (names.some((name) => name.startsWith('language_model.'))) return 'llava';
  if (names.some((name) => name.startsWith('visual.'))) return 'qwen2_5_vl-legacy';
  return 'decoder-only';
}

interface SectionRule {
  section: Section;
  pattern: RegExp;
  /** Which capture group holds the block/layer number, if any. */
  layerGroup?: number;
}

/** First match wins. Patterns apply to canonical names. */
const SECTION_RULES: readonly SectionRule[] = [
  { section: 'vision', pattern: /^visual\.(?:blocks|layers)\.(\d+)\./, layerGroup: 1 },
  { section: 'projector', pattern: /^visual\.(?:merger|projector)\.|(?:^|\.)(?:mm_projector|multi_modal_projector)\./ },
  { section: 'vision', pattern: /^(?:visual|vision_tower)\./ },
  { section: 'llm', pattern: /(?:^|\.)layers\.(\d+)\./, layerGroup: 1 },
  { section: 'embedding', pattern: /(?:^|\.)(?:embed_tokens|wte|word_embeddings)\./ },
  { section: 'head', pattern: /^(?:lm_head|model\.norm)\./ },
];

/** First match wins; norms first so `input_layernorm` or `self_attn.q_norm` count as norms. */
const COMPONENT_RULES: readonly [Component, RegExp][] = [
  ['norm', /norm|(?:^|\.)ln_/i],
  ['attention', /q_proj|k_proj|v_proj|o_proj|attn|qkv/],
  ['mlp', /gate_proj|up_proj|down_proj|mlp|fc\d/],
];

export interface ModelShape {
  /** Decoder layer count n (config, else largest layer index + 1). */
  llmLayers: number | null;
  /** Vision block count, the offset of the unified index (config, else largest block + 1). */
  visionDepth: number | null;
  /** HF 0-based cuts [a, b]: early [0, a), middle [a, b), late [b, n). */
  regionCuts: [number, number] | null;
}

/** The paper's thirds: floor(n/3) and floor(2n/3), 9/9/10 for 28 layers. */
export function defaultRegionCuts(llmLayers: number): [number, number] {
  return [Math.floor(llmLayers / 3), Math.floor((2 * llmLayers) / 3)];
}

/**
 * The region cuts of the paper's SVD script: n//3 and 2*(n//3). Its merges cut at floor(2n/3)
 * (defaultRegionCuts); the two differ when n ≡ 2 (mod 3), e.g. 8 layers: 2,4 against 2,5.
 */
export function paperScriptRegionCuts(llmLayers: number): [number, number] {
  const third = Math.floor(llmLayers / 3);
  return [third, 2 * third];
}

/** Why cuts [a, b] cannot split `llmLayers` decoder layers into three regions; null when they can. */
export function regionCutsProblem(cuts: readonly [number, number], llmLayers: number | null): string | null {
  const [a, b] = cuts;
  const valid = Number.isInteger(a) && Number.isInteger(b) && 0 < a && a < b && (llmLayers === null || b < llmLayers);
  return valid ? null : `cuts ${a},${b} must be integers with 0 < a < b < ${llmLayers ?? 'the layer count'} (HF 0-based)`;
}

export function regionOf(hfLayer: number, cuts: [number, number]): Region {
  return hfLayer < cuts[0] ? 'early' : hfLayer < cuts[1] ? 'middle' : 'late';
}

export function placeTensor(name: string, shape: ModelShape): LayerPlacement {
  const canonical = canonicalName(name);
  const component = COMPONENT_RULES.find(([, pattern]) => pattern.test(canonical))?.[0] ?? 'other';
  const placement: LayerPlacement = { canonicalName: canonical, section: 'other', component, unifiedLayer: null, hfLayer: null, visionBlock: null, region: null };
  for (const rule of SECTION_RULES) {
    const match = rule.pattern.exec(canonical);
    if (!match) continue;
    placement.section = rule.section;
    const index = rule.layerGroup === undefined ? null : Number(match[rule.layerGroup]);
    if (rule.section === 'projector') placement.unifiedLayer = 0;
    if (rule.section === 'vision' && index !== null) {
      placement.visionBlock = index;
      placement.unifiedLayer = shape.visionDepth === null ? null : index - shape.visionDepth;
    }
    if (rule.section === 'llm' && index !== null) {
      placement.hfLayer = index;
      placement.unifiedLayer = index + 1;
      placement.region = shape.regionCuts === null ? null : regionOf(index, shape.regionCuts);
    }
    break;
  }
  return placement;
}

/** Fills in what config.json does not say from the tensor names themselves. */
export function inferModelShape(names: readonly string[], fromConfig: { llmLayers: number | null; visionDepth: number | null }, regionCuts?: [number, number]): ModelShape {
  let maxLayer = -1;
  let maxBlock = -1;
  for (const name of names) {
    const placement = placeTensor(name, { llmLayers: null, visionDepth: null, regionCuts: null });
    if (placement.hfLayer !== null) maxLayer = Math.max(maxLayer, placement.hfLayer);
    if (placement.visionBlock !== null) maxBlock = Math.max(maxBlock, placement.visionBlock);
  }
  const llmLayers = fromConfig.llmLayers ?? (maxLayer >= 0 ? maxLayer + 1 : null);
  const visionDepth = fromConfig.visionDepth ?? (maxBlock >= 0 ? maxBlock + 1 : null);
  return { llmLayers, visionDepth, regionCuts: regionCuts ?? (llmLayers === null ? null : defaultRegionCuts(llmLayers)) };
}

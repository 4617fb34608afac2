/**
 * The memory planner: before a command opens any onnxruntime session, what it will hold at its
 * peak (CPU; float32, or int8 weights when asked) from the checkpoints' config.json alone, against
 * a budget (default: the machine's free memory), and when it does not fit one message that says
 * the need, the budget and what would fit.
 *
 * What the runtime holds (see modelRuntime.ts), per loaded model: one float32 copy of the decoder
 * (every layer, the final norm and lm_head; embeddings are read row by row from the safetensors
 * files, a tied lm_head is held once) = decoderWeightBytes, or with --precision int8 its projections
 * and lm_head in 8-bit blocks (≈ 1.41 bytes a weight as onnxruntime holds them; the vision tower
 * stays float32); the vision encoder from the first image on (or, when that does not fit, only while images are encoded: visionResident false); the K/V cache, preallocated per row to prompt + answer cap. Activations are those
 * of one layer's prefill. Everything is in GiB (2^30 bytes) with one decimal.
 *
 * Phases: a command's peak is the largest of its phases (encoding images, describing images,
 * prefill and decode), each the sum of what is held during it.
 */
import { freemem } from 'node:os';
import { FrankenlensError } from '../errors';
import { ITEMS_IN_FLIGHT } from './batchSizes';
import { decoderWeightBytes } from './decoderGraph';
import type { WeightPrecision } from './graphOps';
import type { DecoderConfig, ModelConfig, VisionConfig } from './modelConfig';

export { decoderWeightBytes };

export type PlannedCommand = 'generate' | 'probe attention' | 'probe ablation' | 'probe swap' | 'variants';

/** The commands that decode several runs together as rows of one batch (--batch). */
const BATCHED: readonly PlannedCommand[] = ['probe attention', 'probe ablation', 'probe swap', 'variants'];

/** Prompt length assumed when it is not known before the items are processed (image tokens included). */
export const DEFAULT_PROMPT_TOKENS = 1024;

/**
 * Node, onnxruntime-node, the bundle, the tokenizers and the thread pools. Measured: 0.11 GB peak
 * RSS for `frankenlens generate` on the tiny fixture (sessions open, 2 cores), and +0.14 GB for a
 * 151k-token Qwen tokenizer held in JS (two for the probes and the sweep); rounded up.
 */
export const RUNTIME_OVERHEAD_BYTES = 512 * 2 ** 20;

/** Float32 copies of [tokens, hidden]-sized tensors alive in one layer besides attention and MLP (stream, norm, q, k/v, attention output, residual). */
const HIDDEN_COPIES = 6;
const FLOAT = 4;
const GIB = 2 ** 30;

export interface MemoryPlanRequest {
  command: PlannedCommand;
  /** generate: the model; probes and variants: IN and RL (the variants' layers come from them). */
  models: readonly ModelConfig[];
  /** Rows decoded together (probe ablation and swap: min(--batch, runs per item); variants: --batch); default 1. */
  rows?: number;
  /** Prompt tokens, image tokens included; default DEFAULT_PROMPT_TOKENS. */
  promptTokens?: number;
  /** Whether promptTokens is the actual prompt (generate) rather than an assumption. */
  promptKnown?: boolean;
  /** Answer cap (max new tokens). */
  maxNewTokens: number;
  /** How every model's decoder weights are held (the runtime's precision); default float32. */
  precision?: WeightPrecision;
  /** Whether prompts carry images (the vision encoder runs). */
  images: boolean;
  /** Vision patches of the largest image; default: the prompt filled with image tokens (promptTokens × merge²). */
  imagePatches?: number;
  /** Whether the vision towers stay loaded while the decoder runs (the runtime's default); false: released after each encoding. Default true. */
  visionResident?: boolean;
  /** A local describer model (black+description with --describer-model) and its answer cap. */
  describer?: { config: ModelConfig; maxNewTokens: number };
  budgetBytes: number;
  /** Where the budget came from, for the message ("--memory-budget", "free memory", …). */
  budgetSource?: string;
  overheadBytes?: number;
}

export interface MemoryNeed {
  what: string;
  bytes: number;
}

export interface MemoryPhase {
  name: string;
  needs: MemoryNeed[];
  bytes: number;
}

export interface MemoryPlan {
  request: MemoryPlanRequest;
  rows: number;
  promptTokens: number;
  phases: MemoryPhase[];
  /** The largest phase: what the command holds at its peak. */
  peak: MemoryPhase;
  /** peak.bytes. */
  total: number;
  budget: number;
  fits: boolean;
}

/** K/V cache bytes per row per token: 2 × layers × kvHeads × headDim float32. */
export function kvCacheBytesPerToken(decoder: DecoderConfig): number {
  return 2 * decoder.layers * decoder.kvHeads * decoder.headDim * FLOAT;
}

/** Float32 bytes of the vision encoder: patch embedding, blocks, merger (norm and two-layer MLP into the decoder's width). */
export function visionWeightBytes(vision: VisionConfig): number {
  const { hiddenSize: h, intermediateSize: m, depth, inChannels, temporalPatchSize, patchSize, spatialMergeSize, outHiddenSize } = vision;
  const patchEmbed = h * inChannels * temporalPatchSize * patchSize * patchSize;
  const block = 2 * h + (3 * h * h + 3 * h) + (h * h + h) + 2 * (m * h + m) + (h * m + h);
  const merged = h * spatialMergeSize * spatialMergeSize;
  const merger = h + (merged * merged + merged) + (outHiddenSize * merged + outHiddenSize);
  return FLOAT * (patchEmbed + depth * block + merger);
}

/** One decoder layer's prefill over `tokens` tokens (scores and probabilities, mask, MLP, a few hidden-sized tensors) plus `logitRows` rows of logits. */
export function prefillActivationBytes(decoder: DecoderConfig, tokens: number, logitRows: number): number {
  const attention = 2 * decoder.heads * tokens * tokens + tokens * tokens;
  const mlp = 3 * tokens * decoder.intermediateSize;
  return FLOAT * (attention + mlp + HIDDEN_COPIES * tokens * decoder.hiddenSize + logitRows * decoder.vocabSize);
}

/** One vision block over `patches` patches with full attention, plus the patches themselves. */
export function visionActivationBytes(vision: VisionConfig, patches: number): number {
  const attention = 2 * vision.heads * patches * patches + patches * patches;
  const mlp = 3 * patches * vision.intermediateSize;
  const input = patches * vision.inChannels * vision.temporalPatchSize * vision.patchSize * vision.patchSize;
  return FLOAT * (attention + mlp + HIDDEN_COPIES * patches * vision.hiddenSize + input);
}

export function planMemory(request: MemoryPlanRequest): MemoryPlan {
  const { command, models, maxNewTokens, images } = request;
  if (models.length === 0) throw new FrankenlensError('InvalidArgument', 'memory plan: no model');
  const rows = BATCHED.includes(command) ? Math.max(1, request.rows ?? 1) : 1;
  const promptTokens = request.promptTokens ?? DEFAULT_PROMPT_TOKENS;
  const overhead = request.overheadBytes ?? RUNTIME_OVERHEAD_BYTES;
  const largest = <T>(values: T[], size: (value: T) => number) => values.reduce((a, b) => (size(b) > size(a) ? b : a));
  const weightsOf = (config: DecoderConfig) => decoderWeightBytes(config, request.precision);
  const decoders = models.map((model) => model.decoder);
  const decoder = largest(decoders, weightsOf);
  const cacheDecoder = largest(decoders, kvCacheBytesPerToken);
  const sequenceTokens = promptTokens + maxNewTokens;
  const tokens = (count: number) => count.toLocaleString('en-US');

  const both = command === 'probe attention' || command === 'variants';
  const weights: MemoryNeed = both
    ? { what: `decoder weights of ${command === 'variants' ? 'IN and RL (every variant is built from their layers)' : 'IN and RL, loaded together'}`, bytes: decoders.reduce((sum, config) => sum + weightsOf(config), 0) }
    : { what: command === 'generate' ? 'decoder weights' : 'decoder weights of one model at a time (IN, then RL)', bytes: weightsOf(decoder) };
  const runtime: MemoryNeed = { what: 'runtime (Node, onnxruntime, tokenizers)', bytes: overhead };

  const describer = request.describer;
  const describerHeld: MemoryNeed[] = describer && command !== 'variants'
    ? [
        { what: 'describer decoder weights', bytes: weightsOf(describer.config.decoder) },
        { what: `describer K/V cache (1 row × ${tokens(promptTokens + describer.maxNewTokens)} tokens)`, bytes: kvCacheBytesPerToken(describer.config.decoder) * (promptTokens + describer.maxNewTokens) },
      ]
    : [];

  const phases: MemoryPhase[] = [];
  const phase = (name: string, needs: MemoryNeed[]) => phases.push({ name, needs, bytes: needs.reduce((sum, need) => sum + need.bytes, 0) });
  const visionConfigs = [...models, ...(describer ? [describer.config] : [])].flatMap((model) => (model.vision ? [model.vision] : []));
  const patchesOf = (vision: VisionConfig) => request.imagePatches ?? promptTokens * vision.spatialMergeSize * vision.spatialMergeSize;
  const visionNeeds = (candidates: VisionConfig[]): MemoryNeed[] => {
    if (candidates.length === 0) return [];
    const vision = largest(candidates, (config) => visionWeightBytes(config) + visionActivationBytes(config, patchesOf(config)));
    return [
      { what: 'vision encoder weights', bytes: visionWeightBytes(vision) },
      { what: `vision activations (${tokens(patchesOf(vision))} patches)`, bytes: visionActivationBytes(vision, patchesOf(vision)) },
    ];
  };

  if (describer && command === 'variants') {
    // The sweep describes every image first, then releases the describer before any model runs.
    const config = describer.config;
    phase('describing images', [
      runtime,
      { what: 'describer decoder weights', bytes: weightsOf(config.decoder) },
      ...visionNeeds(config.vision ? [config.vision] : []),
      { what: `describer K/V cache (1 row × ${tokens(promptTokens + describer.maxNewTokens)} tokens)`, bytes: kvCacheBytesPerToken(config.decoder) * (promptTokens + describer.maxNewTokens) },
      { what: `activations (one layer over ${tokens(promptTokens)} tokens, logits)`, bytes: prefillActivationBytes(config.decoder, promptTokens, 1) },
    ]);
  }
  if (images && visionConfigs.length > 0) phase('encoding images', [runtime, weights, ...describerHeld, ...visionNeeds(visionConfigs)]);

  const cachePerToken = kvCacheBytesPerToken(cacheDecoder);
  const loadedVisions = both ? models.flatMap((model) => (model.vision ? [model.vision] : [])) : visionConfigs.slice(0, 1);
  const residentVision: MemoryNeed[] = images && request.visionResident !== false && loadedVisions.length > 0
    ? [{ what: `vision encoder weights, kept loaded (${loadedVisions.length === 1 ? 'one model' : 'IN and RL'})`, bytes: loadedVisions.reduce((sum, vision) => sum + visionWeightBytes(vision), 0) }]
    : [];
  // The attention probe decodes IN's and RL's answers at once: a batch of `rows` rows per model.
  const batches = command === 'probe attention' ? 2 : 1;
  const cacheRows = batches * rows;
  const decode: MemoryNeed[] = [runtime, weights, ...residentVision, ...describerHeld, { what: `K/V cache (${cacheRows} row${cacheRows === 1 ? '' : 's'}${batches > 1 ? `, ${rows} per model` : ''} × ${tokens(sequenceTokens)} tokens)`, bytes: cachePerToken * cacheRows * sequenceTokens }];
  // Ablation and swap keep ITEMS_IN_FLIGHT items going, so the next item's runs can join the batch as the last ones finish.
  const items = rows > 1 ? ITEMS_IN_FLIGHT : 1;
  if (command === 'probe ablation' || command === 'probe swap') {
    decode.push({ what: `clean prefills' residual streams (${items} item${items === 1 ? '' : 's'} × ${decoder.layers + 1} layers × ${tokens(promptTokens)} tokens)`, bytes: items * FLOAT * (decoder.layers + 1) * promptTokens * decoder.hiddenSize });
  }
  // Each run is prefilled alone, then the rows are stacked into the batch's cache (a copy).
  if (rows > 1) decode.push({ what: `the runs' own prefill caches before stacking (${cacheRows} × ${tokens(promptTokens)} tokens)`, bytes: cachePerToken * cacheRows * promptTokens });
  if (command === 'probe swap') decode.push({ what: `source and clean K/V caches (1 row each, ${items} pair${items === 1 ? '' : 's'})`, bytes: items * 2 * cachePerToken * sequenceTokens });
  // The attention probe scores prompt + answer in one teacher-forced prefill.
  const prefillTokens = command === 'probe attention' ? sequenceTokens : promptTokens;
  const activationDecoder = largest(decoders, (config) => prefillActivationBytes(config, prefillTokens, rows));
  decode.push({ what: `activations (one layer over ${tokens(prefillTokens)} tokens, logits of ${rows} row${rows === 1 ? '' : 's'})`, bytes: prefillActivationBytes(activationDecoder, prefillTokens, rows) });
  // Each model runs one prefill at a time (ModelRuntime.decode): with IN and RL answering at once, the other one's may overlap.
  if (command === 'probe attention') decode.push({ what: `the other model's prefill (one layer over ${tokens(promptTokens)} tokens)`, bytes: prefillActivationBytes(activationDecoder, promptTokens, 1) });
  phase('prefill and decode', decode);

  const peak = phases.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  return { request, rows, promptTokens, phases, peak, total: peak.bytes, budget: request.budgetBytes, fits: peak.bytes <= request.budgetBytes };
}

/**
 * The request's plan, or when it does not fit, the first of these that does: the vision tower
 * released after each encoding (prompts with images), then also fewer rows decoded together (when
 * `fewerRows`: the rows were a default). When none fits, the last one tried (its refusal names what
 * would fit).
 */
export function planToFit(request: MemoryPlanRequest, fewerRows: boolean): MemoryPlan {
  let plan = planMemory(request);
  if (!plan.fits && request.images) plan = planMemory({ ...plan.request, visionResident: false });
  const rows = !plan.fits && fewerRows ? largestFittingRows(plan.request) : null;
  return rows === null ? plan : planMemory({ ...plan.request, rows });
}

/** The largest number of decode rows (below the request's) that fits, or null when even one row does not or rows are not a choice. */
export function largestFittingRows(request: MemoryPlanRequest): number | null {
  const rows = request.rows ?? 1;
  if (rows <= 1 || !BATCHED.includes(request.command)) return null;
  return largestFitting(1, rows - 1, (value) => planMemory({ ...request, rows: value }).fits);
}

/** The largest answer cap (below the request's) that fits, or null when even one token does not. */
export function largestFittingMaxNewTokens(request: MemoryPlanRequest): number | null {
  if (request.maxNewTokens <= 1) return null;
  return largestFitting(1, request.maxNewTokens - 1, (value) => planMemory({ ...request, maxNewTokens: value }).fits);
}

/** Binary search for the largest value in [low, high] with fits(value), fits being monotone (true then false). */
function largestFitting(low: number, high: number, fits: (value: number) => boolean): number | null {
  if (!fits(low)) return null;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits(middle)) low = middle;
    else high = middle - 1;
  }
  return low;
}

/** Bytes as GiB with one decimal; below 0.1 GiB as whole MiB (rounded up) so small figures stay readable. */
export function formatBytes(bytes: number): string {
  if (bytes >= 0.1 * GIB) return `${(bytes / GIB).toFixed(1)} GiB`;
  return `${Math.ceil(bytes / 2 ** 20)} MiB`;
}

const assumptions = (plan: MemoryPlan) => {
  const { request } = plan;
  const prompt = request.promptKnown ? `this prompt's ${plan.promptTokens.toLocaleString('en-US')} tokens` : `prompts of ${plan.promptTokens.toLocaleString('en-US')} tokens (an assumption; images included)`;
  return `${prompt}${plan.rows > 1 ? `, ${plan.rows} rows decoded together` : ''}, answers up to ${request.maxNewTokens.toLocaleString('en-US')} token${request.maxNewTokens === 1 ? '' : 's'}, CPU ${request.precision === 'int8' ? 'int8 weights' : 'float32'}`;
};

/** The one line a command prints before loading when the plan fits. */
export function describeMemoryPlan(plan: MemoryPlan): string {
  const released = plan.request.visionResident === false ? '; the vision tower is released after each encoding to fit' : '';
  return `memory: ${plan.request.command} needs about ${formatBytes(plan.total)} at its peak (${plan.peak.name}) of a ${formatBytes(plan.budget)} budget (${plan.request.budgetSource ?? 'given'}; ${assumptions(plan)}${released})`;
}

/** The refusal: the need itemized, the budget, and what would fit. Empty when the plan fits. */
export function memoryRefusal(plan: MemoryPlan): string {
  const { request } = plan;
  const items = plan.peak.needs.map((need) => `${need.what} ${formatBytes(need.bytes)}`).join(' + ');
  const lines = [
    `${request.command} needs about ${formatBytes(plan.total)} at its peak (${plan.peak.name}: ${items}), more than the memory budget of ${formatBytes(plan.budget)} (${request.budgetSource ?? 'given'}).`,
    `Figures for ${assumptions(plan)}${request.visionResident === false ? ', the vision tower released after each encoding' : ''}.`,
  ];
  const options: string[] = [];
  const rows = largestFittingRows(request);
  if (rows !== null) options.push(`fewer rows decoded together: --batch ${rows} (about ${formatBytes(planMemory({ ...request, rows }).total)})`);
  const cap = largestFittingMaxNewTokens(request);
  if (cap !== null) options.push(`a shorter answer cap: --max-new-tokens ${cap} (about ${formatBytes(planMemory({ ...request, maxNewTokens: cap }).total)})`);
  if (rows === null && cap === null && (request.rows ?? 1) > 1) {
    const oneRowCap = largestFittingMaxNewTokens({ ...request, rows: 1 });
    if (oneRowCap !== null) options.push(`--batch 1 with --max-new-tokens ${oneRowCap}`);
  }
  // int8 changes the answers a little (an opt-in, reported against float32), so it comes after the choices that do not.
  if (request.precision !== 'int8') {
    const int8 = planMemory({ ...request, precision: 'int8' });
    if (int8.fits) options.push(`8-bit weights: --precision int8 (about ${formatBytes(int8.total)}; answers may differ slightly from float32's)`);
  }
  options.push('a GPU: --device cuda (weights and activations in GPU memory)');
  if (options.length === 1) {
    const floor = planMemory({ ...request, rows: 1, maxNewTokens: 1 }).total;
    const smallest = request.command === 'probe ablation' || request.command === 'probe swap' ? '1 row and a 1-token answer need' : 'a 1-token answer needs';
    lines.push(`Even ${smallest} about ${formatBytes(floor)}: free memory, or use ${options[0]}.`);
  } else {
    lines.push(`Would fit: ${options.join('; or ')}.`);
  }
  lines.push('Set the budget with --memory-budget SIZE (e.g. 48GB) or FRANKENLENS_MEMORY_BUDGET.');
  return lines.join(' ');
}

/** Throws FrankenlensError('MemoryBudget') with memoryRefusal's message when the plan does not fit. */
export function assertMemoryFits(plan: MemoryPlan): void {
  if (!plan.fits) throw new FrankenlensError('MemoryBudget', memoryRefusal(plan));
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 2 ** 10, kb: 2 ** 10, kib: 2 ** 10, m: 2 ** 20, mb: 2 ** 20, mib: 2 ** 20, g: 2 ** 30, gb: 2 ** 30, gib: 2 ** 30, t: 2 ** 40, tb: 2 ** 40, tib: 2 ** 40 };

/**
 * "24GB", "24G", "24GiB", "512MiB", "1.5T", "2e10" (bytes) → bytes. Units are binary, as memory
 * sizes are in free(1), Docker and Java: K, KB and KiB are all 1024 bytes (M, G, T likewise).
 */
export function parseMemorySize(text: string, what = 'memory budget'): number {
  const match = /^\s*(\d+(?:\.\d*)?|\.\d+)(e[+-]?\d+)?\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? UNITS[match[3]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw new FrankenlensError('InvalidArgument', `${what} "${text}" is not a size: write a number with K, M, G or T (binary: 24GB = 24G = 24GiB = 24 × 2^30 bytes), or a number of bytes such as 2e10`);
  }
  const bytes = Math.floor(Number(`${match[1]}${match[2] ?? ''}`) * unit);
  if (!Number.isFinite(bytes) || bytes <= 0) throw new FrankenlensError('InvalidArgument', `${what} "${text}" must be more than 0 bytes`);
  return bytes;
}

/** The memory this process may use: the free memory, bounded by the cgroup's limit (and what is left of it) when there is one. */
export function defaultMemoryBudget(): number {
  const candidates = [freemem()];
  const constrained = process.constrainedMemory?.() ?? 0;
  if (constrained > 0) candidates.push(constrained);
  const available = (process as { availableMemory?: () => number }).availableMemory?.();
  if (available !== undefined && available > 0) candidates.push(available);
  return Math.min(...candidates);
}

export const MEMORY_BUDGET_ENV = 'FRANKENLENS_MEMORY_BUDGET';

/** The budget from a --memory-budget value, else FRANKENLENS_MEMORY_BUDGET, else defaultMemoryBudget(), with where it came from. */
export function resolveMemoryBudget(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): { bytes: number; source: string } {
  if (flag !== undefined && flag.trim() !== '') return { bytes: parseMemorySize(flag, '--memory-budget'), source: '--memory-budget' };
  const fromEnv = env[MEMORY_BUDGET_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return { bytes: parseMemorySize(fromEnv, MEMORY_BUDGET_ENV), source: MEMORY_BUDGET_ENV };
  return { bytes: defaultMemoryBudget(), source: 'free memory' };
}

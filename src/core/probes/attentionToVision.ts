/**
 * Attention to vision (reference §5; the paper ships no code for it, this is its proposal): for
 * layer ℓ, a_ℓ = mean over reasoning tokens i of the head-averaged attention mass Σ_{j ∈ image
 * pads} softmax(q_i·k_j/√d). Reasoning tokens are the response's tokens (or only those inside
 * <think>…</think> when it has them), measured by teacher-forcing prompt + response in one pass
 * with the attentionMass tap, so no attention map leaves the graph. Each model is measured on its
 * own greedy response and on a shared one (one model's response scored by both), which separates
 * what the model attends to from what it writes. Reported: per-layer means for IN and RL, and
 * RL − IN with paired bootstrap intervals over items, per layer and per block of the partition.
 */
import type { BenchmarkItem } from '../bench/benchmarkItems';
import { FrankenlensError } from '../errors';
import { oneAtATime, type Exclusive } from '../exclusive';
import { decodeAll, type DecodeRun } from '../model/batchedGenerate';
import { DEFAULT_BATCH_ROWS } from '../model/batchSizes';
import type { CancelToken, ProgressSink } from '../progress';
import { pairedBootstrap } from '../stats/pairedBootstrap';
import type { TextTokenizer } from '../text/tokenizer';
import { conditionMessages, type Condition, type Describer, type PromptStyle } from './conditions';
import { answerText, greedySettings, modelRecord, preparePrompt, type ModelRole, type ProbeModel } from './probeModel';
import { thirdsPartition, writeProbeSummary, type LayerPartition } from './probeResult';
import { ProbeBatches, runProbeUnits } from './probeRun';
import { itemRunInputs, type ItemSources } from './runInputs';
import { attentionCalibration } from './precisionCalibration';
import type { CalibrationOptions, PrecisionReport } from '../model/precisionReport';

export type ReasoningScope = 'response' | 'think';
export type ResponseKind = 'own' | 'shared';

export interface AttentionSettings {
  maxNewTokens: number;
  condition: Condition;
  style: PromptStyle;
  /** Which tokens count as reasoning: all response tokens, or those inside <think>…</think> (all when there is none). */
  scope: ReasoningScope;
  /** Whose greedy response both models are scored on. */
  sharedFrom: ModelRole;
}

export interface AttentionMeasurement {
  /** Mean over reasoning tokens of the head-averaged mass on image tokens, per layer; null when the response has no reasoning token. */
  perLayer: number[] | null;
  reasoningTokens: number;
  /** The scope actually used ('response' when a think scope was asked for but the response has no <think> block). */
  scope: ReasoningScope;
}

export interface AttentionItem {
  key: string;
  id: string;
  imageTokens: number;
  responses: Record<ModelRole, string>;
  /** measurements[kind][model]. */
  measurements: Record<ResponseKind, Record<ModelRole, AttentionMeasurement>>;
}

/**
 * One item: each model's greedy response (decoded in the model's shared batch when given, as a row
 * beside other items in flight), then the four teacher-forced measurements through `measure`
 * (default: at once; the probe passes one that runs them one at a time, so only one pass's
 * attention scores are held).
 */
export async function measureItem(models: Record<ModelRole, ProbeModel>, item: BenchmarkItem, settings: AttentionSettings, describer?: Describer, cancel?: CancelToken, batches?: ProbeBatches, measure: Exclusive = (work) => work()): Promise<AttentionItem> {
  const messages = await conditionMessages(item, settings.condition, settings.style, describer);
  const prepared = { in: await preparePrompt(models.in, messages), rl: await preparePrompt(models.rl, messages) };
  const imageTokens = prepared.in.embedded.imageTokenPositions.length;
  if (imageTokens === 0) throw new FrankenlensError('InvalidBenchmarkItem', `item "${item.id}" has no image tokens: attention to vision needs an image`);
  const generate = async (role: ModelRole) => {
    const { runtime } = models[role];
    const { ids, embedded } = prepared[role];
    const run = async (): Promise<DecodeRun> => ({
      promptIds: ids, ropeDelta: embedded.ropeDelta, settings: greedySettings(models[role], settings.maxNewTokens),
      prefilled: await runtime.decode({ embeds: embedded.embeds, positions: embedded.positions, cache: runtime.emptyCache() }, { taps: {}, logits: 'last' }),
    });
    const [generation] = await decodeAll(runtime, [run], { rows: 1, cancel, batch: batches?.of(runtime, cancel) });
    return generation!;
  };
  const [first, second] = await Promise.all([generate('in'), generate('rl')]);
  const generations = { in: first!, rl: second! };
  const tokens = { in: withoutStopToken(generations.in.tokens, models.in.generation.eosTokenIds), rl: withoutStopToken(generations.rl.tokens, models.rl.generation.eosTokenIds) };
  const responses = { in: answerText(models.in, generations.in.tokens), rl: answerText(models.rl, generations.rl.tokens) };
  const mass = (role: ModelRole, response: number[]) => measure(() => attentionMass(models[role], messages, response, settings.scope));
  return {
    key: item.id, id: item.id, imageTokens, responses,
    measurements: {
      own: { in: await mass('in', tokens.in), rl: await mass('rl', tokens.rl) },
      shared: { in: await mass('in', tokens[settings.sharedFrom]), rl: await mass('rl', tokens[settings.sharedFrom]) },
    },
  };
}

function withoutStopToken(tokens: readonly number[], eos: readonly number[]): number[] {
  return tokens.length > 0 && eos.includes(tokens.at(-1)!) ? tokens.slice(0, -1) : [...tokens];
}

/** Teacher-forces prompt + response and averages the mass tap over the reasoning rows. */
export async function attentionMass(model: ProbeModel, messages: Parameters<typeof preparePrompt>[1], response: readonly number[], scope: ReasoningScope): Promise<AttentionMeasurement> {
  const prepared = await preparePrompt(model, messages, response);
  const promptLength = prepared.ids.length - response.length;
  const { rows: offsets, scope: used } = reasoningTokens(model.processor.tokenizer, response, scope);
  if (offsets.length === 0) return { perLayer: null, reasoningTokens: 0, scope: used };
  const total = prepared.ids.length;
  const massKeys = new Float32Array(total);
  for (const position of prepared.embedded.imageTokenPositions) massKeys[position] = 1;
  const result = await model.runtime.decode({ embeds: prepared.embedded.embeds, positions: prepared.embedded.positions, cache: model.runtime.emptyCache(), taps: { massKeys } }, { taps: { attentionMass: true }, logits: 'last' });
  const mass = result.attentionMass!;
  const perLayer = Array.from({ length: model.runtime.config.decoder.layers }, (_, layer) => offsets.reduce((sum, offset) => sum + mass[layer * total + promptLength + offset]!, 0) / offsets.length);
  return { perLayer, reasoningTokens: offsets.length, scope: used };
}

/**
 * Indices (into the response) of the reasoning tokens: all, or those whose text lies inside the
 * first <think>…</think> (an unclosed block runs to the end); 'response' when there is no block.
 */
export function reasoningTokens(tokenizer: TextTokenizer, response: readonly number[], scope: ReasoningScope): { rows: number[]; scope: ReasoningScope } {
  const all = { rows: response.map((_, index) => index), scope: 'response' as const };
  if (scope === 'response') return all;
  const ends = response.map((_, index) => tokenizer.decode(response.slice(0, index + 1)).length);
  const text = tokenizer.decode(response);
  const open = text.indexOf('<think>');
  if (open < 0) return all;
  const contentStart = open + '<think>'.length;
  const close = text.indexOf('</think>', contentStart);
  const contentEnd = close < 0 ? text.length : close;
  const rows = response.flatMap((_, index) => {
    const start = index === 0 ? 0 : ends[index - 1]!;
    return start >= contentStart && ends[index]! <= contentEnd && ends[index]! > start ? [index] : [];
  });
  return { rows, scope: 'think' };
}

export interface AttentionRow {
  response: ResponseKind;
  /** A decoder layer (HF 0-based), or a block of the partition. */
  layer: number | null;
  block: keyof LayerPartition | null;
  in: number;
  rl: number;
  /** RL − IN, mean over items, with a 95% paired bootstrap interval. */
  difference: number;
  lower: number;
  upper: number;
  pValue: number;
  items: number;
}

export function attentionRows(records: readonly AttentionItem[], layers: number, seed = 0): AttentionRow[] {
  const rows: AttentionRow[] = [];
  const partition = thirdsPartition(layers);
  for (const response of ['own', 'shared'] as const) {
    const usable = records.filter((record) => record.measurements[response].in.perLayer && record.measurements[response].rl.perLayer);
    if (usable.length === 0) continue;
    const summarize = (layer: number | null, block: keyof LayerPartition | null, value: (perLayer: number[]) => number) => {
      const first = usable.map((record) => value(record.measurements[response].in.perLayer!));
      const second = usable.map((record) => value(record.measurements[response].rl.perLayer!));
      const bootstrap = pairedBootstrap(first, second, { seed });
      const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
      rows.push({ response, layer, block, in: mean(first), rl: mean(second), difference: bootstrap.meanDifference, lower: bootstrap.interval.lower, upper: bootstrap.interval.upper, pValue: bootstrap.pValue, items: usable.length });
    };
    for (let layer = 0; layer < layers; layer++) summarize(layer, null, (perLayer) => perLayer[layer]!);
    for (const block of ['early', 'mid', 'late'] as const) {
      const [start, end] = partition[block];
      if (end > start) summarize(null, block, (perLayer) => perLayer.slice(start, end).reduce((a, b) => a + b, 0) / (end - start));
    }
  }
  return rows;
}

export interface AttentionProbeOptions extends ItemSources {
  models: Record<ModelRole, ProbeModel>;
  items: readonly BenchmarkItem[];
  settings: AttentionSettings;
  /** Items whose answers decode together (a row per item in each model's batch; default DEFAULT_BATCH_ROWS): not part of the run's settings, the answers do not depend on it. */
  batch?: number;
  describer?: Describer;
  outDir: string;
  resume?: boolean;
  progress?: ProgressSink;
  cancel?: CancelToken;
  /** int8 runs: the float32 calibration (precisionCalibration.ts); not part of the run's settings. */
  calibration?: CalibrationOptions;
}

export async function runAttentionProbe(options: AttentionProbeOptions): Promise<{ summaryPath: string; rows: AttentionRow[]; resumed: number; precisionAgreement?: PrecisionReport }> {
  const { models, items, settings } = options;
  const layers = models.in.runtime.config.decoder.layers;
  if (models.rl.runtime.config.decoder.layers !== layers) throw new FrankenlensError('InvalidArgument', `IN has ${layers} decoder layers and RL ${models.rl.runtime.config.decoder.layers}: attention per layer needs the same architecture`);
  // Items in flight: one answer per model each, so as many as the batch has rows keep it full.
  const batchRows = options.batch ?? DEFAULT_BATCH_ROWS;
  const batches = new ProbeBatches(batchRows);
  const measure = oneAtATime();
  const release = async () => {
    for (const model of [models.in, models.rl]) await batches.close(model.runtime);
  };
  const units = items.map((item) => ({ key: item.id, label: item.id, run: (cancel: CancelToken) => measureItem(models, item, settings, options.describer, cancel, batches, measure), release }));
  const recorded = { ...settings, describer: options.describer?.name ?? null, items: items.map((item) => item.id), models: [models.in, models.rl].map((model) => ({ role: model.role, dir: model.dir })) };
  const { records, resumed } = await runProbeUnits<AttentionItem>({ probe: 'attention', outDir: options.outDir, settings: recorded, inputs: itemRunInputs([models.in, models.rl], items, options), precision: models.in.runtime.precision, checkRecord: (record) => (typeof record.measurements === 'object' && record.measurements !== null ? null : 'not an attention measurement (no "measurements")'), units, batches, concurrency: batchRows, resume: options.resume, progress: options.progress, cancel: options.cancel });
  const rows = attentionRows(records, layers);
  const precisionAgreement = await attentionCalibration(options, records);
  const { path } = writeProbeSummary(options.outDir, 'attention', { settings: recorded, models: [modelRecord(models.in), modelRecord(models.rl)], ...(precisionAgreement && { precisionAgreement }), layers, items: items.length, rows });
  return { summaryPath: path, rows, resumed, precisionAgreement };
}

/**
 * Reasoning localization (reference §2): each decoder layer in turn is made the identity
 * (h_out = h_in: both residual branches gated to 0, which is what the paper's identity layer does;
 * its zero K/V placeholders are never read, so the cache contents of that layer do not matter),
 * and the item is answered greedily again. Answers are scored with the ablation protocol's
 * extraction and check (§2.4). Accuracy per ablated layer against the baseline, with Wilson
 * intervals, per model.
 *
 * Reuse (settings.reuse, default 'layers'): ablating layer L leaves layers < L as in the clean run,
 * so the ablated prefill runs only layers L..N−1 (the layer chain started at L, L gated) from the
 * clean prefill's residual stream entering L, with the clean K/V below L: the same layer sessions
 * as every other run, so it costs no memory. Batching (settings.batch): the
 * baseline and the ablated runs of one item share the prompt, so up to `batch` of them decode
 * together as rows of one batch, each with its own gates (batchedGenerate.ts). Neither changes an
 * answer, so neither is part of the recorded settings.
 */
import { checkAnswer } from '../bench/answerCheck';
import { extractAnswer } from '../bench/answerExtraction';
import type { BenchmarkItem } from '../bench/benchmarkItems';
import { FrankenlensError } from '../errors';
import { decodeAll, type DecodeRun, type SharedBatch } from '../model/batchedGenerate';
import { DEFAULT_BATCH_ROWS, ITEMS_IN_FLIGHT } from '../model/batchSizes';
import type { Generation } from '../model/generate';
import { streamEntering, type DecoderResult } from '../model/modelRuntime';
import type { CancelToken, ProgressSink } from '../progress';
import { conditionMessages, type Condition, type Describer, type PromptStyle } from './conditions';
import { answerText, greedySettings, modelRecord, preparePrompt, type ModelRole, type PreparedPrompt, type ProbeModel } from './probeModel';
import { proportion, writeProbeSummary, type Proportion } from './probeResult';
import { ProbeBatches, runProbeUnits } from './probeRun';
import { itemRunInputs, type ItemSources } from './runInputs';
import { ablationCalibration } from './precisionCalibration';
import type { CalibrationOptions, PrecisionReport } from '../model/precisionReport';

export interface AblationSettings {
  /** Decoder layers to ablate one at a time (HF 0-based); the baseline always runs. */
  layers: readonly number[];
  maxNewTokens: number;
  condition: Condition;
  style: PromptStyle;
  /** Runs of one item (baseline and ablated layers) decoded together at most; default DEFAULT_BATCH_ROWS. */
  batch?: number;
  /** 'layers' (default): ablated prefills from layer L on; 'none': every prefill over the whole decoder. */
  reuse?: AblationReuse;
}

export type AblationReuse = 'layers' | 'none';

/** The settings that decide the answers (what a run records and a resume compares). */
function ablationRecordedSettings(settings: AblationSettings): Omit<AblationSettings, 'batch' | 'reuse'> {
  const { batch: _batch, reuse: _reuse, ...defining } = settings;
  return defining;
}

export interface AblationRun {
  /** −1: the baseline (nothing ablated). */
  layer: number;
  response: string;
  tokens: number;
  stoppedBy: 'eos' | 'max-new-tokens';
  extracted: string | null;
  correct: boolean;
  rule: string;
}

export interface AblationItem {
  key: string;
  model: ModelRole;
  id: string;
  runs: AblationRun[];
}

export const BASELINE = -1;

/** Gates [layers · 2] with layer `ablated`'s attention and MLP contributions at 0. */
export function ablationGates(layers: number, ablated: number): Float32Array {
  const gates = new Float32Array(layers * 2).fill(1);
  gates.fill(0, 2 * ablated, 2 * ablated + 2);
  return gates;
}

export async function ablateItem(model: ProbeModel, item: BenchmarkItem, settings: AblationSettings, describer?: Describer, cancel?: CancelToken, shared?: SharedBatch): Promise<AblationItem> {
  const prepared = await preparePrompt(model, await conditionMessages(item, settings.condition, settings.style, describer));
  const generations = await ablationGenerations(model, prepared, settings, cancel, shared);
  const runs = [BASELINE, ...settings.layers].map((layer, index): AblationRun => {
    const generation = generations[index]!;
    const response = answerText(model, generation.tokens);
    const extraction = extractAnswer(response, { choices: item.choices, protocol: 'ablation' });
    const check = checkAnswer(extraction, item, response);
    return { layer, response, tokens: generation.tokens.length, stoppedBy: generation.stoppedBy, extracted: extraction.extracted ?? null, correct: check.correct, rule: check.rule };
  });
  return { key: `${model.role}:${item.id}`, model: model.role, id: item.id, runs };
}

/**
 * The greedy answers to one prompt: the baseline's, then one per layer of settings.layers, in that
 * order; decoded in `shared` (the probe's batch, shared with other items in flight) when given.
 */
export async function ablationGenerations(model: ProbeModel, prepared: PreparedPrompt, settings: Omit<AblationSettings, 'condition' | 'style'>, cancel?: CancelToken, shared?: SharedBatch): Promise<Generation[]> {
  const { runtime } = model;
  const { layers } = runtime.config.decoder;
  for (const layer of settings.layers) {
    if (!Number.isInteger(layer) || layer < 0 || layer >= layers) throw new FrankenlensError('InvalidArgument', `ablation layer ${layer} is outside the decoder's layers 0..${layers - 1}`);
  }
  const batch = settings.batch ?? DEFAULT_BATCH_ROWS;
  if (!(Number.isInteger(batch) && batch >= 1)) throw new FrankenlensError('InvalidArgument', `ablation batch ${batch}: must be a whole number of runs, at least 1`);
  const greedy = greedySettings(model, settings.maxNewTokens);
  const { embeds, positions } = prepared.embedded;
  const reuse = settings.reuse ?? 'layers';
  // The clean prefill: the baseline's, and with reuse the residual stream entering every layer.
  const clean = await runtime.decode({ embeds, positions, cache: runtime.emptyCache() }, { taps: { hiddenStates: reuse === 'layers' }, logits: 'last' });
  const ablatedPrefill = (layer: number, taps: { gates: Float32Array }): Promise<DecoderResult> => {
    if (reuse === 'none' || layer === 0) return runtime.decode({ embeds, positions, cache: runtime.emptyCache(), taps }, { taps: {}, logits: 'last' });
    const stream = streamEntering(clean, layer, 0, runtime.config.decoder.hiddenSize);
    return runtime.decode({ embeds: stream, positions, cache: runtime.emptyCache(), taps, lowerLayers: clean.cache }, { taps: {}, logits: 'last', fromLayer: layer });
  };

  // The baseline, then the ablated layers from the last down (the shortest prefills first), each
  // prefilled only when a row of the batch is free.
  const configurations = [BASELINE, ...settings.layers].map((layer, index) => ({ layer, index })).sort((a, b) => (a.layer === BASELINE ? -1 : b.layer === BASELINE ? 1 : b.layer - a.layer));
  const prepare = ({ layer }: { layer: number }) => async (): Promise<DecodeRun> => {
    const run = { promptIds: prepared.ids, ropeDelta: prepared.embedded.ropeDelta, settings: greedy };
    if (layer === BASELINE) return { ...run, prefilled: clean };
    const taps = { gates: ablationGates(layers, layer) };
    return { ...run, prefilled: await ablatedPrefill(layer, taps), stepTaps: () => taps };
  };
  const decoded = await decodeAll(runtime, configurations.map(prepare), { rows: batch, cancel, batch: shared });
  const generations: Generation[] = [];
  configurations.forEach(({ index }, slot) => (generations[index] = decoded[slot]!));
  return generations;
}

export interface AblationRow {
  model: ModelRole;
  /** −1 for the baseline. */
  layer: number;
  accuracy: Proportion;
  /** accuracy − the model's baseline accuracy. */
  delta: number;
}

export function ablationRows(items: readonly AblationItem[]): AblationRow[] {
  const counts = new Map<string, { model: ModelRole; layer: number; correct: number; n: number }>();
  for (const item of items) {
    for (const run of item.runs) {
      const key = `${item.model}|${run.layer}`;
      const entry = counts.get(key) ?? { model: item.model, layer: run.layer, correct: 0, n: 0 };
      entry.n++;
      if (run.correct) entry.correct++;
      counts.set(key, entry);
    }
  }
  const rows = [...counts.values()].map(({ model, layer, correct, n }) => ({ model, layer, accuracy: proportion(correct, n), delta: 0 }));
  for (const row of rows) row.delta = row.accuracy.rate - rows.find((other) => other.model === row.model && other.layer === BASELINE)!.accuracy.rate;
  return rows;
}

export interface AblationProbeOptions extends ItemSources {
  models: readonly ProbeModel[];
  items: readonly BenchmarkItem[];
  settings: AblationSettings;
  describer?: Describer;
  outDir: string;
  resume?: boolean;
  progress?: ProgressSink;
  cancel?: CancelToken;
  /** int8 runs: the float32 calibration (precisionCalibration.ts); not part of the run's settings. */
  calibration?: CalibrationOptions;
}

export async function runAblationProbe(options: AblationProbeOptions): Promise<{ summaryPath: string; rows: AblationRow[]; resumed: number; precisionAgreement?: PrecisionReport }> {
  const { models, items, settings } = options;
  const batches = new ProbeBatches(settings.batch ?? DEFAULT_BATCH_ROWS);
  const units = models.flatMap((model) => {
    const release = () => batches.release(model.runtime);
    return items.map((item) => ({ key: `${model.role}:${item.id}`, label: `${model.role.toUpperCase()} ${item.id}`, run: (cancel: CancelToken) => ablateItem(model, item, settings, options.describer, cancel, batches.of(model.runtime, cancel)), release }));
  });
  const recorded = { ...ablationRecordedSettings(settings), describer: options.describer?.name ?? null, items: items.map((item) => item.id), models: models.map((model) => ({ role: model.role, dir: model.dir })) };
  const { records, resumed } = await runProbeUnits<AblationItem>({ probe: 'ablation', outDir: options.outDir, settings: recorded, inputs: itemRunInputs(models, items, options), precision: models[0]!.runtime.precision, checkRecord: (record) => (Array.isArray(record.runs) ? null : 'not an ablation result (no "runs")'), units, batches, concurrency: ITEMS_IN_FLIGHT, resume: options.resume, progress: options.progress, cancel: options.cancel });
  const rows = ablationRows(records);
  const precisionAgreement = await ablationCalibration(options, records);
  const { path } = writeProbeSummary(options.outDir, 'ablation', { settings: recorded, models: models.map(modelRecord), ...(precisionAgreement && { precisionAgreement }), layers: models[0]!.runtime.config.decoder.layers, items: items.length, rows });
  return { summaryPath: path, rows, resumed, precisionAgreement };
}

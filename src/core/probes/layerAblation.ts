/**
 * Reasoning localization (reference §2): each decoder layer in turn is made the identity
 * (h_out = h_in: both residual branches gated to 0, which is what the paper's identity layer does;
 * its zero K/V placeholders are never read, so the cache contents of that layer do not matter),
 * and the item is answered greedily again. Answers are scored with the ablation protocol's
 * extraction and check (§2.4). Accuracy per ablated layer against the baseline, with Wilson
 * intervals, per model.
 */
import { checkAnswer } from '../bench/answerCheck';
import { extractAnswer } from '../bench/answerExtraction';
import type { BenchmarkItem } from '../bench/benchmarkItems';
import { FrankenlensError } from '../errors';
import { generateGreedy } from '../model/generate';
import type { CancelToken, ProgressSink } from '../progress';
import { conditionMessages, type Condition, type Describer, type PromptStyle } from './conditions';
import { answerText, greedySettings, modelRecord, preparePrompt, type ModelRole, type ProbeModel } from './probeModel';
import { proportion, writeProbeSummary, type Proportion } from './probeResult';
import { runProbeUnits } from './probeRun';

export interface AblationSettings {
  /** Decoder layers to ablate one at a time (HF 0-based); the baseline always runs. */
  layers: readonly number[];
  maxNewTokens: number;
  condition: Condition;
  style: PromptStyle;
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

export async function ablateItem(model: ProbeModel, item: BenchmarkItem, settings: AblationSettings, describer?: Describer, cancel?: CancelToken): Promise<AblationItem> {
  const { layers } = model.runtime.config.decoder;
  for (const layer of settings.layers) {
    if (!Number.isInteger(layer) || layer < 0 || layer >= layers) throw new FrankenlensError('InvalidArgument', `ablation layer ${layer} is outside the decoder's layers 0..${layers - 1}`);
  }
  const prepared = await preparePrompt(model, await conditionMessages(item, settings.condition, settings.style, describer));
  const greedy = greedySettings(model, settings.maxNewTokens);
  const runs: AblationRun[] = [];
  for (const layer of [BASELINE, ...settings.layers]) {
    const gates = layer === BASELINE ? undefined : { gates: ablationGates(layers, layer) };
    const generation = await generateGreedy(model.runtime, prepared.ids, prepared.embedded, greedy, { cancel, taps: gates ? { gates: true } : {}, prefillTaps: gates, stepTaps: () => gates });
    const response = answerText(model, generation.tokens);
    const extraction = extractAnswer(response, { choices: item.choices, protocol: 'ablation' });
    const check = checkAnswer(extraction, item, response);
    runs.push({ layer, response, tokens: generation.tokens.length, stoppedBy: generation.stoppedBy, extracted: extraction.extracted ?? null, correct: check.correct, rule: check.rule });
  }
  return { key: `${model.role}:${item.id}`, model: model.role, id: item.id, runs };
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

export interface AblationProbeOptions {
  models: readonly ProbeModel[];
  items: readonly BenchmarkItem[];
  settings: AblationSettings;
  describer?: Describer;
  outDir: string;
  resume?: boolean;
  progress?: ProgressSink;
  cancel?: CancelToken;
}

export async function runAblationProbe(options: AblationProbeOptions): Promise<{ summaryPath: string; rows: AblationRow[]; resumed: number }> {
  const { models, items, settings } = options;
  const units = models.flatMap((model) => items.map((item) => ({ key: `${model.role}:${item.id}`, label: `${model.role.toUpperCase()} ${item.id}`, run: () => ablateItem(model, item, settings, options.describer, options.cancel) })));
  const recorded = { ...settings, describer: options.describer?.name ?? null, items: items.map((item) => item.id), models: models.map((model) => ({ role: model.role, dir: model.dir })) };
  const { records, resumed } = await runProbeUnits<AblationItem>({ probe: 'ablation', outDir: options.outDir, settings: recorded, units, resume: options.resume, progress: options.progress, cancel: options.cancel });
  const rows = ablationRows(records);
  const { path } = writeProbeSummary(options.outDir, 'ablation', { settings: recorded, models: models.map(modelRecord), layers: models[0]!.runtime.config.decoder.layers, items: items.length, rows });
  return { summaryPath: path, rows, resumed };
}

/**
 * The float32 calibration of a probe run with int8 weights (docs/precision.md). Once the run has
 * every record, a calibration subset of its own items (calibrationItems: evenly spread, default 8)
 * is run again with the same unit functions (measureItem, ablateItem, swapPair) by float32 twins of
 * its models: the same folders and runtime options but float32 weights, on the provider the int8
 * run used. The int8 sessions are released before the first float32 one starts, and each float32
 * model after its units (ablation and swap: one model at a time, as in the run), so memory holds one
 * precision at a time. Compared, over the subset:
 * - next-token top-1: float32's answers (the models' own greedy answers; ablation: the baseline's,
 *   swap: the unswapped answer) teacher-forced through the float32 twin, then through the int8
 *   model (its sessions started again), prediction by prediction;
 * - answers: attention the own responses (exact text), ablation the extracted answer and its score
 *   of every run (baseline and each ablated layer), swap the normalized answer of the unswapped and
 *   every swapped decoding; with a Wilson 95% interval over those answers;
 * - each probe curve's largest per-layer |int8 − float32|, the curves computed by the probe's own
 *   row function (attentionRows, ablationRows, swapRows) from the subset's records both ways.
 * A float32 plan over the memory budget (src/core/jobs/calibrationMemory.ts) or --calibration-items
 * 0 gives a report that says why nothing was measured; a float32 run gives none.
 */
import type { BenchmarkItem } from '../bench/benchmarkItems';
import { DEFAULT_BATCH_ROWS } from '../model/batchSizes';
import type { CurvePair, TopOnePair } from '../model/precisionAgreement';
import { calibrationPlan, calibrationRows, float32TwinOptions, measuredReport, type CalibrationMeasures, type CalibrationMemory, type CalibrationOptions, type PrecisionReport } from '../model/precisionReport';
import { teacherForcedTopOne } from '../model/teacherForced';
import { throwIfCancelled, type CancelToken, type ProgressSink } from '../progress';
import type { PromptMessage } from '../text/visionPrompt';
import { readImageFile } from '../vision/imageDecode';
import { attentionRows, measureItem, type AttentionItem, type AttentionProbeOptions, type AttentionRow } from './attentionToVision';
import { conditionMessages } from './conditions';
import { ablateItem, ablationRows, BASELINE, type AblationItem, type AblationProbeOptions } from './layerAblation';
import { openProbeModel, preparePrompt, type ModelRole, type ProbeModel } from './probeModel';
import { normalizeSwapAnswer } from './swapMetrics';
import type { VisionPair } from './visionPairs';
import { swapPair, swapRows, type SwapItem, type SwapProbeOptions, type SwapRow } from './visualSwap';

/** One answer teacher-forced both ways: the prompt it answers, its tokens, float32's predictions. */
interface ForcedAnswer {
  role: ModelRole;
  messages: readonly PromptMessage[];
  tokens: readonly number[];
  float32: number[];
}

interface ProbeCalibration<T> {
  /** The run's models, in the order the run used them. */
  models: readonly ProbeModel[];
  /** The run's items (or pairs), in run order. */
  units: readonly T[];
  id: (unit: T) => string;
  calibration?: CalibrationOptions;
  progress?: ProgressSink;
  cancel?: CancelToken;
  /** Runs the subset with float32 twins (`twin` opens one) and says what to compare. */
  measure: (subset: T[], twin: (model: ProbeModel) => ProbeModel, forced: ForcedAnswer[], tell: (message: string) => void) => Promise<Omit<CalibrationMeasures, 'topOne'>>;
}

/** The report of an int8 run (undefined for float32): the subset run in float32 and compared. */
async function calibrateProbe<T>(run: ProbeCalibration<T>): Promise<PrecisionReport | undefined> {
  if (!run.models.some((model) => model.runtime.precision === 'int8')) return undefined;
  const { requested, subset, ids, skipped } = calibrationPlan(run.units, run.id, run.calibration);
  if (skipped) return skipped;
  const memory = run.calibration?.memory;
  const started = performance.now();
  // One precision at a time: the int8 sessions go before any float32 one starts.
  for (const model of run.models) await model.runtime.unload();
  const tell = (message: string) => run.progress?.report({ fraction: 1, message: `calibration against float32: ${message}` });
  const forced: ForcedAnswer[] = [];
  const measures = await run.measure(subset, (model) => float32Twin(model, memory), forced, (message) => {
    throwIfCancelled(run.cancel);
    tell(message);
  });
  tell('int8 teacher-forced');
  const topOne = await int8Predictions(run.models, forced, run.cancel);
  return measuredReport(requested, ids, { ...measures, topOne }, (performance.now() - started) / 1000);
}

/** The same folder and runtime options with float32 weights, on the provider the int8 model ran on. */
function float32Twin(model: ProbeModel, memory: CalibrationMemory | undefined): ProbeModel {
  return openProbeModel(model.role, model.dir, float32TwinOptions(model.runtime, memory));
}

/** The model's predictions along `tokens` after the prompt (none for an empty answer). */
async function forcedTopOne(model: ProbeModel, messages: readonly PromptMessage[], tokens: readonly number[]): Promise<number[]> {
  if (tokens.length === 0) return [];
  const prepared = await preparePrompt(model, messages);
  return (await teacherForcedTopOne(model.runtime, prepared.ids, prepared.embedded, tokens)).topOne;
}

/** Teacher-forces an answer through a float32 twin and keeps it for the int8 pass. */
async function forceFloat32(forced: ForcedAnswer[], model: ProbeModel, messages: readonly PromptMessage[], tokens: readonly number[]): Promise<void> {
  forced.push({ role: model.role, messages, tokens, float32: await forcedTopOne(model, messages, tokens) });
}

/** A response's tokens as the tokenizer writes its text (records keep the text; the stop token is not in it). */
const textTokens = (model: ProbeModel, text: string) => model.processor.tokenizer.encode(text);

/** The same answers through the int8 models, one model at a time (each released after). */
async function int8Predictions(models: readonly ProbeModel[], forced: readonly ForcedAnswer[], cancel?: CancelToken): Promise<TopOnePair[]> {
  const pairs: TopOnePair[] = new Array(forced.length);
  for (const model of models) {
    try {
      for (const [index, answer] of forced.entries()) {
        if (answer.role !== model.role) continue;
        throwIfCancelled(cancel);
        pairs[index] = { int8: await forcedTopOne(model, answer.messages, answer.tokens), float32: answer.float32 };
      }
    } finally {
      await model.runtime.unload();
    }
  }
  return pairs;
}

/** Per-layer values of a curve, indexed by decoder layer (null where the probe has none). */
function byLayer<Row>(rows: readonly Row[], layers: number, layerOf: (row: Row) => number | null, value: (row: Row) => number | null): (number | null)[] {
  const curve: (number | null)[] = new Array(layers).fill(null);
  for (const row of rows) {
    const layer = layerOf(row);
    if (layer !== null && layer >= 0 && layer < layers) curve[layer] = value(row);
  }
  return curve;
}

/** Records of the subset, in subset order. */
function recordsOf<R extends { key: string }>(records: readonly R[], keys: readonly string[]): R[] {
  const byKey = new Map(records.map((record) => [record.key, record]));
  return keys.flatMap((key) => byKey.get(key) ?? []);
}

export function attentionCalibration(options: AttentionProbeOptions, records: readonly AttentionItem[]): Promise<PrecisionReport | undefined> {
  const { models, settings } = options;
  const layers = models.in.runtime.config.decoder.layers;
  return calibrateProbe<BenchmarkItem>({
    models: [models.in, models.rl], units: options.items, id: (item) => item.id, calibration: options.calibration, progress: options.progress, cancel: options.cancel,
    async measure(subset, twin, forced, tell) {
      const float32 = { in: twin(models.in), rl: twin(models.rl) };
      const float32Records: AttentionItem[] = [];
      try {
        for (const [index, item] of subset.entries()) {
          tell(`${item.id} (${index + 1}/${subset.length})`);
          const record = await measureItem(float32, item, settings, options.describer, options.cancel);
          float32Records.push(record);
          const messages = await conditionMessages(item, settings.condition, settings.style, options.describer);
          for (const role of ['in', 'rl'] as const) await forceFloat32(forced, float32[role], messages, textTokens(float32[role], record.responses[role]));
        }
      } finally {
        await float32.in.runtime.unload();
        await float32.rl.runtime.unload();
      }
      const int8Records = recordsOf(records, subset.map((item) => item.id));
      const answers = int8Records.flatMap((record, index) => (['in', 'rl'] as const).map((role) => ({ int8: record.responses[role], float32: float32Records[index]!.responses[role] })));
      const [int8Rows, float32Rows] = [attentionRows(int8Records, layers), attentionRows(float32Records, layers)];
      const curves: CurvePair[] = (['own', 'shared'] as const).flatMap((response) =>
        ([['IN', (row: AttentionRow) => row.in], ['RL', (row: AttentionRow) => row.rl], ['RL − IN', (row: AttentionRow) => row.difference]] as const).map(([series, value]): CurvePair => {
          const curve = (rows: AttentionRow[]) => byLayer(rows.filter((row) => row.response === response), layers, (row) => row.layer, value);
          return { name: `${series} attention mass, ${response} responses`, int8: curve(int8Rows), float32: curve(float32Rows) };
        }),
      );
      return {
        answers, curves,
        basis: { nextToken: "each model's own greedy response (float32's), its text's tokens", answers: "each model's own greedy response, as text (equal or not)" },
      };
    },
  });
}

export function ablationCalibration(options: AblationProbeOptions, records: readonly AblationItem[]): Promise<PrecisionReport | undefined> {
  const { models, settings } = options;
  const layers = models[0]!.runtime.config.decoder.layers;
  return calibrateProbe<BenchmarkItem>({
    models, units: options.items, id: (item) => item.id, calibration: options.calibration, progress: options.progress, cancel: options.cancel,
    async measure(subset, twin, forced, tell) {
      const float32Records: AblationItem[] = [];
      const rows = calibrationRows(settings.batch, DEFAULT_BATCH_ROWS, options.calibration?.memory);
      for (const model of models) {
        const float32 = twin(model);
        try {
          for (const [index, item] of subset.entries()) {
            tell(`${model.role.toUpperCase()} ${item.id} (${index + 1}/${subset.length})`);
            const record = await ablateItem(float32, item, { ...settings, batch: rows }, options.describer, options.cancel);
            float32Records.push(record);
            const baseline = record.runs.find((run) => run.layer === BASELINE)!;
            await forceFloat32(forced, float32, await conditionMessages(item, settings.condition, settings.style, options.describer), textTokens(float32, baseline.response));
          }
        } finally {
          await float32.runtime.unload();
        }
      }
      const int8Records = recordsOf(records, float32Records.map((record) => record.key));
      const scored = (run: AblationItem['runs'][number]) => JSON.stringify([run.extracted, run.correct]);
      const answers = int8Records.flatMap((record, index) => record.runs.map((run, position) => ({ int8: scored(run), float32: scored(float32Records[index]!.runs[position]!) })));
      const [int8Rows, float32Rows] = [ablationRows(int8Records), ablationRows(float32Records)];
      const curves = models.map(({ role }): CurvePair => {
        const curve = (rows: ReturnType<typeof ablationRows>) => byLayer(rows.filter((row) => row.model === role), layers, (row) => row.layer, (row) => row.delta);
        return { name: `${role.toUpperCase()} accuracy change with the layer ablated`, int8: curve(int8Rows), float32: curve(float32Rows) };
      });
      return {
        answers, curves,
        basis: { nextToken: "each model's baseline (nothing ablated) greedy answer (float32's), its text's tokens", answers: 'the extracted answer and its score, every run (baseline and each ablated layer) of each model' },
      };
    },
  });
}

export function swapCalibration(options: SwapProbeOptions, records: readonly SwapItem[]): Promise<PrecisionReport | undefined> {
  const { models, settings } = options;
  const layers = models[0]!.runtime.config.decoder.layers;
  // The target image and the pair's prompt: what the unswapped answer answers (swapPair's chat).
  const targetChat = (pair: VisionPair): PromptMessage[] => [{ role: 'user', content: [{ type: 'image', image: readImageFile(pair.targetImage), name: pair.targetImage }, { type: 'text', text: pair.prompt }] }];
  return calibrateProbe<VisionPair>({
    models, units: options.pairs, id: (pair) => pair.id, calibration: options.calibration, progress: options.progress, cancel: options.cancel,
    async measure(subset, twin, forced, tell) {
      const float32Records: SwapItem[] = [];
      const rows = calibrationRows(settings.batch, DEFAULT_BATCH_ROWS, options.calibration?.memory);
      for (const model of models) {
        const float32 = twin(model);
        try {
          for (const [index, pair] of subset.entries()) {
            tell(`${model.role.toUpperCase()} ${pair.id} (${index + 1}/${subset.length})`);
            const record = await swapPair(float32, pair, { ...settings, batch: rows }, options.cancel);
            float32Records.push(record);
            await forceFloat32(forced, float32, targetChat(pair), record.originalTokens);
          }
        } finally {
          await float32.runtime.unload();
        }
      }
      const int8Records = recordsOf(records, float32Records.map((record) => record.key));
      const answersOf = (record: SwapItem) => [record.originalAnswer, ...record.runs.map((run) => run.answer)].map(normalizeSwapAnswer);
      const answers = int8Records.flatMap((record, index) => {
        const float32 = answersOf(float32Records[index]!);
        return answersOf(record).map((answer, position) => ({ int8: answer, float32: float32[position]! }));
      });
      const [int8Rows, float32Rows] = [swapRows(int8Records), swapRows(float32Records)];
      const group = (row: SwapRow) => `${row.model.toUpperCase()} ${row.task} ${row.mode} ${row.decoding}`;
      const curves = [...new Set([...int8Rows, ...float32Rows].map(group))].flatMap((name) =>
        ([['change rate', (row: SwapRow) => row.change.rate], ['source adoption rate', (row: SwapRow) => (row.adoption.n > 0 ? row.adoption.rate : null)]] as const).map(([measure, value]): CurvePair => {
          const curve = (rows: SwapRow[]) => byLayer(rows.filter((row) => group(row) === name), layers, (row) => row.layer, value);
          return { name: `${name} ${measure}`, int8: curve(int8Rows), float32: curve(float32Rows) };
        }),
      );
      return {
        answers, curves,
        basis: { nextToken: "each model's unswapped greedy answer on the target image (float32's tokens)", answers: 'the normalized answer of the unswapped and of every swapped decoding, per model' },
      };
    },
  });
}

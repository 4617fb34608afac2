/**
 * The variant sweep (issue #8): greedy answers of IN, RL and merge variants to benchmark items
 * under the paper's input conditions (real image, black image of the same size, black image + a
 * text description), then per model accuracy per condition, M_vis / M_v2r / M_rea and the paired
 * comparison with IN (variantMetrics.ts). Variants run from referenced weights (variantRuntime.ts),
 * so nothing is merged on disk; any of them can be written afterwards with `frankenlens merge --plan`.
 *
 * Files in the output folder:
 * - `variants.jsonl`: one complete line per finished (model, condition, item) answer, appended as
 *   it finishes. A resumed run drops a torn last line and skips the answers already there;
 * - `variants.run.json`: the settings (models, plans, items, conditions, describer, token budget,
 *   prompt style) and fingerprints of every checkpoint, the items file and the images; resuming
 *   with other settings, or after any of those changed, is refused;
 * - `variants.summary.json` (schema frankenlens.variants/2), written only when every answer is in:
 *   per model and condition the scored accuracy with its Wilson interval and per-category results
 *   (src/core/bench's extraction and checking), the paper's metrics and the comparison with IN.
 * The real condition covers every item; the black ones the items with images. Models run one after
 * another and each one's sessions are released before the next starts, so memory holds one model
 * at a time; within a model, up to `batch` answers decode together as rows of one batch, an item
 * joining as another's answer ends (answerItems), so the records come in the order answers end.
 */
import { join, resolve } from 'node:path';
import type { BenchmarkItem } from '../bench/benchmarkItems';
import { scoreResponses, type ScoreSummary, type ScoredResponse } from '../bench/scoreResponses';
import { openCheckpoint } from '../checkpoint/checkpoint';
import { fingerprintFiles, type FileFingerprint } from '../checkpoint/fingerprint';
import { FrankenlensError } from '../errors';
import type { MergePlan } from '../merge/mergePlan';
import { ModelRuntime, type RuntimeOptions } from '../model/modelRuntime';
import { openVariantRuntime } from '../model/variantRuntime';
import { CONDITIONS, itemDescriber, type Condition, type Describer, type PromptStyle } from '../probes/conditions';
import { writeJsonAtomic } from '../atomicWrite';
import { peakRssBytes } from '../processMemory';
import { formatSeconds, openResumableRun } from '../probes/probeRun';
import type { ItemSources } from '../probes/runInputs';
import { throwIfCancelled, type CancelToken, type ProgressSink } from '../progress';
import { TOOL_NAME, TOOL_VERSION } from '../version';
import { readImageFile } from '../vision/imageDecode';
import { answerItems, answeringModel, type ItemAnswer } from './answerItems';
import { sweepCalibration } from './sweepCalibration';
import type { CalibrationOptions, PrecisionReport } from '../model/precisionReport';
import { VARIANTS_SCHEMA } from './variantComparison';
import { compareWithBaseline, paperMetrics, type ComparisonSettings, type ScoredConditions, type SweepRow } from './variantMetrics';
import { resolveExecutionProvider } from '../model/sessions';

/** One model of the sweep: a checkpoint folder, or a merge plan run from its sources' weights. */
export type SweepModel = { name: string; dir: string } | { name: string; plan: MergePlan };

export interface SweepSettings {
  maxNewTokens: number;
  style: PromptStyle;
  /** In CONDITIONS order, `real` first (conditionsFor checks and orders them). */
  conditions: Condition[];
}

export interface SweepAnswer extends ItemAnswer {
  /** JSON of [model name, condition, item id]: what a resumed run skips. */
  key: string;
  model: string;
  condition: Condition;
}

export interface VariantSweepOptions extends Pick<ItemSources, 'describerDir'> {
  models: readonly SweepModel[];
  items: readonly BenchmarkItem[];
  /** The item file, for the record and for errors. */
  itemsFile: string;
  settings: SweepSettings;
  /** Who describes images for black+description (default: the items' description field). */
  describer?: Describer;
  /** Called once the descriptions are made, before any model runs: a local describer model can leave memory. */
  releaseDescriber?: () => Promise<void>;
  /** The paired bootstrap against the first model (default 10000 resamples, seed 0). */
  bootstrap?: { resamples?: number; seed?: number };
  outDir: string;
  runtime?: RuntimeOptions;
  /** Answers decoded together at most (default DEFAULT_BATCH_ROWS): not part of the run's identity, the answers do not depend on it. */
  batch?: number;
  resume?: boolean;
  progress?: ProgressSink;
  cancel?: CancelToken;
  /** int8 runs: the float32 calibration (sweepCalibration.ts); not part of the run's identity. */
  calibration?: CalibrationOptions;
}

export interface VariantSweepResult {
  summaryPath: string;
  rows: SweepRow[];
  comparison: ComparisonSettings;
  /** Answers found in the output folder and not generated again. */
  resumed: number;
  /** Answers generated by this call. */
  generated: number;
  /** int8 runs: the agreement with float32 (also in the summary). */
  precisionAgreement?: PrecisionReport;
}

const answerKey = (model: string, condition: Condition, id: string) => JSON.stringify([model, condition, id]);
const hasImages = (item: BenchmarkItem) => item.images.length > 0;

/**
 * The conditions a sweep runs when none are asked for: all three when every item with images has
 * a description, else real and black (and only real when no item has an image); `skipped` says why
 * a condition was left out.
 */
export function defaultConditions(items: readonly BenchmarkItem[], describer: Describer = itemDescriber): { conditions: Condition[]; skipped: string[] } {
  const withImages = items.filter(hasImages);
  if (withImages.length === 0) return { conditions: ['real'], skipped: ['black and black+description: no item has an image'] };
  const undescribed = describer === itemDescriber ? withImages.filter((item) => !item.description?.trim()) : [];
  if (undescribed.length > 0) return { conditions: ['real', 'black'], skipped: [`black+description: ${undescribed.length} of ${withImages.length} items with an image lack a description`] };
  return { conditions: [...CONDITIONS], skipped: [] };
}

/** Checks asked-for conditions against the items and returns them in CONDITIONS order. */
export function conditionsFor(asked: readonly Condition[], items: readonly BenchmarkItem[], itemsFile: string, describer: Describer = itemDescriber): Condition[] {
  const unknown = asked.filter((condition) => !CONDITIONS.includes(condition));
  if (unknown.length > 0) throw new FrankenlensError('InvalidArgument', `unknown condition "${unknown[0]}" (conditions: ${CONDITIONS.join(', ')})`);
  if (!asked.includes('real')) throw new FrankenlensError('InvalidArgument', 'the conditions must include real: accuracy, the paper\'s metrics and the comparison with IN are all paired with it');
  const withImages = items.filter(hasImages);
  if (asked.some((condition) => condition !== 'real') && withImages.length === 0) throw new FrankenlensError('InvalidBenchmarkItem', `${itemsFile}: no item has an image, so the black conditions have nothing to replace`, itemsFile);
  if (asked.includes('black+description') && describer === itemDescriber) {
    const undescribed = withImages.filter((item) => !item.description?.trim());
    if (undescribed.length > 0) {
      const shown = undescribed.slice(0, 5).map((item) => `"${item.id}"`).join(', ');
      throw new FrankenlensError('InvalidBenchmarkItem', `${itemsFile}: black+description needs a "description" for every item with an image; ${undescribed.length} of ${withImages.length} have none (${shown}${undescribed.length > 5 ? ', …' : ''})`, itemsFile);
    }
  }
  return CONDITIONS.filter((condition) => asked.includes(condition));
}

/** Whether the sweep answers an item under a condition: every item with the real image, those with images under the black ones. */
const covers = (condition: Condition, item: BenchmarkItem) => condition === 'real' || hasImages(item);

export async function runVariantSweep(options: VariantSweepOptions): Promise<VariantSweepResult> {
  const { models, items, outDir } = options;
  const describer = options.describer ?? itemDescriber;
  const names = models.map((model) => model.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) throw new FrankenlensError('InvalidArgument', `two models of the sweep are both called "${duplicate}"`);
  if (items.length === 0) throw new FrankenlensError('InvalidBenchmarkItem', `${options.itemsFile}: no items`, options.itemsFile);
  const conditions = conditionsFor(options.settings.conditions, items, options.itemsFile, describer);
  // Open every model first (cheap: sessions start on first use), so a plan that cannot run fails before anything is written.
  const sweepModels = models.map((model) => ({
    model,
    opened: answeringModel(model.name, 'plan' in model ? openVariantRuntime(model.plan, options.runtime) : ModelRuntime.open(model.dir, options.runtime)),
    fingerprints: sourceFingerprints(model),
  }));
  const answersPath = join(outDir, 'variants.jsonl');
  const runPath = join(outDir, 'variants.run.json');
  const summaryPath = join(outDir, 'variants.summary.json');
  const settings = { ...options.settings, conditions, describer: describer.name, itemsFile: options.itemsFile, items: items.map((item) => item.id), models };
  const finished = new Map<string, SweepAnswer>();
  const run = openResumableRun<SweepAnswer>({
    outDir, outputKind: 'variants', recordsFile: answersPath, runFile: runPath, kind: 'a variant sweep',
    mismatch: 'the saved sweep used other settings (models, plans, items, conditions, describer, prompt or token budget)', settings, precision: options.runtime?.precision, resume: options.resume,
    checkRecord: (record) => (typeof record.model === 'string' && typeof record.response === 'string' ? null : 'not an answer of a variant sweep (no "model" or "response")'),
    inputs: { checkpoints: sweepCheckpoints(models, options.describerDir), files: [options.itemsFile], images: items.flatMap((item) => item.images), items },
  });
  try {
    for (const answer of run.earlier) {
      if (typeof answer.condition !== 'string') throw new FrankenlensError('InvalidResponses', `${answersPath}: answers without a condition, written by an earlier Frankenlens (real images only); start the sweep again in another folder`, answersPath);
      finished.set(answer.key, answer);
    }
    const needsDescription = (item: BenchmarkItem) => conditions.includes('black+description') && hasImages(item) && models.some((model) => !finished.has(answerKey(model.name, 'black+description', item.id)));
    const described = await describeOnce(describer, items.filter(needsDescription), options);
    const planned = models.flatMap((model) => items.flatMap((item) => conditions.filter((condition) => covers(condition, item)).map((condition) => answerKey(model.name, condition, item.id))));
    const resumed = planned.filter((key) => finished.has(key)).length;
    let done = resumed;
    let generated = 0;
    const started = performance.now();
    const hasWork = (name: string) => items.some((item) => conditions.some((condition) => covers(condition, item) && !finished.has(answerKey(name, condition, item.id))));
    for (const [index, { model, opened }] of sweepModels.entries()) {
      try {
        const questions = items.flatMap((item) => conditions.filter((condition) => covers(condition, item) && !finished.has(answerKey(model.name, condition, item.id))).map((condition) => ({ item, input: { condition, style: options.settings.style, describer: described } })));
        const doneBefore = done;
        await answerItems(opened, questions, options.settings.maxNewTokens, (index, answer) => {
          const condition = questions[index]!.input.condition;
          const key = answerKey(model.name, condition, answer.id);
          const record: SweepAnswer = { key, model: model.name, condition, ...answer };
          run.append(record);
          finished.set(key, record);
          done++;
          generated++;
          const eta = formatSeconds(((performance.now() - started) / 1000 / generated) * (planned.length - done));
          options.progress?.report({ fraction: done / planned.length, message: `${model.name}: ${done - doneBefore}/${questions.length} answers (${done}/${planned.length} in all) · ETA ${eta}` });
        }, { rows: options.batch, cancel: options.cancel });
        // Hand over: the next model's sessions start before this one's are released, so the layers
        // they share (a variant's IN or RL layers) stay loaded instead of restarting: at most two
        // checkpoints' layers are loaded at any time.
        const next = sweepModels[index + 1];
        if (next && hasWork(next.model.name)) await next.opened.runtime.load();
      } finally {
        await opened.runtime.unload();
      }
    }
    options.progress?.report({ fraction: 1, message: 'scoring' });

    const comparison: ComparisonSettings = { baseline: models[0]!.name, condition: 'real', mcnemar: 'exact', bootstrap: { resamples: options.bootstrap?.resamples ?? 10_000, seed: options.bootstrap?.seed ?? 0, confidence: 0.95 } };
    const textOnly = new Set(items.filter((item) => !hasImages(item)).map((item) => item.id));
    const scored = models.map((model) => scoreConditions(model.name, items, conditions, finished, answersPath));
    const rows: SweepRow[] = models.map((model, index) => ({
      model: model.name,
      kind: 'plan' in model ? model.plan.kind : 'checkpoint',
      conditions: Object.fromEntries(conditions.map((condition) => [condition, scored[index]!.summaries[condition]!])),
      metrics: paperMetrics(scored[index]!.results, textOnly),
      ...(index === 0 ? {} : { versusBaseline: compareWithBaseline(scored[0]!.results.real!, scored[index]!.results.real!, comparison) }),
    }));
    // A model whose answers were all resumed started no session in this call: it ran where this run runs.
    const runProvider = sweepModels.every(({ opened }) => opened.runtime.providerUsed) ? undefined : await resolveExecutionProvider(options.runtime?.executionProvider ?? 'auto');
    const precisionAgreement = await sweepCalibration(options, { opened: sweepModels.map(({ opened }) => opened), conditions, describer: described, answerOf: (model, condition, id) => finished.get(answerKey(model, condition, id)) });
    writeJsonAtomic(summaryPath, {
      schema: VARIANTS_SCHEMA,
      tool: { name: TOOL_NAME, version: TOOL_VERSION, node: process.version },
      created: new Date().toISOString(),
      settings,
      comparison,
      // Where and in what precision each model ran: beside the settings, not in them (a resume may run elsewhere).
      models: sweepModels.map(({ model, opened, fingerprints }) => ({ name: model.name, ...('plan' in model ? { plan: model.plan } : { dir: model.dir }), sources: fingerprints, generation: opened.generation, executionProvider: opened.runtime.providerUsed ?? runProvider, precision: opened.runtime.precision })),
      ...(precisionAgreement && { precisionAgreement }),
      items: items.length,
      rows,
      timing: { peakRssBytes: peakRssBytes() },
    });
    return { summaryPath, rows, comparison, resumed, generated, precisionAgreement };
  } finally {
    run.release();
  }
}

/**
 * Every description the sweep still needs, made once before any model runs (a describer that is a
 * model is then done and released), and a describer that hands them to every model.
 */
async function describeOnce(describer: Describer, items: readonly BenchmarkItem[], options: Pick<VariantSweepOptions, 'releaseDescriber' | 'progress' | 'cancel'>): Promise<Describer> {
  const descriptions = new Map<string, string>();
  try {
    for (const [index, item] of items.entries()) {
      throwIfCancelled(options.cancel);
      options.progress?.report({ fraction: 0, message: `describing ${item.id} (${index + 1}/${items.length})` });
      descriptions.set(item.id, await describer.describe(item, item.images.map((path) => ({ path, image: readImageFile(path) }))));
    }
  } finally {
    await options.releaseDescriber?.();
  }
  return { name: describer.name, describe: async (item) => descriptions.get(item.id)! };
}

/** One model's answers scored per condition with src/core/bench's extraction and checking. */
function scoreConditions(model: string, items: readonly BenchmarkItem[], conditions: readonly Condition[], answers: ReadonlyMap<string, SweepAnswer>, answersPath: string): { results: ScoredConditions; summaries: Partial<Record<Condition, ScoreSummary>> } {
  const results: Partial<Record<Condition, ScoredResponse[]>> = {};
  const summaries: Partial<Record<Condition, ScoreSummary>> = {};
  for (const condition of conditions) {
    const covered = items.filter((item) => covers(condition, item));
    const responses = new Map(covered.map((item) => [item.id, answers.get(answerKey(model, condition, item.id))!]));
    const scored = scoreResponses(covered, responses, { responsesFile: answersPath });
    results[condition] = scored.results;
    summaries[condition] = scored.summary;
  }
  return { results, summaries };
}

/** The checkpoints a sweep reads, named for messages: each model's folder, each plan's sources, the describer's. */
function sweepCheckpoints(models: readonly SweepModel[], describerDir?: string): Record<string, string> {
  const named = new Map<string, string>();
  for (const model of models) {
    const dirs = 'plan' in model ? Object.entries(model.plan.models).map(([alias, dir]) => [`"${model.name}" source "${alias}"`, dir] as const) : [[model.name, model.dir] as const];
    for (const [name, dir] of dirs) if (![...named.values()].includes(resolve(dir))) named.set(name, resolve(dir));
  }
  if (describerDir) named.set('describer', resolve(describerDir));
  return Object.fromEntries(named);
}

/** Every source folder's weight-file fingerprints, by folder: a changed checkpoint shows in the record. */
function sourceFingerprints(model: SweepModel): Record<string, FileFingerprint[]> {
  const dirs = 'plan' in model ? Object.values(model.plan.models) : [model.dir];
  return Object.fromEntries(dirs.map((dir) => [dir, fingerprintFiles(openCheckpoint(dir))]));
}

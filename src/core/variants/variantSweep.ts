/**
 * The variant sweep (issue #8): greedy answers of IN, RL and merge variants to benchmark items,
 * then accuracy with Wilson intervals per model. Variants run from referenced weights
 * (variantRuntime.ts), so nothing is merged on disk; any of them can be written afterwards with
 * `frankenlens merge --plan`.
 *
 * Files in the output folder:
 * - `variants.jsonl`: one complete line per finished (model, item) answer, appended as it
 *   finishes. A resumed run drops a torn last line and skips the pairs already there;
 * - `variants.run.json`: the settings (models, plans, items, token budget, prompt style); resuming
 *   with other settings is refused;
 * - `variants.summary.json` (schema frankenlens.variants/1): per model the scored accuracy, its
 *   Wilson interval and per-category results, from src/core/bench's extraction and checking.
 * Models run one after another and each one's sessions are released before the next starts, so
 * memory holds one model at a time.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchmarkItem } from '../bench/benchmarkItems';
import { scoreResponses, type ScoreSummary } from '../bench/scoreResponses';
import { openCheckpoint } from '../checkpoint/checkpoint';
import { fingerprintFiles, type FileFingerprint } from '../checkpoint/fingerprint';
import { FrankenlensError } from '../errors';
import type { MergePlan } from '../merge/mergePlan';
import { ModelRuntime, type RuntimeOptions } from '../model/modelRuntime';
import { openVariantRuntime } from '../model/variantRuntime';
import type { PromptStyle } from '../probes/conditions';
import { readRecords, writeJsonAtomic } from '../probes/probeRun';
import { throwIfCancelled, type CancelToken, type ProgressSink } from '../progress';
import { TOOL_NAME, TOOL_VERSION } from '../version';
import { answerItem, answeringModel, type ItemAnswer } from './answerItems';

export const VARIANTS_SCHEMA = 'frankenlens.variants/1';

/** One model of the sweep: a checkpoint folder, or a merge plan run from its sources' weights. */
export type SweepModel = { name: string; dir: string } | { name: string; plan: MergePlan };

export interface SweepSettings {
  maxNewTokens: number;
  style: PromptStyle;
}

export interface SweepAnswer extends ItemAnswer {
  /** JSON of [model name, item id]: what a resumed run skips. */
  key: string;
  model: string;
}

export interface SweepRow {
  model: string;
  kind: 'checkpoint' | MergePlan['kind'];
  summary: ScoreSummary;
}

export interface VariantSweepOptions {
  models: readonly SweepModel[];
  items: readonly BenchmarkItem[];
  /** The item file, for the record. */
  itemsFile: string;
  settings: SweepSettings;
  outDir: string;
  runtime?: RuntimeOptions;
  resume?: boolean;
  progress?: ProgressSink;
  cancel?: CancelToken;
}

export interface VariantSweepResult {
  summaryPath: string;
  rows: SweepRow[];
  /** Answers found in the output folder and not generated again. */
  resumed: number;
}

const answerKey = (model: string, id: string) => JSON.stringify([model, id]);

export async function runVariantSweep(options: VariantSweepOptions): Promise<VariantSweepResult> {
  const { models, items, outDir } = options;
  const names = models.map((model) => model.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) throw new FrankenlensError('InvalidArgument', `two models of the sweep are both called "${duplicate}"`);
  // Open every model first (cheap: sessions start on first use), so a plan that cannot run fails before anything is written.
  const described = models.map((model) => ({
    model,
    opened: answeringModel(model.name, 'plan' in model ? openVariantRuntime(model.plan, options.runtime) : ModelRuntime.open(model.dir, options.runtime)),
    fingerprints: sourceFingerprints(model),
  }));
  mkdirSync(outDir, { recursive: true });
  const answersPath = join(outDir, 'variants.jsonl');
  const runPath = join(outDir, 'variants.run.json');
  const settings = { ...options.settings, itemsFile: options.itemsFile, items: items.map((item) => item.id), models };
  const finished = new Map<string, SweepAnswer>();
  if (existsSync(answersPath) || existsSync(runPath)) {
    if (!options.resume) throw new FrankenlensError('FileExists', `${outDir}: already holds a variant sweep; resume it (--resume) or choose another output folder`, outDir);
    const saved = existsSync(runPath) ? JSON.stringify((JSON.parse(readFileSync(runPath, 'utf8')) as { settings: unknown }).settings) : null;
    if (saved !== null && saved !== JSON.stringify(settings)) throw new FrankenlensError('PlanMismatch', `${runPath}: the saved sweep used other settings (models, plans, items or token budget); resume with the same ones or choose another output folder`, runPath);
    for (const answer of readRecords<SweepAnswer>(answersPath)) finished.set(answer.key, answer);
  }
  writeJsonAtomic(runPath, { settings });

  const total = models.length * items.length;
  const resumed = models.reduce((count, model) => count + items.filter((item) => finished.has(answerKey(model.name, item.id))).length, 0);
  let done = resumed;
  for (const { model, opened } of described) {
    try {
      for (const item of items) {
        const key = answerKey(model.name, item.id);
        if (finished.has(key)) continue;
        throwIfCancelled(options.cancel);
        options.progress?.report({ fraction: done / total, message: `${model.name}: ${item.id} (${done + 1}/${total})` });
        const answer: SweepAnswer = { key, model: model.name, ...(await answerItem(opened, item, options.settings.maxNewTokens, options.settings.style, options.cancel)) };
        appendFileSync(answersPath, `${JSON.stringify(answer)}\n`);
        finished.set(key, answer);
        done++;
      }
    } finally {
      await opened.runtime.unload();
    }
  }
  options.progress?.report({ fraction: 1, message: 'scoring' });

  const rows: SweepRow[] = models.map((model) => {
    const responses = new Map(items.map((item) => [item.id, finished.get(answerKey(model.name, item.id))!]));
    return { model: model.name, kind: 'plan' in model ? model.plan.kind : 'checkpoint', summary: scoreResponses(items, responses, { responsesFile: answersPath }).summary };
  });
  const summaryPath = join(outDir, 'variants.summary.json');
  writeJsonAtomic(summaryPath, {
    schema: VARIANTS_SCHEMA,
    tool: { name: TOOL_NAME, version: TOOL_VERSION, node: process.version },
    created: new Date().toISOString(),
    settings,
    models: described.map(({ model, opened, fingerprints }) => ({ name: model.name, ...('plan' in model ? { plan: model.plan } : { dir: model.dir }), sources: fingerprints, generation: opened.generation })),
    items: items.length,
    rows,
  });
  return { summaryPath, rows, resumed };
}

/** Every source folder's weight-file fingerprints, by folder: a changed checkpoint shows in the record. */
function sourceFingerprints(model: SweepModel): Record<string, FileFingerprint[]> {
  const dirs = 'plan' in model ? Object.values(model.plan.models) : [model.dir];
  return Object.fromEntries(dirs.map((dir) => [dir, fingerprintFiles(openCheckpoint(dir))]));
}

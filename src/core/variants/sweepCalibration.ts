/**
 * The float32 calibration of a variant sweep run with int8 weights (docs/precision.md): once every
 * answer is in, a calibration subset of the sweep's own items (calibrationItems: evenly spread,
 * default 8) is answered again, by every model under every condition the sweep answered it in, by
 * float32 twins of the models (the same folders or plans and runtime options, float32 weights, on
 * the provider the int8 run used) with the sweep's own answerItems. Models go one at a time and each
 * precision's sessions are released before the other's start: a model's float32 twin answers and
 * teacher-forces its answers, is released, then the int8 model (its sessions started again)
 * teacher-forces the same answers and is released. Compared, over those (model, condition, item)
 * answers: next-token top-1 along float32's answers, and the scored answers (the extracted answer
 * and its correctness, scored as the summary scores them) with a Wilson 95% interval. The sweep
 * has no per-layer curve. Black+description sees the descriptions the sweep used.
 */
import type { BenchmarkItem } from '../bench/benchmarkItems';
import { scoreResponses } from '../bench/scoreResponses';
import { DEFAULT_BATCH_ROWS } from '../model/batchSizes';
import { ModelRuntime } from '../model/modelRuntime';
import type { TopOnePair } from '../model/precisionAgreement';
import { calibrationPlan, calibrationRows, float32TwinOptions, measuredReport, type PrecisionReport } from '../model/precisionReport';
import { teacherForcedTopOne } from '../model/teacherForced';
import { openVariantRuntime } from '../model/variantRuntime';
import { itemDescriber, type Condition, type Describer } from '../probes/conditions';
import { throwIfCancelled } from '../progress';
import { answeringModel, answerItems, itemPrompt, type AnsweringModel, type ItemAnswer, type ItemQuestion } from './answerItems';
import type { SweepAnswer, VariantSweepOptions } from './variantSweep';

export interface SweepCalibrationRun {
  /** The sweep's int8 models, in the order of options.models. */
  opened: readonly AnsweringModel[];
  conditions: readonly Condition[];
  /** The describer the sweep's answers used (descriptions made once). */
  describer: Describer;
  /** The sweep's (int8) answer of a model to an item under a condition; undefined where it answers none. */
  answerOf: (model: string, condition: Condition, id: string) => SweepAnswer | undefined;
}

/** The report of an int8 sweep (undefined for float32). */
export async function sweepCalibration(options: VariantSweepOptions, run: SweepCalibrationRun): Promise<PrecisionReport | undefined> {
  if (!run.opened.some((model) => model.runtime.precision === 'int8')) return undefined;
  const { requested, subset, ids, skipped } = calibrationPlan(options.items, (item) => item.id, options.calibration);
  if (skipped) return skipped;
  const memory = options.calibration?.memory;
  const rows = calibrationRows(options.batch, DEFAULT_BATCH_ROWS, memory);
  const started = performance.now();
  for (const model of run.opened) await model.runtime.unload();
  // The sweep's descriptions; one it did not make in this call (a resumed sweep) is asked for again.
  const again = new Map<string, Promise<string>>();
  const describer: Describer = {
    name: run.describer.name,
    describe: async (item, images) => {
      const known = (await run.describer.describe(item, images)) as string | undefined;
      if (known !== undefined) return known;
      if (!again.has(item.id)) again.set(item.id, (options.describer ?? itemDescriber).describe(item, images));
      return again.get(item.id)!;
    },
  };
  const topOne: TopOnePair[] = [];
  const answers: { int8: string | null; float32: string | null }[] = [];
  try {
    for (const [index, model] of options.models.entries()) {
      const int8 = run.opened[index]!;
      const questions: (ItemQuestion & { item: BenchmarkItem; condition: Condition })[] = subset.flatMap((item) =>
        run.conditions.filter((condition) => run.answerOf(model.name, condition, item.id)).map((condition) => ({ item, condition, input: { condition, style: options.settings.style, describer } })),
      );
      if (questions.length === 0) continue;
      const runtime = float32TwinOptions(int8.runtime, memory);
      const float32 = answeringModel(model.name, 'plan' in model ? openVariantRuntime(model.plan, runtime) : ModelRuntime.open(model.dir, runtime));
      const float32Answers: ItemAnswer[] = [];
      const tokens: number[][] = [];
      const float32TopOne: number[][] = [];
      try {
        throwIfCancelled(options.cancel);
        options.progress?.report({ fraction: 1, message: `calibration against float32: ${model.name}, ${questions.length} answers` });
        await answerItems(float32, questions, options.settings.maxNewTokens, (position, answer) => void (float32Answers[position] = answer), { rows, cancel: options.cancel });
        for (const [position, question] of questions.entries()) {
          tokens[position] = float32.processor.tokenizer.encode(float32Answers[position]!.response);
          float32TopOne[position] = await forcedTopOne(float32, question, tokens[position]!);
        }
      } finally {
        await float32.runtime.unload();
      }
      try {
        for (const [position, question] of questions.entries()) {
          throwIfCancelled(options.cancel);
          topOne.push({ int8: await forcedTopOne(int8, question, tokens[position]!), float32: float32TopOne[position]! });
        }
      } finally {
        await int8.runtime.unload();
      }
      for (const condition of run.conditions) {
        const asked = questions.flatMap((question, position) => (question.condition === condition ? [{ item: question.item, float32: float32Answers[position]! }] : []));
        if (asked.length === 0) continue;
        const items = asked.map(({ item }) => item);
        const scored = (answer: (id: string) => ItemAnswer) => new Map(scoreResponses(items, new Map(items.map((item) => [item.id, answer(item.id)]))).results.map((result) => [result.id, JSON.stringify([result.extracted, result.correct])]));
        const int8Scores = scored((id) => run.answerOf(model.name, condition, id)!);
        const float32Scores = scored((id) => asked.find((entry) => entry.item.id === id)!.float32);
        for (const item of items) answers.push({ int8: int8Scores.get(item.id) ?? null, float32: float32Scores.get(item.id) ?? null });
      }
    }
  } finally {
    if (again.size > 0) await options.releaseDescriber?.();
  }
  return measuredReport(requested, ids, {
    topOne, answers, curves: [],
    basis: { nextToken: "each model's greedy answer under each condition (float32's), its text's tokens", answers: 'the extracted answer and its score, per model, condition and item' },
  }, (performance.now() - started) / 1000);
}

/** The model's predictions along `tokens` after the question's prompt (none for an empty answer). */
async function forcedTopOne(model: AnsweringModel, question: ItemQuestion, tokens: readonly number[]): Promise<number[]> {
  if (tokens.length === 0) return [];
  const { ids, prompt } = await itemPrompt(model, question);
  return (await teacherForcedTopOne(model.runtime, ids, prompt, tokens)).topOne;
}

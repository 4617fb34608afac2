/**
 * The comparison of a variant sweep as tables: one row per model (accuracy per condition with its
 * Wilson interval, the paper's metrics with their counts, the paired comparison with IN), and per
 * model one row per item and condition (the answer extracted, the rule that decided, right or
 * wrong), re-scored from `variants.jsonl` with the same extraction and checking as the summary.
 * Pure but for reading the sweep's files.
 */
import { join } from 'node:path';
import { readBenchmarkItems } from '../bench/benchmarkItems';
import type { ModelResponse } from '../bench/modelResponses';
import { scoreResponses } from '../bench/scoreResponses';
import { FrankenlensError } from '../errors';
import { readRegularFileText, TABLE_FILE_BYTES } from '../regularFile';
import type { Condition } from '../probes/conditions';
import type { ComparisonSettings, PaperMetrics, SweepRow } from './variantMetrics';
import type { PrecisionReport } from '../model/precisionReport';

export const VARIANTS_SCHEMA = 'frankenlens.variants/2';
/** Sweeps of the first version answered with the real image only and kept no condition per answer. */
export const VARIANTS_SCHEMA_V1 = 'frankenlens.variants/1';

export interface VariantsSummary {
  schema: typeof VARIANTS_SCHEMA;
  items: number;
  settings: { itemsFile: string; maxNewTokens: number; conditions: Condition[]; describer: string };
  comparison: ComparisonSettings;
  rows: SweepRow[];
  /** int8 sweeps only: the agreement with float32 on a calibration subset (precisionReport.ts). */
  precisionAgreement?: PrecisionReport;
}

export interface Table {
  columns: string[];
  rows: string[][];
}

const ratio = (value: number) => value.toFixed(4);
const METRICS = ['M_vis', 'M_v2r', 'M_rea'] as const satisfies readonly (keyof PaperMetrics)[];

/**
 * One row per model. Columns appear only for what the sweep has: accuracy with the real image
 * (correct, scored, accuracy, Wilson bounds), then accuracy and bounds under each other condition,
 * each paper metric with its bounds, count and N, and against the baseline the accuracy
 * difference (model − baseline) with its paired bootstrap bounds, the discordant counts b (only
 * the baseline right) and c (only this model right) and McNemar's exact p. The baseline's own
 * comparison cells are empty.
 */
export function variantScoreTable(summary: VariantsSummary): Table {
  const others = summary.settings.conditions.filter((condition) => condition !== 'real');
  const metrics = METRICS.filter((metric) => summary.rows.some((row) => row.metrics[metric] !== undefined));
  const baseline = summary.comparison.baseline;
  const columns = [
    'model', 'kind', 'correct', 'scored', 'accuracy', 'lower 95%', 'upper 95%',
    ...others.flatMap((condition) => [`${condition} accuracy`, `${condition} lower 95%`, `${condition} upper 95%`]),
    ...metrics.flatMap((metric) => [metric, `${metric} lower 95%`, `${metric} upper 95%`, `${metric} count`, `${metric} N`]),
    `Δ vs ${baseline}`, `Δ lower 95%`, `Δ upper 95%`, `b (only ${baseline})`, 'c (only model)', 'McNemar exact p',
  ];
  const rows = summary.rows.map(({ model, kind, conditions, metrics: values, versusBaseline }) => {
    const real = conditions.real!.overall;
    const paired = versusBaseline
      ? [ratio(versusBaseline.difference), ratio(versusBaseline.bootstrap.interval.lower), ratio(versusBaseline.bootstrap.interval.upper), String(versusBaseline.mcnemar.onlyFirst), String(versusBaseline.mcnemar.onlySecond), ratio(versusBaseline.mcnemar.pValue)]
      : ['', '', '', '', '', ''];
    return [
      model, kind, String(real.correct), String(real.total), ratio(real.accuracy), ratio(real.interval.lower), ratio(real.interval.upper),
      ...others.flatMap((condition) => {
        const score = conditions[condition]!.overall;
        return [ratio(score.accuracy), ratio(score.interval.lower), ratio(score.interval.upper)];
      }),
      ...metrics.flatMap((metric) => {
        const value = values[metric];
        return value ? [ratio(value.value), ratio(value.interval.lower), ratio(value.interval.upper), String(value.count), String(value.n)] : ['', '', '', '', ''];
      }),
      ...paired,
    ];
  });
  return { columns, rows };
}

/** Per model, every answered item under each condition: id, condition, category, gold, extracted answer, the deciding rule, correct. */
export function variantItemTables(summary: VariantsSummary, outDir: string): Record<string, Table> {
  const answersFile = join(outDir, 'variants.jsonl');
  const items = readBenchmarkItems(summary.settings.itemsFile);
  const { conditions } = summary.settings;
  const answers = new Map<string, Map<Condition, Map<string, ModelResponse>>>();
  // Complete lines only: a sweep still running may be half-way through its last line.
  const text = readRegularFileText(answersFile, { code: 'InvalidResponses', maxBytes: TABLE_FILE_BYTES });
  text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .forEach((line, index) => {
      if (line === '') return;
      let answer: { model?: unknown; condition?: unknown; id?: unknown; response?: unknown };
      try {
        answer = JSON.parse(line);
      } catch {
        throw new FrankenlensError('InvalidResponses', `${answersFile}:${index + 1}: not a JSON line`, answersFile);
      }
      if (typeof answer.model !== 'string' || typeof answer.id !== 'string' || typeof answer.response !== 'string' || !conditions.includes(answer.condition as Condition)) {
        throw new FrankenlensError('InvalidResponses', `${answersFile}:${index + 1}: needs "model", "id" and "response" strings and a "condition" of the sweep (${conditions.join(', ')})`, answersFile);
      }
      const byCondition = answers.get(answer.model) ?? new Map<Condition, Map<string, ModelResponse>>();
      answers.set(answer.model, byCondition);
      const responses = byCondition.get(answer.condition as Condition) ?? new Map<string, ModelResponse>();
      byCondition.set(answer.condition as Condition, responses);
      responses.set(answer.id, { id: answer.id, response: answer.response });
    });
  const category = new Map(items.map((item) => [item.id, item.category ?? '']));
  const order = new Map(items.map((item, index) => [item.id, index]));
  const tables: Record<string, Table> = {};
  for (const { model } of summary.rows) {
    const rows: { item: number; condition: number; cells: string[] }[] = [];
    for (const condition of conditions) {
      const responses = answers.get(model)?.get(condition) ?? new Map<string, ModelResponse>();
      const answered = items.filter((item) => responses.has(item.id));
      for (const result of scoreResponses(answered, responses, { responsesFile: answersFile }).results) {
        rows.push({ item: order.get(result.id)!, condition: conditions.indexOf(condition), cells: [result.id, condition, category.get(result.id) ?? '', result.gold, result.extracted ?? '', result.extractionRule, result.correct ? 'yes' : 'no'] });
      }
    }
    rows.sort((a, b) => a.item - b.item || a.condition - b.condition);
    tables[model] = { columns: ['item', 'condition', 'category', 'gold', 'extracted', 'rule', 'correct'], rows: rows.map((row) => row.cells) };
  }
  return tables;
}

/**
 * The comparison of a variant sweep as tables: one row per model (accuracy with its Wilson
 * interval), and per model one row per item (the answer extracted, the rule that decided, right or
 * wrong), re-scored from `variants.jsonl` with the same extraction and checking as the summary.
 * Pure but for reading the sweep's files.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readBenchmarkItems } from '../bench/benchmarkItems';
import type { ModelResponse } from '../bench/modelResponses';
import { scoreResponses, type ScoreSummary } from '../bench/scoreResponses';
import { FrankenlensError } from '../errors';

export interface VariantsSummary {
  schema: 'frankenlens.variants/1';
  items: number;
  settings: { itemsFile: string; maxNewTokens: number };
  rows: { model: string; kind: string; summary: ScoreSummary }[];
}

export interface Table {
  columns: string[];
  rows: string[][];
}

const ratio = (value: number) => value.toFixed(4);

export function variantScoreTable(summary: VariantsSummary): Table {
  return {
    columns: ['model', 'kind', 'correct', 'scored', 'accuracy', 'lower 95%', 'upper 95%'],
    rows: summary.rows.map(({ model, kind, summary: score }) => [
      model,
      kind,
      String(score.overall.correct),
      String(score.overall.total),
      ratio(score.overall.accuracy),
      ratio(score.overall.interval.lower),
      ratio(score.overall.interval.upper),
    ]),
  };
}

/** Per model, every answered item: id, category, gold, extracted answer, the deciding rule, correct. */
export function variantItemTables(summary: VariantsSummary, outDir: string): Record<string, Table> {
  const answersFile = join(outDir, 'variants.jsonl');
  const items = readBenchmarkItems(summary.settings.itemsFile);
  const byModel = new Map<string, Map<string, ModelResponse>>();
  // Complete lines only: a sweep still running may be half-way through its last line.
  const text = readFileSync(answersFile, 'utf8');
  text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .forEach((line, index) => {
      if (line === '') return;
      let answer: { model?: unknown; id?: unknown; response?: unknown };
      try {
        answer = JSON.parse(line);
      } catch {
        throw new FrankenlensError('InvalidResponses', `${answersFile}:${index + 1}: not a JSON line`, answersFile);
      }
      if (typeof answer.model !== 'string' || typeof answer.id !== 'string' || typeof answer.response !== 'string') {
        throw new FrankenlensError('InvalidResponses', `${answersFile}:${index + 1}: needs "model", "id" and "response" strings`, answersFile);
      }
      if (!byModel.has(answer.model)) byModel.set(answer.model, new Map());
      byModel.get(answer.model)!.set(answer.id, { id: answer.id, response: answer.response });
    });
  const category = new Map(items.map((item) => [item.id, item.category ?? '']));
  const tables: Record<string, Table> = {};
  for (const { model } of summary.rows) {
    const responses = byModel.get(model) ?? new Map<string, ModelResponse>();
    const answered = items.filter((item) => responses.has(item.id));
    const { results } = scoreResponses(answered, responses, { responsesFile: answersFile });
    tables[model] = {
      columns: ['item', 'category', 'gold', 'extracted', 'rule', 'correct'],
      rows: results.map((result) => [result.id, category.get(result.id) ?? '', result.gold, result.extracted ?? '', result.extractionRule, result.correct ? 'yes' : 'no']),
    };
  }
  return tables;
}

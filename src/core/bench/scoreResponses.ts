/**
 * Scores model responses against benchmark items: per item the extracted answer, the rules that
 * decided, and correctness; over all items the accuracy with its Wilson interval, per category too.
 */
import { FrankenlensError } from '../errors';
import { checkAnswer, type CheckRule, type NumericTolerance } from './answerCheck';
import { extractAnswer, type ExtractionRule, type ScoringProtocol } from './answerExtraction';
import { accuracyOf, type Accuracy } from './benchMetrics';
import type { BenchmarkItem } from './benchmarkItems';
import type { ModelResponse } from './modelResponses';

export interface ScoredResponse {
  id: string;
  correct: boolean;
  gold: string;
  extracted: string | null;
  normalized: string | null;
  extractionRule: ExtractionRule;
  /** [start, end) of the extracted answer in the response. */
  span?: [number, number];
  choiceLetter?: string;
  notes: string[];
  checkRule: CheckRule;
  detail: string;
  category?: string;
}

export interface ScoreSummary {
  protocol: ScoringProtocol;
  /** The paper's extra numeric rule, or null: Math-Verify's comparison only (the default). */
  tolerance: NumericTolerance | null;
  /** Items with a response; accuracy is over these. */
  scored: number;
  /** Ids of items without a response (not counted). */
  missing: string[];
  overall: Accuracy;
  byCategory: Record<string, Accuracy>;
  extractionRules: Partial<Record<ExtractionRule, number>>;
  checkRules: Partial<Record<CheckRule, number>>;
}

export interface ScoreOptions {
  protocol?: ScoringProtocol;
  /** PAPER_TOLERANCE adds the paper's 1% numeric rule; absent or null, Math-Verify's comparison only. */
  tolerance?: NumericTolerance | null;
  /** Names the responses' source in errors. */
  responsesFile?: string;
}

export function scoreResponses(items: readonly BenchmarkItem[], responses: ReadonlyMap<string, ModelResponse>, options: ScoreOptions = {}): { results: ScoredResponse[]; summary: ScoreSummary } {
  const protocol = options.protocol ?? 'transfer';
  const tolerance = options.tolerance ?? null;
  const itemIds = new Set(items.map((item) => item.id));
  const unknown = [...responses.keys()].filter((id) => !itemIds.has(id));
  if (unknown.length > 0) {
    const shown = unknown.slice(0, 5).map((id) => `"${id}"`).join(', ');
    throw new FrankenlensError('InvalidResponses', `${options.responsesFile ?? 'responses'}: ${unknown.length} response id${unknown.length > 1 ? 's' : ''} not among the items (${shown}${unknown.length > 5 ? ', …' : ''})`, options.responsesFile);
  }
  const results: ScoredResponse[] = [];
  const missing: string[] = [];
  for (const item of items) {
    const response = responses.get(item.id);
    if (!response) {
      missing.push(item.id);
      continue;
    }
    const extraction = extractAnswer(response.response, { choices: item.choices, protocol });
    const check = checkAnswer(extraction, item, response.response, tolerance);
    results.push({
      id: item.id,
      correct: check.correct,
      gold: item.answer,
      extracted: extraction.extracted ?? null,
      normalized: extraction.normalized ?? null,
      extractionRule: extraction.rule,
      ...(extraction.span ? { span: extraction.span } : {}),
      ...(extraction.choiceLetter ? { choiceLetter: extraction.choiceLetter } : {}),
      notes: extraction.notes,
      checkRule: check.rule,
      detail: check.detail,
      ...(item.category !== undefined ? { category: item.category } : {}),
    });
  }
  const categories = [...new Set(results.flatMap((result) => (result.category === undefined ? [] : [result.category])))].sort();
  return {
    results,
    summary: {
      protocol,
      tolerance,
      scored: results.length,
      missing,
      overall: accuracyOf(results.map((result) => result.correct)),
      byCategory: Object.fromEntries(categories.map((category) => [category, accuracyOf(results.filter((result) => result.category === category).map((result) => result.correct))])),
      extractionRules: countOf(results.map((result) => result.extractionRule)),
      checkRules: countOf(results.map((result) => result.checkRule)),
    },
  };
}

function countOf<K extends string>(keys: readonly K[]): Partial<Record<K, number>> {
  const counts: Partial<Record<K, number>> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}

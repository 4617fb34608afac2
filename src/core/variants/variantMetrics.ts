/**
 * The numbers of one model in a variant sweep, from its scored answers per input condition:
 * accuracy per condition (Wilson intervals), the paper's M_vis, M_v2r and M_rea with their paired
 * counts (reference §3.8, computed by benchMetrics.ts), and the paired comparison with the sweep's
 * baseline (IN) on the real images: McNemar's exact test on the discordant items and a seeded
 * paired bootstrap interval of the accuracy difference.
 *
 * Which items enter what: M_vis pairs real with black image, M_v2r real with black image +
 * description, both over the items with images; M_rea is the accuracy on the text-only items (the
 * question alone, as the paper's MATH-500 test). A metric whose items or condition the sweep lacks
 * is absent. The paper splits its items by benchmark subset; here, choose the item file to match.
 */
import { compareCheckpoints, mRea, mV2r, mVis, type CheckpointComparison, type Correctness, type PaperMetric } from '../bench/benchMetrics';
import type { ScoreSummary, ScoredResponse } from '../bench/scoreResponses';
import type { MergePlan } from '../merge/mergePlan';
import type { Condition } from '../probes/conditions';

export interface PaperMetrics {
  M_vis?: PaperMetric;
  M_v2r?: PaperMetric;
  M_rea?: PaperMetric;
}

/** How the variants are compared with the baseline; recorded in the summary. */
export interface ComparisonSettings {
  /** The model every other one is compared with: the sweep's first (IN). */
  baseline: string;
  condition: 'real';
  /** Two-sided exact binomial test on the discordant items (McNemar exact), at any count. */
  mcnemar: 'exact';
  bootstrap: { resamples: number; seed: number; confidence: number };
}

export interface SweepRow {
  model: string;
  kind: 'checkpoint' | MergePlan['kind'];
  /** Scores per condition the sweep ran; `real` always. */
  conditions: Partial<Record<Condition, ScoreSummary>>;
  metrics: PaperMetrics;
  /** Against the baseline on the real condition, baseline first (so the difference is this − baseline); absent for the baseline. */
  versusBaseline?: CheckpointComparison;
}

/** Per condition, the scored answers of one model. */
export type ScoredConditions = Partial<Record<Condition, readonly ScoredResponse[]>>;

export const correctnessOf = (results: readonly ScoredResponse[]): Correctness => new Map(results.map((result) => [result.id, result.correct]));

/** M_vis, M_v2r and M_rea of one model; `textOnly` holds the ids of the items without an image. */
export function paperMetrics(scored: ScoredConditions, textOnly: ReadonlySet<string>): PaperMetrics {
  const real = scored.real ?? [];
  const realWithImages = correctnessOf(real.filter((result) => !textOnly.has(result.id)));
  const metrics: PaperMetrics = {};
  if (scored.black && realWithImages.size > 0) metrics.M_vis = mVis(realWithImages, correctnessOf(scored.black));
  if (scored['black+description'] && realWithImages.size > 0) metrics.M_v2r = mV2r(realWithImages, correctnessOf(scored['black+description']));
  if (textOnly.size > 0) metrics.M_rea = mRea(correctnessOf(real.filter((result) => textOnly.has(result.id))));
  return metrics;
}

/** The model's real-image answers against the baseline's, on the items both answered. */
export function compareWithBaseline(baselineReal: readonly ScoredResponse[], modelReal: readonly ScoredResponse[], settings: ComparisonSettings): CheckpointComparison {
  return compareCheckpoints(correctnessOf(baselineReal), correctnessOf(modelReal), { ...settings.bootstrap, mcnemar: settings.mcnemar });
}

/**
 * Metrics over scored items: accuracy with a Wilson interval, the paper's transition statistics
 * between two input conditions and its M_vis / M_v2r / M_rea (reference §3.8), and a paired
 * comparison of two checkpoints on the same items (McNemar and a paired bootstrap).
 *
 * Values are fractions in [0, 1], not rounded (the paper rounds to 4 decimals in its JSON).
 */
import { mcnemarTest, type McNemarMethod, type McNemarResult } from '../stats/mcnemar';
import { pairedBootstrap, type BootstrapOptions, type PairedBootstrapResult } from '../stats/pairedBootstrap';
import { wilsonInterval, type ProportionInterval } from '../stats/wilson';

/** Per-item correctness of one model under one condition, keyed by item id. */
export type Correctness = ReadonlyMap<string, boolean>;

export interface Accuracy {
  correct: number;
  total: number;
  /** correct / total; 0 when there are no items. */
  accuracy: number;
  interval: ProportionInterval;
}

export function accuracyOf(correctness: Iterable<boolean>, confidence = 0.95): Accuracy {
  let correct = 0;
  let total = 0;
  for (const value of correctness) {
    total++;
    if (value) correct++;
  }
  return { correct, total, accuracy: total === 0 ? 0 : correct / total, interval: wilsonInterval(correct, total, confidence) };
}

/**
 * Transitions between condition A and condition B over the items answered in both (N = |A ∩ B|):
 * n_TF counts items right in A and wrong in B, and so on. Rates with a zero denominator are 0, as in the paper.
 */
export interface TransitionStats {
  n: number;
  nTT: number;
  nTF: number;
  nFT: number;
  nFF: number;
  accA: number;
  accB: number;
  /** accA − accB */
  deltaAcc: number;
  /** nFT − nTF */
  netGain: number;
  /** nTF / (nTT + nTF): of the items right in A, the share B gets wrong. */
  sideEffectRate: number;
  /** nFT / (nFF + nFT): of the items wrong in A, the share B gets right. */
  liftRate: number;
  /** Ids present in only one of the two conditions (not counted in N). */
  onlyInA: string[];
  onlyInB: string[];
}

const ratio = (numerator: number, denominator: number) => (denominator === 0 ? 0 : numerator / denominator);

export function transitionStats(a: Correctness, b: Correctness): TransitionStats {
  let nTT = 0;
  let nTF = 0;
  let nFT = 0;
  let nFF = 0;
  const onlyInA: string[] = [];
  for (const [id, rightInA] of a) {
    const rightInB = b.get(id);
    if (rightInB === undefined) {
      onlyInA.push(id);
      continue;
    }
    if (rightInA && rightInB) nTT++;
    else if (rightInA) nTF++;
    else if (rightInB) nFT++;
    else nFF++;
  }
  const onlyInB = [...b.keys()].filter((id) => !a.has(id));
  const n = nTT + nTF + nFT + nFF;
  const accA = ratio(nTT + nTF, n);
  const accB = ratio(nTT + nFT, n);
  return { n, nTT, nTF, nFT, nFF, accA, accB, deltaAcc: accA - accB, netGain: nFT - nTF, sideEffectRate: ratio(nTF, nTT + nTF), liftRate: ratio(nFT, nFF + nFT), onlyInA, onlyInB };
}

/** One of the paper's three metrics: value = count / n, with its Wilson interval and the counts behind it. */
export interface PaperMetric {
  name: 'M_vis' | 'M_v2r' | 'M_rea';
  value: number;
  count: number;
  n: number;
  interval: ProportionInterval;
  /** The paired counts (M_vis, M_v2r only). */
  transitions?: TransitionStats;
}

function paperMetric(name: PaperMetric['name'], count: number, n: number, transitions?: TransitionStats): PaperMetric {
  return { name, value: ratio(count, n), count, n, interval: wilsonInterval(count, n), ...(transitions ? { transitions } : {}) };
}

/** M_vis (perception) = n_TF / N: right with the real image, wrong with the black image. */
export function mVis(realImage: Correctness, blackImage: Correctness): PaperMetric {
  const transitions = transitionStats(realImage, blackImage);
  return paperMetric('M_vis', transitions.nTF, transitions.n, transitions);
}

/** M_v2r (alignment) = n_TT / N: right with the real image and also with the black image plus its description. */
export function mV2r(realImage: Correctness, blackImageWithDescription: Correctness): PaperMetric {
  const transitions = transitionStats(realImage, blackImageWithDescription);
  return paperMetric('M_v2r', transitions.nTT, transitions.n, transitions);
}

/** M_rea (reasoning) = accuracy on the text-only questions. */
export function mRea(questionOnly: Correctness): PaperMetric {
  const { correct, total } = accuracyOf(questionOnly.values());
  return paperMetric('M_rea', correct, total);
}

export interface CheckpointComparison {
  /** Items scored for both checkpoints. */
  n: number;
  first: Accuracy;
  second: Accuracy;
  /** second − first, in accuracy. */
  difference: number;
  mcnemar: McNemarResult;
  bootstrap: PairedBootstrapResult;
}

/**
 * Two checkpoints (say IN and RL) on the same items: accuracies over the shared items, McNemar's
 * test on the items only one got right, and a paired bootstrap interval for the accuracy difference.
 */
export function compareCheckpoints(first: Correctness, second: Correctness, options: BootstrapOptions & { mcnemar?: McNemarMethod | 'auto' } = {}): CheckpointComparison {
  const shared = [...first.keys()].filter((id) => second.has(id));
  if (shared.length === 0) throw new RangeError('the two checkpoints share no scored items');
  const firstValues = shared.map((id) => (first.get(id) ? 1 : 0));
  const secondValues = shared.map((id) => (second.get(id) ? 1 : 0));
  const transitions = transitionStats(new Map(shared.map((id) => [id, first.get(id)!])), new Map(shared.map((id) => [id, second.get(id)!])));
  const firstAccuracy = accuracyOf(firstValues.map(Boolean), options.confidence);
  const secondAccuracy = accuracyOf(secondValues.map(Boolean), options.confidence);
  return {
    n: shared.length,
    first: firstAccuracy,
    second: secondAccuracy,
    difference: secondAccuracy.accuracy - firstAccuracy.accuracy,
    mcnemar: mcnemarTest(transitions.nTF, transitions.nFT, options.mcnemar),
    bootstrap: pairedBootstrap(firstValues, secondValues, options),
  };
}

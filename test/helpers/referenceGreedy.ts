/**
 * Greedy decoding through the float64 reference forward by full recomputation (no cache): the
 * brute force the probes are checked against. `options(sequenceLength)` gives the reference hooks
 * for the whole sequence at each step, so per-row rules (e.g. compat's key copies) apply as the
 * sequence grows.
 */
import { chooseGreedy } from '../../src/core/model/generate';
import type { PromptImages } from '../../src/core/model/promptEmbedding';
import { referenceForward, type ReferenceModel, type ReferenceOptions, type ReferenceRun } from './referenceForward';

export interface ReferenceGreedy {
  tokens: number[];
  /** The last position's logits before each chosen token. */
  logits: Float64Array[];
  /** The prompt's forward (the first step). */
  prefill: ReferenceRun;
}

export function referenceGreedy(
  model: ReferenceModel, promptIds: readonly number[], images: PromptImages | undefined,
  settings: { maxNewTokens: number; repetitionPenalty: number; eosTokenIds: readonly number[] },
  options: (sequenceLength: number) => ReferenceOptions = () => ({}),
): ReferenceGreedy {
  const ids = [...promptIds];
  const tokens: number[] = [];
  const logits: Float64Array[] = [];
  let prefill: ReferenceRun | undefined;
  const vocab = model.config.vocabSize;
  while (tokens.length < settings.maxNewTokens) {
    const run = referenceForward(model, ids, { ...images, ...options(ids.length) });
    prefill ??= run;
    const last = run.logits.slice((ids.length - 1) * vocab, ids.length * vocab);
    logits.push(last);
    const token = chooseGreedy(Float32Array.from(last), new Set(ids), settings.repetitionPenalty);
    tokens.push(token);
    ids.push(token);
    if (settings.eosTokenIds.includes(token)) break;
  }
  return { tokens, logits, prefill: prefill! };
}

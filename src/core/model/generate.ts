/**
 * Greedy decoding with a KV cache: one prefill over the prompt, then one decoder step per new
 * token, with HF's repetition penalty and stop tokens. Cancellation is checked between steps, and
 * the result records the settings that were actually used.
 */
import type { CancelToken } from '../progress';
import { throwIfCancelled } from '../progress';
import { decodePositionIds } from './ropeIndex';
import type { DecoderResult, ModelRuntime, TapInputs } from './modelRuntime';
import type { EmbeddedPrompt } from './promptEmbedding';
import type { DecoderTaps } from './taps';

export interface GreedySettings {
  maxNewTokens: number;
  /** HF's repetition_penalty: logits of tokens already in the sequence are divided (if > 0) or multiplied (if < 0) by it; 1 = off. */
  repetitionPenalty: number;
  /** Generation stops after emitting any of these. */
  eosTokenIds: number[];
}

export interface GenerationStep {
  token: number;
  /** The decoder's outputs for the step that chose `token` (taps included). */
  result: DecoderResult;
}

export interface GenerateOptions {
  cancel?: CancelToken;
  /** Decoder outputs to collect at every step (default none), and the tap inputs of the prefill step. */
  taps?: DecoderTaps;
  prefillTaps?: TapInputs;
  /** Tap inputs of a decode step, given the cache length before it. */
  stepTaps?: (cacheLength: number) => TapInputs | undefined;
  onStep?: (step: GenerationStep) => void;
  /** The prefill's result, computed by the caller (e.g. once for several decodings): generation starts from its logits and cache. */
  prefilled?: DecoderResult;
}

export interface Generation {
  tokens: number[];
  stoppedBy: 'eos' | 'max-new-tokens';
  /** The effective settings, for the record. */
  settings: GreedySettings & { decoding: 'greedy'; kvCache: true };
  /** 0 when the caller gave the prefill. */
  prefillSeconds: number;
  decodeSeconds: number;
}

export async function generateGreedy(runtime: ModelRuntime, promptIds: readonly number[], prompt: EmbeddedPrompt, settings: GreedySettings, options: GenerateOptions = {}): Promise<Generation> {
  const taps = options.taps ?? {};
  const seen = new Set(promptIds);
  const tokens: number[] = [];
  const started = performance.now();
  throwIfCancelled(options.cancel);
  // Room for the whole answer, so every step appends to the cache in place.
  const reserve = promptIds.length + settings.maxNewTokens;
  let result = options.prefilled ?? (await runtime.decode({ embeds: prompt.embeds, positions: prompt.positions, cache: runtime.emptyCache(), taps: options.prefillTaps, reserve }, { taps, logits: 'last' }));
  const prefillSeconds = (performance.now() - started) / 1000;
  let stoppedBy: Generation['stoppedBy'] = 'max-new-tokens';
  while (tokens.length < settings.maxNewTokens) {
    const token = chooseGreedy(result.logits, seen, settings.repetitionPenalty);
    tokens.push(token);
    seen.add(token);
    options.onStep?.({ token, result });
    if (settings.eosTokenIds.includes(token)) {
      stoppedBy = 'eos';
      break;
    }
    if (tokens.length === settings.maxNewTokens) break;
    throwIfCancelled(options.cancel);
    const cacheLength = result.cache.length;
    const positions = BigInt64Array.from(decodePositionIds(cacheLength, 1, prompt.ropeDelta), BigInt);
    result = await runtime.decode({ embeds: await runtime.embed([token]), positions, cache: result.cache, taps: options.stepTaps?.(cacheLength), reserve }, { taps, logits: 'last' });
  }
  return {
    tokens,
    stoppedBy,
    settings: { ...settings, decoding: 'greedy', kvCache: true },
    prefillSeconds,
    decodeSeconds: (performance.now() - started) / 1000 - prefillSeconds,
  };
}

/** Arg-max after the repetition penalty (the first index wins ties, as torch.argmax does). */
export function chooseGreedy(logits: Float32Array, seen: ReadonlySet<number>, repetitionPenalty: number): number {
  let best = 0;
  let bestScore = -Infinity;
  for (let token = 0; token < logits.length; token++) {
    let score = logits[token]!;
    if (repetitionPenalty !== 1 && seen.has(token)) score = score > 0 ? score / repetitionPenalty : score * repetitionPenalty;
    if (score > bestScore) {
      best = token;
      bestScore = score;
    }
  }
  return best;
}

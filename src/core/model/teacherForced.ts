/**
 * Teacher forcing: a model's next-token prediction at every position of a given answer (what it
 * would choose after the prompt and the answer's earlier tokens), whatever it would have generated
 * itself. Comparing two runtimes' predictions over the same tokens measures how far one drifts from
 * the other without letting an early difference change every later input (precisionAgreement.ts).
 */
import { FrankenlensError } from '../errors';
import { chooseGreedy } from './generate';
import type { ModelRuntime } from './modelRuntime';
import type { EmbeddedPrompt } from './promptEmbedding';
import { decodePositionIds } from './ropeIndex';

/** Answer tokens fed per step: logits of one step are [chunk, vocab] (a 152k vocabulary: 39 MB at 64). */
const CHUNK = 64;

export interface TeacherForced {
  /** [answer.length]: the arg-max token after the prompt and answer[0..i−1] (no repetition penalty). */
  topOne: number[];
  /** [answer.length · vocab] those positions' logits, when asked for. */
  logits?: Float32Array;
}

/**
 * Prefills the prompt, then feeds the answer's tokens in steps of CHUNK with logits at every
 * position: the prefill's last logits predict answer[0], a step's logits at answer[i] predict
 * answer[i + 1] (the last token's prediction lies beyond the answer and is not kept).
 */
export async function teacherForcedTopOne(runtime: ModelRuntime, promptIds: readonly number[], prompt: EmbeddedPrompt, answer: readonly number[], options: { keepLogits?: boolean } = {}): Promise<TeacherForced> {
  const vocab = runtime.config.decoder.vocabSize;
  if (answer.length === 0) throw new FrankenlensError('InvalidArgument', 'teacher forcing needs at least one answer token');
  const reserve = promptIds.length + answer.length;
  const logits = options.keepLogits ? new Float32Array(answer.length * vocab) : undefined;
  const topOne: number[] = [];
  const none = new Set<number>();
  const keep = (rows: Float32Array, count: number) => {
    for (let row = 0; row < count; row++) {
      const values = rows.subarray(row * vocab, (row + 1) * vocab);
      logits?.set(values, topOne.length * vocab);
      topOne.push(chooseGreedy(values, none, 1));
    }
  };
  let result = await runtime.decode({ embeds: prompt.embeds, positions: prompt.positions, cache: runtime.emptyCache(), reserve }, { taps: {}, logits: 'last' });
  keep(result.logits, 1);
  for (let start = 0; start < answer.length - 1; start += CHUNK) {
    const tokens = answer.slice(start, Math.min(answer.length - 1, start + CHUNK));
    const positions = BigInt64Array.from(decodePositionIds(result.cache.length, tokens.length, prompt.ropeDelta), BigInt);
    result = await runtime.decode({ embeds: await runtime.embed(tokens), positions, cache: result.cache, reserve }, { taps: {}, logits: 'all' });
    keep(result.logits, tokens.length);
  }
  return logits ? { topOne, logits } : { topOne };
}

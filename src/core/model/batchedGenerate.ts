/**
 * Greedy decoding of several runs of one prompt together, as rows of one batch: the runs share the
 * prompt, so their caches have the same length and every step the same positions (no padding);
 * only their tap inputs (gates, key bias) and their tokens differ. Each row keeps its own repetition
 * penalty and stop tokens, exactly as generateGreedy would apply them to that run alone.
 *
 * Rows are computed independently inside every op of the decoder, so a row's logits are those of
 * its run alone up to float rounding in the batched MatMuls. onnxruntime's CPU kernels give the same
 * bits for a row whatever the batch (tested on the tiny fixture, measured on the bench's 8-layer
 * model), so greedy answers cannot change; a GPU library may order a sum differently per batch
 * size, and then a near-tie between two tokens could flip.
 *
 * A finished row either leaves the batch at once, its cache rows copied out ('compact', the
 * default), or keeps being computed and ignored until every row has finished ('mask'). In `npm run
 * bench -- probes` the two were within noise of each other; compacting spares the rows that run on
 * long after the others (an ablated early or last layer often runs to the token limit) the cost of
 * the finished ones.
 */
import { FrankenlensError } from '../errors';
import type { CancelToken } from '../progress';
import { throwIfCancelled } from '../progress';
import { chooseGreedy, type Generation, type GreedySettings } from './generate';
import { keepRows, stackRows, type KvCache } from './kvCache';
import type { DecoderResult, ModelRuntime, TapInputs } from './modelRuntime';
import type { EmbeddedPrompt } from './promptEmbedding';
import { decodePositionIds } from './ropeIndex';
import type { DecoderTaps } from './taps';

/**
 * Rows per batch when a probe is not told. On CPU a decoder step reads every weight once whatever
 * the rows, so the time per row falls with more rows: on the bench's 8-layer model (`npm run bench
 * -- probes`, one thread) 8 rows take a row ~4× less time than one, 16 ~5×, 32 ~6×. Each row holds
 * its own cache (a 7B Qwen2.5-VL: ~115 KB per token as float32, so 16 rows of 2,560 tokens ≈ 4.7 GB),
 * so the last 1.3× of 32 rows is not worth its memory.
 */
export const DEFAULT_BATCH_ROWS = 16;

export interface GreedyRow {
  /** The run's prefill over the whole prompt (batch 1): its last logits and its cache. */
  prefilled: DecoderResult;
  /** The run's tap inputs for one row at the decode step after `cacheLength` positions. Default: none (neutral). */
  stepTaps?: (cacheLength: number) => RowTaps | undefined;
}

/** The tap inputs a row of a batch can have: gates [layers · 2] and key bias [layers · total]. */
export type RowTaps = Pick<TapInputs, 'gates' | 'keyBias'>;

export type FinishedRows = 'compact' | 'mask';

export interface GreedyRowsOptions {
  /** Decoder outputs to collect at every step (default none). */
  taps?: DecoderTaps;
  finishedRows?: FinishedRows;
  cancel?: CancelToken;
}

interface RowState {
  row: number;
  tokens: number[];
  seen: Set<number>;
  stoppedBy?: Generation['stoppedBy'];
  decodeSeconds: number;
}

/** One Generation per row, in row order, each as generateGreedy gives for that run alone (prefillSeconds 0: the caller prefilled). */
export async function generateGreedyRows(runtime: ModelRuntime, promptIds: readonly number[], prompt: EmbeddedPrompt, rows: readonly GreedyRow[], settings: GreedySettings, options: GreedyRowsOptions = {}): Promise<Generation[]> {
  const { layers } = runtime.config.decoder;
  const promptLength = promptIds.length;
  for (const [index, { prefilled }] of rows.entries()) {
    if (prefilled.cache.length !== promptLength || prefilled.cache.rows !== 1) {
      throw new FrankenlensError('InvalidArgument', `batched decoding: row ${index}'s prefill must be one row over the ${promptLength}-token prompt, got ${prefilled.cache.rows} row(s) of ${prefilled.cache.length}`);
    }
  }
  const finishedRows = options.finishedRows ?? 'compact';
  const vocab = runtime.config.decoder.vocabSize;
  const reserve = promptLength + settings.maxNewTokens;
  const started = performance.now();
  const states: RowState[] = rows.map((_, row) => ({ row, tokens: [], seen: new Set(promptIds), decodeSeconds: 0, stoppedBy: settings.maxNewTokens > 0 ? undefined : 'max-new-tokens' }));
  if (states.every((state) => state.stoppedBy)) return states.map((state) => generation(state, settings));
  /** The rows in the batch, in batch order, and each one's logits for its next choice. */
  let batch = states;
  let logits = rows.map(({ prefilled }) => prefilled.logits);
  // Built after the first choices, so rows that stop at once are never copied into it.
  let cache: KvCache | undefined;
  for (;;) {
    batch.forEach((state, slot) => {
      if (state.stoppedBy) return;
      const token = chooseGreedy(logits[slot]!, state.seen, settings.repetitionPenalty);
      state.tokens.push(token);
      state.seen.add(token);
      if (settings.eosTokenIds.includes(token)) state.stoppedBy = 'eos';
      else if (state.tokens.length === settings.maxNewTokens) state.stoppedBy = 'max-new-tokens';
      if (state.stoppedBy) state.decodeSeconds = (performance.now() - started) / 1000;
    });
    if (batch.every((state) => state.stoppedBy)) break;
    if (finishedRows === 'compact' && batch.some((state) => state.stoppedBy)) {
      const kept = batch.flatMap((state, slot) => (state.stoppedBy ? [] : [slot]));
      if (cache) cache = keepRows(cache, kept, reserve);
      batch = kept.map((slot) => batch[slot]!);
    }
    const past = cache ?? stackRows(batch.map((state) => rows[state.row]!.prefilled.cache), reserve);
    throwIfCancelled(options.cancel);
    const count = batch.length;
    const rowTaps = stackTaps(batch.map((state) => rows[state.row]!.stepTaps?.(past.length)), layers, past.length + 1);
    // Text positions after the prompt: the same in all three M-RoPE rows and in every batch row.
    const positions = new BigInt64Array(3 * count).fill(BigInt(decodePositionIds(past.length, 1, prompt.ropeDelta)[0]!));
    const embeds = await runtime.embed(batch.map((state) => state.tokens.at(-1)!));
    const result = await runtime.decode({ rows: count, embeds, positions, cache: past, taps: rowTaps, reserve }, { taps: options.taps ?? {}, logits: 'last' });
    cache = result.cache;
    logits = batch.map((_, slot) => result.logits.subarray(slot * vocab, (slot + 1) * vocab));
  }
  return states.map((state) => generation(state, settings));
}

function generation(state: RowState, settings: GreedySettings): Generation {
  return { tokens: state.tokens, stoppedBy: state.stoppedBy!, settings: { ...settings, decoding: 'greedy', kvCache: true }, prefillSeconds: 0, decodeSeconds: state.decodeSeconds };
}

/**
 * The rows' tap inputs in the batch's layouts: gates [rows, layers · 2], key bias [layers, rows, total];
 * a row without one gets the neutral value (gates 1, bias 0), and a tap no row gives is left out.
 */
function stackTaps(rowTaps: readonly (RowTaps | undefined)[], layers: number, total: number): RowTaps {
  const rows = rowTaps.length;
  const stacked: RowTaps = {};
  if (rowTaps.some((taps) => taps?.gates)) {
    stacked.gates = new Float32Array(rows * 2 * layers).fill(1);
    rowTaps.forEach((taps, row) => taps?.gates && stacked.gates!.set(taps.gates, row * 2 * layers));
  }
  if (rowTaps.some((taps) => taps?.keyBias)) {
    const keyBias = new Float32Array(layers * rows * total);
    rowTaps.forEach((taps, row) => {
      if (!taps?.keyBias) return;
      for (let layer = 0; layer < layers; layer++) keyBias.set(taps.keyBias.subarray(layer * total, (layer + 1) * total), (layer * rows + row) * total);
    });
    stacked.keyBias = keyBias;
  }
  return stacked;
}

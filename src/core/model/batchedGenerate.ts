/**
 * Greedy decoding of many runs as rows of one batch, continuously: up to `rows` runs decode
 * together, a run that finishes leaves the batch at once (its cache rows are dropped) and the next
 * waiting run joins it, so one long answer never holds the others back. Runs may come from
 * different prompts (different items, image sizes, text-only items beside image items): the
 * batch's cache is left-padded to its longest row, the padding is masked out of attention
 * (attention_mask), and each row keeps its own M-RoPE positions (its own length + rope delta), tap
 * inputs, repetition penalty, stop tokens and token budget, exactly as generateGreedy applies them
 * to that run alone.
 *
 * Rows are computed independently inside every op of the decoder, so a row's logits are those of
 * its run alone up to float rounding: rows of one prompt (no padding) get the same bits on
 * onnxruntime's CPU kernels; padded rows sum the masked positions' exact zeros in another order,
 * which can move the last bits of a logit (tests check that the tokens are equal). A GPU library
 * may order a sum differently per batch size, and then a near-tie between two tokens could flip.
 */
import { FrankenlensError } from '../errors';
import type { CancelToken } from '../progress';
import { throwIfCancelled } from '../progress';
import { chooseGreedy, type Generation, type GreedySettings } from './generate';
import { gatherPaddedRows, type KvCache } from './kvCache';
import type { DecoderResult, ModelRuntime, TapInputs } from './modelRuntime';
import { DEFAULT_BATCH_ROWS } from './batchSizes';
import { decodePositionIds } from './ropeIndex';

/** The tap inputs a row of a batch can have: gates [layers · 2] and key bias [layers · total] over the row's own positions. */
export type RowTaps = Pick<TapInputs, 'gates' | 'keyBias'>;

/** One run to decode: its prompt's prefill (one row) and what generateGreedy would be given for it. */
export interface DecodeRun {
  /** The prompt's token ids (the repetition penalty counts them as seen). */
  promptIds: readonly number[];
  /** The prompt's rope delta: a decode step after n cached positions sits at n + delta. */
  ropeDelta: number;
  /** The prefill over the whole prompt, one row: its last logits and its cache. */
  prefilled: DecoderResult;
  settings: GreedySettings;
  /** The run's tap inputs at the decode step after `cacheLength` of its own positions. Default: none (neutral). */
  stepTaps?: (cacheLength: number) => RowTaps | undefined;
}

export interface DecodeRunsOptions {
  /** Runs decoded together at most (default DEFAULT_BATCH_ROWS). */
  rows?: number;
  cancel?: CancelToken;
}

interface Row {
  /** Index of the run in the order `next` gave it. */
  index: number;
  run: DecodeRun;
  tokens: number[];
  seen: Set<number>;
  /** Positions of the run's own cache (prompt + tokens fed so far). */
  length: number;
  /** Logits for the row's next choice. */
  logits: Float32Array;
  /** The row's cache when it is not (yet) in the batch's: its prefill's. */
  ownCache?: KvCache;
  /** The row's slot in the batch's cache, and where its first position sits there (left padding before it). */
  slot?: number;
  start: number;
  started: number;
  stoppedBy?: Generation['stoppedBy'];
}

/**
 * Where a batch's runs come from: called only when a row is free, so a caller can prefill lazily
 * and hold only the live runs. It gives a run, undefined when there are no more, or null when none
 * is ready yet (only when `mayWait` is false: the batch has rows to decode meanwhile).
 */
export type RunSource = (mayWait: boolean) => Promise<DecodeRun | null | undefined>;

/**
 * Decodes every run `next` gives (until it gives none), at most `rows` at a time, and hands each
 * one's Generation to `finished` as it finishes, with the run's index in `next`'s order.
 */
export async function decodeRuns(runtime: ModelRuntime, next: RunSource, finished: (index: number, generation: Generation) => void | Promise<void>, options: DecodeRunsOptions = {}): Promise<void> {
  const capacity = options.rows ?? DEFAULT_BATCH_ROWS;
  if (!(Number.isInteger(capacity) && capacity >= 1)) throw new FrankenlensError('InvalidArgument', `batch of ${capacity} rows: must be a whole number of runs, at least 1`);
  const { layers, vocabSize: vocab } = runtime.config.decoder;
  let batch: Row[] = [];
  let cache: KvCache | undefined;
  let given = 0;
  let exhausted = false;
  for (;;) {
    // Choose every row's next token; finished rows leave and waiting runs join until the batch is full.
    let changed = false;
    let choosing = batch;
    for (;;) {
      for (const row of choosing) choose(row);
      const done = batch.filter((row) => row.stoppedBy);
      if (done.length > 0) {
        changed = true;
        batch = batch.filter((row) => !row.stoppedBy);
        for (const row of done) await finished(row.index, generation(row));
      }
      const joined: Row[] = [];
      while (!exhausted && batch.length + joined.length < capacity) {
        throwIfCancelled(options.cancel);
        const run = await next(batch.length + joined.length === 0);
        if (run === null) break;
        if (run === undefined) exhausted = true;
        else joined.push(joinRow(given++, run));
      }
      if (joined.length === 0) break;
      changed = true;
      batch.push(...joined);
      choosing = joined;
    }
    if (batch.length === 0) return;
    throwIfCancelled(options.cancel);
    if (changed || !cache) cache = padBatch(batch, cache);
    const total = cache.length + 1;
    const count = batch.length;
    const attentionMask = new BigInt64Array(count * total).fill(1n);
    batch.forEach((row, slot) => attentionMask.fill(0n, slot * total, slot * total + row.start));
    const positions = new BigInt64Array(3 * count);
    batch.forEach((row, slot) => {
      const position = BigInt(decodePositionIds(row.length, 1, row.run.ropeDelta)[0]!);
      for (let axis = 0; axis < 3; axis++) positions[axis * count + slot] = position;
    });
    const taps = stackTaps(batch, layers, total);
    const embeds = await runtime.embed(batch.map((row) => row.tokens.at(-1)!));
    const result = await runtime.decode({ rows: count, embeds, positions, attentionMask, cache, taps, reserve: reserveFor(batch, cache.length) }, { taps: {}, logits: 'last' });
    cache = result.cache;
    batch.forEach((row, slot) => {
      row.length++;
      row.logits = result.logits.subarray(slot * vocab, (slot + 1) * vocab);
    });
  }
}

function joinRow(index: number, run: DecodeRun): Row {
  const { prefilled, promptIds, settings } = run;
  if (prefilled.cache.rows !== 1 || prefilled.cache.length !== promptIds.length) {
    throw new FrankenlensError('InvalidArgument', `batched decoding: run ${index}'s prefill must be one row over its ${promptIds.length}-token prompt, got ${prefilled.cache.rows} row(s) of ${prefilled.cache.length}`);
  }
  const row: Row = { index, run, tokens: [], seen: new Set(promptIds), length: promptIds.length, logits: prefilled.logits, ownCache: prefilled.cache, start: 0, started: performance.now() };
  if (settings.maxNewTokens <= 0) row.stoppedBy = 'max-new-tokens';
  return row;
}

function choose(row: Row): void {
  if (row.stoppedBy) return;
  const { settings } = row.run;
  const token = chooseGreedy(row.logits, row.seen, settings.repetitionPenalty);
  row.tokens.push(token);
  row.seen.add(token);
  if (settings.eosTokenIds.includes(token)) row.stoppedBy = 'eos';
  else if (row.tokens.length >= settings.maxNewTokens) row.stoppedBy = 'max-new-tokens';
}

function generation(row: Row): Generation {
  return { tokens: row.tokens, stoppedBy: row.stoppedBy!, settings: { ...row.run.settings, decoding: 'greedy', kvCache: true }, prefillSeconds: 0, decodeSeconds: (performance.now() - row.started) / 1000 };
}

/**
 * The batch's cache after rows left or joined: every row right-aligned at the longest row's length
 * (its positions end where the others' do), rows that stayed taken from the old batch cache, new
 * ones from their prefill.
 */
function padBatch(batch: Row[], old: KvCache | undefined): KvCache {
  const length = Math.max(...batch.map((row) => row.length));
  const sources = batch.map((row) => (row.ownCache ? { cache: row.ownCache, row: 0, from: 0, length: row.length } : { cache: old!, row: row.slot!, from: row.start, length: row.length }));
  // The old batch cache is this loop's alone: its layers go as they are copied.
  const padded = gatherPaddedRows(sources, length, reserveFor(batch, length), old);
  batch.forEach((row, slot) => {
    row.start = length - row.length;
    row.slot = slot;
    row.ownCache = undefined;
  });
  return padded;
}

/** Positions the batch's cache makes room for: enough for every row's remaining budget. */
function reserveFor(batch: readonly Row[], length: number): number {
  return length + Math.max(...batch.map((row) => row.run.settings.maxNewTokens - row.tokens.length)) + 1;
}

/**
 * The rows' tap inputs in the batch's layouts: gates [rows, layers · 2], key bias [layers, rows,
 * total] with each row's own positions right-aligned; a row without one gets the neutral value
 * (gates 1, bias 0), and a tap no row gives is left out.
 */
function stackTaps(batch: readonly Row[], layers: number, total: number): RowTaps {
  const rowTaps = batch.map((row) => row.run.stepTaps?.(row.length));
  const rows = batch.length;
  const stacked: RowTaps = {};
  if (rowTaps.some((taps) => taps?.gates)) {
    stacked.gates = new Float32Array(rows * 2 * layers).fill(1);
    rowTaps.forEach((taps, row) => taps?.gates && stacked.gates!.set(taps.gates, row * 2 * layers));
  }
  if (rowTaps.some((taps) => taps?.keyBias)) {
    const keyBias = new Float32Array(layers * rows * total);
    rowTaps.forEach((taps, row) => {
      if (!taps?.keyBias) return;
      const own = batch[row]!.length + 1;
      if (taps.keyBias.length !== layers * own) throw new FrankenlensError('InvalidArgument', `batched decoding: run ${batch[row]!.index}'s key bias has ${taps.keyBias.length} values, expected ${layers * own} ([${layers} layers · ${own} positions])`);
      const start = total - own;
      for (let layer = 0; layer < layers; layer++) keyBias.set(taps.keyBias.subarray(layer * own, (layer + 1) * own), (layer * rows + row) * total + start);
    });
    stacked.keyBias = keyBias;
  }
  return stacked;
}

/**
 * One batch that several callers feed at once (a probe's items in flight): each `decode` call
 * queues one run, prefilled only when a row is free, and resolves with its Generation when it
 * finishes; runs of different callers decode as rows of the same batch. `close` ends the batch
 * once every queued run is done. A failure of the batch rejects every run not yet finished.
 */
export class SharedBatch {
  private readonly queue: QueuedRun[] = [];
  /** Queued runs in the order the batch took them (decodeRuns' indices). */
  private readonly taken: QueuedRun[] = [];
  private wake: (() => void) | undefined;
  private closed = false;
  private running: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly runtime: ModelRuntime,
    private readonly options: DecodeRunsOptions = {},
  ) {}

  decode(prepare: () => Promise<DecodeRun>): Promise<Generation> {
    if (this.failure) return Promise.reject(this.failure.error);
    if (this.closed) throw new FrankenlensError('InvalidArgument', 'batched decoding: a run was given after the batch closed');
    const done = new Promise<Generation>((resolve, reject) => this.queue.push({ prepare, resolve, reject }));
    this.wake?.();
    this.running ??= decodeRuns(this.runtime, (mayWait) => this.next(mayWait), (index, generation) => this.taken[index]!.resolve(generation), this.options).catch((error: unknown) => {
      this.failure = { error };
      for (const run of [...this.taken, ...this.queue.splice(0)]) run.reject(error);
    });
    return done;
  }

  /** Waits for every queued run; no run may be given after. */
  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.running;
  }

  private async next(mayWait: boolean): Promise<DecodeRun | null | undefined> {
    for (;;) {
      const queued = this.queue.shift();
      if (queued) {
        let run: DecodeRun;
        try {
          run = await queued.prepare();
        } catch (error) {
          queued.reject(error);
          continue;
        }
        this.taken.push(queued);
        return run;
      }
      if (this.closed) return undefined;
      if (!mayWait) return null;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

interface QueuedRun {
  prepare: () => Promise<DecodeRun>;
  resolve: (generation: Generation) => void;
  reject: (error: unknown) => void;
}

/**
 * Generations of runs in the runs' order: decoded in `batch` when given (a probe's batch shared by
 * its items in flight), else in a batch of their own of `rows` rows.
 */
export async function decodeAll(runtime: ModelRuntime, prepares: readonly (() => Promise<DecodeRun>)[], options: DecodeRunsOptions & { batch?: SharedBatch } = {}): Promise<Generation[]> {
  const batch = options.batch ?? new SharedBatch(runtime, options);
  try {
    return await Promise.all(prepares.map((prepare) => batch.decode(prepare)));
  } finally {
    if (!options.batch) await batch.close();
  }
}

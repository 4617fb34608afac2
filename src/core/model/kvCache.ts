/**
 * The decoder's K/V cache, held by the runtime in JS buffers: per layer one keys and one values
 * buffer of [capacity, rows, kv_heads, head_dim] float32, positions first. The first n positions of
 * every row are then one contiguous prefix, so a step feeds the past as a view (no copy) and
 * onnxruntime writes the step's new K/V straight into the buffer behind it (no copy either).
 *
 * A cache value is immutable: appending never changes the positions a cache already holds, and
 * a buffer records how far it has been written, so two continuations of the same cache (a clean
 * decoding and a swapped prefill from the same prefix) never write into each other: the second one
 * copies the prefix first (copy on write). A prefix of a cache is a view.
 */
import * as ort from 'onnxruntime-node';
import { FrankenlensError } from '../errors';

export class KvBuffer {
  /** Positions holding data: an append at exactly this position may write in place. */
  written = 0;

  constructor(
    readonly data: Float32Array,
    /** Floats per position: rows · kv_heads · head_dim. */
    readonly stride: number,
  ) {}

  get capacity(): number {
    return this.stride === 0 ? 0 : this.data.length / this.stride;
  }
}

export interface KvCache {
  /** Positions the cache covers. */
  length: number;
  rows: number;
  kvHeads: number;
  headDim: number;
  keys: KvBuffer[];
  values: KvBuffer[];
}

export function emptyKvCache(layers: number, rows: number, kvHeads: number, headDim: number): KvCache {
  const stride = rows * kvHeads * headDim;
  const empty = () => new KvBuffer(new Float32Array(0), stride);
  return { length: 0, rows, kvHeads, headDim, keys: Array.from({ length: layers }, empty), values: Array.from({ length: layers }, empty) };
}

/**
 * The buffer to write positions [length, length + sequence) of a continuation of `buffer` into:
 * the same one when nothing was written past `length` and it has room, else a new one holding a
 * copy of the first `length` positions, with room for `reserve` positions (at least 1.5× what it
 * replaces when it grows, so a long decoding copies its cache a logarithmic number of times).
 */
export function appendTarget(buffer: KvBuffer, length: number, sequence: number, reserve = 0): KvBuffer {
  const needed = length + sequence;
  if (buffer.written === length && buffer.capacity >= needed) {
    buffer.written = needed;
    return buffer;
  }
  const growth = buffer.written === length ? Math.ceil(buffer.capacity * 1.5) : 0;
  const target = new KvBuffer(new Float32Array(Math.max(needed, reserve, growth) * buffer.stride), buffer.stride);
  target.data.set(buffer.data.subarray(0, length * buffer.stride));
  target.written = needed;
  return target;
}

/** Positions [from, from + count) of a buffer as a [count, rows, kv_heads, head_dim] tensor over the same memory (a step's past, or where onnxruntime writes its new K/V). */
export function positionsView(cache: Pick<KvCache, 'rows' | 'kvHeads' | 'headDim'>, buffer: KvBuffer, from: number, count: number): ort.Tensor {
  return new ort.Tensor('float32', buffer.data.subarray(from * buffer.stride, (from + count) * buffer.stride), [count, cache.rows, cache.kvHeads, cache.headDim]);
}

/** The first `length` positions of a cache (a view: nothing is copied). */
export function cachePrefix(cache: KvCache, length: number): KvCache {
  if (!(Number.isInteger(length) && length >= 0 && length <= cache.length)) throw new FrankenlensError('InvalidArgument', `cache prefix of ${length} positions: the cache holds ${cache.length}`);
  return { ...cache, length };
}

/** Keys or values of one row at one position of one layer: [kv_heads · head_dim] (a view). */
export function kvAt(cache: KvCache, kind: 'keys' | 'values', layer: number, position: number, row = 0): Float32Array {
  if (!(position >= 0 && position < cache.length)) throw new FrankenlensError('InvalidArgument', `K/V position ${position} is outside the cache's ${cache.length} positions`);
  const buffer = cache[kind][layer]!;
  const size = cache.kvHeads * cache.headDim;
  const from = position * buffer.stride + row * size;
  return buffer.data.subarray(from, from + size);
}

/** Where a row of a gathered cache comes from: positions [from, from + length) of one row of a cache. */
export interface RowSource {
  cache: KvCache;
  row: number;
  from: number;
  length: number;
}

/**
 * One cache of `length` positions whose batch rows are the sources, in order, each right-aligned
 * (its last position at length − 1, zeros before it: padding the attention mask hides), with room
 * for `reserve` positions (a copy). `consumed`: a cache only the caller holds, whose buffers are
 * dropped layer by layer as soon as they are copied, so re-batching holds one layer twice, not all.
 */
export function gatherPaddedRows(sources: readonly RowSource[], length: number, reserve = 0, consumed?: KvCache): KvCache {
  const shape = sources[0]!.cache;
  for (const { cache, row, from, length: count } of sources) {
    if (cache.kvHeads !== shape.kvHeads || cache.headDim !== shape.headDim || cache.keys.length !== shape.keys.length) throw new FrankenlensError('InvalidArgument', 'gathering cache rows of different shapes');
    if (!(row >= 0 && row < cache.rows && from >= 0 && from + count <= cache.length && count <= length)) throw new FrankenlensError('InvalidArgument', `gathering positions ${from}..${from + count - 1} of row ${row} into ${length}: the cache holds ${cache.rows} row(s) of ${cache.length}`);
  }
  const size = shape.kvHeads * shape.headDim;
  const rows = sources.length;
  const stride = rows * size;
  const gather = (kind: 'keys' | 'values', layer: number) => {
    const target = new KvBuffer(new Float32Array(Math.max(length, reserve) * stride), stride);
    sources.forEach(({ cache, row, from, length: count }, slot) => {
      const buffer = cache[kind][layer]!;
      const offset = length - count;
      for (let position = 0; position < count; position++) {
        const start = (from + position) * buffer.stride + row * size;
        target.data.set(buffer.data.subarray(start, start + size), (offset + position) * stride + slot * size);
      }
    });
    target.written = length;
    return target;
  };
  const layers = shape.keys.length;
  const gathered: KvCache = { length, rows, kvHeads: shape.kvHeads, headDim: shape.headDim, keys: [], values: [] };
  for (let layer = 0; layer < layers; layer++) {
    gathered.keys.push(gather('keys', layer));
    gathered.values.push(gather('values', layer));
    if (consumed) consumed.keys[layer] = consumed.values[layer] = new KvBuffer(new Float32Array(0), consumed.keys[layer]!.stride);
  }
  return gathered;
}

/** Whole rows of caches of one length, stacked in order (no padding). */
export function stackRows(caches: readonly KvCache[], reserve = 0): KvCache {
  const length = caches[0]!.length;
  return gatherPaddedRows(caches.flatMap((cache) => Array.from({ length: cache.rows }, (_, row) => ({ cache, row, from: 0, length: cache.length }))), length, reserve);
}

/** One layer's keys or values over the cache's positions, [length, rows, kv_heads, head_dim] (a view). */
export function cachedPositions(cache: KvCache, kind: 'keys' | 'values', layer: number): Float32Array {
  const buffer = cache[kind][layer]!;
  return buffer.data.subarray(0, cache.length * buffer.stride);
}

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

/** One cache whose batch rows are the given caches' rows, in order (a copy with room for `reserve` positions). */
export function stackRows(caches: readonly KvCache[], reserve = 0): KvCache {
  const first = caches[0]!;
  const length = first.length;
  for (const cache of caches) {
    if (cache.length !== length || cache.kvHeads !== first.kvHeads || cache.headDim !== first.headDim) throw new FrankenlensError('InvalidArgument', `stacking caches of ${cache.length} and ${length} positions: rows decoded together need the same length`);
  }
  const rows = caches.reduce((total, cache) => total + cache.rows, 0);
  return gatherRows(first, length, rows, reserve, (kind, layer) => caches.flatMap((cache) => Array.from({ length: cache.rows }, (_, row) => ({ buffer: cache[kind][layer]!, row }))));
}

/** The cache of the given batch rows only, in that order (a copy with room for `reserve` positions). */
export function keepRows(cache: KvCache, rows: readonly number[], reserve = 0): KvCache {
  return gatherRows(cache, cache.length, rows.length, reserve, (kind, layer) => rows.map((row) => ({ buffer: cache[kind][layer]!, row })));
}

function gatherRows(shape: KvCache, length: number, rows: number, reserve: number, sources: (kind: 'keys' | 'values', layer: number) => { buffer: KvBuffer; row: number }[]): KvCache {
  const size = shape.kvHeads * shape.headDim;
  const stride = rows * size;
  const gather = (kind: 'keys' | 'values', layer: number) => {
    const target = new KvBuffer(new Float32Array(Math.max(length, reserve) * stride), stride);
    const from = sources(kind, layer);
    for (let position = 0; position < length; position++) {
      from.forEach(({ buffer, row }, slot) => {
        const start = position * buffer.stride + row * size;
        target.data.set(buffer.data.subarray(start, start + size), position * stride + slot * size);
      });
    }
    target.written = length;
    return target;
  };
  const layers = shape.keys.length;
  return {
    length, rows, kvHeads: shape.kvHeads, headDim: shape.headDim,
    keys: Array.from({ length: layers }, (_, layer) => gather('keys', layer)),
    values: Array.from({ length: layers }, (_, layer) => gather('values', layer)),
  };
}

/** One layer's keys or values over the cache's positions, [length, rows, kv_heads, head_dim] (a view). */
export function cachedPositions(cache: KvCache, kind: 'keys' | 'values', layer: number): Float32Array {
  const buffer = cache[kind][layer]!;
  return buffer.data.subarray(0, cache.length * buffer.stride);
}

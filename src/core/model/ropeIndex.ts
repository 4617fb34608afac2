/**
 * Where each token sits for Qwen2.5-VL's rotary embeddings, exactly as transformers computes it:
 *
 * - Decoder (M-RoPE): three position rows (t, h, w). Text tokens advance all three rows together;
 *   the merged tokens of an image share one t and take their grid row and column as h and w, all
 *   offset by the position the image starts at; text after an image continues from the largest
 *   position so far + 1. The rope delta (largest position + 1 − sequence length) carries this
 *   shift into decoding, where every row of a new token is its cache index + delta.
 * - Vision tower: 2-D rotary positions (row, column) of every patch in the order the processor
 *   emits patches (spatial-merge blocks of m×m patches, row-major inside and across blocks); the
 *   window permutation that groups merged tokens into windows of window_size pixels; and the
 *   cumulative sequence lengths that bound attention in window blocks and full-attention blocks.
 *
 * Images only: a vision-start token followed by the video token is refused.
 */
import { FrankenlensError } from '../errors';

/** One image's patch grid, as `image_grid_thw`: temporal, height and width in patches. */
export interface ImageGrid {
  t: number;
  h: number;
  w: number;
}

export interface MropeTokenIds {
  imageTokenId: number;
  videoTokenId: number;
  visionStartTokenId: number;
}

/** M-RoPE position ids, rows t, h, w each `sequenceLength` long, and the delta decoding needs. */
export interface MropePositions {
  /** Row-major [3, sequenceLength]: t row, then h row, then w row. */
  positionIds: Int32Array;
  sequenceLength: number;
  ropeDelta: number;
}

/**
 * Prefill positions for one sequence (no padding). `grids` lists the images in the order their
 * `<|image_pad|>` runs appear; each run must hold t·(h/m)·(w/m) image tokens right after a
 * vision-start token.
 */
export function mropePositionIds(inputIds: ArrayLike<number>, grids: readonly ImageGrid[], tokens: MropeTokenIds, spatialMergeSize: number): MropePositions {
  const length = inputIds.length;
  const positionIds = new Int32Array(3 * length);
  const set = (index: number, t: number, h: number, w: number) => {
    positionIds[index] = t;
    positionIds[length + index] = h;
    positionIds[2 * length + index] = w;
  };
  checkGrids(grids, spatialMergeSize);
  checkImageRuns(inputIds, grids, tokens, spatialMergeSize);

  let next = 0; // the position the next text token takes: largest so far + 1
  let cursor = 0;
  for (const grid of grids) {
    let start = cursor;
    while (inputIds[start] !== tokens.imageTokenId) start++;
    for (let index = cursor; index < start; index++, next++) set(index, next, next, next);
    const rows = grid.h / spatialMergeSize;
    const columns = grid.w / spatialMergeSize;
    let index = start;
    // Images have no time axis: every frame of the grid gets temporal offset 0.
    for (let frame = 0; frame < grid.t; frame++) {
      for (let row = 0; row < rows; row++) {
        for (let column = 0; column < columns; column++) set(index++, next, next + row, next + column);
      }
    }
    next += Math.max(rows, columns);
    cursor = index;
  }
  for (let index = cursor; index < length; index++, next++) set(index, next, next, next);
  return { positionIds, sequenceLength: length, ropeDelta: next - length };
}

/** Decode-step positions for `count` new tokens after `cacheLength` cached ones: the same value in all three rows. */
export function decodePositionIds(cacheLength: number, count: number, ropeDelta: number): Int32Array {
  const positionIds = new Int32Array(3 * count);
  for (let row = 0; row < 3; row++) {
    for (let index = 0; index < count; index++) positionIds[row * count + index] = cacheLength + ropeDelta + index;
  }
  return positionIds;
}

function checkGrids(grids: readonly ImageGrid[], spatialMergeSize: number): void {
  for (const [number, grid] of grids.entries()) {
    const valid = [grid.t, grid.h, grid.w].every((dim) => Number.isSafeInteger(dim) && dim > 0) && grid.h % spatialMergeSize === 0 && grid.w % spatialMergeSize === 0;
    if (!valid) throw new FrankenlensError('InvalidArgument', `image ${number} has grid ${grid.t}×${grid.h}×${grid.w}; t, h and w must be positive and h, w multiples of the spatial merge size ${spatialMergeSize}`);
  }
}

/** Refuses input ids whose image-token runs do not match the grids one to one. */
function checkImageRuns(inputIds: ArrayLike<number>, grids: readonly ImageGrid[], tokens: MropeTokenIds, spatialMergeSize: number): void {
  const fail = (problem: string) => new FrankenlensError('InvalidArgument', `image tokens: ${problem}`);
  const runs: { start: number; length: number }[] = [];
  for (let index = 0; index < inputIds.length; index++) {
    if (inputIds[index] === tokens.visionStartTokenId && inputIds[index + 1] === tokens.videoTokenId) throw fail(`video input at token ${index + 1} is not supported`);
    if (inputIds[index] !== tokens.imageTokenId) continue;
    if (index === 0 || inputIds[index - 1] !== tokens.imageTokenId) {
      if (inputIds[index - 1] !== tokens.visionStartTokenId) throw fail(`the image-token run at token ${index} does not follow a vision-start token (${tokens.visionStartTokenId})`);
      runs.push({ start: index, length: 0 });
    }
    runs[runs.length - 1]!.length++;
  }
  if (runs.length !== grids.length) throw fail(`the input ids hold ${runs.length} image-token runs but ${grids.length} image grids were given`);
  for (const [number, run] of runs.entries()) {
    const grid = grids[number]!;
    const expected = (grid.t * grid.h * grid.w) / spatialMergeSize ** 2;
    if (run.length !== expected) throw fail(`image ${number} (grid ${grid.t}×${grid.h}×${grid.w}) needs ${expected} image tokens, the run at token ${run.start} has ${run.length}`);
  }
}

/**
 * Row and column of every patch, row-major [patches, 2], in the processor's patch order: frame,
 * then m×m merge block (row-major), then patch inside the block (row-major).
 */
export function visionPatchPositions(grids: readonly ImageGrid[], spatialMergeSize: number): Int32Array {
  checkGrids(grids, spatialMergeSize);
  const m = spatialMergeSize;
  const total = grids.reduce((sum, grid) => sum + grid.t * grid.h * grid.w, 0);
  const positions = new Int32Array(2 * total);
  let patch = 0;
  for (const grid of grids) {
    for (let frame = 0; frame < grid.t; frame++) {
      for (let blockRow = 0; blockRow < grid.h / m; blockRow++) {
        for (let blockColumn = 0; blockColumn < grid.w / m; blockColumn++) {
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < m; j++, patch++) {
              positions[2 * patch] = blockRow * m + i;
              positions[2 * patch + 1] = blockColumn * m + j;
            }
          }
        }
      }
    }
  }
  return positions;
}

/**
 * The vision tower's rotary angles, row-major [patches, headDim/2], in patch order: the first
 * headDim/4 columns are row·f_k, the rest column·f_k, with f_k = theta^(−4k/headDim). Each angle
 * rotates the pair (x_i, x_{i+headDim/2}) of a head (the rotate-half convention).
 */
export function visionRotaryAngles(grids: readonly ImageGrid[], spatialMergeSize: number, headDim: number, theta = 10000): Float64Array {
  const quarter = headDim / 4;
  if (!Number.isInteger(quarter)) throw new FrankenlensError('InvalidArgument', `vision head_dim ${headDim} must be a multiple of 4 for 2-D rotary embeddings`);
  const frequencies = Array.from({ length: quarter }, (_, k) => 1 / theta ** ((2 * k) / (headDim / 2)));
  const positions = visionPatchPositions(grids, spatialMergeSize);
  const patches = positions.length / 2;
  const angles = new Float64Array(patches * 2 * quarter);
  for (let patch = 0; patch < patches; patch++) {
    for (let k = 0; k < quarter; k++) {
      angles[patch * 2 * quarter + k] = positions[2 * patch]! * frequencies[k]!;
      angles[patch * 2 * quarter + quarter + k] = positions[2 * patch + 1]! * frequencies[k]!;
    }
  }
  return angles;
}

export interface VisionWindows {
  /** For each merged token in window order, its index in patch order (merged tokens are m² consecutive patches). */
  windowIndex: Int32Array;
  /** inverseWindowIndex[windowIndex[i]] = i: puts merger outputs back in patch order. */
  inverseWindowIndex: Int32Array;
  /** Cumulative window lengths in patches, from 0: window blocks attend only inside each window. */
  cuWindowSeqlens: Int32Array;
}

/**
 * Windows of (windowSize / m / patchSize)² merged tokens, tiled row-major over each frame's merged
 * grid; windows at the bottom and right borders are cut short when the grid does not divide.
 */
export function visionWindows(grids: readonly ImageGrid[], vision: { spatialMergeSize: number; patchSize: number; windowSize: number }): VisionWindows {
  checkGrids(grids, vision.spatialMergeSize);
  const m = vision.spatialMergeSize;
  const side = Math.floor(vision.windowSize / m / vision.patchSize);
  if (side < 1) throw new FrankenlensError('InvalidArgument', `vision window_size ${vision.windowSize} is smaller than one merged token (${m}×${vision.patchSize} pixels)`);
  const windowIndex: number[] = [];
  const cuWindowSeqlens = [0];
  let offset = 0;
  for (const grid of grids) {
    const rows = grid.h / m;
    const columns = grid.w / m;
    for (let frame = 0; frame < grid.t; frame++, offset += rows * columns) {
      for (let top = 0; top < rows; top += side) {
        for (let left = 0; left < columns; left += side) {
          for (let row = top; row < Math.min(top + side, rows); row++) {
            for (let column = left; column < Math.min(left + side, columns); column++) windowIndex.push(offset + row * columns + column);
          }
          cuWindowSeqlens.push(windowIndex.length * m * m);
        }
      }
    }
  }
  const inverseWindowIndex = new Int32Array(windowIndex.length);
  windowIndex.forEach((original, position) => (inverseWindowIndex[original] = position));
  return { windowIndex: Int32Array.from(windowIndex), inverseWindowIndex, cuWindowSeqlens: Int32Array.from(cuWindowSeqlens) };
}

/** Cumulative frame lengths in patches, from 0: full-attention blocks attend within each frame of each image. */
export function visionFullAttentionSeqlens(grids: readonly ImageGrid[]): Int32Array {
  const cuSeqlens = [0];
  for (const grid of grids) {
    for (let frame = 0; frame < grid.t; frame++) cuSeqlens.push(cuSeqlens[cuSeqlens.length - 1]! + grid.h * grid.w);
  }
  return Int32Array.from(cuSeqlens);
}

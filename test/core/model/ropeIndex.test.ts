import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FrankenlensError } from '../../../src/core/errors';
import {
  decodePositionIds,
  mropePositionIds,
  visionFullAttentionSeqlens,
  visionPatchPositions,
  visionRotaryAngles,
  visionWindows,
  type ImageGrid,
} from '../../../src/core/model/ropeIndex';
import { npyValues, readNpy } from '../../helpers/npy';

const GOLDENS = join(__dirname, '..', '..', 'test', 'fixtures', 'qwen2_5_vl_tiny_goldens');
const golden = (name: string) => npyValues(readNpy(join(GOLDENS, `${name}.npy`)));

// The tiny model's config: image 290, vision start 291, vision end 292, video 293; merge 2, patch 14, window 56.
const TOKENS = { imageTokenId: 290, videoTokenId: 293, visionStartTokenId: 291 };
const VISION = { spatialMergeSize: 2, patchSize: 14, windowSize: 56 };
const [S, I, E] = [291, 290, 292];

describe('M-RoPE position ids (get_rope_index)', () => {
  it('matches transformers on the text-only golden: 0..n-1 in every row, delta 0', () => {
    const ids = golden('text/input_ids');
    const { positionIds, ropeDelta } = mropePositionIds(ids, [], TOKENS, 2);
    assert.deepEqual([...positionIds], [...golden('text/position_ids')]);
    assert.equal(ropeDelta, golden('text/rope_deltas')[0]);
  });

  it('matches transformers on the image golden (grid 1×4×6 → 2×3 merged tokens, delta −3)', () => {
    const ids = golden('image/input_ids');
    const [t, h, w] = golden('image/image_grid_thw');
    const { positionIds, ropeDelta, sequenceLength } = mropePositionIds(ids, [{ t: t!, h: h!, w: w! }], TOKENS, 2);
    assert.equal(sequenceLength, 16);
    assert.deepEqual([...positionIds], [...golden('image/position_ids')]);
    assert.equal(ropeDelta, golden('image/rope_deltas')[0]);
  });

  it('places several images of different shapes, each continuing from the largest position + 1', () => {
    // text(2) S [image A: 1×2×6 → 1×3] E text(1) S [image B: 1×6×4 → 3×2] E text(2)
    const ids = [5, 6, S, I, I, I, E, 7, S, I, I, I, I, I, I, E, 8, 9];
    const { positionIds, ropeDelta } = mropePositionIds(ids, [{ t: 1, h: 2, w: 6 }, { t: 1, h: 6, w: 4 }], TOKENS, 2);
    // Hand-derived: A starts at 3 (rows 0, columns 0..2), so the next text is 3 + max(1, 3) = 6;
    // B starts at 6 + 3 = 9 (rows 0..2, columns 0..1), next text 9 + max(3, 2) = 12.
    const t = [0, 1, 2, 3, 3, 3, 6, 7, 8, 9, 9, 9, 9, 9, 9, 12, 13, 14];
    const h = [0, 1, 2, 3, 3, 3, 6, 7, 8, 9, 9, 10, 10, 11, 11, 12, 13, 14];
    const w = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 9, 10, 9, 10, 12, 13, 14];
    assert.deepEqual([...positionIds], [...t, ...h, ...w]);
    assert.equal(ropeDelta, 15 - ids.length);
  });

  it('decode positions continue the prefill exactly: cache length + delta in all three rows', () => {
    const ids = [...golden('image/input_ids')];
    const grid = { t: 1, h: 4, w: 6 };
    const prefill = mropePositionIds(ids, [grid], TOKENS, 2);
    const longer = mropePositionIds([...ids, 11, 12, 13], [grid], TOKENS, 2);
    const decoded = decodePositionIds(ids.length, 3, prefill.ropeDelta);
    for (let row = 0; row < 3; row++) {
      assert.deepEqual([...decoded.subarray(row * 3, row * 3 + 3)], [...longer.positionIds.subarray(row * 19 + 16, row * 19 + 19)]);
    }
    assert.deepEqual([...decodePositionIds(16, 1, -3)], [13, 13, 13]);
    assert.equal(longer.ropeDelta, prefill.ropeDelta);
  });

  it('refuses image tokens that do not match the grids, and video input', () => {
    const cases: [number[], ImageGrid[], RegExp][] = [
      [[1, S, I, I, E], [{ t: 1, h: 2, w: 6 }], /needs 3 image tokens, the run at token 2 has 2/],
      [[1, S, I, E], [], /1 image-token runs but 0 image grids/],
      [[1, S, I, I, I, E], [{ t: 1, h: 2, w: 6 }, { t: 1, h: 2, w: 2 }], /1 image-token runs but 2 image grids/],
      [[1, I, I, I], [{ t: 1, h: 2, w: 6 }], /does not follow a vision-start token/],
      [[1, S, 293, E], [], /video input at token 2 is not supported/],
      [[1, S, I, I, I, E], [{ t: 1, h: 3, w: 4 }], /multiples of the spatial merge size 2/],
    ];
    for (const [ids, grids, problem] of cases) {
      assert.throws(() => mropePositionIds(ids, grids, TOKENS, 2), (error: unknown) => error instanceof FrankenlensError && problem.test(error.message), problem.source);
    }
  });
});

/**
 * transformers' own recipe, restated: pad the merged grid with −100 up to whole windows (always
 * adding `side − n % side`, so a divisible grid gets an empty band), cut into windows, drop the
 * padding, and remove the repeated boundaries that empty windows leave.
 */
function paddedWindowRecipe(grids: ImageGrid[], m: number, side: number): { windowIndex: number[]; cuWindowSeqlens: number[] } {
  const windowIndex: number[] = [];
  const boundaries = [0];
  let offset = 0;
  for (const { t, h, w } of grids) {
    const [rows, columns] = [h / m, w / m];
    const [paddedRows, paddedColumns] = [rows + side - (rows % side), columns + side - (columns % side)];
    const padded = (frame: number, r: number, c: number) => (r < rows && c < columns ? offset + frame * rows * columns + r * columns + c : -100);
    for (let frame = 0; frame < t; frame++) {
      for (let window = 0; window < (paddedRows / side) * (paddedColumns / side); window++) {
        const [windowRow, windowColumn] = [Math.floor(window / (paddedColumns / side)), window % (paddedColumns / side)];
        let count = 0;
        for (let k = 0; k < side * side; k++) {
          const value = padded(frame, windowRow * side + Math.floor(k / side), windowColumn * side + (k % side));
          if (value !== -100) {
            windowIndex.push(value);
            count++;
          }
        }
        boundaries.push(boundaries[boundaries.length - 1]! + count * m * m);
      }
    }
    offset += t * rows * columns;
  }
  return { windowIndex, cuWindowSeqlens: boundaries.filter((value, index) => index === 0 || value !== boundaries[index - 1]) };
}

describe('vision rotary positions and windows', () => {
  const grid = { t: 1, h: 4, w: 6 };

  it('matches transformers on the image golden: rotary angles, window index, window boundaries', () => {
    const angles = visionRotaryAngles([grid], 2, 16);
    const expected = golden('image/vision_rot_pos_emb');
    assert.equal(angles.length, expected.length);
    for (let i = 0; i < angles.length; i++) assert.ok(Math.abs(angles[i]! - expected[i]!) <= 1e-6 * (1 + Math.abs(expected[i]!)), `angle ${i}: ${angles[i]} vs ${expected[i]}`);
    const windows = visionWindows([grid], VISION);
    assert.deepEqual([...windows.windowIndex], [...golden('image/vision_window_index')]);
    assert.deepEqual([...windows.cuWindowSeqlens], [...golden('image/vision_cu_window_seqlens')]);
    assert.deepEqual([...visionFullAttentionSeqlens([grid])], [0, 24]);
  });

  it('patch positions follow the processor order: frame, merge block, patch inside the block', () => {
    const grids = [{ t: 2, h: 6, w: 4 }, { t: 1, h: 2, w: 10 }];
    const positions = visionPatchPositions(grids, 2);
    let patch = 0;
    for (const { t, h, w } of grids) {
      for (let p = 0; p < t * h * w; p++, patch++) {
        // Index arithmetic on the processor's [t, h/m, w/m, m, m] layout.
        const inFrame = p % (h * w);
        const block = Math.floor(inFrame / 4);
        const [blockRow, blockColumn] = [Math.floor(block / (w / 2)), block % (w / 2)];
        const [i, j] = [Math.floor((inFrame % 4) / 2), inFrame % 2];
        assert.deepEqual([positions[2 * patch], positions[2 * patch + 1]], [blockRow * 2 + i, blockColumn * 2 + j], `patch ${patch}`);
      }
    }
    assert.equal(patch, positions.length / 2);
    const angles = visionRotaryAngles(grids, 2, 16);
    const frequencies = [0, 1, 2, 3].map((k) => 10000 ** (-k / 4));
    for (let p = 0; p < patch; p++) {
      for (let k = 0; k < 4; k++) {
        assert.ok(Math.abs(angles[p * 8 + k]! - positions[2 * p]! * frequencies[k]!) <= 1e-14);
        assert.ok(Math.abs(angles[p * 8 + 4 + k]! - positions[2 * p + 1]! * frequencies[k]!) <= 1e-14);
      }
    }
  });

  it('windows on non-square and non-divisible grids, several images and frames, equal the padded recipe', () => {
    const cases: ImageGrid[][] = [
      [{ t: 1, h: 10, w: 6 }], // merged 5×3: windows cut at the bottom and the right
      [{ t: 1, h: 2, w: 2 }], // one merged token
      [{ t: 1, h: 8, w: 8 }], // divisible: transformers pads an empty band, which must leave no trace
      [{ t: 2, h: 6, w: 10 }, { t: 1, h: 14, w: 4 }], // two images, one with two frames
    ];
    for (const grids of cases) {
      const windows = visionWindows(grids, VISION);
      const recipe = paddedWindowRecipe(grids, 2, 2);
      assert.deepEqual([...windows.windowIndex], recipe.windowIndex, JSON.stringify(grids));
      assert.deepEqual([...windows.cuWindowSeqlens], recipe.cuWindowSeqlens, JSON.stringify(grids));
      windows.windowIndex.forEach((original, position) => assert.equal(windows.inverseWindowIndex[original], position));
    }
    // A 112-pixel window (the real model: 4×4 merged tokens) over merged 5×3 tokens: 4×3 then 1×3.
    const wide = visionWindows([{ t: 1, h: 10, w: 6 }], { spatialMergeSize: 2, patchSize: 14, windowSize: 112 });
    assert.deepEqual([...wide.cuWindowSeqlens], [0, 48, 60]);
    assert.deepEqual([...wide.windowIndex], [...Array(15).keys()]);
    assert.deepEqual([...visionFullAttentionSeqlens([{ t: 2, h: 6, w: 10 }, { t: 1, h: 14, w: 4 }])], [0, 60, 120, 176]);
  });

  it('refuses grids that do not split into merge blocks and windows smaller than a merged token', () => {
    assert.throws(() => visionWindows([{ t: 1, h: 5, w: 4 }], VISION), /multiples of the spatial merge size 2/);
    assert.throws(() => visionPatchPositions([{ t: 0, h: 4, w: 4 }], 2), /must be positive/);
    assert.throws(() => visionWindows([{ t: 1, h: 4, w: 4 }], { spatialMergeSize: 2, patchSize: 14, windowSize: 14 }), /smaller than one merged token/);
    assert.throws(() => visionRotaryAngles([grid], 2, 18), /multiple of 4/);
  });
});

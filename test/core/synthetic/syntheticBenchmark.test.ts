import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readBenchmarkItems } from '../../../src/core/bench/benchmarkItems';
import { SHAPE_COLOURS, SHAPE_KINDS, writeSyntheticBenchmark } from '../../../src/core/synthetic/syntheticBenchmark';
import { readImageFile, type RgbImage } from '../../../src/core/vision/imageDecode';

/** Connected regions of non-white pixels (4-neighbourhood), counted by flood fill. */
function countBlobs(image: RgbImage): number {
  const { width, height, data } = image;
  const seen = new Uint8Array(width * height);
  const isInk = (i: number) => data[3 * i] !== 255 || data[3 * i + 1] !== 255 || data[3 * i + 2] !== 255;
  let blobs = 0;
  for (let start = 0; start < width * height; start++) {
    if (seen[start] || !isInk(start)) continue;
    blobs++;
    const stack = [start];
    seen[start] = 1;
    while (stack.length > 0) {
      const i = stack.pop()!;
      const x = i % width;
      const neighbours = [x > 0 ? i - 1 : -1, x < width - 1 ? i + 1 : -1, i - width, i + width];
      for (const j of neighbours) {
        if (j >= 0 && j < width * height && !seen[j] && isInk(j)) {
          seen[j] = 1;
          stack.push(j);
        }
      }
    }
  }
  return blobs;
}

/** The non-white colours present, by name. */
function coloursIn(image: RgbImage): Set<string> {
  const names = new Set<string>();
  for (let i = 0; i < image.width * image.height; i++) {
    const pixel = [image.data[3 * i], image.data[3 * i + 1], image.data[3 * i + 2]];
    if (pixel.every((value) => value === 255)) continue;
    const name = Object.entries(SHAPE_COLOURS).find(([, rgb]) => rgb.every((value, c) => value === pixel[c]))?.[0];
    names.add(name ?? `unknown ${pixel.join(',')}`);
  }
  return names;
}

describe('synthetic benchmark', () => {
  const dir = mkdtempSync(join(tmpdir(), 'frankenlens-synthetic-bench-'));
  const itemFile = writeSyntheticBenchmark(join(dir, 'bench'), { itemsPerKind: 6, seed: 3 });
  const items = readBenchmarkItems(itemFile);

  it('writes valid items whose images show what their answers say', () => {
    assert.equal(items.length, 18);
    for (const item of items) {
      const image = readImageFile(item.images[0]);
      if (item.category === 'counting') assert.equal(countBlobs(image), Number(item.answer), item.id);
      if (item.category === 'colour') {
        const colour = item.choices![item.answer.charCodeAt(0) - 65];
        assert.deepEqual([...coloursIn(image)], [colour], item.id);
        assert.match(item.description!, new RegExp(`^A ${colour} `));
      }
      if (item.category === 'shape') {
        const kind = item.choices![item.answer.charCodeAt(0) - 65];
        assert.ok((SHAPE_KINDS as readonly string[]).includes(kind));
        assert.match(item.description!, new RegExp(`${kind} on a white background`));
      }
    }
  });

  it('draws the shape its answer names: by fill of the bounding box (square 1, circle π/4, triangle 1/2)', () => {
    const shapeItems = items.filter((item) => item.category === 'shape');
    const kindsSeen = new Set<string>();
    for (const item of shapeItems) {
      const image = readImageFile(item.images[0]);
      let ink = 0;
      let [left, top, right, bottom] = [image.width, image.height, -1, -1];
      for (let y = 0; y < image.height; y++) {
        for (let x = 0; x < image.width; x++) {
          const i = 3 * (y * image.width + x);
          if (image.data[i] === 255 && image.data[i + 1] === 255 && image.data[i + 2] === 255) continue;
          ink++;
          [left, top, right, bottom] = [Math.min(left, x), Math.min(top, y), Math.max(right, x), Math.max(bottom, y)];
        }
      }
      const fill = ink / ((right - left + 1) * (bottom - top + 1));
      const seen = fill > 0.92 ? 'square' : fill > 0.65 ? 'circle' : 'triangle';
      kindsSeen.add(seen);
      assert.equal(seen, item.choices![item.answer.charCodeAt(0) - 65], `${item.id}: fill ${fill.toFixed(3)}`);
    }
    assert.ok(kindsSeen.size >= 2, `the items show several kinds: ${[...kindsSeen].join(', ')}`);
  });

  it('is reproducible from its seed', () => {
    const again = writeSyntheticBenchmark(join(dir, 'again'), { itemsPerKind: 6, seed: 3 });
    assert.equal(readFileSync(again, 'utf8'), readFileSync(itemFile, 'utf8'));
    assert.deepEqual(readFileSync(join(dir, 'again', 'images', 'count-2.png')), readFileSync(join(dir, 'bench', 'images', 'count-2.png')));
    rmSync(dir, { recursive: true, force: true });
  });
});

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { readImageFile } from '../../../src/core/vision/imageDecode';
import { resizeBicubic } from '../../../src/core/vision/bicubicResize';
import { GOLDENS_DIR, goldenManifest, goldenRgb } from './processorGoldens';

test('bit-exact with PIL Image.resize(BICUBIC) on every PNG golden: up, down (antialiased), one side only', () => {
  const pngs = goldenManifest().images.filter((entry) => entry.file.endsWith('.png'));
  assert.equal(pngs.length, 10);
  for (const entry of pngs) {
    const input = readImageFile(join(GOLDENS_DIR, entry.file));
    const resized = resizeBicubic(input, entry.resized_width, entry.resized_height);
    const expected = goldenRgb(entry.resized_rgb);
    assert.deepEqual([resized.width, resized.height], [expected.width, expected.height], entry.name);
    assert.ok(Buffer.from(resized.data).equals(Buffer.from(expected.data)), `${entry.name}: resized pixels differ from PIL`);
  }
});

test('a constant image stays constant, and the same size is a copy', () => {
  const image = { width: 9, height: 6, data: new Uint8Array(9 * 6 * 3).fill(200) };
  for (const [w, h] of [[30, 4], [3, 17], [9, 6]] as const) {
    const resized = resizeBicubic(image, w, h);
    assert.ok(resized.data.every((v) => v === 200), `${w}×${h}`);
  }
  const copy = resizeBicubic(image, 9, 6);
  assert.notEqual(copy.data, image.data);
});

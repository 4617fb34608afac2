import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readImageFile } from '../../../src/core/vision/imageDecode';
import { byteDifference } from './processorGoldens';

/** PIL's convert("RGB") of each file, written by scripts/goldens/hostileImageGoldens.py (Pillow 9.4). */
const IMAGES_DIR = 'test/fixtures/images';
interface ModeGolden {
  file: string;
  mode: string;
  width: number;
  height: number;
  rgb: string;
}
const manifest = JSON.parse(readFileSync(join(IMAGES_DIR, 'manifest.json'), 'utf8')) as { images: ModeGolden[] };

test('the goldens cover every PNG colour type and depth, Adam7, short palettes and CMYK/YCCK/EXIF JPEGs', () => {
  assert.deepEqual([...new Set(manifest.images.map((entry) => entry.mode))].sort(), ['1', 'CMYK', 'I', 'L', 'LA', 'P', 'RGB', 'RGBA']);
  assert.equal(manifest.images.length, 32);
});

for (const entry of manifest.images) {
  test(`${entry.file} (PIL mode ${entry.mode}) decodes to exactly PIL's convert("RGB")`, () => {
    const ours = readImageFile(join(IMAGES_DIR, entry.file));
    const pil = Buffer.from(entry.rgb, 'base64');
    assert.deepEqual([ours.width, ours.height], [entry.width, entry.height]);
    const { max, differing } = byteDifference(ours.data, pil);
    assert.equal(differing, 0, `${entry.file}: ${differing} samples differ from PIL, by up to ${max}`);
  });
}

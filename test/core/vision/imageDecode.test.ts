import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PNG } from 'pngjs';
import type { FrankenlensError } from '../../../src/core/errors';
import { blackImage, decodeImage, readImageFile } from '../../../src/core/vision/imageDecode';
import { tempDir } from '../../helpers/tempDir';
import { byteDifference, GOLDENS_DIR, goldenManifest, goldenRgb } from './processorGoldens';

test('PNG: 8-bit RGB written by pngjs decodes to the same bytes', () => {
  const width = 7, height = 5;
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height * 4; i++) png.data[i] = (i * 37 + 11) % 256;
  const image = decodeImage(PNG.sync.write(png), 'made.png');
  assert.deepEqual([image.width, image.height], [width, height]);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) assert.equal(image.data[p * 3 + c], png.data[p * 4 + c]);
  }
});

test('grey, palette, RGBA and colour-keyed PNGs convert as PIL convert("RGB") does (checked through the exact resized goldens)', () => {
  const modes = goldenManifest().images.filter((entry) => entry.file.endsWith('.png')).map((entry) => entry.mode);
  assert.deepEqual([...new Set(modes)].sort(), ['L', 'P', 'RGB', 'RGBA']);
  const gray = readImageFile(join(GOLDENS_DIR, 'gray_64.png'));
  for (let p = 0; p < gray.width * gray.height; p++) assert.ok(gray.data[p * 3] === gray.data[p * 3 + 1] && gray.data[p * 3] === gray.data[p * 3 + 2]);
  // The colour-keyed image's key colour is pixel (0,0); pngjs alone would turn those pixels black.
  const keyed = readImageFile(join(GOLDENS_DIR, 'keyed_50x40.png'));
  assert.ok(keyed.data[0]! + keyed.data[1]! + keyed.data[2]! > 0);
});

test('JPEG: decoded RGB equals PIL (libjpeg-turbo) exactly: 4:4:4, 4:2:2, 4:2:0, 4:4:0, grey, progressive, restart markers, odd sizes, low quality', () => {
  const jpegs = goldenManifest().images.filter((e) => e.decoded_rgb !== null);
  assert.equal(jpegs.length, 9);
  for (const entry of jpegs) {
    const ours = readImageFile(join(GOLDENS_DIR, entry.file));
    const pil = goldenRgb(entry.decoded_rgb!);
    assert.deepEqual([ours.width, ours.height], [pil.width, pil.height]);
    const { max, differing } = byteDifference(ours.data, pil.data);
    assert.equal(differing, 0, `${entry.file}: ${differing} samples differ from PIL, by up to ${max}`);
  }
});

test('black images have the asked size and only zeros', () => {
  const image = blackImage(30, 20);
  assert.deepEqual([image.width, image.height, image.data.length], [30, 20, 1800]);
  assert.ok(image.data.every((v) => v === 0));
  assert.throws(() => blackImage(0, 5), /positive integer size/);
});

/** A copy of a JPEG whose frame header claims `count` components. */
function withComponentCount(jpeg: Buffer, count: number): Buffer {
  const copy = Buffer.from(jpeg);
  const sof = copy.indexOf(Buffer.from([0xff, 0xc0]));
  copy[sof + 9] = count;
  return copy;
}

test('unreadable, truncated, corrupt and unknown files give InvalidImage errors naming the file', () => {
  const dir = tempDir();
  const png = readFileSync(join(GOLDENS_DIR, 'square_60.png'));
  const jpeg = readFileSync(join(GOLDENS_DIR, 'photo444_80x60.jpg'));
  const corruptPng = Buffer.from(png);
  corruptPng[60] ^= 0xff;
  const cases: [string, Buffer | null, RegExp][] = [
    ['missing.png', null, /missing/],
    ['empty.png', Buffer.alloc(0), /not a PNG or JPEG/],
    ['text.jpg', Buffer.from('hello'), /not a PNG or JPEG/],
    ['truncated.png', png.subarray(0, png.length / 2), /corrupt or unsupported/],
    ['crc.png', corruptPng, /corrupt or unsupported/],
    ['truncated.jpg', jpeg.subarray(0, jpeg.length / 2), /corrupt or unsupported JPEG \(truncated/],
    ['cmyk.jpg', withComponentCount(jpeg, 4), /4-component/],
  ];
  for (const [name, bytes, pattern] of cases) {
    const path = join(dir, name);
    if (bytes) writeFileSync(path, bytes);
    assert.throws(() => readImageFile(path), (error: FrankenlensError) => error.code === 'InvalidImage' && error.file === path && pattern.test(error.message) && error.message.startsWith(path), name);
  }
});

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { FrankenlensError } from '../../../src/core/errors';
import { readImageFile } from '../../../src/core/vision/imageDecode';
import { loadImageProcessorConfig, processImage, smartResize } from '../../../src/core/vision/qwenImageProcessor';
import { readNpy } from '../../helpers/npy';
import { tempDir } from '../../helpers/tempDir';
import { byteDifference, GOLDENS_DIR, goldenManifest, goldenRgb } from './processorGoldens';

const FIXTURE = 'test/fixtures/qwen2_5_vl_tiny';

test('smart resize equals the Python reference on 654 sizes, two pixel budgets, halves and refusals included', () => {
  const table = goldenManifest().smart_resize;
  assert.equal(table.length, 654);
  for (const row of table) {
    const call = () => smartResize(row.height, row.width, 28, row.min_pixels, row.max_pixels);
    if (row.error) assert.throws(call, (error: FrankenlensError) => error.code === 'InvalidImage', JSON.stringify(row));
    else assert.deepEqual(call(), { height: row.resized![0], width: row.resized![1] }, JSON.stringify(row));
  }
  // Python rounds 2.5 to 2: a 70-pixel side becomes 56, not 84.
  assert.deepEqual(smartResize(42, 70, 28, 3136, 12544), { height: 56, width: 56 });
});

test('the tiny fixture preprocessor_config.json', () => {
  const config = loadImageProcessorConfig(FIXTURE);
  assert.deepEqual({ ...config, file: null }, {
    file: null, doResize: true, doRescale: true, rescaleFactor: 1 / 255, doNormalize: true,
    imageMean: [0.48145466, 0.4578275, 0.40821073], imageStd: [0.26862954, 0.26130258, 0.27577711],
    minPixels: 3136, maxPixels: 12544, patchSize: 14, temporalPatchSize: 2, mergeSize: 2,
  });
});

test('pixel values equal the PIL + NumPy processor to 1e-6 (non-square and downscaled images)', () => {
  const config = loadImageProcessorConfig(FIXTURE);
  const withPixels = goldenManifest().images.filter((entry) => entry.pixel_values !== null);
  assert.equal(withPixels.length, 2);
  for (const entry of withPixels) {
    const processed = processImage(readImageFile(join(GOLDENS_DIR, entry.file)), config, entry.file);
    const expected = readNpy(join(GOLDENS_DIR, entry.pixel_values!));
    const patches = entry.grid_thw[1] * entry.grid_thw[2];
    assert.deepEqual(expected.shape, [patches, 1176]);
    assert.equal(processed.pixelValues.length, expected.data.length);
    let maxError = 0;
    for (let i = 0; i < expected.data.length; i++) maxError = Math.max(maxError, Math.abs(processed.pixelValues[i]! - (expected.data[i] as number)));
    assert.ok(maxError <= 1e-6, `${entry.name}: max |Δ| ${maxError}`);
    assert.equal(maxError, 0, `${entry.name}: float32 steps emulated exactly`);
  }
});

test('grid_thw, resized size and image-token count for every golden; resized JPEGs equal PIL exactly', () => {
  const config = loadImageProcessorConfig(FIXTURE);
  for (const entry of goldenManifest().images) {
    const processed = processImage(readImageFile(join(GOLDENS_DIR, entry.file)), config, entry.file);
    assert.deepEqual(processed.gridThw, entry.grid_thw, entry.name);
    assert.deepEqual([processed.resizedHeight, processed.resizedWidth], [entry.resized_height, entry.resized_width], entry.name);
    const [t, h, w] = entry.grid_thw;
    assert.equal(processed.imageTokens, (t * h * w) / 4);
    assert.equal(processed.pixelValues.length, t * h * w * 1176);
  }
  // The goldens' image case: a 56×84 image is grid [1, 4, 6] and 6 image tokens, as in HF's input_ids.
  const processed = processImage({ width: 84, height: 56, data: new Uint8Array(84 * 56 * 3) }, config);
  assert.deepEqual([processed.gridThw, processed.imageTokens], [[1, 4, 6], 6]);
  for (const entry of goldenManifest().images.filter((e) => e.decoded_rgb !== null)) {
    const ours = processImage(readImageFile(join(GOLDENS_DIR, entry.file)), { ...config, doRescale: false, doNormalize: false });
    const pil = goldenRgb(entry.resized_rgb);
    // Undo the patch layout through the first frame of each patch: compare against PIL's resized image.
    const { max, differing } = byteDifference(unpatchify(ours.pixelValues, ours.gridThw), pil.data);
    assert.equal(differing, 0, `${entry.name}: resized JPEG differs from PIL in ${differing} samples, by up to ${max}`);
  }
});

/** RGB bytes back from un-normalised pixel values, from frame 0 of each patch (an independent reading of the layout). */
function unpatchify(pixelValues: Float32Array, [, gridH, gridW]: [number, number, number]): Uint8Array {
  const p = 14, m = 2, t = 2, width = gridW * p;
  const rgb = new Uint8Array(gridH * gridW * p * p * 3);
  for (let row = 0; row < gridH * gridW; row++) {
    const block = Math.floor(row / (m * m));
    const within = row % (m * m);
    const patchY = Math.floor(block / (gridW / m)) * m + Math.floor(within / m);
    const patchX = (block % (gridW / m)) * m + (within % m);
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < p; y++) {
        for (let x = 0; x < p; x++) {
          const value = pixelValues[row * 1176 + ((c * t + 0) * p + y) * p + x]!;
          assert.equal(pixelValues[row * 1176 + ((c * t + 1) * p + y) * p + x], value, 'both frames hold the same image');
          rgb[((patchY * p + y) * width + patchX * p + x) * 3 + c] = value;
        }
      }
    }
  }
  return rgb;
}

test('images too small or too elongated, and invalid configs, are refused by name', () => {
  const config = loadImageProcessorConfig(FIXTURE);
  assert.throws(() => processImage({ width: 27, height: 100, data: new Uint8Array(27 * 100 * 3) }, config, 'thin.png'),
    (error: FrankenlensError) => error.code === 'InvalidImage' && error.file === 'thin.png' && /at least 28/.test(error.message));
  assert.throws(() => processImage({ width: 28, height: 5601, data: new Uint8Array(28 * 5601 * 3) }, config, 'tall.png'), /aspect ratio/);
  assert.throws(() => processImage({ width: 30, height: 56, data: new Uint8Array(30 * 56 * 3) }, { ...config, doResize: false }, 'raw.png'), /multiples of 28/);
  const dir = tempDir();
  assert.equal(loadImageProcessorConfig(dir).file, null);
  assert.equal(loadImageProcessorConfig(dir).maxPixels, 28 * 28 * 1280);
  const file = join(dir, 'preprocessor_config.json');
  for (const [json, pattern] of [
    ['{"resample": 2}', /resample is 2/],
    ['{"patch_size": 0}', /patch_size is 0/],
    ['{"image_mean": [1, 2]}', /image_mean/],
    ['{"min_pixels": 5000, "max_pixels": 4000}', /min_pixels/],
    ['{"do_resize": "yes"}', /do_resize/],
  ] as const) {
    writeFileSync(file, json);
    assert.throws(() => loadImageProcessorConfig(dir), (error: FrankenlensError) => error.code === 'InvalidConfig' && error.file === file && pattern.test(error.message), json);
  }
  writeFileSync(file, '{"size": {"shortest_edge": 100, "longest_edge": 200000}}');
  assert.deepEqual([loadImageProcessorConfig(dir).minPixels, loadImageProcessorConfig(dir).maxPixels], [100, 200000]);
});

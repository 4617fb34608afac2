/**
 * Qwen2-VL's image processor (transformers 4.50 `Qwen2VLImageProcessor`, also Qwen2.5-VL's): smart
 * resize to multiples of patch·merge within the pixel budget, PIL bicubic resize, rescale, normalise,
 * and the patch layout the vision tower's Conv3d patch embedding expects.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readCheckpointJson } from '../checkpoint/checkpointJson';
import { FrankenlensError } from '../errors';
import { resizeBicubic } from './bicubicResize';
import type { RgbImage } from './imageDecode';
import { IMAGE_PIXEL_LIMIT } from './imageHeader';

export interface QwenImageProcessorConfig {
  /** The preprocessor_config.json read, or null for transformers' defaults. */
  file: string | null;
  doResize: boolean;
  doRescale: boolean;
  rescaleFactor: number;
  doNormalize: boolean;
  imageMean: [number, number, number];
  imageStd: [number, number, number];
  minPixels: number;
  maxPixels: number;
  patchSize: number;
  temporalPatchSize: number;
  mergeSize: number;
}

export interface ProcessedImage {
  /** [patches, 3·temporalPatch·patch·patch] row-major; each row is one patch as (channel, frame, y, x). */
  pixelValues: Float32Array;
  /** Patches per side: frames/temporalPatch, height/patch, width/patch (HF `image_grid_thw`). */
  gridThw: [number, number, number];
  resizedWidth: number;
  resizedHeight: number;
  /** `<|image_pad|>` tokens the image takes in the prompt: t·h·w / merge². */
  imageTokens: number;
}

const OPENAI_CLIP_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
const OPENAI_CLIP_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];
const PIL_BICUBIC = 3;

/**
 * Reads preprocessor_config.json. The pixel budget is `min_pixels`/`max_pixels`, else `size`'s
 * shortest_edge/longest_edge (newer transformers), else the defaults 56·56 and 28·28·1280.
 */
export function loadImageProcessorConfig(dir: string): QwenImageProcessorConfig {
  const path = join(dir, 'preprocessor_config.json');
  const raw = existsSync(path) ? readCheckpointJson(path, 'InvalidConfig') : {};
  const file = existsSync(path) ? path : null;
  const fail = (field: string, expected: string): never => {
    throw new FrankenlensError('InvalidConfig', `${path}: ${field} is ${JSON.stringify(raw[field])}, expected ${expected}`, path);
  };
  const boolean = (field: string, fallback: boolean) => (raw[field] === undefined ? fallback : typeof raw[field] === 'boolean' ? (raw[field] as boolean) : fail(field, 'true or false'));
  const positive = (field: string, fallback: number, integer: boolean, value = raw[field]) => {
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || !(value > 0) || (integer && !Number.isInteger(value))) return fail(field, integer ? 'a positive integer' : 'a positive number');
    return value;
  };
  const triple = (field: string, fallback: [number, number, number]): [number, number, number] => {
    const value = raw[field];
    if (value === undefined || value === null) return fallback;
    if (typeof value === 'number') return [value, value, value];
    if (Array.isArray(value) && value.length === 3 && value.every((v) => typeof v === 'number')) return value as [number, number, number];
    return fail(field, 'a number or a list of 3 numbers');
  };
  if (raw.resample !== undefined && raw.resample !== PIL_BICUBIC) fail('resample', `${PIL_BICUBIC} (bicubic, the only resampling implemented)`);
  const size = typeof raw.size === 'object' && raw.size !== null ? (raw.size as Record<string, unknown>) : {};
  const config: QwenImageProcessorConfig = {
    file,
    doResize: boolean('do_resize', true),
    doRescale: boolean('do_rescale', true),
    rescaleFactor: positive('rescale_factor', 1 / 255, false),
    doNormalize: boolean('do_normalize', true),
    imageMean: triple('image_mean', OPENAI_CLIP_MEAN),
    imageStd: triple('image_std', OPENAI_CLIP_STD),
    minPixels: positive('min_pixels', positive('size', 56 * 56, true, size.shortest_edge), true),
    maxPixels: positive('max_pixels', positive('size', 28 * 28 * 1280, true, size.longest_edge), true),
    patchSize: positive('patch_size', 14, true),
    temporalPatchSize: positive('temporal_patch_size', 2, true),
    mergeSize: positive('merge_size', 2, true),
  };
  if (config.imageStd.some((value) => value === 0)) fail('image_std', 'no zero entries');
  if (config.minPixels > config.maxPixels) fail('min_pixels', `at most max_pixels (${config.maxPixels})`);
  // Every image is enlarged to at least min_pixels: past PIL's own image limit that is an allocation bomb.
  if (config.minPixels > IMAGE_PIXEL_LIMIT) fail('min_pixels', `at most ${IMAGE_PIXEL_LIMIT} pixels`);
  return config;
}

/** Python's round(): halves go to the even neighbour (round(2.5) = 2). */
function roundHalfToEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * Output size for an image of `height`×`width`: each side rounded to a multiple of `factor`; if the
 * area leaves [minPixels, maxPixels], both sides scaled by the same β (floored when shrinking, ceiled
 * when growing) so the aspect ratio stays as close as the grid allows.
 */
export function smartResize(height: number, width: number, factor: number, minPixels: number, maxPixels: number): { height: number; width: number } {
  if (height < factor || width < factor) {
    throw new FrankenlensError('InvalidImage', `the image is ${width}×${height} pixels; both sides must be at least ${factor}`);
  }
  if (Math.max(height, width) / Math.min(height, width) > 200) {
    throw new FrankenlensError('InvalidImage', `the image is ${width}×${height} pixels; its absolute aspect ratio must be smaller than 200 (as the processor requires)`);
  }
  let h = roundHalfToEven(height / factor) * factor;
  let w = roundHalfToEven(width / factor) * factor;
  if (h * w > maxPixels) {
    const beta = Math.sqrt((height * width) / maxPixels);
    h = Math.floor(height / beta / factor) * factor;
    w = Math.floor(width / beta / factor) * factor;
  } else if (h * w < minPixels) {
    const beta = Math.sqrt(minPixels / (height * width));
    h = Math.ceil((height * beta) / factor) * factor;
    w = Math.ceil((width * beta) / factor) * factor;
  }
  return { height: h, width: w };
}

export function processImage(image: RgbImage, config: QwenImageProcessorConfig, name = 'image'): ProcessedImage {
  const { patchSize: p, mergeSize: m, temporalPatchSize: t } = config;
  const factor = p * m;
  const { width, height } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || image.data.length !== width * height * 3) {
    throw new FrankenlensError('InvalidImage', `${name}: not a usable image (${width}×${height} pixels, ${image.data.length} bytes of RGB)`, name);
  }
  let resized = image;
  if (config.doResize) {
    let size: { height: number; width: number };
    try {
      size = smartResize(height, width, factor, config.minPixels, config.maxPixels);
    } catch (error) {
      throw new FrankenlensError('InvalidImage', `${name}: ${(error as Error).message}`, name);
    }
    // transformers 4.50 floors the short side of a thin image to 0 when shrinking to max_pixels, and
    // PIL's resize then fails: refuse with the reason instead of building an empty tensor.
    if (size.height === 0 || size.width === 0) {
      throw new FrankenlensError('InvalidImage', `${name}: the image is ${width}×${height} pixels; shrunk to max_pixels (${config.maxPixels}) its short side rounds to 0 (the processor cannot resize it)`, name);
    }
    resized = resizeBicubic(image, size.width, size.height);
  } else if (width % factor !== 0 || height % factor !== 0) {
    throw new FrankenlensError('InvalidImage', `${name}: without resizing, both sides must be multiples of ${factor}, got ${width}×${height}`, name);
  }

  // rescale runs in float64 and stores float32; normalise runs in float32 (transformers' numpy dtypes).
  const f32 = Math.fround;
  const channelValue = [0, 1, 2].map((c) => {
    const mean = f32(config.imageMean[c]!);
    const std = f32(config.imageStd[c]!);
    return Float32Array.from({ length: 256 }, (_, v) => {
      const scaled = config.doRescale ? f32(v * config.rescaleFactor) : v;
      return config.doNormalize ? f32(f32(scaled - mean) / std) : scaled;
    });
  });

  const gridH = resized.height / p;
  const gridW = resized.width / p;
  const rowLength = 3 * t * p * p;
  const pixelValues = new Float32Array(gridH * gridW * rowLength);
  const patchArea = p * p;
  let row = 0;
  // Patches in merge-block order: each merge×merge block of patches is contiguous, blocks row-major.
  for (let blockY = 0; blockY < gridH / m; blockY++) {
    for (let blockX = 0; blockX < gridW / m; blockX++) {
      for (let innerY = 0; innerY < m; innerY++) {
        for (let innerX = 0; innerX < m; innerX++, row++) {
          const top = (blockY * m + innerY) * p;
          const left = (blockX * m + innerX) * p;
          for (let c = 0; c < 3; c++) {
            const values = channelValue[c]!;
            // (channel, frame, y, x) within the row; one still image fills every frame.
            const channelBase = row * rowLength + c * t * patchArea;
            for (let y = 0; y < p; y++) {
              let source = ((top + y) * resized.width + left) * 3 + c;
              const target = channelBase + y * p;
              for (let x = 0; x < p; x++, source += 3) {
                const value = values[resized.data[source]!]!;
                for (let frame = 0; frame < t; frame++) pixelValues[target + frame * patchArea + x] = value;
              }
            }
          }
        }
      }
    }
  }
  return {
    pixelValues,
    gridThw: [1, gridH, gridW],
    resizedWidth: resized.width,
    resizedHeight: resized.height,
    imageTokens: (gridH * gridW) / (m * m),
  };
}

/** The PIL + NumPy processor goldens written by scripts/goldens/qwenProcessorGoldens.py. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readImageFile, type RgbImage } from '../../../src/core/vision/imageDecode';

export const GOLDENS_DIR = 'test/fixtures/qwen_vl_processor';

export interface GoldenImage {
  name: string;
  file: string;
  mode: string;
  width: number;
  height: number;
  resized_height: number;
  resized_width: number;
  grid_thw: [number, number, number];
  resized_rgb: string;
  decoded_rgb: string | null;
  pixel_values: string | null;
}

export interface GoldenManifest {
  images: GoldenImage[];
  smart_resize: { height: number; width: number; min_pixels: number; max_pixels: number; resized?: [number, number]; error?: string }[];
}

export const goldenManifest = (): GoldenManifest => JSON.parse(readFileSync(join(GOLDENS_DIR, 'manifest.json'), 'utf8'));

/** PNG files written by PIL decode losslessly with our decoder (checked in imageDecode.test.ts). */
export const goldenRgb = (file: string): RgbImage => readImageFile(join(GOLDENS_DIR, file));

/** Largest absolute difference, and how many samples differ. */
export function byteDifference(a: Uint8Array, b: Uint8Array): { max: number; differing: number } {
  let max = 0;
  let differing = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d > 0) differing++;
    if (d > max) max = d;
  }
  return { max, differing };
}

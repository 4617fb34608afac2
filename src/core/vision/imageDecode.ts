/**
 * Image files to 8-bit RGB, as PIL's `Image.open(path).convert("RGB")` gives them to the Hugging Face
 * processor (transformers' convert_to_rgb): alpha is dropped, not blended, and EXIF orientation is
 * not applied (neither transformers' processor nor qwen_vl_utils calls exif_transpose). The header
 * is checked first (imageHeader.ts): an image over PIL's decompression-bomb limit is refused before
 * any pixel buffer exists. PNG and JPEG decode; GIF, BMP and WebP are recognised and refused.
 */
import { FrankenlensError } from '../errors';
import { readRegularFile } from '../regularFile';
import { IMAGE_PIXEL_LIMIT, readImageHeader } from './imageHeader';
import { decodeJpegFile } from './jpegDecode';
import { decodePng } from './pngDecode';

export interface RgbImage {
  width: number;
  height: number;
  /** Row-major RGB, 3 bytes per pixel. */
  data: Uint8Array;
}

/** Larger than any real photo or scan; the pixel limit, not this, bounds what decoding allocates. */
export const IMAGE_FILE_BYTES = 256 * 1024 * 1024;

export function readImageFile(path: string): RgbImage {
  return decodeImage(readRegularFile(path, { code: 'InvalidImage', maxBytes: IMAGE_FILE_BYTES }), path);
}

/** Decodes by content, not by file extension; `name` is used in errors. */
export function decodeImage(bytes: Buffer, name: string): RgbImage {
  const header = readImageHeader(bytes, name);
  let image: RgbImage;
  try {
    if (header.format === 'png') image = decodePng(bytes, name);
    else if (header.format === 'jpeg') image = decodeJpegRgb(bytes, name);
    else throw new FrankenlensError('InvalidImage', `${name}: ${header.format.toUpperCase()} images are not supported (convert it to PNG or JPEG)`, name);
  } catch (error) {
    if (error instanceof FrankenlensError) throw error;
    throw new FrankenlensError('InvalidImage', `${name}: corrupt or unsupported image (${(error as Error).message})`, name);
  }
  if (image.width !== header.width || image.height !== header.height) {
    throw new FrankenlensError('InvalidImage', `${name}: corrupt image (the header says ${header.width}×${header.height}, the image data ${image.width}×${image.height})`, name);
  }
  return image;
}

/** An all-black RGB image, the stand-in for an image in the black-image probe condition. */
export function blackImage(width: number, height: number): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || width * height > IMAGE_PIXEL_LIMIT) {
    throw new FrankenlensError('InvalidArgument', `a black image needs a positive integer size of at most ${IMAGE_PIXEL_LIMIT} pixels, got ${width}×${height}`);
  }
  return { width, height, data: new Uint8Array(width * height * 3) };
}

function decodeJpegRgb(bytes: Buffer, name: string): RgbImage {
  const { width, height, channels, data } = decodeJpegFile(bytes, name);
  if (channels === 3) return { width, height, data };
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = data[i]!;
  return { width, height, data: rgb };
}

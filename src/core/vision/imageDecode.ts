/**
 * PNG and JPEG files to 8-bit RGB, as PIL's `Image.open(path).convert("RGB")` gives them to the
 * Hugging Face processor: alpha is dropped (not blended), grey and palette images are expanded.
 */
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { FrankenlensError } from '../errors';
import { decodeJpegFile } from './jpegDecode';

export interface RgbImage {
  width: number;
  height: number;
  /** Row-major RGB, 3 bytes per pixel. */
  data: Uint8Array;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

export function readImageFile(path: string): RgbImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `cannot be read (${(error as Error).message})`;
    throw new FrankenlensError('InvalidImage', `${path}: ${reason}`, path);
  }
  return decodeImage(bytes, path);
}

/** Decodes by content, not by file extension; `name` is used in errors. */
export function decodeImage(bytes: Buffer, name: string): RgbImage {
  const startsWith = (signature: number[]) => signature.every((byte, i) => bytes[i] === byte);
  let image: RgbImage;
  try {
    if (startsWith(PNG_SIGNATURE)) image = decodePng(bytes);
    else if (startsWith(JPEG_SIGNATURE)) image = decodeJpegRgb(bytes, name);
    else throw new FrankenlensError('InvalidImage', `${name}: not a PNG or JPEG file`, name);
  } catch (error) {
    if (error instanceof FrankenlensError) throw error;
    throw new FrankenlensError('InvalidImage', `${name}: corrupt or unsupported image (${(error as Error).message})`, name);
  }
  if (image.width === 0 || image.height === 0) throw new FrankenlensError('InvalidImage', `${name}: the image is empty (${image.width}×${image.height})`, name);
  return image;
}

/** An all-black RGB image, the stand-in for an image in the black-image probe condition. */
export function blackImage(width: number, height: number): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new FrankenlensError('InvalidArgument', `a black image needs a positive integer size, got ${width}×${height}`);
  }
  return { width, height, data: new Uint8Array(width * height * 3) };
}

function decodePng(bytes: Buffer): RgbImage {
  const bitDepth = bytes[24];
  const png = PNG.sync.read(withoutTruecolorTransparency(bytes), { skipRescale: bitDepth === 16 });
  const { width, height } = png;
  const rgba = png.data as ArrayLike<number>;
  const data = new Uint8Array(width * height * 3);
  // PIL keeps the high byte of 16-bit samples; pngjs would round value·255/65535 instead.
  const shift = bitDepth === 16 ? 8 : 0;
  for (let i = 0, j = 0; j < data.length; i += 4, j += 3) {
    data[j] = rgba[i]! >> shift;
    data[j + 1] = rgba[i + 1]! >> shift;
    data[j + 2] = rgba[i + 2]! >> shift;
  }
  return { width, height, data };
}

/**
 * Drops a tRNS chunk from grey or truecolour PNGs: pngjs zeroes the colour of the transparent key
 * pixels, while conversion to RGB keeps it. Palette images keep theirs (it only sets palette alpha).
 */
function withoutTruecolorTransparency(bytes: Buffer): Buffer {
  const colorType = bytes[25];
  if (colorType === 3) return bytes;
  const kept: Buffer[] = [bytes.subarray(0, 8)];
  let dropped = false;
  let offset = 8;
  while (offset + 12 <= bytes.length) {
    const end = offset + 12 + bytes.readUInt32BE(offset);
    if (bytes.toString('latin1', offset + 4, offset + 8) === 'tRNS') dropped = true;
    else kept.push(bytes.subarray(offset, Math.min(end, bytes.length)));
    offset = end;
  }
  if (offset < bytes.length) kept.push(bytes.subarray(offset));
  return dropped ? Buffer.concat(kept) : bytes;
}

function decodeJpegRgb(bytes: Buffer, name: string): RgbImage {
  const { width, height, channels, data } = decodeJpegFile(bytes, name);
  if (channels === 3) return { width, height, data };
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = data[i]!;
  return { width, height, data: rgb };
}

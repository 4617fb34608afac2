/**
 * An image's format and declared size, read from its header alone, so a decompression bomb (a small
 * file that declares a gigantic image) is refused before any pixel buffer is allocated. The limit is
 * PIL's: `Image.open` raises DecompressionBombError above 2 × Image.MAX_IMAGE_PIXELS and only warns
 * between 1× and 2×. We decode in that warning range as PIL does (the processor then shrinks the
 * image to its pixel budget); the decoders' peak memory is a few bytes per declared pixel, so it
 * stays bounded by the limit.
 */
import { FrankenlensError } from '../errors';

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'bmp' | 'webp';

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
}

/** PIL's Image.MAX_IMAGE_PIXELS: above it PIL warns (DecompressionBombWarning). */
export const MAX_IMAGE_PIXELS = 89_478_485;
/** Above this PIL refuses to open the image (DecompressionBombError); so do we. */
export const IMAGE_PIXEL_LIMIT = 2 * MAX_IMAGE_PIXELS;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The format by content (never by file extension), or undefined for anything else. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  const ascii = (start: number, end: number) => Buffer.from(bytes.subarray(start, end)).toString('latin1');
  if (Buffer.from(bytes.subarray(0, 8)).equals(PNG_SIGNATURE)) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a') return 'gif';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if (ascii(0, 2) === 'BM') return 'bmp';
  return undefined;
}

/**
 * Format and declared size; refuses unknown formats, headers cut short, empty images and images
 * over PIL's decompression-bomb limit, each with `name` in the message.
 */
export function readImageHeader(bytes: Uint8Array, name: string): ImageHeader {
  const format = sniffImageFormat(bytes);
  if (!format) throw new FrankenlensError('InvalidImage', `${name}: not a PNG or JPEG file`, name);
  const size = declaredSize(format, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  if (!size) throw new FrankenlensError('InvalidImage', `${name}: the ${format.toUpperCase()} header is cut short or corrupt (image file is truncated)`, name);
  const header = { format, ...size };
  checkDeclaredSize(header, name);
  return header;
}

export function checkDeclaredSize({ width, height }: { width: number; height: number }, name: string): void {
  if (width === 0 || height === 0) throw new FrankenlensError('InvalidImage', `${name}: the image is empty (${width}×${height})`, name);
  const pixels = width * height;
  if (pixels > IMAGE_PIXEL_LIMIT) {
    throw new FrankenlensError(
      'InvalidImage',
      `${name}: the image declares ${width}×${height} = ${pixels} pixels, over the limit of ${IMAGE_PIXEL_LIMIT} (PIL's decompression-bomb limit, 2 × MAX_IMAGE_PIXELS); refused before decoding`,
      name,
    );
  }
}

function declaredSize(format: ImageFormat, bytes: Buffer): { width: number; height: number } | undefined {
  const has = (end: number) => bytes.length >= end;
  switch (format) {
    case 'png':
      // IHDR must be the first chunk: length 13, then width and height as big-endian u32.
      if (!has(24) || bytes.toString('latin1', 12, 16) !== 'IHDR') return undefined;
      return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
    case 'jpeg':
      return jpegFrameSize(bytes);
    case 'gif':
      // The logical screen size, which is the size PIL reports.
      return has(10) ? { width: bytes.readUInt16LE(6), height: bytes.readUInt16LE(8) } : undefined;
    case 'bmp': {
      if (!has(18)) return undefined;
      const dibSize = bytes.readUInt32LE(14);
      if (dibSize === 12) return has(22) ? { width: bytes.readUInt16LE(18), height: bytes.readUInt16LE(20) } : undefined;
      // A negative height means rows stored top-down.
      return has(26) ? { width: Math.abs(bytes.readInt32LE(18)), height: Math.abs(bytes.readInt32LE(22)) } : undefined;
    }
    case 'webp':
      return webpSize(bytes);
  }
}

/** The size in the first SOFn segment, walking the segments before it. */
export function jpegFrameSize(bytes: Buffer): { width: number; height: number } | undefined {
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return undefined;
    const marker = bytes[offset + 1]!;
    if (marker === 0xff) {
      offset++;
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      offset += 2;
      continue;
    }
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) return offset + 9 <= bytes.length ? { height: bytes.readUInt16BE(offset + 5), width: bytes.readUInt16BE(offset + 7) } : undefined;
    if (marker === 0xd9 || marker === 0xda) return undefined;
    offset += 2 + bytes.readUInt16BE(offset + 2);
  }
  return undefined;
}

function webpSize(bytes: Buffer): { width: number; height: number } | undefined {
  if (bytes.length < 30) return undefined;
  const chunk = bytes.toString('latin1', 12, 16);
  if (chunk === 'VP8X') return { width: 1 + bytes.readUIntLE(24, 3), height: 1 + bytes.readUIntLE(27, 3) };
  if (chunk === 'VP8 ') return { width: bytes.readUInt16LE(26) & 0x3fff, height: bytes.readUInt16LE(28) & 0x3fff };
  if (chunk === 'VP8L') {
    const bits = bytes.readUInt32LE(21);
    return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >>> 14) & 0x3fff) };
  }
  return undefined;
}

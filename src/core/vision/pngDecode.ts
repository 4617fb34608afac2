/**
 * PNG to 8-bit RGB as PIL's `Image.open(path).convert("RGB")` gives it (Pillow's PngImagePlugin modes
 * and libImaging's unpackers and converters):
 * - grey: 1-bit 0/255, 2-bit ×85, 4-bit ×17, 8-bit as is, 16-bit (mode I) clipped to 255;
 * - truecolour, grey+alpha and RGBA: alpha dropped (never blended), 16-bit samples keep the high byte;
 * - palette: looked up, alpha from tRNS ignored; an index past the PLTE entries reads PIL's default
 *   palette, the grey ramp (i, i, i);
 * - tRNS colour keys change nothing (PIL only records them).
 * Interlaced (Adam7) files give the same pixels. The zlib stream is inflated to at most the size the
 * header implies, so a small file cannot expand past the declared image (which imageHeader.ts caps).
 * Chunk CRCs are checked up to the image data, as PIL does; a file whose image data ends early is
 * refused, as PIL does without LOAD_TRUNCATED_IMAGES.
 */
import { constants, crc32, inflateSync } from 'node:zlib';
import { FrankenlensError } from '../errors';
import { checkDeclaredSize } from './imageHeader';
import type { RgbImage } from './imageDecode';

interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlaced: boolean;
}

/** Channels per colour type, and the bit depths each allows. */
const COLOR_TYPES: Record<number, { channels: number; depths: number[] }> = {
  0: { channels: 1, depths: [1, 2, 4, 8, 16] },
  2: { channels: 3, depths: [8, 16] },
  3: { channels: 1, depths: [1, 2, 4, 8] },
  4: { channels: 2, depths: [8, 16] },
  6: { channels: 4, depths: [8, 16] },
};

/** Adam7 passes: first column and row, column and row steps. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

export function decodePng(bytes: Buffer, name: string): RgbImage {
  const fail = (problem: string) => new FrankenlensError('InvalidImage', `${name}: corrupt or unsupported PNG (${problem})`, name);
  const truncated = (what: string) => fail(`image file is truncated: ${what}`);
  let header: PngHeader | undefined;
  let palette: Uint8Array | undefined;
  const imageData: Buffer[] = [];
  let offset = 8;
  while (offset < bytes.length) {
    if (offset + 8 > bytes.length) {
      if (imageData.length > 0) break; // PIL ignores a cut after the image data
      throw truncated('a chunk header is cut short');
    }
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    const start = offset + 8;
    const end = start + length;
    if (length > 0x7fffffff) throw fail(`the ${printableType(type)} chunk claims ${length} bytes`);
    if (!header && type !== 'IHDR') throw fail('the first chunk is not IHDR');
    if (type === 'IDAT') {
      imageData.push(bytes.subarray(start, Math.min(end, bytes.length)));
      if (end + 4 > bytes.length) break; // cut inside the image data: the inflate below says how much is missing
      offset = end + 4;
      continue;
    }
    if (imageData.length > 0) break; // PIL reads nothing after the image data
    if (end + 4 > bytes.length) throw truncated(`the ${printableType(type)} chunk is cut short`);
    if (crc32(bytes.subarray(offset + 4, end)) !== bytes.readUInt32BE(end)) throw fail(`bad checksum in the ${printableType(type)} chunk`);
    const data = bytes.subarray(start, end);
    if (type === 'IHDR') header = parseHeader(data, fail, name);
    else if (type === 'PLTE') palette = data;
    else if (type === 'IEND') break;
    offset = end + 4;
  }
  if (!header) throw fail('no IHDR chunk');
  if (imageData.length === 0) throw truncated('no image data');

  const { width, height, bitDepth, colorType, interlaced } = header;
  const bitsPerPixel = COLOR_TYPES[colorType]!.channels * bitDepth;
  const passes = interlaced
    ? ADAM7.map(([x0, y0, dx, dy]) => ({ x0, y0, dx, dy, columns: Math.ceil((width - x0) / dx), rows: Math.ceil((height - y0) / dy) })).filter((pass) => pass.columns > 0 && pass.rows > 0)
    : [{ x0: 0, y0: 0, dx: 1, dy: 1, columns: width, rows: height }];
  const rowBytes = (columns: number) => Math.ceil((columns * bitsPerPixel) / 8);
  const expected = passes.reduce((sum, pass) => sum + pass.rows * (1 + rowBytes(pass.columns)), 0);

  let raw: Buffer;
  try {
    raw = inflateSync(imageData.length === 1 ? imageData[0]! : Buffer.concat(imageData), { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: expected });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw fail(`the image data inflates past the ${expected} bytes a ${width}×${height} image needs`);
    throw fail(`image data: ${(error as Error).message}`);
  }
  if (raw.length < expected) throw truncated(`the image data ends after ${raw.length} of ${expected} bytes`);

  const rgb = new Uint8Array(width * height * 3);
  const toRgb = pixelConverter(header, palette);
  const bytesPerPixel = Math.max(1, bitsPerPixel >> 3);
  let position = 0;
  for (const pass of passes) {
    const length = rowBytes(pass.columns);
    let previous: Uint8Array | undefined;
    for (let r = 0; r < pass.rows; r++) {
      const filter = raw[position]!;
      const row = raw.subarray(position + 1, position + 1 + length);
      position += 1 + length;
      unfilter(filter, row, previous, bytesPerPixel, fail);
      const y = pass.y0 + r * pass.dy;
      for (let i = 0; i < pass.columns; i++) toRgb(row, i, rgb, (y * width + pass.x0 + i * pass.dx) * 3);
      previous = row;
    }
  }
  return { width, height, data: rgb };
}

const printableType = (type: string) => type.replace(/[^\x20-\x7e]/g, '?');

function parseHeader(data: Buffer, fail: (problem: string) => FrankenlensError, name: string): PngHeader {
  if (data.length < 13) throw fail('IHDR is shorter than 13 bytes');
  const header = { width: data.readUInt32BE(0), height: data.readUInt32BE(4), bitDepth: data[8]!, colorType: data[9]!, interlaced: data[12] !== 0 };
  const type = COLOR_TYPES[header.colorType];
  if (!type || !type.depths.includes(header.bitDepth)) throw fail(`unknown mode: colour type ${header.colorType} at bit depth ${header.bitDepth}`);
  if (data[10] !== 0) throw fail('unknown compression method');
  if (data[11] !== 0) throw fail('unknown filter category');
  checkDeclaredSize(header, name);
  return header;
}

/** Undoes one scanline's filter in place (PNG spec, section 9). */
function unfilter(filter: number, row: Uint8Array, previous: Uint8Array | undefined, bpp: number, fail: (problem: string) => FrankenlensError): void {
  const up = (i: number) => (previous ? previous[i]! : 0);
  switch (filter) {
    case 0:
      return;
    case 1:
      for (let i = bpp; i < row.length; i++) row[i] = (row[i]! + row[i - bpp]!) & 255;
      return;
    case 2:
      for (let i = 0; i < row.length; i++) row[i] = (row[i]! + up(i)) & 255;
      return;
    case 3:
      for (let i = 0; i < row.length; i++) row[i] = (row[i]! + (((i >= bpp ? row[i - bpp]! : 0) + up(i)) >> 1)) & 255;
      return;
    case 4:
      for (let i = 0; i < row.length; i++) {
        const a = i >= bpp ? row[i - bpp]! : 0;
        const b = up(i);
        const c = i >= bpp ? up(i - bpp) : 0;
        const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
        row[i] = (row[i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 255;
      }
      return;
    default:
      throw fail(`unknown scanline filter ${filter}`);
  }
}

type PixelConverter = (row: Uint8Array, i: number, out: Uint8Array, at: number) => void;

/** Writes pixel `i` of an unfiltered scanline as RGB, by PIL's rules for this colour type and depth. */
function pixelConverter({ bitDepth, colorType }: PngHeader, palette: Uint8Array | undefined): PixelConverter {
  const grey = (out: Uint8Array, at: number, value: number) => {
    out[at] = out[at + 1] = out[at + 2] = value;
  };
  // Samples below 8 bits, packed from the high bit.
  const packed = (row: Uint8Array, i: number) => {
    const bit = i * bitDepth;
    return (row[bit >> 3]! >> (8 - bitDepth - (bit & 7))) & ((1 << bitDepth) - 1);
  };
  const step = bitDepth === 16 ? 2 : 1;
  const channels = COLOR_TYPES[colorType]!.channels;
  if (colorType === 3) {
    const entries = palette ? Math.floor(palette.length / 3) : 0;
    return (row, i, out, at) => {
      const index = bitDepth === 8 ? row[i]! : packed(row, i);
      if (index < entries) {
        out[at] = palette![index * 3]!;
        out[at + 1] = palette![index * 3 + 1]!;
        out[at + 2] = palette![index * 3 + 2]!;
      } else grey(out, at, index);
    };
  }
  if (colorType === 0) {
    if (bitDepth === 16) return (row, i, out, at) => grey(out, at, Math.min(255, (row[2 * i]! << 8) | row[2 * i + 1]!));
    if (bitDepth === 8) return (row, i, out, at) => grey(out, at, row[i]!);
    const scale = 255 / ((1 << bitDepth) - 1);
    return (row, i, out, at) => grey(out, at, packed(row, i) * scale);
  }
  // Grey+alpha, RGB, RGBA: the first sample (or three) at 8 bits, high byte of 16-bit samples.
  if (colorType === 4) return (row, i, out, at) => grey(out, at, row[i * channels * step]!);
  return (row, i, out, at) => {
    const base = i * channels * step;
    out[at] = row[base]!;
    out[at + 1] = row[base + step]!;
    out[at + 2] = row[base + 2 * step]!;
  };
}

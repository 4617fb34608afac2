import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { crc32, deflateSync } from 'node:zlib';
import { FrankenlensError } from '../../../src/core/errors';
import { decodeImage, readImageFile } from '../../../src/core/vision/imageDecode';
import { checkDeclaredSize, IMAGE_PIXEL_LIMIT, MAX_IMAGE_PIXELS, readImageHeader } from '../../../src/core/vision/imageHeader';
import { loadImageProcessorConfig, processImage } from '../../../src/core/vision/qwenImageProcessor';
import { tempDir } from '../../helpers/tempDir';
import { GOLDENS_DIR } from './processorGoldens';

const FIXTURE_CHECKPOINT = 'test/fixtures/qwen2_5_vl_tiny';

function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A PNG with this header and these (unfiltered-row) image data bytes, compressed as given. */
function png(width: number, height: number, bitDepth: number, colorType: number, idat: Buffer | null, extra: Buffer[] = []): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colorType;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), ...extra, ...(idat ? [chunk('IDAT', idat)] : []), chunk('IEND', Buffer.alloc(0))]);
}

/** A JPEG header whose frame declares `width`×`height`, and nothing after it. */
function jpegHeader(width: number, height: number): Buffer {
  const sof = Buffer.from([0xff, 0xc0, 0, 11, 8, height >> 8, height & 255, width >> 8, width & 255, 1, 1, 0x11, 0]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), sof]);
}

function rejects(run: () => unknown, name: string, pattern: RegExp, label = name): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof FrankenlensError, `${label}: ${String(error)}`);
    assert.equal(error.code, 'InvalidImage', `${label}: ${error.message}`);
    assert.ok(error.message.startsWith(`${name}: `), `${label}: ${error.message}`);
    assert.match(error.message, pattern, label);
    return true;
  });
}

test("PIL's limits: warn above MAX_IMAGE_PIXELS, refuse above twice it", () => {
  assert.equal(MAX_IMAGE_PIXELS, 89_478_485);
  assert.equal(IMAGE_PIXEL_LIMIT, 178_956_970);
  checkDeclaredSize({ width: IMAGE_PIXEL_LIMIT / 2, height: 2 }, 'edge');
  rejects(() => checkDeclaredSize({ width: IMAGE_PIXEL_LIMIT + 1, height: 1 }, 'over'), 'over', /178956971 pixels, over the limit of 178956970/);
});

test('decompression bombs in every format are refused from the header, before any pixel buffer', () => {
  const gif = Buffer.from('GIF89a\x00\x00\x00\x00', 'latin1');
  gif.writeUInt16LE(60000, 6);
  gif.writeUInt16LE(60000, 8);
  const bmp = Buffer.alloc(26);
  bmp.write('BM', 0, 'latin1');
  bmp.writeUInt32LE(40, 14);
  bmp.writeInt32LE(30000, 18);
  bmp.writeInt32LE(-30000, 22); // top-down rows: the height is its magnitude
  const webp = Buffer.alloc(30);
  webp.write('RIFF', 0, 'latin1');
  webp.write('WEBPVP8X', 8, 'latin1');
  webp.writeUIntLE(16383, 24, 3);
  webp.writeUIntLE(16383, 27, 3);
  const cases: [string, Buffer, string][] = [
    ['bomb.png', png(20000, 20000, 8, 2, null), '20000×20000'],
    ['bomb.jpg', jpegHeader(65535, 65535), '65535×65535'],
    ['bomb.gif', gif, '60000×60000'],
    ['bomb.bmp', bmp, '30000×30000'],
    ['bomb.webp', webp, '16384×16384'],
  ];
  for (const [name, bytes, size] of cases) {
    const before = process.memoryUsage().arrayBuffers;
    rejects(() => decodeImage(bytes, name), name, new RegExp(`declares ${size} = \\d+ pixels, over the limit of 178956970 .*decompression-bomb`));
    assert.ok(process.memoryUsage().arrayBuffers - before < 16 * 1024 * 1024, `${name}: allocated while refusing`);
  }
});

test('between 1× and 2× MAX_IMAGE_PIXELS the header passes, as PIL only warns there', () => {
  assert.deepEqual(readImageHeader(png(10000, 10000, 8, 2, null), 'big.png'), { format: 'png', width: 10000, height: 10000 });
  // No image data follows, so decoding then fails for that reason, not the size.
  rejects(() => decodeImage(png(10000, 10000, 8, 2, null), 'big.png'), 'big.png', /truncated: no image data/);
  rejects(() => decodeImage(jpegHeader(12000, 12000), 'big.jpg'), 'big.jpg', /truncated/);
});

test('a zlib stream that inflates past the declared image is stopped at the declared size', () => {
  const bomb = deflateSync(Buffer.alloc(64 * 1024 * 1024));
  const started = Date.now();
  rejects(() => decodeImage(png(16, 16, 8, 0, bomb), 'zip.png'), 'zip.png', /inflates past the 272 bytes a 16×16 image needs/);
  rejects(() => decodeImage(png(16, 16, 8, 0, bomb), 'zip.png'), 'zip.png', /corrupt or unsupported PNG/);
  assert.ok(Date.now() - started < 5000);
  // Interlaced files too (pngjs inflated those without any limit).
  const interlaced = png(16, 16, 8, 0, bomb);
  interlaced[28] = 1;
  interlaced.writeUInt32BE(crc32(interlaced.subarray(12, 29)), 29);
  rejects(() => decodeImage(interlaced, 'adam7.png'), 'adam7.png', /inflates past/);
});

test('every truncation of a PNG is refused, or decodes whole when only the end of the stream and trailing chunks are lost', () => {
  const file = readFileSync(join(GOLDENS_DIR, 'tiny_40x30.png'));
  const whole = decodeImage(file, 'whole.png');
  let decoded = 0;
  for (let length = 0; length < file.length; length++) {
    const name = `cut${length}.png`;
    let image;
    try {
      image = decodeImage(file.subarray(0, length), name);
    } catch (error) {
      rejects(() => {
        throw error;
      }, name, /truncated|not a PNG or JPEG|cut short/);
      continue;
    }
    // PIL, too, stops once every row is inflated: the stream's last bytes, its checksum, the CRC and IEND are not needed.
    assert.deepEqual(image.data, whole.data, name);
    decoded++;
  }
  assert.ok(decoded > 0 && decoded <= 30, `${decoded} prefixes decoded`);
});

test('every truncation of a baseline or progressive JPEG is refused (never a partly grey or blurred image)', () => {
  for (const fixture of ['photo444_80x60.jpg', 'progressive420_81x59.jpg', 'progressive_restart444_60x44.jpg']) {
    const file = readFileSync(join(GOLDENS_DIR, fixture));
    assert.deepEqual([...file.subarray(-2)], [0xff, 0xd9]);
    for (let length = 0; length < file.length; length++) {
      const name = `${fixture}:${length}`;
      rejects(() => decodeImage(file.subarray(0, length), name), name, length < 3 ? /not a PNG or JPEG/ : /truncated|cut short|corrupt/);
    }
  }
});

test('JPEG structure attacks: a second frame header, endless scans, a bad segment length', () => {
  const file = readFileSync(join(GOLDENS_DIR, 'photo444_80x60.jpg'));
  const sofAt = file.indexOf(Buffer.from([0xff, 0xc0]));
  const sof = file.subarray(sofAt, sofAt + 2 + file.readUInt16BE(sofAt + 2));
  const bigSof = Buffer.from(sof);
  bigSof.writeUInt16BE(9000, 5);
  bigSof.writeUInt16BE(9000, 7);
  const twoFrames = Buffer.concat([file.subarray(0, sofAt), sof, bigSof, file.subarray(sofAt + sof.length)]);
  rejects(() => decodeImage(twoFrames, 'two.jpg'), 'two.jpg', /two frame headers/);

  // A grey frame, then 2000 empty scans: each would walk every block of the image.
  const sosAt = file.indexOf(Buffer.from([0xff, 0xda]));
  const scan = Buffer.from([0xff, 0xda, 0, 8, 1, 1, 0, 0, 63, 0]);
  const grey = Buffer.from(sof.subarray(0, 13));
  grey.writeUInt16BE(11, 2);
  grey[9] = 1;
  const manyScans = Buffer.concat([file.subarray(0, sofAt), grey, file.subarray(sofAt + sof.length, sosAt), ...Array.from({ length: 2000 }, () => scan), Buffer.from([0xff, 0xd9])]);
  const started = Date.now();
  rejects(() => decodeImage(manyScans, 'scans.jpg'), 'scans.jpg', /more than 1000 scans/);
  assert.ok(Date.now() - started < 5000);

  const shortSegment = Buffer.concat([file.subarray(0, 2), Buffer.from([0xff, 0xe1, 0, 1]), file.subarray(2)]);
  rejects(() => decodeImage(shortSegment, 'segment.jpg'), 'segment.jpg', /JPEG header is cut short or corrupt/);
});

test('closed forms: 16-bit grey clips at 255, palette indices past PLTE read the grey ramp, 2-bit grey ×85', () => {
  const rows = (bytes: number[][]) => deflateSync(Buffer.concat(bytes.map((row) => Buffer.from([0, ...row]))));
  const grey16 = decodeImage(png(3, 1, 16, 0, rows([[0x00, 0x7f, 0x00, 0xff, 0x01, 0x00]])), 'g16.png');
  assert.deepEqual([...grey16.data], [127, 127, 127, 255, 255, 255, 255, 255, 255]);
  const palette = chunk('PLTE', Buffer.from([10, 20, 30, 40, 50, 60]));
  const indexed = decodeImage(png(3, 1, 8, 3, rows([[1, 2, 200]]), [palette]), 'p.png');
  assert.deepEqual([...indexed.data], [40, 50, 60, 2, 2, 2, 200, 200, 200]);
  const grey2 = decodeImage(png(4, 1, 2, 0, rows([[0b00011011]])), 'g2.png');
  assert.deepEqual([...grey2.data], [0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255]);
  rejects(() => decodeImage(png(2, 1, 8, 0, rows([[1, 2]]).subarray(0, 4)), 'cut.png'), 'cut.png', /truncated/);
  rejects(() => decodeImage(png(2, 1, 3, 0, rows([[1]])), 'depth.png'), 'depth.png', /colour type 0 at bit depth 3/);
  rejects(() => decodeImage(png(0, 5, 8, 0, rows([[1]])), 'empty.png'), 'empty.png', /empty \(0×5\)/);
});

test('GIF, BMP and WebP are recognised and refused by name; files are read through the regular-file guard', () => {
  const gif = Buffer.from('GIF89a\x02\x00\x02\x00', 'latin1');
  rejects(() => decodeImage(gif, 'a.gif'), 'a.gif', /GIF images are not supported/);
  const dir = tempDir();
  assert.throws(() => readImageFile(dir), (error: FrankenlensError) => error.code === 'NotARegularFile' && error.message === `${dir}: not a regular file (it is a folder)`);
  const file = join(dir, 'fine.png');
  writeFileSync(file, png(1, 1, 8, 0, deflateSync(Buffer.from([0, 9]))));
  assert.deepEqual([...readImageFile(file).data], [9, 9, 9]);
});

test('the processor refuses 1×N, 0-sized, over-elongated and collapsing images by name; never an empty tensor', () => {
  const config = loadImageProcessorConfig(FIXTURE_CHECKPOINT);
  const image = (width: number, height: number) => ({ width, height, data: new Uint8Array(width * height * 3) });
  rejects(() => processImage(image(1, 500), config, 'line.png'), 'line.png', /at least 28/);
  rejects(() => processImage(image(0, 0), config, 'zero.png'), 'zero.png', /not a usable image/);
  rejects(() => processImage({ width: 30, height: 30, data: new Uint8Array(5) }, config, 'short.png'), 'short.png', /not a usable image/);
  rejects(() => processImage(image(0, 0), { ...config, doResize: false }, 'raw.png'), 'raw.png', /not a usable image/);
  rejects(() => processImage(image(28, 5601), config, 'tall.png'), 'tall.png', /absolute aspect ratio must be smaller than 200/);
  // transformers 4.50 shrinks 28×5600 to 0×1568 within max_pixels 12544, which PIL cannot resize.
  rejects(() => processImage(image(5600, 28), { ...config, maxPixels: 12544 }, 'thin.png'), 'thin.png', /short side rounds to 0/);
  const exact = processImage(image(28, 28), config, 'small.png');
  assert.ok(exact.pixelValues.length > 0 && exact.pixelValues.every(Number.isFinite));
  const ratio200 = processImage(image(5600, 28), { ...config, maxPixels: 28 * 28 * 1280 }, 'wide.png');
  assert.ok(ratio200.gridThw.every((n) => n > 0) && ratio200.pixelValues.every(Number.isFinite));
});

test('a preprocessor config that would enlarge every image past the pixel limit is refused', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'preprocessor_config.json'), JSON.stringify({ min_pixels: 1e12, max_pixels: 1e12 }));
  assert.throws(() => loadImageProcessorConfig(dir), (error: FrankenlensError) => error.code === 'InvalidConfig' && /min_pixels .*at most 178956970/.test(error.message));
});

/**
 * A baseline and progressive JPEG decoder that reproduces libjpeg-turbo's default output, which is
 * what PIL (and so the Hugging Face processors) feed the model: the integer "islow" inverse DCT,
 * "fancy" triangular chroma upsampling, and libjpeg's fixed-point YCbCr → RGB. jpeg-js upsamples
 * chroma by repetition and differs by up to ~80 levels at colour edges of 4:2:0 files.
 *
 * Four-component files come out as PIL's `convert("RGB")` of its CMYK image: libjpeg's CMYK (YCCK
 * converted when the Adobe marker says so), inverted as PIL's "CMYK;I" raw mode assumes for every
 * JPEG, then PIL's cmyk2rgb.
 *
 * A file that ends before its end-of-image marker is refused (PIL: "image file is truncated"; its
 * suspending libjpeg source accepts a few such baseline files, we accept none).
 *
 * Written from the JPEG standard (ITU T.81) and libjpeg's documented arithmetic. Not supported:
 * arithmetic coding, lossless and hierarchical modes, 12-bit samples, 2-component files.
 */
import { FrankenlensError } from '../errors';
import { IMAGE_PIXEL_LIMIT } from './imageHeader';

export interface DecodedJpeg {
  width: number;
  height: number;
  /** 1 (grey) or 3 (RGB, also for CMYK files) bytes per pixel, row-major. */
  channels: 1 | 3;
  data: Uint8Array;
}

/** Progressive files have about ten scans; each scan walks every block, so thousands would hang. */
const MAX_SCANS = 1000;

const ZIGZAG = new Int32Array([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
  28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61,
  54, 47, 55, 62, 63,
]);

interface HuffmanTable {
  /** Largest code of each length 1..16 (−1 when none), and where its values start. */
  maxCode: Int32Array;
  valueOffset: Int32Array;
  values: Uint8Array;
  /** By the next LOOKAHEAD bits: (code length << 8 | value) for codes that short, else 0. */
  lookahead: Int32Array;
}

const LOOKAHEAD = 9;

interface Component {
  id: number;
  h: number;
  v: number;
  quantTable: number;
  /** Real samples per line and lines (libjpeg's downsampled_width/height). */
  width: number;
  height: number;
  /** Blocks stored per line and column: whole MCUs, so interleaved scans never run off the edge. */
  blocksPerLine: number;
  blocksPerColumn: number;
  /** Quantised DCT coefficients, 16-bit as libjpeg's JCOEF (out-of-range values wrap as they do there). */
  coefficients: Int16Array;
  dcTable: number;
  acTable: number;
  dcPredictor: number;
}

class JpegFormatError extends Error {}

export function decodeJpeg(bytes: Uint8Array): DecodedJpeg {
  const quantTables: Int32Array[] = [];
  const dcTables: HuffmanTable[] = [];
  const acTables: HuffmanTable[] = [];
  let frame: { width: number; height: number; progressive: boolean; components: Component[]; hMax: number; vMax: number; mcusPerLine: number; mcusPerColumn: number } | null = null;
  let restartInterval = 0;
  let adobeTransform: number | null = null;
  let jfif = false;
  let eobRun = 0;

  let scansDecoded = 0;
  let offset = 2;
  const u16 = (at: number) => {
    if (at + 2 > bytes.length) throw new JpegFormatError('truncated');
    return (bytes[at]! << 8) | bytes[at + 1]!;
  };

  while (true) {
    // Skip fill bytes before a marker.
    while (offset < bytes.length && bytes[offset] === 0xff && bytes[offset + 1] === 0xff) offset++;
    if (offset + 2 > bytes.length) throw new JpegFormatError('truncated before the end-of-image marker');
    if (bytes[offset] !== 0xff) throw new JpegFormatError(`expected a marker at byte ${offset}`);
    const marker = bytes[offset + 1]!;
    offset += 2;
    if (marker === 0xd9) break; // EOI
    if (marker >= 0xd0 && marker <= 0xd7) continue; // stray RSTn
    const length = u16(offset);
    const segment = offset + 2;
    const end = offset + length;
    if (length < 2) throw new JpegFormatError(`a segment claims ${length} bytes`);
    if (end > bytes.length) throw new JpegFormatError('truncated segment');

    if (marker === 0xdb) {
      for (let p = segment; p < end; ) {
        const precision = bytes[p]! >> 4;
        if (p + 1 + 64 * (precision === 0 ? 1 : 2) > end) throw new JpegFormatError('quantization table runs past its segment');
        const table = new Int32Array(64);
        for (let k = 0; k < 64; k++) table[ZIGZAG[k]!] = precision === 0 ? bytes[p + 1 + k]! : u16(p + 1 + 2 * k);
        quantTables[bytes[p]! & 15] = table;
        p += 1 + 64 * (precision === 0 ? 1 : 2);
      }
    } else if (marker === 0xc4) {
      for (let p = segment; p < end; ) {
        const tableClass = bytes[p]! >> 4;
        const counts = bytes.subarray(p + 1, p + 17);
        const total = counts.reduce((a, b) => a + b, 0);
        if (p + 17 + total > end || total > 256) throw new JpegFormatError('Huffman table runs past its segment');
        const table = huffmanTable(counts, bytes.slice(p + 17, p + 17 + total));
        (tableClass === 0 ? dcTables : acTables)[bytes[p]! & 15] = table;
        p += 17 + total;
      }
    } else if (marker === 0xc0 || marker === 0xc1 || marker === 0xc2) {
      if (frame) throw new JpegFormatError('two frame headers');
      if (bytes[segment] !== 8) throw new JpegFormatError(`${bytes[segment]}-bit samples are not supported`);
      const height = u16(segment + 1);
      const width = u16(segment + 3);
      const count = bytes[segment + 5]!;
      if (length !== 8 + 3 * count) throw new JpegFormatError(`the frame header's length (${length}) does not fit its ${count}-component count`);
      if (width === 0 || height === 0) throw new JpegFormatError('zero width or height');
      if (width * height > IMAGE_PIXEL_LIMIT) throw new JpegFormatError(`${width}×${height} pixels is over the ${IMAGE_PIXEL_LIMIT}-pixel decompression-bomb limit`);
      if (count !== 1 && count !== 3 && count !== 4) throw new JpegFormatError(`${count}-component files are not supported`);
      const raw = Array.from({ length: count }, (_, i) => ({ id: bytes[segment + 6 + 3 * i]!, h: bytes[segment + 7 + 3 * i]! >> 4, v: bytes[segment + 7 + 3 * i]! & 15, quantTable: bytes[segment + 8 + 3 * i]! }));
      if (raw.some((c) => c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4)) throw new JpegFormatError('invalid sampling factors');
      const hMax = Math.max(...raw.map((c) => c.h));
      const vMax = Math.max(...raw.map((c) => c.v));
      // libjpeg only upsamples by whole factors.
      if (raw.some((c) => hMax % c.h !== 0 || vMax % c.v !== 0)) throw new JpegFormatError('fractional sampling ratios are not supported');
      const mcusPerLine = Math.ceil(width / (8 * hMax));
      const mcusPerColumn = Math.ceil(height / (8 * vMax));
      const components = raw.map((c) => {
        const blocksPerLine = mcusPerLine * c.h;
        const blocksPerColumn = mcusPerColumn * c.v;
        return {
          ...c,
          width: Math.ceil((width * c.h) / hMax),
          height: Math.ceil((height * c.v) / vMax),
          blocksPerLine,
          blocksPerColumn,
          coefficients: new Int16Array(blocksPerLine * blocksPerColumn * 64),
          dcTable: 0,
          acTable: 0,
          dcPredictor: 0,
        };
      });
      frame = { width, height, progressive: marker === 0xc2, components, hMax, vMax, mcusPerLine, mcusPerColumn };
    } else if ((marker >= 0xc3 && marker <= 0xcf) && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      throw new JpegFormatError(marker >= 0xc9 ? 'arithmetic coding is not supported' : 'lossless and hierarchical JPEG are not supported');
    } else if (marker === 0xdd) {
      restartInterval = u16(segment);
    } else if (marker === 0xe0) {
      jfif ||= bytes[segment] === 0x4a && bytes[segment + 1] === 0x46 && bytes[segment + 2] === 0x49 && bytes[segment + 3] === 0x46;
    } else if (marker === 0xee) {
      if (length >= 14 && String.fromCharCode(...bytes.subarray(segment, segment + 5)) === 'Adobe') adobeTransform = bytes[segment + 11]!;
    } else if (marker === 0xda) {
      if (!frame) throw new JpegFormatError('scan before frame header');
      if (++scansDecoded > MAX_SCANS) throw new JpegFormatError(`more than ${MAX_SCANS} scans`);
      const count = bytes[segment]!;
      if (count < 1 || count > 4 || length !== 6 + 2 * count) throw new JpegFormatError('invalid scan header');
      const scanComponents = Array.from({ length: count }, (_, i) => {
        const component = frame!.components.find((c) => c.id === bytes[segment + 1 + 2 * i]);
        if (!component) throw new JpegFormatError('scan names an unknown component');
        component.dcTable = bytes[segment + 2 + 2 * i]! >> 4;
        component.acTable = bytes[segment + 2 + 2 * i]! & 15;
        return component;
      });
      const p = segment + 1 + 2 * count;
      const [ss, se, ah, al] = [bytes[p]!, bytes[p + 1]!, bytes[p + 2]! >> 4, bytes[p + 2]! & 15];
      offset = decodeScan(end, scanComponents, ss, se, ah, al);
      continue;
    }
    offset = end;
  }
  if (!frame) throw new JpegFormatError('no frame header');
  if (scansDecoded === 0) throw new JpegFormatError('no image data');
  for (const component of frame.components) if (!quantTables[component.quantTable]) throw new JpegFormatError('missing quantization table');

  const { width, height } = frame;
  // One component at a time, dropping its coefficients once transformed, to keep the peak low.
  const full = frame.components.map((component) => {
    const plane = inverseDct(component, quantTables[component.quantTable]!);
    component.coefficients = new Int16Array(0);
    return upsample(plane, component, frame!.hMax / component.h, frame!.vMax / component.v, width, height);
  });
  if (full.length === 1) return { width, height, channels: 1, data: full[0]! };
  if (full.length === 4) return { width, height, channels: 3, data: cmykToRgb(full, adobeTransform !== null && adobeTransform !== 0) };
  // libjpeg's default: YCbCr when JFIF; else RGB when an Adobe marker says so or, without one, the ids spell R, G, B.
  const ids = frame.components.map((c) => c.id).join(',');
  const isRgb = !jfif && (adobeTransform !== null ? adobeTransform === 0 : ids === '82,71,66');
  return { width, height, channels: 3, data: isRgb ? interleave(full) : yccToRgb(full) };

  function decodeScan(start: number, components: Component[], ss: number, se: number, ah: number, al: number): number {
    let position = start;
    // Up to 24 bits ahead; past a marker libjpeg reads zero bits, past the end of the file is truncation.
    let bitBuffer = 0;
    let bitCount = 0;
    let hitMarker = false;
    let paddingBits = 0;
    const fill = () => {
      while (bitCount <= 16) {
        let byte = 0;
        if (position >= bytes.length) paddingBits += 8;
        else if (!hitMarker) {
          byte = bytes[position]!;
          if (byte !== 0xff) position++;
          else if (bytes[position + 1] === 0x00) position += 2;
          else {
            hitMarker = true;
            byte = 0;
          }
        }
        bitBuffer = ((bitBuffer << 8) | byte) & 0xffffff;
        bitCount += 8;
      }
    };
    const peek = (length: number) => (bitBuffer >> (bitCount - length)) & ((1 << length) - 1);
    const skip = (length: number) => {
      bitCount -= length;
      if (bitCount < paddingBits) throw new JpegFormatError('truncated entropy-coded data');
    };
    const readBit = (): number => {
      fill();
      const bit = peek(1);
      skip(1);
      return bit;
    };
    const receive = (length: number): number => {
      if (length === 0) return 0;
      fill();
      const value = peek(length);
      skip(length);
      return value;
    };
    const extend = (value: number, length: number) => (length === 0 ? 0 : value < 1 << (length - 1) ? value - (1 << length) + 1 : value);
    const decodeSymbol = (table: HuffmanTable | undefined): number => {
      if (!table) throw new JpegFormatError('scan uses an undefined Huffman table');
      fill();
      const entry = table.lookahead[peek(LOOKAHEAD)]!;
      if (entry !== 0) {
        skip(entry >> 8);
        return entry & 0xff;
      }
      for (let length = LOOKAHEAD + 1; length <= 16; length++) {
        const code = peek(length);
        if (code <= table.maxCode[length]!) {
          skip(length);
          return table.values[table.valueOffset[length]! + code]!;
        }
      }
      throw new JpegFormatError('invalid Huffman code');
    };

    const decodeBlock = (component: Component, block: number) => {
      const coefficients = component.coefficients;
      const base = block * 64;
      if (!frame!.progressive) {
        const s = decodeSymbol(dcTables[component.dcTable]);
        component.dcPredictor += extend(receive(s), s);
        coefficients[base] = component.dcPredictor;
        for (let k = 1; k < 64; k++) {
          const rs = decodeSymbol(acTables[component.acTable]);
          const r = rs >> 4, size = rs & 15;
          if (size === 0) {
            if (r !== 15) break;
            k += 15;
            continue;
          }
          k += r;
          if (k > 63) break;
          coefficients[base + ZIGZAG[k]!] = extend(receive(size), size);
        }
      } else if (ss === 0) {
        if (ah === 0) {
          const s = decodeSymbol(dcTables[component.dcTable]);
          component.dcPredictor += extend(receive(s), s);
          coefficients[base] = component.dcPredictor * (1 << al);
        } else if (readBit()) coefficients[base] |= 1 << al;
      } else if (ah === 0) {
        if (eobRun > 0) {
          eobRun--;
          return;
        }
        for (let k = ss; k <= se; k++) {
          const rs = decodeSymbol(acTables[component.acTable]);
          const r = rs >> 4, size = rs & 15;
          if (size === 0) {
            if (r < 15) {
              eobRun = (1 << r) - 1 + (r > 0 ? receive(r) : 0);
              break;
            }
            k += 15;
            continue;
          }
          k += r;
          if (k > 63) break;
          coefficients[base + ZIGZAG[k]!] = extend(receive(size), size) * (1 << al);
        }
      } else {
        refineAc(coefficients, base);
      }
    };

    // Successive approximation of AC coefficients (T.81 G.1.2.3): correction bits for coefficients
    // already nonzero, new ±1·2^al coefficients placed after runs of still-zero ones.
    const refineAc = (coefficients: Int16Array, base: number) => {
      const plus = 1 << al;
      const minus = -1 << al;
      const correct = (index: number) => {
        const value = coefficients[index]!;
        if (readBit() && (value & plus) === 0) coefficients[index] = value >= 0 ? value + plus : value + minus;
      };
      let k = ss;
      if (eobRun === 0) {
        for (; k <= se; k++) {
          const rs = decodeSymbol(acTables[components[0]!.acTable]);
          let r = rs >> 4;
          let newValue = 0;
          if ((rs & 15) !== 0) newValue = readBit() ? plus : minus;
          else if (r !== 15) {
            eobRun = (1 << r) + (r > 0 ? receive(r) : 0);
            break;
          }
          for (; k <= se; k++) {
            const index = base + ZIGZAG[k]!;
            if (coefficients[index] !== 0) correct(index);
            else if (--r < 0) break;
          }
          if (newValue !== 0 && k <= se) coefficients[base + ZIGZAG[k]!] = newValue;
        }
      }
      if (eobRun > 0) {
        for (; k <= se; k++) {
          const index = base + ZIGZAG[k]!;
          if (coefficients[index] !== 0) correct(index);
        }
        eobRun--;
      }
    };

    const resetForRestart = () => {
      for (const component of components) component.dcPredictor = 0;
      eobRun = 0;
      bitCount = 0;
      bitBuffer = 0;
      hitMarker = false;
      // Expect RSTn; libjpeg resynchronises on it.
      while (position < bytes.length && !(bytes[position] === 0xff && bytes[position + 1]! >= 0xd0 && bytes[position + 1]! <= 0xd7)) {
        if (bytes[position] === 0xff && bytes[position + 1] !== 0 && bytes[position + 1] !== 0xff) break;
        position++;
      }
      if (bytes[position] === 0xff && bytes[position + 1]! >= 0xd0 && bytes[position + 1]! <= 0xd7) position += 2;
    };

    for (const component of components) component.dcPredictor = 0;
    eobRun = 0;
    const single = components.length === 1;
    const units = single
      ? Math.ceil(components[0]!.width / 8) * Math.ceil(components[0]!.height / 8)
      : frame!.mcusPerLine * frame!.mcusPerColumn;
    for (let unit = 0; unit < units; unit++) {
      if (restartInterval > 0 && unit > 0 && unit % restartInterval === 0) resetForRestart();
      if (single) {
        // Non-interleaved scans cover only the component's real blocks, row by row.
        const component = components[0]!;
        const perLine = Math.ceil(component.width / 8);
        decodeBlock(component, Math.floor(unit / perLine) * component.blocksPerLine + (unit % perLine));
      } else {
        const mcuRow = Math.floor(unit / frame!.mcusPerLine);
        const mcuColumn = unit % frame!.mcusPerLine;
        for (const component of components) {
          for (let y = 0; y < component.v; y++) {
            for (let x = 0; x < component.h; x++) decodeBlock(component, (mcuRow * component.v + y) * component.blocksPerLine + mcuColumn * component.h + x);
          }
        }
      }
    }
    // Find the next marker after the scan data.
    while (position < bytes.length && !(bytes[position] === 0xff && bytes[position + 1] !== 0 && !(bytes[position + 1]! >= 0xd0 && bytes[position + 1]! <= 0xd7))) position++;
    return position;
  }
}

function huffmanTable(counts: Uint8Array, values: Uint8Array): HuffmanTable {
  const maxCode = new Int32Array(17).fill(-1);
  const valueOffset = new Int32Array(17);
  let code = 0;
  let index = 0;
  for (let length = 1; length <= 16; length++) {
    const n = counts[length - 1]!;
    if (n > 0) {
      valueOffset[length] = index - code;
      code += n;
      index += n;
      maxCode[length] = code - 1;
    }
    code <<= 1;
  }
  const lookahead = new Int32Array(1 << LOOKAHEAD);
  code = 0;
  index = 0;
  for (let length = 1; length <= LOOKAHEAD; length++) {
    for (let i = 0; i < counts[length - 1]!; i++, code++, index++) {
      const spread = 1 << (LOOKAHEAD - length);
      lookahead.fill((length << 8) | values[index]!, code * spread, (code + 1) * spread);
    }
    code <<= 1;
  }
  return { maxCode, valueOffset, values, lookahead };
}

// libjpeg's islow IDCT constants: cosines scaled by 2^13.
const CONST_BITS = 13;
const PASS1_BITS = 2;
const FIX_0_298631336 = 2446, FIX_0_390180644 = 3196, FIX_0_541196100 = 4433, FIX_0_765366865 = 6270;
const FIX_0_899976223 = 7373, FIX_1_175875602 = 9633, FIX_1_501321110 = 12299, FIX_1_847759065 = 15137;
const FIX_1_961570560 = 16069, FIX_2_053119869 = 16819, FIX_2_562915447 = 20995, FIX_3_072711026 = 25172;

/** libjpeg's post-IDCT range limit: centre on 128, clamp, and wrap exactly as its 1024-entry table does. */
const IDCT_LIMIT = Uint8Array.from({ length: 1024 }, (_, i) => (i < 128 ? i + 128 : i < 512 ? 255 : i < 896 ? 0 : i - 896));

/**
 * One 8-point pass of the LL&M inverse DCT in libjpeg's integer arithmetic, from `input` (at `at`,
 * step `stride`) into `output` (at `outAt`, step `outStride`), descaled by `bits`. Doubles hold
 * the intermediates exactly, as libjpeg's 64-bit JLONG does.
 */
function idct8(input: Float64Array, at: number, stride: number, output: Float64Array, outAt: number, outStride: number, bits: number): void {
  const x0 = input[at]!, x1 = input[at + stride]!, x2 = input[at + 2 * stride]!, x3 = input[at + 3 * stride]!;
  const x4 = input[at + 4 * stride]!, x5 = input[at + 5 * stride]!, x6 = input[at + 6 * stride]!, x7 = input[at + 7 * stride]!;
  const round = 2 ** (bits - 1);
  const scale = 2 ** bits;
  if (x1 === 0 && x2 === 0 && x3 === 0 && x4 === 0 && x5 === 0 && x6 === 0 && x7 === 0) {
    // Only the DC term: every output is the same (libjpeg's shortcut gives identical values).
    const value = Math.floor((x0 * 2 ** CONST_BITS + round) / scale);
    for (let i = 0; i < 8; i++) output[outAt + i * outStride] = value;
    return;
  }
  // Even part.
  let z1 = (x2 + x6) * FIX_0_541196100;
  const t2 = z1 - x6 * FIX_1_847759065;
  const t3 = z1 + x2 * FIX_0_765366865;
  const t0 = (x0 + x4) * 2 ** CONST_BITS;
  const t1 = (x0 - x4) * 2 ** CONST_BITS;
  const t10 = t0 + t3, t13 = t0 - t3, t11 = t1 + t2, t12 = t1 - t2;
  // Odd part.
  z1 = x7 + x1;
  let z2 = x5 + x3;
  let z3 = x7 + x3;
  let z4 = x5 + x1;
  const z5 = (z3 + z4) * FIX_1_175875602;
  let o0 = x7 * FIX_0_298631336, o1 = x5 * FIX_2_053119869, o2 = x3 * FIX_3_072711026, o3 = x1 * FIX_1_501321110;
  z1 *= -FIX_0_899976223;
  z2 *= -FIX_2_562915447;
  z3 = z3 * -FIX_1_961570560 + z5;
  z4 = z4 * -FIX_0_390180644 + z5;
  o0 += z1 + z3;
  o1 += z2 + z4;
  o2 += z2 + z3;
  o3 += z1 + z4;
  output[outAt] = Math.floor((t10 + o3 + round) / scale);
  output[outAt + 7 * outStride] = Math.floor((t10 - o3 + round) / scale);
  output[outAt + outStride] = Math.floor((t11 + o2 + round) / scale);
  output[outAt + 6 * outStride] = Math.floor((t11 - o2 + round) / scale);
  output[outAt + 2 * outStride] = Math.floor((t12 + o1 + round) / scale);
  output[outAt + 5 * outStride] = Math.floor((t12 - o1 + round) / scale);
  output[outAt + 3 * outStride] = Math.floor((t13 + o0 + round) / scale);
  output[outAt + 4 * outStride] = Math.floor((t13 - o0 + round) / scale);
}

/** Dequantises and inverse-transforms every block into a plane of blocksPerLine·8 × blocksPerColumn·8 samples. */
function inverseDct(component: Component, quant: Int32Array): Uint8Array {
  const stride = component.blocksPerLine * 8;
  const plane = new Uint8Array(stride * component.blocksPerColumn * 8);
  const dequantized = new Float64Array(64);
  const work = new Float64Array(64);
  const result = new Float64Array(64);
  for (let blockRow = 0; blockRow < component.blocksPerColumn; blockRow++) {
    for (let blockColumn = 0; blockColumn < component.blocksPerLine; blockColumn++) {
      const base = (blockRow * component.blocksPerLine + blockColumn) * 64;
      for (let i = 0; i < 64; i++) dequantized[i] = component.coefficients[base + i]! * quant[i]!;
      for (let column = 0; column < 8; column++) idct8(dequantized, column, 8, work, column, 8, CONST_BITS - PASS1_BITS);
      for (let row = 0; row < 8; row++) idct8(work, row * 8, 1, result, row * 8, 1, CONST_BITS + PASS1_BITS + 3);
      const top = blockRow * 8 * stride + blockColumn * 8;
      for (let row = 0; row < 8; row++) {
        for (let column = 0; column < 8; column++) plane[top + row * stride + column] = IDCT_LIMIT[result[row * 8 + column]! & 1023]!;
      }
    }
  }
  return plane;
}

/**
 * To full resolution, as libjpeg does by default: triangular ("fancy") filters for 2×1, 2×2 and 1×2
 * subsampling (3/4 nearer + 1/4 farther sample, with its alternating rounding biases), edge samples
 * repeated; other ratios by repetition. Rows past the component's real height repeat its last row.
 */
function upsample(plane: Uint8Array, component: Component, hFactor: number, vFactor: number, width: number, height: number): Uint8Array {
  const stride = component.blocksPerLine * 8;
  const inWidth = component.width;
  const lastRow = component.height - 1;
  const sample = (x: number, y: number) => plane[Math.min(Math.max(y, 0), lastRow) * stride + x]!;
  const out = new Uint8Array(width * height);
  const fancy = inWidth > 2;
  if (hFactor === 1 && vFactor === 1) {
    for (let y = 0; y < height; y++) out.set(plane.subarray(y * stride, y * stride + width), y * width);
  } else if (hFactor === 2 && vFactor === 1 && fancy) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = x >> 1;
        const near = sample(i, y) * 3;
        if (x % 2 === 0) out[y * width + x] = i === 0 ? sample(0, y) : (near + sample(i - 1, y) + 1) >> 2;
        else out[y * width + x] = i === inWidth - 1 ? sample(i, y) : (near + sample(i + 1, y) + 2) >> 2;
      }
    }
  } else if (hFactor === 2 && vFactor === 2 && fancy) {
    for (let y = 0; y < height; y++) {
      const row = y >> 1;
      const other = y % 2 === 0 ? row - 1 : row + 1;
      const columnSum = (i: number) => sample(i, row) * 3 + sample(i, other);
      for (let x = 0; x < width; x++) {
        const i = x >> 1;
        const here = columnSum(i);
        let value: number;
        if (x % 2 === 0) value = i === 0 ? (here * 4 + 8) >> 4 : (here * 3 + columnSum(i - 1) + 8) >> 4;
        else value = i === inWidth - 1 ? (here * 4 + 7) >> 4 : (here * 3 + columnSum(i + 1) + 7) >> 4;
        out[y * width + x] = value;
      }
    }
  } else if (hFactor === 1 && vFactor === 2) {
    for (let y = 0; y < height; y++) {
      const row = y >> 1;
      const other = y % 2 === 0 ? row - 1 : row + 1;
      const bias = y % 2 === 0 ? 1 : 2;
      for (let x = 0; x < width; x++) out[y * width + x] = (sample(x, row) * 3 + sample(x, other) + bias) >> 2;
    }
  } else {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) out[y * width + x] = plane[Math.floor(y / vFactor) * stride + Math.floor(x / hFactor)]!;
    }
  }
  return out;
}

function interleave(planes: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(planes[0]!.length * 3);
  for (let i = 0; i < planes[0]!.length; i++) {
    out[i * 3] = planes[0]![i]!;
    out[i * 3 + 1] = planes[1]![i]!;
    out[i * 3 + 2] = planes[2]![i]!;
  }
  return out;
}

/** libjpeg's YCbCr → RGB of one sample: per-value tables in 16-bit fixed point, clamped to 0..255. */
const yccSample = (() => {
  const fix = (x: number) => Math.trunc(x * 65536 + 0.5);
  const half = 1 << 15;
  const crR = new Int32Array(256), cbB = new Int32Array(256), crG = new Float64Array(256), cbG = new Float64Array(256);
  for (let i = 0; i < 256; i++) {
    const x = i - 128;
    crR[i] = Math.floor((fix(1.402) * x + half) / 65536);
    cbB[i] = Math.floor((fix(1.772) * x + half) / 65536);
    crG[i] = -fix(0.71414) * x;
    cbG[i] = -fix(0.34414) * x + half;
  }
  const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);
  return (y: number, cb: number, cr: number, channel: 0 | 1 | 2): number =>
    clamp(channel === 0 ? y + crR[cr]! : channel === 1 ? y + Math.floor((cbG[cb]! + crG[cr]!) / 65536) : y + cbB[cb]!);
})();

function yccToRgb([yPlane, cbPlane, crPlane]: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(yPlane!.length * 3);
  for (let i = 0; i < yPlane!.length; i++) {
    const y = yPlane![i]!, cb = cbPlane![i]!, cr = crPlane![i]!;
    out[i * 3] = yccSample(y, cb, cr, 0);
    out[i * 3 + 1] = yccSample(y, cb, cr, 1);
    out[i * 3 + 2] = yccSample(y, cb, cr, 2);
  }
  return out;
}

/**
 * Four planes to RGB as PIL does: libjpeg's CMYK output (for YCCK, 255 − the YCbCr→RGB of the first
 * three planes), inverted by PIL's "CMYK;I" raw mode, then its cmyk2rgb:
 * out = nk − MULDIV255(c, nk) with nk = 255 − k and MULDIV255(a, b) = ((a·b + 128) >> 8 + a·b + 128) >> 8.
 */
function cmykToRgb(planes: Uint8Array[], ycck: boolean): Uint8Array {
  const [p0, p1, p2, p3] = planes as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  const out = new Uint8Array(p0.length * 3);
  for (let i = 0; i < p0.length; i++) {
    const nk = p3[i]!; // 255 − (255 − stored k)
    for (let c = 0; c < 3; c++) {
      const stored = ycck ? 255 - yccSample(p0[i]!, p1[i]!, p2[i]!, c as 0 | 1 | 2) : planes[c]![i]!;
      const ink = 255 - stored;
      const tmp = ink * nk + 128;
      out[i * 3 + c] = nk - (((tmp >> 8) + tmp) >> 8);
    }
  }
  return out;
}

/** Decodes, turning format problems into FrankenlensErrors that name `name`. */
export function decodeJpegFile(bytes: Uint8Array, name: string): DecodedJpeg {
  try {
    return decodeJpeg(bytes);
  } catch (error) {
    if (error instanceof JpegFormatError) throw new FrankenlensError('InvalidImage', `${name}: corrupt or unsupported JPEG (${error.message})`, name);
    throw error;
  }
}

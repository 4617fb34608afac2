/**
 * PIL's `Image.resize(size, Image.BICUBIC)` on 8-bit RGB, bit for bit: the Hugging Face image
 * processors resize through PIL, so any other resampler would feed the model different pixels.
 *
 * PIL resamples in two separable passes (horizontal, then vertical, each skipped when that side keeps
 * its size) through an 8-bit intermediate. Each output pixel is a weighted sum over a window of
 * inputs; when shrinking, the cubic kernel (a = −0.5) is stretched by the scale factor, which is its
 * antialiasing. Weights are normalised to sum 1 and rounded to 22-bit fixed point, sums are rounded
 * by adding one half, and results are clipped to 0..255.
 */
import type { RgbImage } from './imageDecode';

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

function cubic(x: number): number {
  const a = -0.5;
  x = Math.abs(x);
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

interface PassCoefficients {
  /** Per output index: first input index and number of inputs. */
  first: Int32Array;
  count: Int32Array;
  /** Fixed-point weights, `windowSize` per output index. */
  weights: Int32Array;
  windowSize: number;
}

function passCoefficients(inSize: number, outSize: number): PassCoefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 2 * filterScale;
  // PIL multiplies by the reciprocal; dividing would round differently in the last bit.
  const inverseFilterScale = 1 / filterScale;
  const windowSize = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * windowSize);
  const window = new Float64Array(windowSize);
  for (let out = 0; out < outSize; out++) {
    const center = (out + 0.5) * scale;
    // Math.trunc is C's (int) cast, which PIL uses to round these bounds.
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5));
    let total = 0;
    for (let x = 0; x < xmax - xmin; x++) {
      window[x] = cubic((x + xmin - center + 0.5) * inverseFilterScale);
      total += window[x]!;
    }
    for (let x = 0; x < xmax - xmin; x++) {
      const w = total !== 0 ? window[x]! / total : window[x]!;
      weights[out * windowSize + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    first[out] = xmin;
    count[out] = xmax - xmin;
  }
  return { first, count, weights, windowSize };
}

/** Rounded fixed-point sum to a byte. Sums stay within int32 (|weights| sum to < 2 in fixed point). */
const clip8 = (sum: number) => {
  const value = sum >> PRECISION_BITS;
  return value < 0 ? 0 : value > 255 ? 255 : value;
};

function resizeHorizontal(image: RgbImage, width: number): RgbImage {
  const { first, count, weights, windowSize } = passCoefficients(image.width, width);
  const data = image.data;
  const out = new Uint8Array(width * image.height * 3);
  for (let y = 0; y < image.height; y++) {
    const row = y * image.width * 3;
    let o = y * width * 3;
    for (let x = 0; x < width; x++) {
      let r = HALF, g = HALF, b = HALF;
      let p = row + first[x]! * 3;
      const w0 = x * windowSize;
      for (let k = 0; k < count[x]!; k++, p += 3) {
        const w = weights[w0 + k]!;
        r = (r + data[p]! * w) | 0;
        g = (g + data[p + 1]! * w) | 0;
        b = (b + data[p + 2]! * w) | 0;
      }
      out[o++] = clip8(r);
      out[o++] = clip8(g);
      out[o++] = clip8(b);
    }
  }
  return { width, height: image.height, data: out };
}

function resizeVertical(image: RgbImage, height: number): RgbImage {
  const { first, count, weights, windowSize } = passCoefficients(image.height, height);
  const stride = image.width * 3;
  const data = image.data;
  const out = new Uint8Array(image.width * height * 3);
  const sums = new Int32Array(stride);
  // Whole rows at a time: each tap adds one weighted input row, reading memory in order.
  for (let y = 0; y < height; y++) {
    sums.fill(HALF);
    for (let k = 0; k < count[y]!; k++) {
      const w = weights[y * windowSize + k]!;
      const source = (first[y]! + k) * stride;
      for (let i = 0; i < stride; i++) sums[i] = (sums[i]! + data[source + i]! * w) | 0;
    }
    const target = y * stride;
    for (let i = 0; i < stride; i++) out[target + i] = clip8(sums[i]!);
  }
  return { width: image.width, height, data: out };
}

export function resizeBicubic(image: RgbImage, width: number, height: number): RgbImage {
  let result = image;
  if (width !== image.width) result = resizeHorizontal(result, width);
  if (height !== image.height) result = resizeVertical(result, height);
  return result === image ? { width, height, data: image.data.slice() } : result;
}

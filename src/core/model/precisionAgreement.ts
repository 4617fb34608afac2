/**
 * How far a run with int8 weights is from float32, measured on a calibration subset of its own
 * items (calibrationItems) run both ways:
 * - next-token top-1 agreement: over every answer position of every calibration item, teacher-forced
 *   with the same tokens both ways (teacherForced.ts), the fraction where the arg-max token agrees;
 * - answer agreement: items whose answers agree, with a Wilson 95% interval;
 * - each probe curve's largest absolute per-layer difference (and the layer where it is).
 * Pure: the caller runs the models and says what an item's answer is; precisionReport.ts puts the
 * measures into the report a result carries.
 */
import { FrankenlensError } from '../errors';
import { wilsonInterval, type ProportionInterval } from '../stats/wilson';

export interface TopOneAgreement {
  agreeing: number;
  positions: number;
  /** agreeing / positions; null without positions. */
  fraction: number | null;
}

export interface AnswerAgreement {
  agreeing: number;
  total: number;
  fraction: number | null;
  /** Wilson 95% interval of the agreement rate. */
  interval: ProportionInterval;
}

export interface CurveDifference {
  name: string;
  /** Layers where both curves have a value. */
  layers: number;
  /** max |int8 − float32| over those layers; null when there is none. */
  largest: number | null;
  /** The first layer index (into the curve) where it is reached. */
  atLayer: number | null;
}

/** Both ways' teacher-forced top-1 tokens of one item (the same answer positions). */
export interface TopOnePair {
  int8: readonly number[];
  float32: readonly number[];
}

export function topOneAgreement(items: readonly TopOnePair[]): TopOneAgreement {
  let agreeing = 0;
  let positions = 0;
  items.forEach((item, index) => {
    if (item.int8.length !== item.float32.length) throw new FrankenlensError('InvalidArgument', `top-1 agreement: calibration item ${index} has ${item.int8.length} int8 and ${item.float32.length} float32 positions; both must be teacher-forced over the same answer`);
    positions += item.int8.length;
    item.int8.forEach((token, position) => token === item.float32[position] && agreeing++);
  });
  return { agreeing, positions, fraction: positions === 0 ? null : agreeing / positions };
}

/** Items whose answers agree (what an answer is: the caller's, e.g. the extracted choice). */
export function answerAgreement(items: readonly { int8: string | null; float32: string | null }[]): AnswerAgreement {
  const agreeing = items.filter((item) => item.int8 === item.float32).length;
  return { agreeing, total: items.length, fraction: items.length === 0 ? null : agreeing / items.length, interval: wilsonInterval(agreeing, items.length) };
}

/** A probe curve per layer both ways (null: no value at that layer, e.g. a layer not probed). */
export interface CurvePair {
  name: string;
  int8: readonly (number | null)[];
  float32: readonly (number | null)[];
}

export function curveDifference(curve: CurvePair): CurveDifference {
  if (curve.int8.length !== curve.float32.length) throw new FrankenlensError('InvalidArgument', `curve "${curve.name}": ${curve.int8.length} int8 and ${curve.float32.length} float32 layers; both must cover the same layers`);
  let largest: number | null = null;
  let atLayer: number | null = null;
  let layers = 0;
  curve.int8.forEach((value, layer) => {
    const reference = curve.float32[layer];
    if (value === null || reference === null || reference === undefined) return;
    layers++;
    const difference = Math.abs(value - reference);
    if (largest === null || difference > largest) {
      largest = difference;
      atLayer = layer;
    }
  });
  return { name: curve.name, layers, largest, atLayer };
}

/**
 * `count` items spread evenly over the list (the first, then every length/count-th), so the subset
 * covers every part of a benchmark whose items are grouped by kind; all of them when there are fewer.
 */
export function calibrationItems<T>(items: readonly T[], count: number): T[] {
  if (!(Number.isInteger(count) && count >= 1)) throw new FrankenlensError('InvalidArgument', `calibration subset: ${count} items; take at least 1`);
  if (items.length <= count) return [...items];
  return Array.from({ length: count }, (_, index) => items[Math.floor((index * items.length) / count)]!);
}

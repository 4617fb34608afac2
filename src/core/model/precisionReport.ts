/**
 * The agreement report every result made with int8 weights carries (`precisionAgreement` in a probe
 * or sweep summary, beside `models`): the run's own calibration subset run again with float32
 * weights and compared (precisionAgreement.ts's measures), or, when that could not be done (float32
 * does not fit the memory budget, or the user asked for no calibration), why not. What a run
 * measures is in src/core/probes/precisionCalibration.ts and src/core/variants/sweepCalibration.ts;
 * this file holds the shape, its check (a summary is read back from disk by the panel) and the one
 * line the CLI prints and the panel shows. Pure.
 */
import { FrankenlensError } from '../errors';
import type { ModelRuntime, RuntimeOptions } from './modelRuntime';
import { answerAgreement, calibrationItems, curveDifference, topOneAgreement, type AnswerAgreement, type CurveDifference, type CurvePair, type TopOneAgreement, type TopOnePair } from './precisionAgreement';

/** Calibration items when none are asked for (all of them when the run has fewer). */
export const DEFAULT_CALIBRATION_ITEMS = 8;

/** What the memory plan says of running the calibration in float32 (src/core/jobs/calibrationMemory.ts). */
export type CalibrationMemory =
  | {
      fits: true;
      /** Rows decoded together that fit (fewer than the run's when only fewer fit; answers do not depend on it). */
      rows?: number;
      /** Whether float32 fits only with the vision tower released after each encoding. */
      releaseVisionAfterEncoding?: boolean;
    }
  | { fits: false; reason: string };

/** How a run calibrates its int8 results (ignored for float32 runs). Not part of a run's identity. */
export interface CalibrationOptions {
  /** Items run again in float32 (default DEFAULT_CALIBRATION_ITEMS; all when fewer; 0: none, the report says so). */
  items?: number;
  /** The float32 memory plan's verdict; absent: not planned (it is taken to fit). */
  memory?: CalibrationMemory;
}

interface ReportBase {
  precision: 'int8';
  reference: 'float32';
  /** Calibration items asked for (--calibration-items). */
  requested: number;
  /** The calibration items' ids (benchmark items, or swap pairs), spread evenly over the run's. */
  items: string[];
}

export interface MeasuredPrecisionReport extends ReportBase {
  measured: true;
  /** items.length. */
  calibrationItems: number;
  /** Teacher-forced next-token top-1 over float32's answers, int8 against float32. */
  nextToken: TopOneAgreement;
  /** The answers both ways. */
  answers: AnswerAgreement;
  /** Each probe curve's largest per-layer |int8 − float32| over the calibration items (none for the sweep). */
  curves: CurveDifference[];
  /** What was compared: which answers are teacher-forced, what one answer is and when two agree. */
  basis: { nextToken: string; answers: string };
  /** Wall time of the calibration (float32 runs and both teacher-forced passes). */
  seconds: number;
}

export interface UnmeasuredPrecisionReport extends ReportBase {
  measured: false;
  reason: string;
}

export type PrecisionReport = MeasuredPrecisionReport | UnmeasuredPrecisionReport;

/** What a calibration measured, before it becomes a report. */
export interface CalibrationMeasures {
  topOne: readonly TopOnePair[];
  answers: readonly { int8: string | null; float32: string | null }[];
  curves: readonly CurvePair[];
  basis: { nextToken: string; answers: string };
}

export function measuredReport(requested: number, items: readonly string[], measures: CalibrationMeasures, seconds: number): MeasuredPrecisionReport {
  return {
    precision: 'int8',
    reference: 'float32',
    measured: true,
    requested,
    items: [...items],
    calibrationItems: items.length,
    nextToken: topOneAgreement(measures.topOne),
    answers: answerAgreement(measures.answers),
    curves: measures.curves.map(curveDifference),
    basis: measures.basis,
    seconds: Math.round(seconds * 10) / 10,
  };
}

export function unmeasuredReport(requested: number, items: readonly string[], reason: string): UnmeasuredPrecisionReport {
  return { precision: 'int8', reference: 'float32', measured: false, requested, items: [...items], reason };
}

/**
 * Which of a run's units (items, pairs) calibrate it: `calibration.items` of them spread evenly
 * (default DEFAULT_CALIBRATION_ITEMS), with their ids; `skipped` is the report when nothing is to be
 * measured (0 asked for, no units, or float32 over the memory budget).
 */
export function calibrationPlan<T>(units: readonly T[], id: (unit: T) => string, calibration: CalibrationOptions | undefined): { requested: number; subset: T[]; ids: string[]; skipped?: UnmeasuredPrecisionReport } {
  const requested = calibration?.items ?? DEFAULT_CALIBRATION_ITEMS;
  if (!(Number.isSafeInteger(requested) && requested >= 0)) throw new FrankenlensError('InvalidArgument', `calibration items ${requested}: must be a whole number (0: no calibration)`);
  if (requested === 0) return { requested, subset: [], ids: [], skipped: unmeasuredReport(0, [], 'no calibration asked for (--calibration-items 0)') };
  const subset = units.length === 0 ? [] : calibrationItems(units, requested);
  const ids = subset.map(id);
  if (subset.length === 0) return { requested, subset, ids, skipped: unmeasuredReport(requested, ids, 'the run has no items') };
  const memory = calibration?.memory;
  if (memory && !memory.fits) return { requested, subset, ids, skipped: unmeasuredReport(requested, ids, memory.reason) };
  return { requested, subset, ids };
}

/** A float32 twin's runtime options: the int8 model's own, float32 weights, on the provider it ran on, the vision tower released when only that fits. */
export function float32TwinOptions(runtime: ModelRuntime, memory: CalibrationMemory | undefined): RuntimeOptions {
  const { options } = runtime;
  return {
    ...options,
    precision: 'float32',
    executionProvider: runtime.providerUsed ?? options.executionProvider,
    releaseVisionAfterEncoding: (memory?.fits && memory.releaseVisionAfterEncoding) || options.releaseVisionAfterEncoding,
  };
}

/** Rows a float32 rerun decodes together: the run's (default `fallback`), or fewer when only fewer fit. */
export function calibrationRows(batch: number | undefined, fallback: number, memory: CalibrationMemory | undefined): number {
  const rows = batch ?? fallback;
  return memory?.fits && memory.rows !== undefined ? Math.max(1, Math.min(rows, memory.rows)) : rows;
}

/** The curve whose largest difference is the largest of all (null: no curve, or none with a value). */
export function largestCurveDifference(report: MeasuredPrecisionReport): CurveDifference | null {
  return report.curves.reduce<CurveDifference | null>((best, curve) => (curve.largest !== null && (best === null || curve.largest > best.largest!) ? curve : best), null);
}

/** The pieces of the one line, formatted (the panel puts them in its localized sentence). */
export function precisionReportParts(report: MeasuredPrecisionReport): { items: string; topOne: string; answers: string; interval: string; curve: string | null } {
  const percent = (value: number) => `${(100 * value).toFixed(1)}%`;
  const largest = largestCurveDifference(report);
  return {
    items: String(report.calibrationItems),
    topOne: report.nextToken.fraction === null ? 'n/a' : `${percent(report.nextToken.fraction)} (${report.nextToken.agreeing}/${report.nextToken.positions})`,
    answers: `${report.answers.agreeing}/${report.answers.total}`,
    interval: `${percent(report.answers.interval.lower)}–${percent(report.answers.interval.upper)}`,
    curve: largest === null ? null : largest.largest === 0 ? '0 (every curve the same)' : `${formatDifference(largest.largest!)} (${largest.name}, layer ${largest.atLayer})`,
  };
}

function formatDifference(value: number): string {
  return value >= 0.01 ? value.toFixed(3) : value.toExponential(1);
}

/** The one line: "int8 weights: agreement with float32 on N items: top-1 x%, answers a/b (95% CI …), largest curve difference d". */
export function describePrecisionReport(report: PrecisionReport): string {
  if (!report.measured) return `int8 weights: not compared with float32 (${report.reason})`;
  const parts = precisionReportParts(report);
  const curve = parts.curve === null ? '' : `, largest curve difference ${parts.curve}`;
  return `int8 weights: agreement with float32 on ${parts.items} item${report.calibrationItems === 1 ? '' : 's'}: top-1 ${parts.topOne}, answers ${parts.answers} (95% CI ${parts.interval})${curve}`;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isFraction = (value: unknown) => value === null || (typeof value === 'number' && value >= 0 && value <= 1);
const isProbability = (value: unknown) => typeof value === 'number' && value >= 0 && value <= 1;

/** Whether a value read from a summary file is a well-formed report (the panel shows nothing it cannot trust). */
export function isPrecisionReport(value: unknown): value is PrecisionReport {
  if (!isRecord(value) || value.precision !== 'int8' || value.reference !== 'float32' || !isCount(value.requested)) return false;
  if (!Array.isArray(value.items) || !value.items.every((id) => typeof id === 'string')) return false;
  if (value.measured === false) return typeof value.reason === 'string';
  if (value.measured !== true || value.calibrationItems !== value.items.length) return false;
  const { nextToken, answers, curves, basis } = value;
  if (!isRecord(nextToken) || !isCount(nextToken.agreeing) || !isCount(nextToken.positions) || nextToken.agreeing > nextToken.positions || !isFraction(nextToken.fraction)) return false;
  if (!isRecord(answers) || !isCount(answers.agreeing) || !isCount(answers.total) || answers.agreeing > answers.total || !isFraction(answers.fraction)) return false;
  if (!isRecord(answers.interval) || !isProbability(answers.interval.lower) || !isProbability(answers.interval.upper)) return false;
  if (!Array.isArray(curves) || !curves.every((curve) => isRecord(curve) && typeof curve.name === 'string' && isCount(curve.layers) && (curve.largest === null || (typeof curve.largest === 'number' && curve.largest >= 0)) && (curve.atLayer === null || isCount(curve.atLayer)))) return false;
  return isRecord(basis) && typeof basis.nextToken === 'string' && typeof basis.answers === 'string' && typeof value.seconds === 'number';
}

/**
 * Whether an int8 run's calibration (its calibration items run again with float32 weights, see
 * src/core/model/precisionReport.ts) fits the memory budget: the run's own plan, asked again for
 * float32. The calibration holds one precision at a time (the int8 sessions are released first), so
 * it needs what a float32 run of the same command needs, and like a run it may release the vision
 * tower after each encoding or decode fewer rows together to fit (neither changes an answer). When
 * even that does not fit, the report says so instead of the run failing: the int8 results stand.
 */
import { describeMemoryPlan, formatBytes, planToFit, type MemoryPlan } from '../model/memoryPlan';
import type { WeightPrecision } from '../model/graphOps';
import type { CalibrationMemory, CalibrationOptions } from '../model/precisionReport';

/** The verdict, and the line the job logs. */
export function calibrationMemory(plan: MemoryPlan): { memory: CalibrationMemory; log: string } {
  const { visionResident: _resident, ...asked } = plan.request;
  const float32 = planToFit({ ...asked, precision: 'float32' }, true);
  if (!float32.fits) {
    const source = float32.request.budgetSource ?? 'given';
    const reason = `float32 weights need about ${formatBytes(float32.total)} at the peak (${float32.peak.name}), more than the memory budget of ${formatBytes(float32.budget)} (${source}); int8 needs about ${formatBytes(plan.total)}`;
    return { memory: { fits: false, reason }, log: `calibration against float32 skipped: ${reason}` };
  }
  return {
    memory: { fits: true, rows: float32.rows, releaseVisionAfterEncoding: float32.request.visionResident === false },
    log: `calibration against float32: ${describeMemoryPlan(float32).replace(/^memory: /, '')}`,
  };
}

/** A probe's or sweep's calibration settings: none for float32; for int8 the items asked for and the float32 plan's verdict (logged). */
export function jobCalibration(precision: WeightPrecision | undefined, items: number | undefined, plan: MemoryPlan, log: (message: string) => void): CalibrationOptions | undefined {
  if (precision !== 'int8') return undefined;
  if (items === 0) {
    log('calibration against float32: none asked for (--calibration-items 0); the results say so');
    return { items };
  }
  const { memory, log: line } = calibrationMemory(plan);
  log(line);
  return { items, memory };
}

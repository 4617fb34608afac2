/**
 * `--calibration-items N` for probe and variants: how many of an int8 run's items are run again
 * with float32 weights for its agreement report (src/core/model/precisionReport.ts). Not part of a
 * run's settings, so a resume may change it.
 */
import { DEFAULT_CALIBRATION_ITEMS } from '../core/model/precisionReport';
import { wholeNumber } from './wholeNumberArgument';

export const CALIBRATION_OPTION = { 'calibration-items': { type: 'string' } } as const;

export const CALIBRATION_USAGE = `  --calibration-items N  with --precision int8: items run again with float32 weights afterwards,
                         spread evenly over the run's, for the agreement report in the summary
                         (default ${DEFAULT_CALIBRATION_ITEMS}, all when fewer; 0: none, the report says so)`;

export function calibrationItemsFlag(text: string | undefined): number | undefined {
  return text === undefined ? undefined : wholeNumber('--calibration-items', text);
}

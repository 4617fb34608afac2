/**
 * The panel's line for a result made with int8 weights: its agreement with float32 on the
 * calibration subset (src/core/model/precisionReport.ts), or why that was not measured. Results
 * made with float32 have no report and get no line. The report is read from a file, so it is
 * checked before it is shown.
 */
import * as vscode from 'vscode';
import { isPrecisionReport, precisionReportParts } from '../core/model/precisionReport';

export function precisionNotice(report: unknown): string | undefined {
  if (report === undefined) return undefined;
  if (!isPrecisionReport(report)) return vscode.l10n.t('int8 weights: the agreement report against float32 in this file is malformed');
  if (!report.measured) return vscode.l10n.t('int8 weights: not compared with float32 ({0})', report.reason);
  const parts = precisionReportParts(report);
  return parts.curve === null
    ? vscode.l10n.t('int8 weights: agreement with float32 on {0} items: top-1 {1}, answers {2} (95% CI {3})', parts.items, parts.topOne, parts.answers, parts.interval)
    : vscode.l10n.t('int8 weights: agreement with float32 on {0} items: top-1 {1}, answers {2} (95% CI {3}), largest curve difference {4}', parts.items, parts.topOne, parts.answers, parts.interval, parts.curve);
}

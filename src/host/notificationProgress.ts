import type * as vscode from 'vscode';
import type { ProgressSink } from '../core/progress';

/**
 * Adapts core progress (absolute fraction of the whole job) to a VS Code progress bar, which only
 * takes increments in percent.
 */
export function notificationProgress(progress: vscode.Progress<{ message?: string; increment?: number }>): ProgressSink {
  let reportedPercent = 0;
  return {
    report({ fraction, message }) {
      const percent = Math.min(100, Math.max(0, fraction * 100));
      const increment = Math.max(0, percent - reportedPercent);
      reportedPercent += increment;
      progress.report({ increment, message });
    },
  };
}

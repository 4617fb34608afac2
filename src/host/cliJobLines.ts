/** What one stderr line of a CLI job means: progress, the failure (as the core error), or a log line. */
import { FrankenlensError, type SerializedError } from '../core/errors';
import type { ProgressReport } from '../core/progress';

export type JobLine = { kind: 'progress'; progress: ProgressReport } | { kind: 'error'; error: FrankenlensError } | { kind: 'log'; text: string };

export function parseJobLine(line: string): JobLine {
  const text = line.trim();
  if (!text.startsWith('{')) return { kind: 'log', text };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'log', text };
  }
  if (typeof value !== 'object' || value === null) return { kind: 'log', text };
  const record = value as Record<string, unknown>;
  if (typeof record.fraction === 'number' && Number.isFinite(record.fraction)) {
    const fraction = Math.min(1, Math.max(0, record.fraction));
    return { kind: 'progress', progress: typeof record.message === 'string' ? { fraction, message: record.message } : { fraction } };
  }
  const error = record.error as Partial<SerializedError> | undefined;
  if (error && typeof error.code === 'string' && typeof error.message === 'string') {
    return { kind: 'error', error: FrankenlensError.fromJSON(error as SerializedError) };
  }
  return { kind: 'log', text };
}

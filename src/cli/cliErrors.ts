/** Maps failures to one line on stderr and a distinct exit status; never a stack trace for input errors. */
import { FrankenlensError } from '../core/errors';

export const EXIT = { ok: 0, internal: 1, usage: 2, badInput: 3, cancelled: 130 } as const;

export class UsageError extends Error {}

export function reportFailure(error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`frankenlens: ${error.message}\nRun "frankenlens --help" for usage.\n`);
    return EXIT.usage;
  }
  if (error instanceof FrankenlensError) {
    if (error.code === 'Cancelled') {
      process.stderr.write('frankenlens: cancelled; no result was written (a probe or variant run keeps its finished answers for --resume)\n');
      return EXIT.cancelled;
    }
    process.stderr.write(`frankenlens: error: ${error.message}\n`);
    return EXIT.badInput;
  }
  process.stderr.write(`frankenlens: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
  return EXIT.internal;
}

/** What a running job gets from whoever runs it (the CLI in-process, or the job runner for the extension). */
import type { CancelToken, ProgressSink } from '../progress';

export interface JobContext {
  cancel: CancelToken;
  /** Fraction of the whole job done; the runner passes it on, the CLI draws it. */
  progress: ProgressSink;
  /** A passing message at the current fraction (a model loading), not worth a log line. */
  note(message: string): void;
  /** A line worth keeping: the memory plan, conditions not run, a step starting. */
  log(message: string): void;
}

/**
 * The context of one step of a longer job: its progress fills [from, to) of the parent's bar, its
 * messages are prefixed with the step's name.
 */
export function stepContext(parent: JobContext, name: string, from: number, to: number): JobContext {
  let last = 0;
  return {
    cancel: parent.cancel,
    progress: {
      report({ fraction, message }) {
        last = fraction;
        parent.progress.report({ fraction: from + (to - from) * fraction, message: message ? `${name}: ${message}` : name });
      },
    },
    note: (message) => parent.progress.report({ fraction: from + (to - from) * last, message: `${name}: ${message}` }),
    log: (message) => parent.log(`${name}: ${message}`),
  };
}

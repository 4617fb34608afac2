import type { JobContext } from '../core/jobs/jobContext';
import type { CancelToken } from '../core/progress';

/**
 * A job's context on the terminal: progress on stderr as a rewritten line on a terminal or a line
 * every 10% otherwise, passing notes (model loading) on a terminal only, log lines on stderr;
 * with `quiet`, nothing but errors.
 */
export function terminalContext(label: string, quiet: boolean, cancel: CancelToken): JobContext & { done(): void } {
  const interactive = process.stderr.isTTY === true;
  let lastDecile = -1;
  let lastFraction = 0;
  let drawn = false;
  const draw = (line: string) => {
    process.stderr.write(`\r${line}\x1b[K`);
    drawn = true;
  };
  const done = () => {
    if (drawn) process.stderr.write('\n');
    drawn = false;
  };
  return {
    cancel,
    note(message) {
      if (interactive && !quiet) draw(`${label}: ${String(Math.floor(lastFraction * 100)).padStart(3)}%  ${message}`);
    },
    log(message) {
      if (quiet) return;
      done();
      process.stderr.write(`${label}: ${message}\n`);
    },
    progress: {
      report({ fraction, message }) {
        lastFraction = fraction;
        if (quiet) return;
        const percent = Math.floor(fraction * 100);
        const line = `${label}: ${String(percent).padStart(3)}%${message ? `  ${message}` : ''}`;
        if (interactive) draw(line);
        else if (Math.floor(percent / 10) > lastDecile) {
          lastDecile = Math.floor(percent / 10);
          process.stderr.write(`${line}\n`);
        }
      },
    },
    done,
  };
}

/** Runs `work` in a terminal context, ending its progress line however it ends. */
export async function withTerminalContext<T>(label: string, quiet: boolean, cancel: CancelToken, work: (context: JobContext) => Promise<T>): Promise<T> {
  const context = terminalContext(label, quiet, cancel);
  try {
    return await work(context);
  } finally {
    context.done();
  }
}

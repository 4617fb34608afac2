import type { ProgressSink } from '../core/progress';

/** Set by the extension when it runs the CLI as a job: progress as JSON lines it can parse. */
export const PROGRESS_JSON_ENV = 'FRANKENLENS_PROGRESS';

/**
 * Progress on stderr: a rewritten line on a terminal, a line every 10% otherwise, or with
 * FRANKENLENS_PROGRESS=json one `{"fraction":…,"message":…}` line per whole percent.
 */
export function terminalProgress(label: string, quiet: boolean): ProgressSink & { note(message: string): void; done(): void } {
  const interactive = process.stderr.isTTY === true;
  const json = process.env[PROGRESS_JSON_ENV] === 'json';
  let lastDecile = -1;
  let lastPercent = -1;
  let lastFraction = 0;
  let drawn = false;
  return {
    /** A passing message at the current fraction (model loading): on a terminal and for the extension; not in plain logs. */
    note(message) {
      if (json) process.stderr.write(`${JSON.stringify({ fraction: lastFraction, message: `${label}: ${message}` })}\n`);
      else if (interactive && !quiet) {
        process.stderr.write(`\r${label}: ${String(Math.floor(lastFraction * 100)).padStart(3)}%  ${message}\x1b[K`);
        drawn = true;
      }
    },
    report({ fraction, message }) {
      lastFraction = fraction;
      const percent = Math.floor(fraction * 100);
      if (json) {
        if (percent === lastPercent) return;
        lastPercent = percent;
        process.stderr.write(`${JSON.stringify({ fraction, message: message ? `${label}: ${message}` : label })}\n`);
        return;
      }
      if (quiet) return;
      const line = `${label}: ${String(percent).padStart(3)}%${message ? `  ${message}` : ''}`;
      if (interactive) {
        process.stderr.write(`\r${line}\x1b[K`);
        drawn = true;
      } else if (Math.floor(percent / 10) > lastDecile) {
        lastDecile = Math.floor(percent / 10);
        process.stderr.write(`${line}\n`);
      }
    },
    done() {
      if (drawn) process.stderr.write('\n');
      drawn = false;
    },
  };
}

import type { ProgressSink } from '../core/progress';

/** Set by the extension when it runs the CLI as a job: progress as JSON lines it can parse. */
export const PROGRESS_JSON_ENV = 'FRANKENLENS_PROGRESS';

/**
 * Progress on stderr: a rewritten line on a terminal, a line every 10% otherwise, or with
 * FRANKENLENS_PROGRESS=json one `{"fraction":…,"message":…}` line per whole percent.
 */
export function terminalProgress(label: string, quiet: boolean): ProgressSink & { done(): void } {
  const interactive = process.stderr.isTTY === true;
  const json = process.env[PROGRESS_JSON_ENV] === 'json';
  let lastDecile = -1;
  let lastPercent = -1;
  let drawn = false;
  return {
    report({ fraction, message }) {
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

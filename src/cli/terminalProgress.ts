import type { ProgressSink } from '../core/progress';

/** Progress on stderr: a rewritten line on a terminal, a line every 10% otherwise. */
export function terminalProgress(label: string, quiet: boolean): ProgressSink & { done(): void } {
  const interactive = process.stderr.isTTY === true;
  let lastDecile = -1;
  let drawn = false;
  return {
    report({ fraction, message }) {
      if (quiet) return;
      const percent = Math.floor(fraction * 100);
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

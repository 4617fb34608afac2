/**
 * The small interfaces long-running core work needs from its caller. `vscode.CancellationToken`
 * and `vscode.Progress` satisfy them structurally; the CLI backs them with an AbortSignal and stderr.
 */
import { cancelledError } from './errors';

export interface CancelToken {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

export interface ProgressReport {
  /** Fraction of the whole job done so far, 0..1. */
  fraction: number;
  message?: string;
}

export interface ProgressSink {
  report(progress: ProgressReport): void;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {} };

export const neverCancelled: CancelToken = {
  isCancellationRequested: false,
  onCancellationRequested: () => ({ dispose() {} }),
};

export function cancelTokenFromSignal(signal: AbortSignal): CancelToken {
  return {
    get isCancellationRequested() {
      return signal.aborted;
    },
    onCancellationRequested(listener) {
      signal.addEventListener('abort', listener, { once: true });
      return { dispose: () => signal.removeEventListener('abort', listener) };
    },
  };
}

export function throwIfCancelled(token: CancelToken | undefined): void {
  if (token?.isCancellationRequested) throw cancelledError();
}

/** A token cancelled when `parent` is or when `cancel()` is called (work that stops its siblings when one part fails). */
export function linkedCancel(parent?: CancelToken): { token: CancelToken; cancel(): void } {
  let cancelled = false;
  const listeners = new Set<() => void>();
  const cancel = () => {
    if (cancelled) return;
    cancelled = true;
    for (const listener of [...listeners]) listener();
  };
  parent?.onCancellationRequested(cancel);
  if (parent?.isCancellationRequested) cancel();
  return {
    cancel,
    token: {
      get isCancellationRequested() {
        // A parent that is polled and never calls its listeners still counts.
        return cancelled || parent?.isCancellationRequested === true;
      },
      onCancellationRequested(listener) {
        listeners.add(listener);
        return { dispose: () => listeners.delete(listener) };
      },
    },
  };
}

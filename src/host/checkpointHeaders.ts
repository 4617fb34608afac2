/**
 * Header facts of checkpoint folders, read on first request (headers only, never weights) with
 * fs/promises, so the extension host's thread never waits on the disk, and kept until the folder's
 * files change. Callers ask only in a trusted workspace.
 */
import { openCheckpointAsync, type CheckpointInfo } from '../core/checkpoint/checkpoint';

export type CheckpointHeader = { info: CheckpointInfo } | { error: string };

export class CheckpointHeaders {
  private readonly cache = new Map<string, Promise<CheckpointHeader>>();

  read(folder: string): Promise<CheckpointHeader> {
    let header = this.cache.get(folder);
    if (!header) {
      header = openCheckpointAsync(folder).then(
        (checkpoint) => ({ info: checkpoint.info }),
        (error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }),
      );
      this.cache.set(folder, header);
    }
    return header;
  }

  /** Forgets one folder (its files changed), or every folder. */
  forget(folder?: string): void {
    if (folder === undefined) this.cache.clear();
    else this.cache.delete(folder);
  }
}

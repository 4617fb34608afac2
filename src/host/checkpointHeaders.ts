/**
 * Header facts of checkpoint folders, read on first request (headers only, never weights) and kept
 * until the folder's files change.
 */
import { openCheckpoint, type CheckpointInfo } from '../core/checkpoint/checkpoint';
import { FileReader } from '../core/checkpoint/fileReader';

export type CheckpointHeader = { info: CheckpointInfo } | { error: string };

export class CheckpointHeaders {
  private readonly cache = new Map<string, CheckpointHeader>();

  read(folder: string): CheckpointHeader {
    let header = this.cache.get(folder);
    if (!header) {
      const reader = new FileReader();
      try {
        header = { info: openCheckpoint(folder, reader).info };
      } catch (error) {
        header = { error: error instanceof Error ? error.message : String(error) };
      } finally {
        reader.close();
      }
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

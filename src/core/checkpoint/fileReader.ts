/**
 * Positioned reads into caller-owned buffers (the safetensors "pread" backend): nothing is
 * memory-mapped and nothing larger than the caller's buffer is ever allocated, so memory stays
 * bounded whatever the checkpoint size. Positions are plain numbers, exact up to 2^53 bytes.
 * A shard that is a FIFO, device or folder is refused when opened.
 */
import { closeSync, fstatSync, readSync } from 'node:fs';
import { FrankenlensError } from '../errors';
import { openRegularFile } from '../regularFile';

export class FileReader {
  private readonly descriptors = new Map<string, number>();

  /** Fills `target` completely from `position`, or fails naming the file. */
  read(file: string, position: number, target: Uint8Array, tensor?: string): void {
    const fd = this.descriptor(file);
    let done = 0;
    while (done < target.byteLength) {
      const count = readSync(fd, target, done, target.byteLength - done, position + done);
      if (count === 0) {
        const where = tensor === undefined ? file : `${file}: tensor "${tensor}"`;
        throw new FrankenlensError('TruncatedFile', `${where}: file ended at byte ${position + done}, expected ${target.byteLength - done} more bytes (was it truncated or changed while reading?)`, file, tensor);
      }
      done += count;
    }
  }

  size(file: string): number {
    return fstatSync(this.descriptor(file)).size;
  }

  close(): void {
    for (const fd of this.descriptors.values()) closeSync(fd);
    this.descriptors.clear();
  }

  private descriptor(file: string): number {
    let fd = this.descriptors.get(file);
    if (fd === undefined) {
      fd = openRegularFile(file, 'NotACheckpoint').fd;
      this.descriptors.set(file, fd);
    }
    return fd;
  }
}

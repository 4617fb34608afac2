/**
 * `npm run bench -- import [MB]`: peak memory and time of `frankenlens bench-import --tsv` on a
 * generated VLMEvalKit TSV of about 200 MB (or MB megabytes), run from the built CLI in a child
 * process (VmHWM of its process tree, polled: ./processPeak.ts). The target: peak RSS under 300 MB
 * whatever the TSV's size (the TSV is read a row at a time and each row's images written as it goes).
 *
 * The TSV (writeLargeVlmEvalKitTsv, shared with test/core/bench/tsvStreaming.test.ts): rows of
 * MMBench's layout, each with a base64 PNG of about 100 KB (eight seeded noise images of 190×190,
 * repeated whole, so every row writes and decodes its own file), quoted questions holding tabs,
 * newlines and quotes, every 50th row naming an earlier row's image by index and every 100th row
 * with no image (a text-only item), and a prediction column. Written once under the bench folder.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { runWithPeak } from './processPeak';

const MB = 1e6;

/** An RGB PNG of seeded noise (it hardly compresses: its size is about 3 × width × height bytes). */
export function noisePng(width: number, height: number, seed: number): Buffer {
  let state = seed >>> 0 || 1;
  const rows = Buffer.alloc((3 * width + 1) * height);
  for (let y = 0; y < height; y++) {
    const start = y * (3 * width + 1);
    rows[start] = 0; // filter: none
    for (let x = 1; x <= 3 * width; x++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      rows[start + x] = state & 0xff;
    }
  }
  const chunk = (kind: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(kind, 4, 'latin1');
    const tail = Buffer.alloc(4);
    tail.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, tail]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(rows, { level: 1 })), chunk('IEND', Buffer.alloc(0))]);
}

export interface LargeTsv {
  file: string;
  bytes: number;
  rows: number;
  /** Rows with their own image (each writes a file). */
  imageRows: number;
  textOnlyRows: number;
}

/** Writes a VLMEvalKit-layout TSV of at least `targetBytes`, a row at a time. */
export function writeLargeVlmEvalKitTsv(file: string, targetBytes: number): LargeTsv {
  const images = Array.from({ length: 8 }, (_, k) => noisePng(190, 190, 1000 + k).toString('base64'));
  const fd = openSync(file, 'w');
  let bytes = 0;
  let rows = 0;
  let imageRows = 0;
  let textOnlyRows = 0;
  try {
    const write = (text: string) => {
      bytes += writeSync(fd, text);
    };
    write('index\timage\tquestion\thint\tA\tB\tC\tD\tanswer\tcategory\tprediction\n');
    while (bytes < targetBytes) {
      const index = 1000 + rows;
      let image: string;
      if (rows % 100 === 99) {
        image = '';
        textOnlyRows++;
      } else if (rows % 50 === 49) image = String(index - 1);
      else {
        image = images[rows % images.length]!;
        imageRows++;
      }
      const question = `"Row ${index}: which ""option""\tfits?\nPick one."`;
      write(`${index}\t${image}\t${question}\tnan\tred\tgreen\t${rows % 3 === 0 ? 'nan' : 'blue'}\twhite\tB\tbench\tThe answer is (B).\n`);
      rows++;
    }
  } finally {
    closeSync(fd);
  }
  return { file, bytes, rows, imageRows, textOnlyRows };
}

export interface ImportMeasurement {
  tsvBytes: number;
  rows: number;
  seconds: number;
  peakRssMiB: number;
  exitCode: number | null;
  stdout: string;
}

/** Runs the built CLI's bench-import on `tsv` in a child process and measures its peak memory. */
export async function measureImport(cli: string, tsv: LargeTsv, outDir: string): Promise<ImportMeasurement> {
  rmSync(outDir, { recursive: true, force: true });
  const run = await runWithPeak(process.execPath, [cli, 'bench-import', '--tsv', tsv.file, '--out', outDir]);
  if (run.exitCode !== 0) throw new Error(`bench-import failed (${run.exitCode ?? run.signal}): ${run.stderr}`);
  return { tsvBytes: tsv.bytes, rows: tsv.rows, seconds: run.seconds, peakRssMiB: run.hwmBytes / 2 ** 20, exitCode: run.exitCode, stdout: run.stdout };
}

export async function runImportBench(benchDir: string, megabytes = 200): Promise<Record<string, unknown>> {
  const root = join(benchDir, 'import');
  mkdirSync(root, { recursive: true });
  const file = join(root, `vlmevalkit-${megabytes}MB.tsv`);
  const marker = `${file}.json`;
  let tsv: LargeTsv;
  if (existsSync(marker) && existsSync(file)) tsv = JSON.parse(readFileSync(marker, 'utf8'));
  else {
    console.log(`generating a ${megabytes} MB VLMEvalKit TSV in ${file} ...`);
    tsv = writeLargeVlmEvalKitTsv(file, megabytes * MB);
    writeFileSync(marker, JSON.stringify(tsv));
  }
  const cli = resolve(__dirname, 'cli.js');
  const measurement = await measureImport(cli, tsv, join(root, 'out'));
  rmSync(join(root, 'out'), { recursive: true, force: true });
  const result = {
    tsv: `${(tsv.bytes / MB).toFixed(1)} MB, ${tsv.rows} rows (${tsv.imageRows} with their own ~100 KB PNG, ${tsv.textOnlyRows} text-only)`,
    seconds: +measurement.seconds.toFixed(2),
    'MB/s': +(tsv.bytes / MB / measurement.seconds).toFixed(1),
    'peak RSS MiB': Math.round(measurement.peakRssMiB),
    target: 'peak RSS < 300 MB',
    met: measurement.peakRssMiB * 2 ** 20 < 300 * MB,
  };
  console.table([result]);
  return { node: process.version, ...result };
}

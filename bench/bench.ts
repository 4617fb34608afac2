/**
 * `npm run bench`: diff throughput against plain reading of the same bytes, and peak memory, on
 * generated Qwen2.5-VL-layout bf16 pairs of about 2.5 GB and 5 GB. Every measurement runs in its
 * own child process (so peak RSS belongs to that measurement alone), alternating reading and
 * diffing, and the medians are compared within this one run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openCheckpoint } from '../src/core/checkpoint/checkpoint';
import { FileReader } from '../src/core/checkpoint/fileReader';
import { runDiff } from '../src/core/diff/runDiff';
import { writeSyntheticCheckpoint, type SyntheticShape } from '../src/core/synthetic/syntheticQwenVl';

const BENCH_DIR = resolve(process.env.FRANKENLENS_BENCH_DIR ?? '.bench');
const REPEATS = Number(process.env.FRANKENLENS_BENCH_REPEATS ?? 3);
const CHUNK_BYTES = 4 * 2 ** 20;

/** ~1.25 GB of bf16 per checkpoint at 28 layers: a scaled-down Qwen2.5-VL with the same tensor set. */
function benchShape(llmLayers: number): SyntheticShape {
  return {
    hiddenSize: 1024, intermediateSize: 5632, llmLayers, attentionHeads: 16, keyValueHeads: 2, vocabSize: 32000,
    visionDepth: 8, visionHidden: 256, visionIntermediate: 688, visionHeads: 4, fullAttentionBlocks: [7],
  };
}

interface Measurement {
  seconds: number;
  bytes: number;
  peakRssMiB: number;
}

/** Child mode: one measurement, printed as JSON. */
async function measure(kind: 'read' | 'diff', inDir: string, rlDir: string): Promise<Measurement> {
  const started = performance.now();
  let bytes = 0;
  if (kind === 'read') {
    const reader = new FileReader();
    const buffer = new Uint8Array(CHUNK_BYTES);
    for (const dir of [inDir, rlDir]) {
      for (const tensor of openCheckpoint(dir, reader).tensors) {
        for (let offset = 0; offset < tensor.byteLength; offset += CHUNK_BYTES) {
          const view = buffer.subarray(0, Math.min(CHUNK_BYTES, tensor.byteLength - offset));
          reader.read(tensor.file, tensor.byteOffset + offset, view);
          bytes += view.byteLength;
        }
      }
    }
    reader.close();
  } else {
    const result = await runDiff({ inDir, rlDir, workerScript: join(__dirname, 'diffWorker.js') });
    bytes = result.timing.bytesRead;
  }
  return { seconds: (performance.now() - started) / 1000, bytes, peakRssMiB: process.resourceUsage().maxRSS / 1024 };
}

function ensurePair(layers: number): { inDir: string; rlDir: string } {
  const root = join(BENCH_DIR, `pair-${layers}-layers`);
  const inDir = join(root, 'in');
  const rlDir = join(root, 'rl');
  const marker = join(root, 'complete.json');
  if (!existsSync(marker)) {
    mkdirSync(root, { recursive: true });
    const shape = benchShape(layers);
    const common = { shape, seed: 1, dtype: 'BF16' as const, maxShardBytes: 2 ** 30, overwrite: true };
    console.log(`generating a ${layers}-layer bf16 pair in ${root} ...`);
    writeSyntheticCheckpoint(inDir, common);
    const late = [...Array(layers).keys()].filter((layer) => layer >= layers / 3);
    writeSyntheticCheckpoint(rlDir, { ...common, update: { llmLayers: late, scale: 0.01, density: 0.5 } });
    writeFileSync(marker, JSON.stringify({ shape }));
  }
  return { inDir, rlDir };
}

function runChild(kind: 'read' | 'diff', pair: { inDir: string; rlDir: string }): Measurement {
  const output = execFileSync(process.execPath, [__filename, '--measure', kind, pair.inDir, pair.rlDir], { encoding: 'utf8' });
  return JSON.parse(output.trim().split('\n').at(-1)!);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--measure') {
    console.log(JSON.stringify(await measure(args[1] as 'read' | 'diff', args[2]!, args[3]!)));
    return;
  }
  const rows: Record<string, unknown>[] = [];
  for (const layers of [28, 56]) {
    const pair = ensurePair(layers);
    runChild('read', pair); // warm the page cache so both sides read from memory
    const reads: Measurement[] = [];
    const diffs: Measurement[] = [];
    for (let i = 0; i < REPEATS; i++) {
      reads.push(runChild('read', pair));
      diffs.push(runChild('diff', pair));
    }
    const bytes = diffs[0]!.bytes;
    const readSeconds = median(reads.map((m) => m.seconds));
    const diffSeconds = median(diffs.map((m) => m.seconds));
    rows.push({
      pair: `${(bytes / 1e9).toFixed(2)} GB (${layers} layers, bf16)`,
      'plain read GB/s': +(bytes / 1e9 / readSeconds).toFixed(2),
      'diff GB/s': +(bytes / 1e9 / diffSeconds).toFixed(2),
      'diff / read': +(readSeconds / diffSeconds).toFixed(2),
      'diff peak RSS MiB': Math.round(Math.max(...diffs.map((m) => m.peakRssMiB))),
      'read peak RSS MiB': Math.round(Math.max(...reads.map((m) => m.peakRssMiB))),
    });
  }
  console.log(`\nweight diff vs plain reading of the same bytes (median of ${REPEATS}, page cache warm, ${process.version})`);
  console.table(rows);
  const [small, large] = rows as { 'diff peak RSS MiB': number }[];
  console.log(`peak RSS growth when the pair doubles: ${(large!['diff peak RSS MiB'] / small!['diff peak RSS MiB']).toFixed(2)}x`);
  writeFileSync(join(BENCH_DIR, 'results.json'), JSON.stringify({ date: new Date().toISOString(), rows }, null, 2));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

/**
 * `npm run bench`: on generated Qwen2.5-VL-layout bf16 pairs of about 2.5 GB and 5 GB,
 * - the weight diff against plain reading of the same bytes;
 * - a Frankenstein merge against a plain copy of the same bytes (read + write, same piece size);
 * with peak memory for each. Every measurement runs in its own child process (so peak RSS belongs
 * to that measurement alone), each pair of measurements alternates, and the medians are compared
 * within this one run. Then the model benches that the targets rest on:
 * - `memory` (./memoryBench.ts): peak RSS of `probe attention|ablation|swap`, `variants` and
 *   `generate`, run from the built CLI on a generated 12-layer Qwen2.5-VL pair, against F;
 * - `layers` (./layersBench.ts): session start, prefill and decode speed and RSS per loaded model
 *   on 2 decoder layers at Qwen2.5-VL-7B width, the runtime against a single whole-decoder graph.
 *
 * Sub-benches alone: `npm run bench -- memory [attention,ablation,swap,variants,generate]`,
 * `-- layers`, `-- model` (`-- model int8`: int8 against float32 alone; with `-- batch`: variant-sweep items/s at batch 1, 4, 8, 16: ./batchBench.ts), `-- probes`, `-- spectral`, `-- import [MB]` (./importBench.ts), `-- study` (the paper's 7B study in
 * hours from per-layer costs: ./studyBench.ts). Results
 * go to FRANKENLENS_BENCH_DIR (default .bench) as *-results.json.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { openCheckpoint } from '../src/core/checkpoint/checkpoint';
import { FileReader } from '../src/core/checkpoint/fileReader';
import { runDiff } from '../src/core/diff/runDiff';
import { thirdsVariants } from '../src/core/merge/presets';
import { resolveMerge } from '../src/core/merge/resolveMerge';
import { writeMerge } from '../src/core/merge/writeMerge';
import { writeSyntheticCheckpoint, type SyntheticShape } from '../src/core/synthetic/syntheticQwenVl';
import { spectralBench, spectralBenchChild } from './spectralBench';
import { precisionBenchChild, runModelBench } from './modelBench';
import { probeBenchChild, runProbeBench } from './probeBench';
import { MEMORY_COMMANDS, runMemoryBench } from './memoryBench';
import { layersBenchChild, runLayersBench } from './layersBench';
import { runImportBench } from './importBench';
import { runBatchBench } from './batchBench';
import { runStudyBench } from './studyBench';
import { mallocEnvironment } from '../src/core/processMemory';
import { median } from './median';

const BENCH_DIR = resolve(process.env.FRANKENLENS_BENCH_DIR ?? '.bench');
const REPEATS = Number(process.env.FRANKENLENS_BENCH_REPEATS ?? 3);
const CHUNK_BYTES = 4 * 2 ** 20;
/** The merge writer's piece size, so the plain copy moves bytes the same way. */
const MERGE_PIECE_BYTES = 8 * 2 ** 20;

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

type Kind = 'read' | 'diff' | 'copy' | 'merge';
/** Warm: the pair is in the page cache. Cold: evicted first, as for checkpoints larger than RAM. */
type Cache = 'warm' | 'cold';

/** Child mode: one measurement, printed as JSON. */
async function measure(kind: Kind, inDir: string, rlDir: string): Promise<Measurement> {
  const started = performance.now();
  let bytes = 0;
  const mergeOut = join(BENCH_DIR, 'merge-out');
  rmSync(mergeOut, { recursive: true, force: true });
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
  } else if (kind === 'diff') {
    const result = await runDiff({ inDir, rlDir, workerScript: join(__dirname, 'diffWorker.js') });
    bytes = result.timing.bytesRead;
  } else {
    // Both copy the bytes of the first thirds variant: the same tensors from the same files.
    const resolved = resolveMerge(thirdsVariants({ in: inDir, rl: rlDir }, openCheckpoint(inDir).info.llmLayers!)[0]!);
    bytes = resolved.tasks.reduce((total, task) => total + task.from.tensor.byteLength, 0);
    if (kind === 'merge') await writeMerge(resolved, { outDir: mergeOut, maxShardBytes: 2 ** 30 });
    else {
      mkdirSync(mergeOut, { recursive: true });
      const reader = new FileReader();
      const buffer = new Uint8Array(MERGE_PIECE_BYTES);
      const fd = openSync(join(mergeOut, 'plain-copy.bin'), 'w');
      for (const { from: { tensor } } of resolved.tasks) {
        for (let offset = 0; offset < tensor.byteLength; offset += MERGE_PIECE_BYTES) {
          const view = buffer.subarray(0, Math.min(MERGE_PIECE_BYTES, tensor.byteLength - offset));
          reader.read(tensor.file, tensor.byteOffset + offset, view);
          writeSync(fd, view);
        }
      }
      closeSync(fd);
      reader.close();
    }
    rmSync(mergeOut, { recursive: true, force: true });
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

/** Drops the pair's files from the page cache (posix_fadvise DONTNEED through dd), so reads hit the disk. */
function evictFromPageCache(pair: { inDir: string; rlDir: string }): void {
  for (const dir of [pair.inDir, pair.rlDir]) {
    for (const name of readdirSync(dir).filter((file) => file.endsWith('.safetensors'))) {
      execFileSync('dd', [`if=${join(dir, name)}`, 'iflag=nocache', 'count=0', 'status=none']);
    }
  }
}

function runChild(kind: Kind, pair: { inDir: string; rlDir: string }, cache: Cache): Measurement {
  // Writes start from a clean page cache, so no run pays for the previous run's dirty pages.
  execFileSync('sync');
  if (cache === 'cold') evictFromPageCache(pair);
  const output = execFileSync(process.execPath, [__filename, '--measure', kind, pair.inDir, pair.rlDir], { encoding: 'utf8' });
  return JSON.parse(output.trim().split('\n').at(-1)!);
}


/**
 * The batch and study benches time the runtime as the CLI runs it: with its malloc settings
 * (src/core/processMemory.ts), which glibc reads only at start, so this process starts once more
 * with them when they are missing. Returns whether it did (the child did the work).
 */
function rerunWithCliMalloc(args: string[]): boolean {
  const extra = mallocEnvironment();
  if (process.platform !== 'linux' || Object.keys(extra).length === 0) return false;
  execFileSync(process.execPath, [...process.execArgv, __filename, ...args], { stdio: 'inherit', env: { ...process.env, ...extra } });
  return true;
}

async function main() {
  const args = process.argv.slice(2);
  if ((args[0] === 'batch' || args[0] === 'study') && rerunWithCliMalloc(args)) return;
  if (args[0] === '--measure') {
    console.log(JSON.stringify(await measure(args[1] as Kind, args[2]!, args[3]!)));
    return;
  }
  if (args[0] === '--measure-spectral') return spectralBenchChild(args.slice(1));
  if (args[0] === '--measure-probes') return probeBenchChild(args.slice(1));
  if (args[0] === '--measure-layers') return layersBenchChild(args.slice(1));
  if (args[0] === '--measure-precision') return precisionBenchChild(args.slice(1));
  if (args[0] === 'spectral') {
    const spectral = await spectralBench(BENCH_DIR);
    writeFileSync(join(BENCH_DIR, 'spectral-results.json'), JSON.stringify({ date: new Date().toISOString(), ...spectral }, null, 2));
    return;
  }
  if (args[0] === 'probes') {
    writeFileSync(join(BENCH_DIR, 'probe-results.json'), JSON.stringify({ date: new Date().toISOString(), ...(await runProbeBench(BENCH_DIR)) }, null, 2));
    return;
  }
  if (args[0] === 'model') {
    if (args[1] === 'int8') return runModelBench(BENCH_DIR, 'int8');
    await runModelBench(BENCH_DIR);
    await saveBatchResults();
    return;
  }
  if (args[0] === 'study') {
    writeFileSync(join(BENCH_DIR, 'study-results.json'), JSON.stringify({ date: new Date().toISOString(), ...(await runStudyBench(BENCH_DIR)) }, null, 2));
    return;
  }
  if (args[0] === 'batch') {
    await saveBatchResults();
    return;
  }
  if (args[0] === 'memory') {
    const only = args[1]?.split(',');
    const unknown = only?.filter((name) => !(MEMORY_COMMANDS as readonly string[]).includes(name)) ?? [];
    if (unknown.length > 0) throw new Error(`bench memory: unknown command(s) ${unknown.join(', ')} (choose from ${MEMORY_COMMANDS.join(', ')})`);
    await saveMemoryResults(only);
    return;
  }
  if (args[0] === 'layers') {
    await saveLayersResults();
    return;
  }
  if (args[0] === 'import') {
    mkdirSync(BENCH_DIR, { recursive: true });
    writeFileSync(join(BENCH_DIR, 'import-results.json'), JSON.stringify({ date: new Date().toISOString(), ...(await runImportBench(BENCH_DIR, args[1] ? Number(args[1]) : undefined)) }, null, 2));
    return;
  }
  const diffRows: Record<string, unknown>[] = [];
  const mergeRows: Record<string, unknown>[] = [];
  for (const layers of [28, 56]) {
    const pair = ensurePair(layers);
    runChild('read', pair, 'warm'); // load the pair into the page cache
    diffRows.push(compare(pair, layers, 'read', 'diff', 'warm'));
    mergeRows.push(compare(pair, layers, 'copy', 'merge', 'warm'));
  }
  for (const layers of [28, 56]) diffRows.push(compare(ensurePair(layers), layers, 'read', 'diff', 'cold'));
  console.log(`\nmedians of ${REPEATS} runs each, ${process.version}, ${availableParallelism()} cores`);
  console.log('\nweight diff vs plain reading of the same bytes (warm: from the page cache; cold: from disk)');
  console.table(diffRows);
  console.log('\nFrankenstein merge (IN early 1/3 + RL late 2/3) vs plain copy of the same bytes (read from the page cache)');
  console.table(mergeRows);
  for (const [label, rows] of [['diff', diffRows], ['merge', mergeRows]] as const) {
    const [small, large] = rows as { 'peak RSS MiB': number }[];
    console.log(`${label}: peak RSS growth when the pair doubles: ${(large!['peak RSS MiB'] / small!['peak RSS MiB']).toFixed(2)}x`);
  }
  writeFileSync(join(BENCH_DIR, 'results.json'), JSON.stringify({ date: new Date().toISOString(), diff: diffRows, merge: mergeRows }, null, 2));
  console.log('\n== model memory: peak RSS of the CLI\'s model commands (npm run bench -- memory)');
  await saveMemoryResults();
  console.log('\n== the runtime at Qwen2.5-VL-7B width (npm run bench -- layers)');
  await saveLayersResults();
}

async function saveBatchResults(): Promise<void> {
  writeFileSync(join(BENCH_DIR, 'batch-results.json'), JSON.stringify({ date: new Date().toISOString(), ...(await runBatchBench(BENCH_DIR)) }, null, 2));
}

async function saveLayersResults(): Promise<void> {
  const layers = await runLayersBench(BENCH_DIR);
  writeFileSync(join(BENCH_DIR, 'layers-results.json'), JSON.stringify({ date: new Date().toISOString(), ...layers }, null, 2));
}

async function saveMemoryResults(only?: string[]): Promise<void> {
  mkdirSync(BENCH_DIR, { recursive: true });
  const memory = await runMemoryBench(BENCH_DIR, only);
  // A subset gets its own file, so it never replaces a full run's results.
  writeFileSync(join(BENCH_DIR, only ? `memory-results-${only.join('+')}.json` : 'memory-results.json'), JSON.stringify({ date: new Date().toISOString(), ...memory }, null, 2));
}

/** Alternates the baseline and the measured operation, and reports medians and their ratio. */
function compare(pair: { inDir: string; rlDir: string }, layers: number, baseline: Kind, measured: Kind, cache: Cache): Record<string, unknown> {
  const base: Measurement[] = [];
  const ours: Measurement[] = [];
  for (let i = 0; i < REPEATS; i++) {
    base.push(runChild(baseline, pair, cache));
    ours.push(runChild(measured, pair, cache));
  }
  const bytes = ours[0]!.bytes;
  const baseSeconds = median(base.map((m) => m.seconds));
  const ourSeconds = median(ours.map((m) => m.seconds));
  return {
    pair: `${(bytes / 1e9).toFixed(2)} GB (${layers} layers, bf16), ${cache}`,
    [`${baseline} GB/s`]: +(bytes / 1e9 / baseSeconds).toFixed(2),
    [`${measured} GB/s`]: +(bytes / 1e9 / ourSeconds).toFixed(2),
    [`${measured} / ${baseline}`]: +(baseSeconds / ourSeconds).toFixed(2),
    'peak RSS MiB': Math.round(Math.max(...ours.map((m) => m.peakRssMiB))),
    [`${baseline} peak RSS MiB`]: Math.round(Math.max(...base.map((m) => m.peakRssMiB))),
  };
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

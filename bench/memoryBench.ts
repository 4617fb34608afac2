/**
 * `npm run bench -- memory [attention,ablation,swap,variants,generate]`: peak RSS of the CLI's
 * model-running commands on a generated mid-size Qwen2.5-VL pair, each command in its own child
 * process (`node dist/cli.js …`, as a user runs it), against one model's float32 decoder bytes F
 * (decoderWeightBytes: the layers, the final norm and the LM head).
 *
 * The pair: 12 decoder layers at hidden 1024 (MLP 5632, 16 heads, 2 KV heads, vocab 8192), a
 * small vision tower (4 blocks of width 128), bf16, seeded, with tokenizer, processor and generation
 * files so the CLI runs it; RL differs from IN in layers 6–11. Written once under the bench folder
 * (FRANKENLENS_BENCH_DIR, default .bench) with a seeded synthetic benchmark of 3 image items; the
 * swap probe takes the first counting pair of test/fixtures/vision_functionality. Item counts and
 * answer caps are small (a random model never stops), so the whole bench takes a few minutes on two
 * cores: memory, not speed, is what it measures.
 *
 * Per command: the tree's VmHWM (the kernel's high-water mark, polled every 20 ms: ./processPeak.ts)
 * and, when the result records it, `peakRssBytes` from its timing block; each divided by F, and
 * the issue's targets: every command ≤ 2.3 × F + 0.6 GB (two models loaded at most), `generate`
 * ≤ 1.15 × F + 0.6 GB (GB = 10⁹ bytes).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { openCheckpoint } from '../src/core/checkpoint/checkpoint';
import { decoderWeightBytes } from '../src/core/model/decoderGraph';
import { readModelConfig } from '../src/core/model/modelConfig';
import { qwenProcessorFiles, qwenSpecialTokenIds } from '../src/core/synthetic/qwenProcessorFiles';
import { writeSyntheticBenchmark } from '../src/core/synthetic/syntheticBenchmark';
import { writeSyntheticCheckpoint, type SyntheticShape } from '../src/core/synthetic/syntheticQwenVl';
import { findNumber, runWithPeak, type ChildPeak } from './processPeak';

/** ~253M parameters: 12 decoder layers at hidden 1024 (≈ 0.98 GB of float32 decoder weights), a 4-block vision tower of width 128. */
export const MEMORY_SHAPE: SyntheticShape = {
  hiddenSize: 1024, intermediateSize: 5632, llmLayers: 12, attentionHeads: 16, keyValueHeads: 2, vocabSize: 8192,
  visionDepth: 4, visionHidden: 128, visionIntermediate: 320, visionHeads: 4, fullAttentionBlocks: [3],
};
const SEED = 17;
/** Bump when the fixture changes, so a cached one is regenerated. */
const FIXTURE_VERSION = 1;
const GB = 1e9;
/** The repository's test fixtures: beside the bundle's folder (dist/), or under the working folder when the bundle was copied elsewhere. */
const FIXTURES = [join(__dirname, '..', 'test', 'fixtures'), resolve('test', 'fixtures')].find((dir) => existsSync(dir)) ?? join(__dirname, '..', 'test', 'fixtures');

export interface MemoryFixture {
  root: string;
  in: string;
  rl: string;
  items: string;
  image: string;
  swapItems: string;
  /** One model's float32 decoder bytes. */
  f: number;
}

export function ensureMemoryFixture(benchDir: string): MemoryFixture {
  const root = join(benchDir, 'memory-pair');
  const paths = { in: join(root, 'in'), rl: join(root, 'rl'), benchmark: join(root, 'benchmark') };
  const marker = join(root, 'complete.json');
  const wanted = JSON.stringify({ version: FIXTURE_VERSION, shape: MEMORY_SHAPE, seed: SEED });
  if (!existsSync(marker) || readFileSync(marker, 'utf8') !== wanted) {
    console.log(`generating a seeded bf16 Qwen2.5-VL IN/RL pair (12 layers at hidden 1024) and a 3-item benchmark in ${root} ...`);
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    // Up to 64 merged visual tokens per image; 2048 learnt BPE tokens (ids between them and the specials stay unused).
    const extraFiles = qwenProcessorFiles({ specialTokenIds: qwenSpecialTokenIds(MEMORY_SHAPE.vocabSize), seed: SEED, learnedVocabSize: 2048, minPixels: 3136, maxPixels: 64 * 28 * 28 });
    const common = { shape: MEMORY_SHAPE, seed: SEED, dtype: 'BF16' as const, maxShardBytes: 2 ** 30, overwrite: true, extraFiles };
    writeSyntheticCheckpoint(paths.in, common);
    writeSyntheticCheckpoint(paths.rl, { ...common, update: { llmLayers: [6, 7, 8, 9, 10, 11], scale: 0.05, density: 0.5 } });
    writeSyntheticBenchmark(paths.benchmark, { itemsPerKind: 1, seed: SEED });
    writeFileSync(marker, wanted);
  }
  const images = join(paths.benchmark, 'images');
  return {
    root,
    in: paths.in,
    rl: paths.rl,
    items: join(paths.benchmark, 'items.jsonl'),
    image: join(images, readdirSync(images).sort()[0]!),
    swapItems: join(FIXTURES, 'vision_functionality'),
    f: decoderWeightBytes(readModelConfig(openCheckpoint(paths.in)).decoder),
  };
}

export const MEMORY_COMMANDS = ['attention', 'ablation', 'swap', 'variants', 'generate'] as const;
export type MemoryCommand = (typeof MEMORY_COMMANDS)[number];

interface CommandRun {
  name: MemoryCommand;
  label: string;
  workload: string;
  args: string[];
  /** The result file that may record peakRssBytes (generate: its --json stdout). */
  result: string | 'stdout';
  /** Target as a multiple of F, plus 0.6 GB. */
  targetTimesF: number;
}

function commandRuns(fixture: MemoryFixture, outRoot: string, cacheDir: string, threads: string): CommandRun[] {
  const pair = ['--in', fixture.in, '--rl', fixture.rl];
  const common = ['--cache-dir', cacheDir, '--threads', threads, '--quiet'];
  const out = (name: string) => join(outRoot, name);
  return [
    { name: 'attention', label: 'probe attention', workload: '3 items, ≤ 8 new tokens', args: ['probe', 'attention', ...pair, '--items', fixture.items, '--out', out('attention'), '--max-new-tokens', '8', ...common], result: join(out('attention'), 'attention.summary.json'), targetTimesF: 2.3 },
    { name: 'ablation', label: 'probe ablation', workload: '3 items × (1 + 12 layers), ≤ 4 new tokens', args: ['probe', 'ablation', ...pair, '--items', fixture.items, '--out', out('ablation'), '--max-new-tokens', '4', ...common], result: join(out('ablation'), 'ablation.summary.json'), targetTimesF: 2.3 },
    { name: 'swap', label: 'probe swap', workload: '1 counting pair × 12 L × 2 modes × 2 decodings, ≤ 4 new tokens', args: ['probe', 'swap', ...pair, '--items', fixture.swapItems, '--tasks', 'counting', '--rows', '1', '--out', out('swap'), '--max-new-tokens', '4', ...common], result: join(out('swap'), 'swap.summary.json'), targetTimesF: 2.3 },
    { name: 'variants', label: 'variants', workload: 'IN, RL and the 6 thirds variants × 3 items, real images, ≤ 4 new tokens', args: ['variants', ...pair, '--items', fixture.items, '--out', out('variants'), '--thirds', '--conditions', 'real', '--max-new-tokens', '4', ...common], result: join(out('variants'), 'variants.summary.json'), targetTimesF: 2.3 },
    {
      name: 'generate', label: 'generate', workload: 'IN, 1 image, 16 new tokens',
      args: ['generate', '--model', fixture.in, '--image', fixture.image, '--prompt', 'Describe the image in one sentence.', '--max-new-tokens', '16', '--cache-dir', cacheDir, '--threads', threads, '--json'],
      result: 'stdout', targetTimesF: 1.15,
    },
  ];
}

/** The CLI the bench runs: dist/cli.js beside this bundle, or FRANKENLENS_BENCH_CLI (e.g. an older build, for a before/after comparison). */
export function benchCli(): string {
  return resolve(process.env.FRANKENLENS_BENCH_CLI ?? join(__dirname, 'cli.js'));
}

const gb = (bytes: number | undefined) => (bytes === undefined ? '–' : +(bytes / GB).toFixed(2));
const timesF = (bytes: number | undefined, f: number) => (bytes === undefined ? '–' : +(bytes / f).toFixed(2));

export async function runMemoryBench(benchDir: string, only?: readonly string[]): Promise<Record<string, unknown>> {
  const fixture = ensureMemoryFixture(benchDir);
  const cli = benchCli();
  const outRoot = join(fixture.root, 'runs');
  // One graph cache per CLI build location, so an older build's graphs never meet a newer one's.
  const cacheDir = join(fixture.root, `graphs-${createHash('sha256').update(cli).digest('hex').slice(0, 8)}`);
  const threads = process.env.FRANKENLENS_BENCH_THREADS ?? '0';
  const runs = commandRuns(fixture, outRoot, cacheDir, threads).filter((run) => !only || only.includes(run.name));
  const rows: Record<string, unknown>[] = [];
  const raw: Record<string, unknown>[] = [];
  let failures = 0;
  for (const run of runs) {
    rmSync(join(outRoot, run.name), { recursive: true, force: true });
    process.stdout.write(`memory: ${run.label} (${run.workload}) ... `);
    const peak = await runWithPeak(process.execPath, [cli, ...run.args]);
    const ok = peak.exitCode === 0;
    process.stdout.write(`${ok ? 'done' : `exit ${peak.exitCode ?? peak.signal}`} in ${peak.seconds.toFixed(1)} s\n`);
    if (!ok) process.stdout.write(`${peak.stderr.trim().split('\n').slice(-15).join('\n')}\n`);
    const reported = ok ? reportedPeak(run, peak) : undefined;
    const target = run.targetTimesF * fixture.f + 0.6 * GB;
    const worst = Math.max(peak.hwmBytes, reported ?? 0);
    const pass = ok && worst <= target;
    if (!pass) failures++;
    rows.push({
      command: run.label,
      s: +peak.seconds.toFixed(1),
      'VmHWM GB': gb(peak.hwmBytes),
      'VmHWM ÷ F': timesF(peak.hwmBytes, fixture.f),
      'peakRssBytes GB': gb(reported),
      'peakRssBytes ÷ F': timesF(reported, fixture.f),
      'target GB': gb(target),
      target: `${run.targetTimesF} F + 0.6 GB`,
      verdict: !ok ? 'FAIL (command failed)' : pass ? 'PASS' : 'FAIL',
      'RSS peak anon + file GB': `${gb(peak.anonBytes)} + ${gb(peak.fileBytes)}`,
    });
    raw.push({ command: run.name, args: run.args, exitCode: peak.exitCode, seconds: peak.seconds, hwmBytes: peak.hwmBytes, reportedPeakRssBytes: reported ?? null, treeRssBytes: peak.rssBytes, anonBytes: peak.anonBytes, fileBytes: peak.fileBytes, processes: peak.pids.length, samples: peak.samples, targetBytes: target, pass });
  }
  console.log(`\npeak RSS of the CLI's model commands on a generated bf16 Qwen2.5-VL pair (12 decoder layers at hidden 1024, vocab 8192), each in its own process; ${cli}, --threads ${threads}, ${process.version}, ${availableParallelism()} cores`);
  console.log(`F = one model's float32 decoder bytes = ${(fixture.f / GB).toFixed(3)} GB; VmHWM: largest high-water mark in the command's process tree, polled every 20 ms; peakRssBytes: the result's own record, where it has one`);
  console.table(rows);
  console.log(failures === 0 ? 'memory: every command within its target' : `memory: ${failures} of ${runs.length} commands over their target (or failed)`);
  return { f: fixture.f, cli, threads, rows, raw };
}

/** peakRssBytes from the command's result (its summary file, or generate's --json output), when it records one. */
function reportedPeak(run: CommandRun, peak: ChildPeak): number | undefined {
  try {
    const text = run.result === 'stdout' ? peak.stdout : readFileSync(run.result, 'utf8');
    return findNumber(JSON.parse(text), 'peakRssBytes');
  } catch {
    return undefined;
  }
}

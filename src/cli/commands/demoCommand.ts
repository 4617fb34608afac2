import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CancelToken } from '../../core/progress';
import { qwenProcessorFiles, qwenSpecialTokenIds } from '../../core/synthetic/qwenProcessorFiles';
import { writeSyntheticBenchmark } from '../../core/synthetic/syntheticBenchmark';
import { DEMO_SHAPE, writeSyntheticCheckpoint, type PlantedUpdate } from '../../core/synthetic/syntheticQwenVl';
import { diffCommand, type DiffCommandResult } from './diffCommand';

export const DEMO_USAGE = `frankenlens demo [--dir DIR] [--regenerate]

Generates a small synthetic Qwen2.5-VL-layout Base/IN/RL triple (random weights, RL update planted
in mid-to-late decoder layers; clearly labelled synthetic) under DIR (default ./demo), then runs
the diff and writes the report to DIR/report.`;

/** Where the demo's RL update goes: HF layers 6..11 of 12, so the chart has a known answer. */
export const DEMO_RL_UPDATE: PlantedUpdate = { llmLayers: [6, 7, 8, 9, 10, 11], scale: 0.02, density: 0.7 };
/** SFT touched everything a little, vision blocks included. */
export const DEMO_BASE_OFFSET: PlantedUpdate = { llmLayers: [...Array(12).keys()], visionBlocks: [...Array(8).keys()], scale: 0.05 };

export async function demoCommand(argv: string[], cancel: CancelToken): Promise<DiffCommandResult> {
  const { values } = parseArgs({ args: argv, options: { dir: { type: 'string', default: 'demo' }, regenerate: { type: 'boolean', default: false } }, strict: true });
  const dir = resolve(values.dir);
  const paths = { base: join(dir, 'checkpoints', 'base'), in: join(dir, 'checkpoints', 'in'), rl: join(dir, 'checkpoints', 'rl') };
  const seed = 20260212;
  let processorFiles: Record<string, string> | undefined;
  const generate = (path: string, extra: object) => {
    if (existsSync(path) && !values.regenerate) return;
    process.stderr.write(`demo: generating ${path}\n`);
    // Tokenizer and processor files make the checkpoints runnable (probes, scoring); learnt once.
    processorFiles ??= qwenProcessorFiles({ specialTokenIds: qwenSpecialTokenIds(DEMO_SHAPE.vocabSize), seed, minPixels: 3136, maxPixels: 12544 });
    writeSyntheticCheckpoint(path, { shape: DEMO_SHAPE, seed, dtype: 'BF16', overwrite: true, maxShardBytes: 8 * 2 ** 20, extraFiles: processorFiles, ...extra });
  };
  // IN is the seed weights; Base is IN minus an SFT-like offset; RL is IN plus the planted update.
  generate(paths.base, { baseOffset: DEMO_BASE_OFFSET });
  generate(paths.in, {});
  generate(paths.rl, { update: DEMO_RL_UPDATE });
  const benchmark = join(dir, 'benchmark');
  if (!existsSync(benchmark) || values.regenerate) writeSyntheticBenchmark(benchmark, { itemsPerKind: 4, seed });
  return diffCommand(['--in', paths.in, '--rl', paths.rl, '--base', paths.base, '--out', join(dir, 'report')], cancel);
}

/**
 * `npm run bench -- batch` (and part of `-- model`): variant-sweep throughput against the batch
 * size. On the generated mid-size Qwen2.5-VL pair of `-- memory` (12 layers at hidden 1024), a
 * thirds variant run from IN's and RL's files answers a seeded synthetic benchmark of 24 image
 * items under the real and the black image (48 answers, a random model never stops early, so every
 * answer is `MAX_NEW_TOKENS` long) through the sweep's own path (answerItems: continuous batching)
 * at 1, 4, 8 and 16 rows, with onnxruntime's default threads (one per core) and the CLI's malloc
 * settings (bench.ts starts it with them). Batch sizes alternate
 * over REPEATS passes, medians are compared with batch 1 measured in the same run, and every batch
 * size's answers must equal batch 1's.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { readBenchmarkItems } from '../src/core/bench/benchmarkItems';
import { thirdsVariants } from '../src/core/merge/presets';
import { openVariantRuntime } from '../src/core/model/variantRuntime';
import { writeSyntheticBenchmark } from '../src/core/synthetic/syntheticBenchmark';
import { answeringModel, answerItems, type ItemQuestion } from '../src/core/variants/answerItems';
import { median } from './median';
import { ensureMemoryFixture, MEMORY_SHAPE } from './memoryBench';

const REPEATS = Number(process.env.FRANKENLENS_BENCH_REPEATS ?? 3);
const BATCHES = [1, 4, 8, 16];
const MAX_NEW_TOKENS = 48;

export interface BatchBenchRow {
  rows: number;
  answers: number;
  'items/s': number;
  'vs batch 1': number;
  'new tokens/s': number;
  'answers = batch 1': boolean;
}

export async function runBatchBench(benchDir: string): Promise<{ model: string; maxNewTokens: number; threads: string; rows: BatchBenchRow[] }> {
  const fixture = ensureMemoryFixture(benchDir);
  const itemsFile = writeSyntheticBenchmark(join(fixture.root, 'batch-benchmark'), { itemsPerKind: 8, seed: 5 });
  const items = readBenchmarkItems(itemsFile);
  const questions: ItemQuestion[] = items.flatMap((item) => (['real', 'black'] as const).map((condition) => ({ item, input: { condition } })));
  const plan = thirdsVariants({ in: fixture.in, rl: fixture.rl }, MEMORY_SHAPE.llmLayers)[1]!;
  const model = answeringModel(plan.name, openVariantRuntime(plan, { cacheDir: join(benchDir, 'graph-cache') }));
  const seconds = new Map(BATCHES.map((rows) => [rows, [] as number[]]));
  const responses = new Map<number, string[]>();
  const tokens = new Map<number, number>();
  try {
    await answerItems(model, questions.slice(0, 2), 2, () => {}, { rows: 2 }); // sessions start
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      for (const rows of BATCHES) {
        const answered: string[] = [];
        let count = 0;
        const started = performance.now();
        await answerItems(model, questions, MAX_NEW_TOKENS, (index, answer) => {
          answered[index] = answer.response;
          count += answer.tokens;
        }, { rows });
        seconds.get(rows)!.push((performance.now() - started) / 1000);
        responses.set(rows, answered);
        tokens.set(rows, count);
      }
    }
  } finally {
    await model.runtime.unload();
  }
  const perSecond = (rows: number) => questions.length / median(seconds.get(rows)!);
  const rows = BATCHES.map((batch): BatchBenchRow => ({
    rows: batch,
    answers: questions.length,
    'items/s': +perSecond(batch).toFixed(2),
    'vs batch 1': +(perSecond(batch) / perSecond(1)).toFixed(2),
    'new tokens/s': +((tokens.get(batch)! / questions.length) * perSecond(batch)).toFixed(1),
    'answers = batch 1': responses.get(batch)!.every((response, index) => response === responses.get(1)![index]),
  }));
  const threads = `${availableParallelism()} cores, onnxruntime's default threads`;
  console.log(`\nvariant sweep (${plan.name}, referenced weights) on the mid-size Qwen2.5-VL: ${questions.length} answers (${items.length} image items × real, black) of ${MAX_NEW_TOKENS} new tokens, continuous batching; medians of ${REPEATS} alternating passes, ${process.version}, ${threads}`);
  console.table(rows);
  return { model: `${MEMORY_SHAPE.llmLayers} layers, hidden ${MEMORY_SHAPE.hiddenSize}`, maxNewTokens: MAX_NEW_TOKENS, threads, rows };
}

/**
 * `npm run bench -- probes`: the visual-swap sweep with reuse (vision encodings, clean and source
 * runs once per pair, every swapped prefill started from the clean cache before the image) against
 * L separate full runs (each encoding the images, answering cleanly, running the source and
 * prefilling the whole prompt), on the tiny fixture model and the fixture pairs. Both give the same
 * answers (checked); medians of REPEATS runs.
 */
import { join } from 'node:path';
import { openProbeModel } from '../src/core/probes/probeModel';
import { readVisionPairs } from '../src/core/probes/visionPairs';
import { swapPair, type SwapRun, type SwapSettings } from '../src/core/probes/visualSwap';

const REPEATS = Number(process.env.FRANKENLENS_BENCH_REPEATS ?? 3);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function runProbeBench(benchDir: string): Promise<Record<string, unknown>> {
  const fixtures = join(__dirname, '..', 'test', 'fixtures');
  const model = openProbeModel('in', join(fixtures, 'qwen2_5_vl_tiny'), { cacheDir: join(benchDir, 'graphs') });
  const pairs = readVisionPairs(join(fixtures, 'vision_functionality'), { rowsPerTask: 1 });
  const layers = Array.from({ length: model.runtime.config.decoder.layers }, (_, layer) => layer);
  const base: Omit<SwapSettings, 'layers'> = { modes: ['suffix'], decodings: ['corrected'], maxNewTokens: 16 };
  const answers = (runs: SwapRun[]) => runs.map((run) => run.tokens.join(',')).join('|');
  try {
    for (const pair of pairs) await swapPair(model, pair, { ...base, layers }); // warm-up: sessions started, graphs built
    const sweep: number[] = [];
    const separate: number[] = [];
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      let started = performance.now();
      const swept: string[] = [];
      for (const pair of pairs) swept.push(answers((await swapPair(model, pair, { ...base, layers })).runs));
      sweep.push((performance.now() - started) / 1000);
      started = performance.now();
      const single: string[] = [];
      for (const pair of pairs) {
        const runs: SwapRun[] = [];
        for (const layer of layers) runs.push(...(await swapPair(model, pair, { ...base, layers: [layer], reuse: 'none' })).runs);
        single.push(answers(runs));
      }
      separate.push((performance.now() - started) / 1000);
      if (swept.join() !== single.join()) throw new Error('the reusing sweep and the separate runs gave different answers');
    }
    const row = {
      model: `tiny Qwen2.5-VL (${layers.length} layers), ${pairs.length} pairs, suffix swap at every L, ≤16 new tokens`,
      'sweep s': +median(sweep).toFixed(3),
      'L × full run s': +median(separate).toFixed(3),
      'speed-up': +(median(separate) / median(sweep)).toFixed(2),
    };
    console.log(`\nvisual K/V swap sweep with reuse vs L separate full runs (medians of ${REPEATS})`);
    console.table([row]);
    return row;
  } finally {
    await model.runtime.unload();
  }
}

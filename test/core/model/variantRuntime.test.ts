/**
 * Merge variants run from referenced weights ("virtual checkpoints") against the same plans
 * written by the merge writer: for the six thirds variants and a freeze plan, the logits (every
 * position of an image prompt) are equal bit for bit and the greedy generations are the same. IN
 * is the tiny Qwen2.5-VL fixture; RL is a seeded perturbation of every tensor, written under the
 * transformers ≥ 4.52 names in three shards, so a variant's graph reads four files of two folders.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openCheckpoint } from '../../../src/core/checkpoint/checkpoint';
import { FileReader } from '../../../src/core/checkpoint/fileReader';
import { writeCheckpointFolder } from '../../../src/core/checkpoint/safetensorsWriter';
import { FrankenlensError } from '../../../src/core/errors';
import type { MergePlan } from '../../../src/core/merge/mergePlan';
import { freezePlan, thirdsVariants } from '../../../src/core/merge/presets';
import { resolveMerge } from '../../../src/core/merge/resolveMerge';
import { writeMerge } from '../../../src/core/merge/writeMerge';
import { generateGreedy } from '../../../src/core/model/generate';
import { ModelRuntime } from '../../../src/core/model/modelRuntime';
import { embedPrompt } from '../../../src/core/model/promptEmbedding';
import { sharedSessionPaths } from '../../../src/core/model/sessions';
import { openVariantRuntime } from '../../../src/core/model/variantRuntime';
import { renameForScheme } from '../../../src/core/synthetic/syntheticQwenVl';
import { seededRandom } from '../../../src/core/seededRandom';
import { tempDir } from '../../helpers/tempDir';

const IN_DIR = join(__dirname, '..', '..', 'test', 'fixtures', 'qwen2_5_vl_tiny');
const CARRIED = ['config.json', 'generation_config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json'];

/** IN with every float32 value v → v·(1 + 0.3·u) + 0.02·u′ (u, u′ uniform in [−1, 1], seeded per tensor). */
function writePerturbedCopy(dir: string): void {
  const checkpoint = openCheckpoint(IN_DIR);
  const reader = new FileReader();
  try {
    writeCheckpointFolder(dir, checkpoint.tensors.map((tensor) => ({
      name: renameForScheme(tensor.name, 'transformers-4.52'),
      dtype: tensor.dtype,
      shape: tensor.shape,
      produce(write) {
        const bytes = new Uint8Array(tensor.byteLength);
        reader.read(tensor.file, tensor.byteOffset, bytes, tensor.name);
        const values = new Float32Array(bytes.buffer);
        const next = seededRandom(5, tensor.name);
        for (let i = 0; i < values.length; i++) values[i] = values[i]! * (1 + 0.3 * (2 * next() - 1)) + 0.02 * (2 * next() - 1);
        write(bytes);
      },
    })), { maxShardBytes: 450_000, files: Object.fromEntries(CARRIED.map((name) => [name, readFileSync(join(IN_DIR, name))])) });
  } finally {
    reader.close();
  }
}

const root = tempDir();
const RL_DIR = join(root, 'rl');
writePerturbedCopy(RL_DIR);
const cacheDir = join(root, 'graphs');
const options = { cacheDir, intraOpThreads: 1 };
const runtimes: ModelRuntime[] = [];
after(() => Promise.all(runtimes.map((runtime) => runtime.unload())));
const opened = (runtime: ModelRuntime) => (runtimes.push(runtime), runtime);

const inRuntime = opened(ModelRuntime.open(IN_DIR, options));
const { visionStartTokenId, imageTokenId } = inRuntime.config.visionTokens!;
// Text, a 4×6-patch image (six merged tokens), text.
const ids = [11, 42, 7, visionStartTokenId, ...Array<number>(6).fill(imageTokenId), visionStartTokenId + 1, 99, 23, 64];
const next = seededRandom(3, 'pixels');
const images = { pixelValues: Float32Array.from({ length: 24 * 1176 }, () => 4 * next() - 2), grids: [{ t: 1, h: 4, w: 6 }] };
const settings = { maxNewTokens: 8, repetitionPenalty: 1, eosTokenIds: [] };

async function run(runtime: ModelRuntime): Promise<{ logits: Float32Array; tokens: number[] }> {
  const prompt = await embedPrompt(runtime, ids, images);
  const { logits } = await runtime.decode({ embeds: prompt.embeds, positions: prompt.positions, cache: runtime.emptyCache() }, { taps: {}, logits: 'all' });
  return { logits, tokens: (await generateGreedy(runtime, ids, prompt, settings)).tokens };
}

const pair = { in: IN_DIR, rl: RL_DIR };
const plans: MergePlan[] = [...thirdsVariants(pair, 4), freezePlan(pair, 4, [1, 3])];

describe('merge variants from referenced weights', async () => {
  const inRun = await run(inRuntime);
  const rlRun = await run(opened(ModelRuntime.open(RL_DIR, options)));
  assert.ok(inRun.logits.some((value, index) => value !== rlRun.logits[index]), 'IN and RL should differ');

  for (const plan of plans) {
    it(`${plan.name}: same logits and generation as the merged checkpoint`, async () => {
      const variant = opened(openVariantRuntime(plan, options));
      const merged = join(root, 'merged', plan.name.replace(/[^a-z0-9]+/gi, '-'));
      await writeMerge(resolveMerge(plan), { outDir: merged });
      const virtual = await run(variant);
      const materialized = await run(opened(ModelRuntime.open(merged, options)));
      assert.deepEqual(virtual.logits, materialized.logits);
      assert.deepEqual(virtual.tokens, materialized.tokens);
      // A real mix: neither of the two checkpoints it is made of.
      for (const whole of [inRun, rlRun]) assert.ok(virtual.logits.some((value, index) => value !== whole.logits[index]), 'a variant should differ from IN and RL');
    });
  }

  it('takes each decoder layer as IN\'s or RL\'s own layer graph: the same file, so the same session', () => {
    const rlRuntime = opened(ModelRuntime.open(RL_DIR, options));
    for (const plan of plans) {
      const variant = opened(openVariantRuntime(plan, options));
      for (let layer = 0; layer < 4; layer++) {
        const from = variant.weights.location(`model.layers.${layer}.mlp.up_proj.weight`).file.startsWith(RL_DIR) ? rlRuntime : inRuntime;
        assert.equal(variant.graphPath({ layer }), from.graphPath({ layer }), `${plan.name}, layer ${layer}`);
      }
    }
    const graph = readFileSync(rlRuntime.graphPath({ layer: 0 })).toString('latin1');
    assert.ok(/weights-\d+\.safetensors/.test(graph), 'a layer graph references the linked weight files');
  });

  it('holds each layer once however many variants are loaded: IN\'s and RL\'s layers, nothing more', async () => {
    const rlRuntime = opened(ModelRuntime.open(RL_DIR, options));
    const variants = plans.map((plan) => opened(openVariantRuntime(plan, options)));
    for (const runtime of [inRuntime, rlRuntime, ...variants]) await runtime.load();
    const layerGraphs = (runtime: ModelRuntime) => Array.from({ length: 4 }, (_, layer) => runtime.graphPath({ layer }));
    const used = new Set(variants.flatMap(layerGraphs));
    assert.deepEqual([...used].sort(), [...layerGraphs(inRuntime), ...layerGraphs(rlRuntime)].filter((path) => used.has(path)).sort());
    assert.equal(new Set([...layerGraphs(inRuntime), ...layerGraphs(rlRuntime), ...used]).size, 8, 'eight layer sessions serve IN, RL and every variant');
    const loaded = new Set(sharedSessionPaths());
    for (const path of used) assert.ok(loaded.has(path), `${path} is loaded once, shared`);
    for (const runtime of variants) await runtime.unload();
    const after = new Set(sharedSessionPaths());
    for (const path of layerGraphs(inRuntime)) assert.ok(after.has(path), 'IN keeps its layers when the variants that shared them unload');
  });

  it('a layer that mixes checkpoints (RL\'s attention, IN\'s MLP) gets a graph of its own, with the merged checkpoint\'s logits', async () => {
    const mixed: MergePlan = { ...plans[0]!, name: 'RL attention in layer 1', slices: [{ start: 0, end: 1, source: 'in' }, { start: 1, end: 2, source: 'in', interpolate: { with: 'rl', alpha: 1, components: 'attention' } }, { start: 2, end: 4, source: 'in' }] };
    const variant = opened(openVariantRuntime(mixed, options));
    const rlRuntime = opened(ModelRuntime.open(RL_DIR, options));
    assert.equal(variant.graphPath({ layer: 0 }), inRuntime.graphPath({ layer: 0 }));
    assert.ok(![inRuntime.graphPath({ layer: 1 }), rlRuntime.graphPath({ layer: 1 })].includes(variant.graphPath({ layer: 1 })));
    const merged = join(root, 'merged', 'mixed-layer');
    await writeMerge(resolveMerge(mixed), { outDir: merged });
    const virtual = await run(variant);
    assert.deepEqual(virtual.logits, (await run(opened(ModelRuntime.open(merged, options)))).logits);
    for (const whole of [inRun, rlRun]) assert.ok(virtual.logits.some((value, index) => value !== whole.logits[index]));
  });

  it('runs alpha 0 and 1 as references and refuses a blend', async () => {
    const interpolated = (alpha: number): MergePlan => ({ ...plans[0]!, name: `blend ${alpha}`, slices: [{ start: 0, end: 4, source: 'in', interpolate: { with: 'rl', alpha, components: 'all' } }] });
    assert.deepEqual((await run(opened(openVariantRuntime(interpolated(0), options)))).logits, inRun.logits);
    // α = 1: every decoder layer from RL, everything else from IN.
    const rlDecoder: MergePlan = { ...plans[0]!, name: 'RL decoder', slices: [{ start: 0, end: 4, source: 'rl' }], nonDecoder: { rule: 'model', source: 'in' } };
    assert.deepEqual((await run(opened(openVariantRuntime(interpolated(1), options)))).logits, (await run(opened(openVariantRuntime(rlDecoder, options)))).logits);
    assert.throws(() => openVariantRuntime(interpolated(0.5), options), (error: unknown) => error instanceof FrankenlensError && error.code === 'InvalidPlan' && /alpha 0\.5.*frankenlens merge/.test(error.message));
  });
});

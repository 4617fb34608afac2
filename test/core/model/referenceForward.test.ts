import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { ImageGrid } from '../../../src/core/model/ropeIndex';
import { assertAllClose } from '../../helpers/allClose';
import { npyValues, readNpy } from '../../helpers/npy';
import { erf, imageTokenPositions, kvOverridesFrom, loadReferenceModel, referenceForward, referenceVision, type ReferenceRun } from '../../helpers/referenceForward';

const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures');
const golden = (name: string) => npyValues(readNpy(join(FIXTURES, 'qwen2_5_vl_tiny_goldens', `${name}.npy`)));
const model = loadReferenceModel(join(FIXTURES, 'qwen2_5_vl_tiny'));
const config = model.config;

// The goldens README: rtol 1e-5, atol 1e-5 (atol 1e-4 for logits), float32 HF on one CPU thread.
const TOLERANCE = { rtol: 1e-5, atol: 1e-5 };
const LOGITS_TOLERANCE = { rtol: 1e-5, atol: 1e-4 };

const textIds = [...golden('text/input_ids')];
const imageIds = [...golden('image/input_ids')];
const imageGrid: ImageGrid = { t: 1, h: 4, w: 6 };
const imageInputs = { pixelValues: golden('image/pixel_values'), grids: [imageGrid] };

/** Deterministic pixel values in [−2, 2) for `patches` patches (no golden needed: these runs are compared with each other). */
function pixels(patches: number, seed: number): Float64Array {
  let state = seed;
  return Float64Array.from({ length: patches * 1176 }, () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 30) - 2);
}

function compareWithGoldens(run: ReferenceRun, folder: 'text' | 'image', t: { diagnostic(message: string): void }): void {
  let worst = 0;
  for (let i = 0; i <= config.layers; i++) worst = Math.max(worst, assertAllClose(run.hiddenStates[i]!, golden(`${folder}/hidden_states_${i}`), TOLERANCE, `${folder} hidden_states_${i}`).maxAbs);
  for (let i = 0; i < config.layers; i++) worst = Math.max(worst, assertAllClose(run.layers[i]!.attention, golden(`${folder}/attentions_${i}`), TOLERANCE, `${folder} attentions_${i}`).maxAbs);
  const logits = assertAllClose(run.logits, golden(`${folder}/logits`), LOGITS_TOLERANCE, `${folder} logits`);
  assert.deepEqual([...run.positionIds], [...golden(`${folder}/position_ids`)]);
  t.diagnostic(`${folder}: hidden states and attentions max abs error ${worst.toExponential(2)}; logits max abs ${logits.maxAbs.toExponential(2)}, max rel ${logits.maxRel.toExponential(2)}`);
}

describe('reference forward against the transformers goldens', () => {
  it('text only: every hidden state, attention map and the logits', (t) => {
    compareWithGoldens(referenceForward(model, textIds), 'text', t);
  });

  it('with an image: the vision tower step by step, then the decoder', (t) => {
    const run = referenceForward(model, imageIds, imageInputs);
    const vision = run.vision!;
    let worst = assertAllClose(vision.patchEmbed, golden('image/vision_patch_embed'), TOLERANCE, 'vision_patch_embed').maxAbs;
    vision.blocks.forEach((block, i) => (worst = Math.max(worst, assertAllClose(block, golden(`image/vision_block${i}`), TOLERANCE, `vision_block${i}`).maxAbs)));
    worst = Math.max(worst, assertAllClose(vision.merger, golden('image/vision_merger'), TOLERANCE, 'vision_merger').maxAbs);
    worst = Math.max(worst, assertAllClose(vision.imageEmbeds, golden('image/image_embeds'), TOLERANCE, 'image_embeds').maxAbs);
    t.diagnostic(`vision: max abs error ${worst.toExponential(2)}`);
    assert.equal(run.ropeDelta, golden('image/rope_deltas')[0]);
    compareWithGoldens(run, 'image', t);
  });

  it('erf, for the merger GELU, to double precision', () => {
    // Reference values of erf (Abramowitz & Stegun table 7.1 and high-precision evaluations).
    const known: [number, number][] = [[0, 0], [0.1, 0.1124629160182849], [0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527], [3, 0.9999779095030014], [5, 0.9999999999984626]];
    for (const [x, value] of known) {
      assert.ok(Math.abs(erf(x) - value) <= 2e-16 + 1e-15 * value, `erf(${x}) = ${erf(x)}, expected ${value}`);
      assert.equal(erf(-x), -erf(x));
    }
    assert.equal(erf(7), 1);
  });
});

describe('reference forward hooks', () => {
  const baseline = referenceForward(model, imageIds, imageInputs);

  it('closing both gates of a layer equals removing that layer', () => {
    for (let layer = 0; layer < config.layers; layer++) {
      const gates = Array.from({ length: config.layers }, (_, i) => (i === layer ? 0 : 1));
      const closed = referenceForward(model, imageIds, { ...imageInputs, attentionGates: gates, mlpGates: gates });
      const removed = referenceForward(model, imageIds, { ...imageInputs, removedLayers: [layer] });
      assert.deepEqual(closed.logits, removed.logits, `layer ${layer}`);
      // The last entry is after the final norm, so the identity shows on the other layers only.
      if (layer + 1 < config.layers) assert.deepEqual(removed.hiddenStates[layer + 1], removed.hiddenStates[layer], `layer ${layer} is the identity`);
      assert.equal(removed.layers[layer], null);
      assert.notDeepEqual(removed.logits, baseline.logits, `removing layer ${layer} changes the logits`);
    }
  });

  it('a gate scales its contribution linearly: the layer output at gate ½ is the mean of gates 0 and 1', () => {
    const layer = 1;
    const run = (attention: number, mlp: number) => {
      const gates = (value: number) => Array.from({ length: config.layers }, (_, i) => (i === layer ? value : 1));
      return referenceForward(model, imageIds, { ...imageInputs, attentionGates: gates(attention), mlpGates: gates(mlp) }).hiddenStates[layer + 1]!;
    };
    // With the other gate closed, h_out = h_in + g·contribution, and the contribution does not depend on g.
    for (const [at, other] of [[(g: number) => run(g, 0), 'attention'], [(g: number) => run(0, g), 'MLP']] as const) {
      const [zero, half, one] = [at(0), at(0.5), at(1)];
      assertAllClose(half, zero.map((value, i) => (value + one[i]!) / 2), { rtol: 1e-12, atol: 1e-12 }, `${other} gate ½`);
      assert.ok(one.some((value, i) => Math.abs(value - zero[i]!) > 1e-3), `the ${other} contribution is not negligible`);
    }
  });

  it('a K/V override with the run’s own K/V changes nothing; another image’s K/V changes only what comes after', () => {
    const positions = imageTokenPositions(imageIds, config.imageTokenId);
    assert.deepEqual(positions, [4, 5, 6, 7, 8, 9]);
    const allLayers = [...Array(config.layers).keys()];
    const clean = referenceForward(model, imageIds, { ...imageInputs, kvOverrides: kvOverridesFrom(baseline, allLayers, positions, config) });
    assert.deepEqual(clean.logits, baseline.logits);
    assert.deepEqual(clean.hiddenStates, baseline.hiddenStates);

    const source = referenceForward(model, imageIds, { pixelValues: pixels(24, 7), grids: [imageGrid] });
    const swapLayer = 2;
    const suffix = allLayers.filter((layer) => layer >= swapLayer);
    const swapped = referenceForward(model, imageIds, { ...imageInputs, kvOverrides: kvOverridesFrom(source, suffix, positions, config) });
    for (let i = 0; i <= swapLayer; i++) assert.deepEqual(swapped.hiddenStates[i], baseline.hiddenStates[i], `hidden state ${i} precedes the swap`);
    // Rows before the image attend to no swapped key, in any layer.
    const D = config.hiddenSize;
    for (let i = swapLayer + 1; i <= config.layers; i++) assert.deepEqual(swapped.hiddenStates[i]!.subarray(0, 4 * D), baseline.hiddenStates[i]!.subarray(0, 4 * D));
    assert.notDeepEqual(swapped.logits.subarray(10 * config.vocabSize), baseline.logits.subarray(10 * config.vocabSize));
    // The swapped layers attended with exactly the source K/V at the image positions.
    for (const layer of suffix) {
      for (let head = 0; head < config.kvHeads; head++) {
        for (const position of positions) {
          const at = (head * imageIds.length + position) * config.headDim;
          assert.deepEqual(swapped.layers[layer]!.keys.subarray(at, at + config.headDim), source.layers[layer]!.keys.subarray(at, at + config.headDim));
          assert.deepEqual(swapped.layers[layer]!.values.subarray(at, at + config.headDim), source.layers[layer]!.values.subarray(at, at + config.headDim));
        }
      }
    }
  });

  it('attention mass is the head-averaged sum of the returned probabilities, and 1 over every visible key', () => {
    const n = imageIds.length;
    const queries = [10, 12, 15];
    const keys = imageTokenPositions(imageIds, config.imageTokenId);
    const run = referenceForward(model, imageIds, { ...imageInputs, attentionMass: { queries, keys } });
    const everything = referenceForward(model, imageIds, { ...imageInputs, attentionMass: { queries, keys: [...Array(n).keys()] } });
    for (let layer = 0; layer < config.layers; layer++) {
      const { attention, attentionMass } = run.layers[layer]!;
      const expected = queries.map((query) => {
        let sum = 0;
        for (let head = 0; head < config.heads; head++) for (const key of keys) sum += attention[(head * n + query) * n + key]!;
        return sum / config.heads;
      });
      assertAllClose(attentionMass!, expected, { rtol: 1e-14, atol: 1e-15 }, `layer ${layer} mass`);
      assert.ok(attentionMass!.every((mass) => mass > 1e-3 && mass < 1), `layer ${layer}: a real share of the attention`);
      assertAllClose(everything.layers[layer]!.attentionMass!, [1, 1, 1], { rtol: 0, atol: 1e-14 }, `layer ${layer} total mass`);
    }
  });
});

describe('reference vision tower beyond the goldens', () => {
  it('runs several images, including non-square and non-divisible window grids, each as if alone', () => {
    const grids: ImageGrid[] = [{ t: 1, h: 6, w: 10 }, { t: 1, h: 4, w: 4 }, { t: 1, h: 10, w: 2 }];
    const images = grids.map((grid, i) => pixels(grid.t * grid.h * grid.w, 11 + i));
    const together = referenceVision(model, Float64Array.from(images.flatMap((image) => [...image])), grids);
    let row = 0;
    grids.forEach((grid, i) => {
      const alone = referenceVision(model, images[i]!, [grid]).imageEmbeds;
      const width = config.vision.outHiddenSize;
      assertAllClose(together.imageEmbeds.subarray(row * width, row * width + alone.length), alone, { rtol: 1e-12, atol: 1e-12 }, `image ${i}`);
      row += alone.length / width;
    });
    assert.equal(row, together.imageEmbeds.length / config.vision.outHiddenSize);
  });

  it('a window as large as the image equals full attention in every block', () => {
    const grid: ImageGrid = { t: 1, h: 6, w: 10 };
    const image = pixels(60, 5);
    const wide = { ...model, config: { ...config, vision: { ...config.vision, windowSize: 1000 } } };
    const full = { ...model, config: { ...config, vision: { ...config.vision, fullAttentionBlocks: [0, 1, 2, 3] } } };
    assertAllClose(referenceVision(wide, image, [grid]).imageEmbeds, referenceVision(full, image, [grid]).imageEmbeds, { rtol: 1e-12, atol: 1e-12 }, 'wide windows');
    // …and the real 2×2-token windows do make a difference on this grid.
    assert.notDeepEqual(referenceVision(model, image, [grid]).imageEmbeds, referenceVision(full, image, [grid]).imageEmbeds);
  });
});

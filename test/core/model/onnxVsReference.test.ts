/**
 * The ONNX graphs against the naive float64 reference forward (test/helpers/referenceForward.ts) on
 * the tiny Qwen2.5-VL, beyond the one prompt of the HF goldens: several prompts and image sizes
 * (non-square, windows cut at the border, two images), the taps, and KV-cached decoding.
 * "Close" means max |onnx − reference| ≤ 1e-4 · max |reference| over the tensor.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { chooseGreedy, generateGreedy } from '../../../src/core/model/generate';
import { kvOverrideFrom, ModelRuntime } from '../../../src/core/model/modelRuntime';
import { cachedPositions } from '../../../src/core/model/kvCache';
import { embedPrompt, type PromptImages } from '../../../src/core/model/promptEmbedding';
import { decodePositionIds, type ImageGrid } from '../../../src/core/model/ropeIndex';
import { imageTokenPositions, kvOverridesFrom, loadReferenceModel, referenceForward } from '../../helpers/referenceForward';
import { tempDir } from '../../helpers/tempDir';

const MODEL_DIR = join(__dirname, '..', '..', 'test', 'fixtures', 'qwen2_5_vl_tiny');
const runtime = ModelRuntime.open(MODEL_DIR, { cacheDir: tempDir(), intraOpThreads: 1 });
after(() => runtime.unload());
const reference = loadReferenceModel(MODEL_DIR);
const { layers, vocabSize } = runtime.config.decoder;
const tokens = runtime.config.visionTokens!;
const ALL_LOGITS = { taps: {}, logits: 'all' } as const;

function assertRelativeClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]!));
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  }
  assert.ok(worst <= 1e-4 * scale, `${what}: max error ${worst} exceeds 1e-4 × ${scale}`);
}

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function textIds(length: number, seed: number): number[] {
  const next = random(seed);
  return Array.from({ length }, () => Math.floor(next() * 290));
}

/** Text, then each image as vision-start, its merged-token pads, vision-end, then text. */
function imagePrompt(grids: ImageGrid[], seed: number): { ids: number[]; images: PromptImages } {
  const next = random(seed);
  const ids = textIds(3, seed);
  for (const grid of grids) ids.push(tokens.visionStartTokenId, ...Array<number>((grid.t * grid.h * grid.w) / 4).fill(tokens.imageTokenId), tokens.visionStartTokenId + 1, ...textIds(2, seed + 1));
  const patches = grids.reduce((total, grid) => total + grid.t * grid.h * grid.w, 0);
  const pixelValues = Float32Array.from({ length: patches * 1176 }, () => 4 * next() - 2);
  return { ids, images: { pixelValues, grids } };
}

async function prefill(ids: number[], images?: PromptImages) {
  const prompt = await embedPrompt(runtime, ids, images);
  return runtime.decode({ embeds: prompt.embeds, positions: prompt.positions, cache: runtime.emptyCache() }, ALL_LOGITS);
}

describe('ONNX decoder against the reference forward', () => {
  for (const [length, seed] of [[1, 1], [7, 2], [40, 3]] as const) {
    it(`text prompt of ${length} tokens`, async () => {
      const ids = textIds(length, seed);
      assertRelativeClose((await prefill(ids)).logits, referenceForward(reference, ids).logits, 'logits');
    });
  }
  const imageCases: [string, ImageGrid[]][] = [
    ['smallest image (one merged token)', [{ t: 1, h: 2, w: 2 }]],
    ['non-square image, tall', [{ t: 1, h: 6, w: 4 }]],
    ['non-square image whose windows are cut at the border', [{ t: 1, h: 10, w: 6 }]],
    ['two images of different sizes', [{ t: 1, h: 4, w: 4 }, { t: 1, h: 2, w: 6 }]],
  ];
  for (const [name, grids] of imageCases) {
    it(name, async () => {
      const { ids, images } = imagePrompt(grids, 11);
      const expected = referenceForward(reference, ids, images);
      assertRelativeClose((await prefill(ids, images)).logits, expected.logits, 'logits');
    });
  }
});

describe('taps', () => {
  const { ids, images } = imagePrompt([{ t: 1, h: 4, w: 6 }], 21);
  const imagePositions = imageTokenPositions(ids, tokens.imageTokenId);

  it('giving every tap its neutral input (and collecting every output) changes no bit of the logits or the cache', async () => {
    const prompt = await embedPrompt(runtime, ids, images);
    const step = { embeds: prompt.embeds, positions: prompt.positions, cache: runtime.emptyCache() };
    const plain = await runtime.decode(step, ALL_LOGITS);
    const noOverride = { positions: [], keys: new Float32Array(0), values: new Float32Array(0), layers: Array<boolean>(layers).fill(false) };
    const neutral = { gates: new Float32Array(2 * layers).fill(1), keyBias: new Float32Array(layers * ids.length), kvOverride: noOverride, massKeys: new Float32Array(ids.length).fill(1) };
    const tapped = await runtime.decode({ ...step, cache: runtime.emptyCache(), taps: neutral }, { taps: { attentionMass: true, hiddenStates: true }, logits: 'all' });
    assert.deepEqual(tapped.logits, plain.logits);
    for (let layer = 0; layer < layers; layer++) {
      assert.deepEqual(cachedPositions(tapped.cache, 'keys', layer), cachedPositions(plain.cache, 'keys', layer));
      assert.deepEqual(cachedPositions(tapped.cache, 'values', layer), cachedPositions(plain.cache, 'values', layer));
    }
  });

  it('attention mass from chosen rows to the image tokens matches the reference', async () => {
    const prompt = await embedPrompt(runtime, ids, images);
    const massKeys = new Float32Array(ids.length);
    for (const position of imagePositions) massKeys[position] = 1;
    const result = await runtime.decode({ embeds: prompt.embeds, positions: prompt.positions, cache: runtime.emptyCache(), taps: { massKeys } }, { taps: { attentionMass: true }, logits: 'last' });
    const queries = [ids.length - 3, ids.length - 2, ids.length - 1];
    const expected = referenceForward(reference, ids, { ...images, attentionMass: { queries, keys: imagePositions } });
    for (let layer = 0; layer < layers; layer++) {
      const actual = queries.map((row) => result.attentionMass![layer * ids.length + row]!);
      const wanted = Array.from(expected.layers[layer]!.attentionMass!);
      actual.forEach((value, index) => assert.ok(Math.abs(value - wanted[index]!) <= 1e-5, `layer ${layer} row ${queries[index]}: ${value} vs ${wanted[index]}`));
    }
  });

  for (const layer of [0, 2, 3]) {
    it(`closing both gates of layer ${layer} equals removing the layer`, async () => {
      const prompt = await embedPrompt(runtime, ids, images);
      const gates = new Float32Array(layers * 2).fill(1);
      gates[2 * layer] = 0;
      gates[2 * layer + 1] = 0;
      const gated = await runtime.decode({ embeds: prompt.embeds, positions: prompt.positions, cache: runtime.emptyCache(), taps: { gates } }, { taps: {}, logits: 'all' });
      const removed = referenceForward(reference, ids, { ...images, removedLayers: [layer] });
      assertRelativeClose(gated.logits, removed.logits, 'logits');
      const intact = referenceForward(reference, ids, images);
      assert.ok(Math.abs(gated.logits[0]! - intact.logits[0]!) + Math.abs(gated.logits.at(-1)! - intact.logits.at(-1)!) > 1e-3, 'removing a layer should change the logits');
    });
  }

  it('half-open gates match the reference gates', async () => {
    const prompt = await embedPrompt(runtime, ids, images);
    const attentionGates = [1, 0.5, 0, 1];
    const mlpGates = [0.25, 1, 1, 0];
    const gates = Float32Array.from(attentionGates.flatMap((gate, layer) => [gate, mlpGates[layer]!]));
    const gated = await runtime.decode({ embeds: prompt.embeds, positions: prompt.positions, cache: runtime.emptyCache(), taps: { gates } }, { taps: {}, logits: 'all' });
    assertRelativeClose(gated.logits, referenceForward(reference, ids, { ...images, attentionGates, mlpGates }).logits, 'logits');
  });

  const source = imagePrompt([{ t: 1, h: 4, w: 6 }], 22).images;
  for (const [mode, chosen] of [['single-layer', [1]], ['suffix', [2, 3]]] as [string, number[]][]) {
    it(`visual K/V swap, ${mode}, matches the reference`, async () => {
      const sourcePrompt = await embedPrompt(runtime, ids, source);
      const sourceRun = await runtime.decode({ embeds: sourcePrompt.embeds, positions: sourcePrompt.positions, cache: runtime.emptyCache() }, ALL_LOGITS);
      const selected = Array.from({ length: layers }, (_, layer) => chosen.includes(layer));
      const kvOverride = kvOverrideFrom(sourceRun.cache, imagePositions, selected);
      const prompt = await embedPrompt(runtime, ids, images);
      const swapped = await runtime.decode({ embeds: prompt.embeds, positions: prompt.positions, cache: runtime.emptyCache(), taps: { kvOverride } }, { taps: {}, logits: 'all' });
      const referenceSource = referenceForward(reference, ids, source);
      const expected = referenceForward(reference, ids, { ...images, kvOverrides: kvOverridesFrom(referenceSource, chosen, imagePositions, reference.config) });
      assertRelativeClose(swapped.logits, expected.logits, 'logits');
      // Swapping in the run's own K/V changes nothing.
      const own = await runtime.decode({ embeds: prompt.embeds, positions: prompt.positions, cache: runtime.emptyCache() }, ALL_LOGITS);
      const clean = await runtime.decode({ embeds: prompt.embeds, positions: prompt.positions, cache: runtime.emptyCache(), taps: { kvOverride: kvOverrideFrom(own.cache, imagePositions, selected) } }, { taps: {}, logits: 'all' });
      assert.deepEqual(clean.logits, own.logits);
      assert.ok(swapped.logits.some((value, index) => Math.abs(value - own.logits[index]!) > 1e-3), 'the swap should change the logits');
    });
  }
});

describe('taps on part of the layers or positions', () => {
  const { ids, images } = imagePrompt([{ t: 1, h: 4, w: 6 }], 23);
  const imagePositions = imageTokenPositions(ids, tokens.imageTokenId);

  it('a key bias of log(m) in two layers matches the reference counting those keys m times', async () => {
    const prompt = await embedPrompt(runtime, ids, images);
    const keyBias = new Float32Array(layers * ids.length);
    const biased = [[1, 3], [3, 0.5]] as const;
    for (const [layer, copies] of biased) for (const position of imagePositions) keyBias[layer * ids.length + position] = Math.log(copies);
    const result = await runtime.decode({ embeds: prompt.embeds, positions: prompt.positions, cache: runtime.emptyCache(), taps: { keyBias } }, { taps: {}, logits: 'all' });
    const expected = referenceForward(reference, ids, { ...images, keyCopies: biased.map(([layer, copies]) => ({ layer, positions: imagePositions, copies: () => copies })) });
    assertRelativeClose(result.logits, expected.logits, 'logits');
  });

  it('a K/V override must land on the step\'s new positions', async () => {
    const prompt = await embedPrompt(runtime, ids, images);
    const clean = await runtime.decode({ embeds: prompt.embeds, positions: prompt.positions, cache: runtime.emptyCache() }, { taps: {}, logits: 'last' });
    const step = { embeds: await runtime.embed([5]), positions: BigInt64Array.from(decodePositionIds(ids.length, 1, prompt.ropeDelta), BigInt), cache: clean.cache };
    const kvOverride = kvOverrideFrom(clean.cache, [imagePositions[0]!], Array<boolean>(layers).fill(true));
    await assert.rejects(runtime.decode({ ...step, taps: { kvOverride } }, { taps: {}, logits: 'last' }), /position \d+ is not among this step's new positions/);
  });

  it('decode steps after a swapped prefill give the same logits with or without an empty override', async () => {
    const prompt = await embedPrompt(runtime, ids, images);
    const source = await embedPrompt(runtime, ids, imagePrompt([{ t: 1, h: 4, w: 6 }], 24).images);
    const sourceRun = await runtime.decode({ embeds: source.embeds, positions: source.positions, cache: runtime.emptyCache() }, { taps: {}, logits: 'last' });
    const kvOverride = kvOverrideFrom(sourceRun.cache, imagePositions, Array.from({ length: layers }, (_, layer) => layer >= 1));
    const settings = { maxNewTokens: 8, repetitionPenalty: 1, eosTokenIds: [] };
    const logits: Float32Array[] = [];
    // The swap lives in the cache after the prefill; an empty override at every step changes nothing.
    const planned = await generateGreedy(runtime, ids, prompt, settings, { prefillTaps: { kvOverride }, onStep: (step) => logits.push(step.result.logits) });
    const noOverride = { positions: [], keys: new Float32Array(0), values: new Float32Array(0), layers: Array<boolean>(layers).fill(false) };
    const tapped = await generateGreedy(runtime, ids, prompt, settings, { prefillTaps: { kvOverride }, stepTaps: () => ({ kvOverride: noOverride }), onStep: (step) => assert.deepEqual(step.result.logits, logits.shift()) });
    assert.deepEqual(planned.tokens, tapped.tokens);
  });
});

describe('KV-cached decoding', () => {
  for (const [name, withImage] of [['text', false], ['image', true]] as const) {
    it(`gives the same tokens and logits as full recomputation (${name} prompt)`, async () => {
      const { ids, images } = withImage ? imagePrompt([{ t: 1, h: 4, w: 6 }], 31) : { ids: textIds(9, 31), images: undefined };
      const prompt = await embedPrompt(runtime, ids, images);
      const cachedLogits: Float32Array[] = [];
      const generation = await generateGreedy(runtime, ids, prompt, { maxNewTokens: 10, repetitionPenalty: 1, eosTokenIds: [] }, { onStep: (step) => cachedLogits.push(step.result.logits.slice()) });
      assert.equal(generation.tokens.length, 10);

      // Recompute: the whole sequence from scratch before every token, no cache.
      const sequence = [...ids];
      let embeds = prompt.embeds;
      let positions = Array.from(prompt.positions);
      for (let step = 0; step < generation.tokens.length; step++) {
        const result = await runtime.decode({ embeds, positions: BigInt64Array.from(positions), cache: runtime.emptyCache() }, { taps: {}, logits: 'last' });
        assertRelativeClose(cachedLogits[step]!, result.logits, `logits of step ${step}`);
        const token = chooseGreedy(result.logits, new Set(), 1);
        assert.equal(generation.tokens[step], token, `token ${step}`);
        const extra = decodePositionIds(sequence.length, 1, prompt.ropeDelta)[0]!;
        const length = sequence.length;
        positions = [0, 1, 2].flatMap((row) => [...positions.slice(row * length, (row + 1) * length), BigInt(extra)]);
        sequence.push(token);
        embeds = Float32Array.from([...embeds, ...(await runtime.embed([token]))]);
      }
    });
  }

  it('applies the repetition penalty and stops at an end token', async () => {
    const ids = textIds(6, 41);
    const prompt = await embedPrompt(runtime, ids);
    const free = await generateGreedy(runtime, ids, prompt, { maxNewTokens: 6, repetitionPenalty: 1, eosTokenIds: [] });
    const stop = free.tokens[2]!;
    const stopped = await generateGreedy(runtime, ids, prompt, { maxNewTokens: 6, repetitionPenalty: 1, eosTokenIds: [stop] });
    assert.deepEqual(stopped.tokens, free.tokens.slice(0, free.tokens.indexOf(stop) + 1));
    assert.equal(stopped.stoppedBy, 'eos');
    // A penalty: first token equals the arg-max of the penalised prefill logits.
    const penalised = await generateGreedy(runtime, ids, prompt, { maxNewTokens: 1, repetitionPenalty: 100, eosTokenIds: [] });
    const logits = (await runtime.decode({ embeds: prompt.embeds, positions: prompt.positions, cache: runtime.emptyCache() }, { taps: {}, logits: 'last' })).logits;
    const expected = Array.from(logits, (value, token) => (ids.includes(token) ? (value > 0 ? value / 100 : value * 100) : value));
    assert.equal(penalised.tokens[0], expected.indexOf(Math.max(...expected)));
    assert.equal(logits.length, vocabSize);
  });
});

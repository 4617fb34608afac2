/**
 * Steps from layer L (the layer chain started at L): fed a clean run's residual stream entering L
 * and its K/V below L, a step with a K/V override in layers ≥ L gives what the whole decoder gives
 * with that override (logits, K/V, hidden states within 1e-5), and what the float64 reference gives.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FrankenlensError } from '../../../src/core/errors';
import { cachedPositions, cachePrefix } from '../../../src/core/model/kvCache';
import { kvOverrideFrom, ModelRuntime } from '../../../src/core/model/modelRuntime';
import { embedPrompt, promptFrom } from '../../../src/core/model/promptEmbedding';
import { imageTokenPositions, kvOverridesFrom, loadReferenceModel, referenceForward } from '../../helpers/referenceForward';
import { tempDir } from '../../helpers/tempDir';

const MODEL_DIR = join(__dirname, '..', '..', 'test', 'fixtures', 'qwen2_5_vl_tiny');
const runtime = ModelRuntime.open(MODEL_DIR, { cacheDir: tempDir(), intraOpThreads: 1 });
after(() => runtime.unload());
const reference = loadReferenceModel(MODEL_DIR);
const { layers, hiddenSize, vocabSize } = runtime.config.decoder;
const imageTokenId = runtime.config.visionTokens!.imageTokenId;
const startToken = runtime.config.visionTokens!.visionStartTokenId;

/** A prompt with text before and after a 4×6-patch image (6 merged image tokens), and a second image for the source. */
function imagePrompt(seed: number): { ids: number[]; pixelValues: Float32Array } {
  let state = seed;
  const next = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const ids = [11, 12, 13, 14, startToken, ...Array<number>(6).fill(imageTokenId), startToken + 1, 21, 22, 23];
  return { ids, pixelValues: Float32Array.from({ length: 24 * 1176 }, () => 4 * next() - 2) };
}
const grids = [{ t: 1, h: 4, w: 6 }];
const { ids, pixelValues } = imagePrompt(5);
const sourceImage = { pixelValues: imagePrompt(6).pixelValues, grids };
const visual = imageTokenPositions(ids, imageTokenId);
const start = visual[0]!;

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

describe('steps from layer L', async () => {
  const prompt = await embedPrompt(runtime, ids, { pixelValues, grids });
  const source = await embedPrompt(runtime, ids, sourceImage);
  const sourceRun = await runtime.decode({ embeds: source.embeds, positions: source.positions, cache: runtime.emptyCache() }, { taps: {}, logits: 'last' });
  const clean = await runtime.decode({ embeds: prompt.embeds, positions: prompt.positions, cache: runtime.emptyCache() }, { taps: { hiddenStates: true }, logits: 'last' });
  const prefix = cachePrefix(clean.cache, start);
  const rest = promptFrom(prompt, start, hiddenSize);
  const sequence = ids.length - start;
  const referenceSource = referenceForward(reference, ids, sourceImage);

  for (const mode of ['suffix', 'single'] as const) {
    for (let layer = 1; layer < layers; layer++) {
      it(`${mode} swap at layer ${layer}: the step from ${layer} equals the whole decoder (1e-5) and the reference`, async () => {
        const chosen = Array.from({ length: layers }, (_, index) => index).filter((index) => (mode === 'suffix' ? index >= layer : index === layer));
        const kvOverride = kvOverrideFrom(sourceRun.cache, visual, Array.from({ length: layers }, (_, index) => chosen.includes(index)));
        const taps = { hiddenStates: true };
        const whole = await runtime.decode({ ...rest, cache: prefix, taps: { kvOverride } }, { taps, logits: 'all' });
        const stream = clean.hiddenStates!.subarray((layer * ids.length + start) * hiddenSize, (layer + 1) * ids.length * hiddenSize);
        const slice = await runtime.decode({ embeds: stream, positions: rest.positions, cache: prefix, taps: { kvOverride }, lowerLayers: clean.cache }, { taps, logits: 'all', fromLayer: layer });
        assert.ok(maxDifference(slice.logits, whole.logits) <= 1e-5, `logits differ by ${maxDifference(slice.logits, whole.logits)}`);
        assert.equal(slice.cache.length, ids.length);
        for (let index = 0; index < layers; index++) {
          if (index < layer) assert.equal(slice.cache.keys[index], clean.cache.keys[index], 'layers below the slice: the clean cache as given');
          assert.ok(maxDifference(cachedPositions(slice.cache, 'keys', index), cachedPositions(whole.cache, 'keys', index)) <= 1e-5, `keys of layer ${index}`);
          assert.ok(maxDifference(cachedPositions(slice.cache, 'values', index), cachedPositions(whole.cache, 'values', index)) <= 1e-5, `values of layer ${index}`);
        }
        // The slice's hidden states are the whole decoder's from the one entering its first layer on.
        const wholeFromLayer = whole.hiddenStates!.subarray(layer * sequence * hiddenSize);
        assert.equal(slice.hiddenStates!.length, (layers - layer + 1) * sequence * hiddenSize);
        assert.ok(maxDifference(slice.hiddenStates!, wholeFromLayer) <= 1e-5, 'hidden states');

        const expected = referenceForward(reference, ids, { pixelValues, grids, kvOverrides: kvOverridesFrom(referenceSource, chosen, visual, reference.config) });
        const expectedRows = expected.logits.subarray(start * vocabSize);
        const scale = expectedRows.reduce((top, value) => Math.max(top, Math.abs(value)), 0);
        assert.ok(maxDifference(slice.logits, expectedRows) <= 1e-4 * scale, 'logits against the float64 reference');
        const unswapped = clean.logits;
        assert.ok(maxDifference(slice.logits.subarray((sequence - 1) * vocabSize), unswapped) > 1e-3, 'the swap changes the last logits');
      });
    }
  }

  it('a slice needs the lower layers\' K/V over every position', async () => {
    const graph = { taps: {}, logits: 'last', fromLayer: 2 } as const;
    const stream = clean.hiddenStates!.subarray((2 * ids.length + start) * hiddenSize, 3 * ids.length * hiddenSize);
    const step = { embeds: stream, positions: rest.positions, cache: prefix };
    await assert.rejects(runtime.decode(step, graph), (error: unknown) => error instanceof FrankenlensError && /layers 0\.\.1 must cover all 15 positions, got none/.test(error.message));
    await assert.rejects(runtime.decode({ ...step, lowerLayers: prefix }, graph), /must cover all 15 positions, got 5/);
    await assert.rejects(runtime.decode({ ...step, lowerLayers: clean.cache }, { taps: {}, logits: 'last', fromLayer: layers }), /first layer 4 is outside the decoder's layers 0\.\.3/);
  });
});

/**
 * The vision swap probe on the tiny model and the fixture pairs, against brute force: greedy
 * decoding through the float64 reference forward, recomputing the whole sequence each step, with
 * the source run's K/V written over the visual span in the swapped layers and (compat) the visual
 * keys counted 1 + k times in the row of the k-th token after the first. The probe runs with its
 * default reuse (layer slices from L, one prefill for both decodings) and batching; the other reuse
 * levels and batch sizes must give the same runs.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { greedySettings, openProbeModel, preparePrompt } from '../../../src/core/probes/probeModel';
import { swapPair, swappedLayers, type SwapItem } from '../../../src/core/probes/visualSwap';
import { readVisionPairs } from '../../../src/core/probes/visionPairs';
import { readImageFile } from '../../../src/core/vision/imageDecode';
import { imageTokenPositions, kvOverridesFrom, loadReferenceModel, referenceForward } from '../../helpers/referenceForward';
import { referenceGreedy } from '../../helpers/referenceGreedy';
import { tempDir } from '../../helpers/tempDir';

const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures');
const MODEL_DIR = join(FIXTURES, 'qwen2_5_vl_tiny');
const model = openProbeModel('in', MODEL_DIR, { cacheDir: tempDir(), intraOpThreads: 1 });
after(() => model.runtime.unload());
const reference = loadReferenceModel(MODEL_DIR);
const LAYERS = reference.config.layers;
const MAX_NEW = 4;
const settings = { layers: [0, 1, 3], modes: ['suffix', 'single'] as const, decodings: ['corrected', 'compat'] as const, maxNewTokens: MAX_NEW };
const pairs = readVisionPairs(join(FIXTURES, 'vision_functionality'), { rowsPerTask: 1, tasks: ['counting', 'recognition'] });

describe('visual K/V swap probe', () => {
  const items: SwapItem[] = [];
  for (const pair of pairs) {
    it(`${pair.id}: every swapped answer equals the brute-force reference`, async () => {
      const item = await swapPair(model, pair, settings);
      items.push(item);
      const chat = (image: string) => [{ role: 'user' as const, content: [{ type: 'image' as const, image: readImageFile(image) }, { type: 'text' as const, text: pair.prompt }] }];
      const target = await preparePrompt(model, chat(pair.targetImage));
      const source = await preparePrompt(model, chat(pair.sourceImage));
      const greedy = greedySettings(model, MAX_NEW);
      const visual = imageTokenPositions(target.ids, reference.config.imageTokenId);
      assert.equal(item.visualTokens, visual.length);
      const clean = referenceGreedy(reference, target.ids, target.images, greedy);
      assert.deepEqual(item.originalTokens, clean.tokens, 'unswapped answer');
      const sourceRun = referenceForward(reference, source.ids, source.images);
      const promptLength = target.ids.length;
      for (const run of item.runs) {
        const chosen = swappedLayers(run.mode, run.layer, LAYERS).flatMap((on, layer) => (on ? [layer] : []));
        const kvOverrides = kvOverridesFrom(sourceRun, chosen, visual, reference.config);
        // Row of generated token j (0-based, fed at decode step j + 1) sees the span plus j + 1 appended copies.
        const copies = (query: number) => (query >= promptLength ? query - promptLength + 2 : 1);
        const keyCopies = run.decoding === 'compat' ? chosen.map((layer) => ({ layer, positions: visual, copies })) : undefined;
        const expected = referenceGreedy(reference, target.ids, target.images, greedy, () => ({ kvOverrides, keyCopies }));
        assert.deepEqual(run.tokens, expected.tokens, `${run.mode} L=${run.layer} ${run.decoding}`);
      }
    });
  }

  it('single-layer and suffix swaps differ as expected', () => {
    for (const item of items) {
      const find = (mode: string, layer: number, decoding = 'corrected') => item.runs.find((run) => run.mode === mode && run.layer === layer && run.decoding === decoding)!;
      // At the last layer both modes swap the same single layer.
      assert.deepEqual(find('suffix', LAYERS - 1).tokens, find('single', LAYERS - 1).tokens);
      // The first token comes from the prefill, which compat does not touch.
      for (const run of item.runs) assert.equal(run.tokens[0], find(run.mode, run.layer, 'corrected').tokens[0]);
    }
    // On these pairs the checks above can fail: the modes and the decodings give different answers somewhere.
    const differs = (a: SwapItem['runs'][number], b: SwapItem['runs'][number]) => a.tokens.join() !== b.tokens.join();
    const runs = items.flatMap((item) => item.runs.map((run) => ({ run, item })));
    assert.ok(runs.some(({ run, item }) => run.decoding === 'compat' && differs(run, item.runs.find((other) => other.mode === run.mode && other.layer === run.layer && other.decoding === 'corrected')!)), 'compat never differs');
    assert.ok(runs.some(({ run, item }) => run.mode === 'single' && differs(run, item.runs.find((other) => other.mode === 'suffix' && other.layer === run.layer && other.decoding === run.decoding)!)), 'single never differs from suffix');
  });

  it('reusing less (the visual prefix only, or nothing) gives the same runs', async () => {
    for (const [index, pair] of pairs.entries()) {
      for (const reuse of ['visual-prefix', 'none'] as const) assert.deepEqual(await swapPair(model, pair, { ...settings, reuse }), items[index], reuse);
    }
  });

  it('decoding one, three or all ten swapped decodings of a pair together gives the same runs', async () => {
    for (const [index, pair] of pairs.entries()) {
      for (const batch of [1, 3, 10]) {
        for (const reuse of ['layers', 'none'] as const) assert.deepEqual(await swapPair(model, pair, { ...settings, reuse, batch }), items[index], `batch ${batch}, reuse ${reuse}`);
      }
    }
  });

  it('suffix swap at layer 0 answers exactly as the source image does (every K/V the text sees is the source\'s)', async () => {
    for (const [index, pair] of pairs.entries()) {
      const source = await preparePrompt(model, [{ role: 'user', content: [{ type: 'image', image: readImageFile(pair.sourceImage) }, { type: 'text', text: pair.prompt }] }]);
      const expected = referenceGreedy(reference, source.ids, source.images, greedySettings(model, MAX_NEW));
      const run = items[index]!.runs.find((entry) => entry.mode === 'suffix' && entry.layer === 0 && entry.decoding === 'corrected')!;
      assert.deepEqual(run.tokens, expected.tokens);
    }
  });
});

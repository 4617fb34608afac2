/**
 * Batched greedy decoding against each row run alone (generateGreedy with the same gates at every
 * step): tokens and stop reasons equal, for rows that finish at different steps, with finished rows
 * compacted out or masked. Also one batched decoder step against the rows' single steps: the same
 * bits on onnxruntime's CPU kernels (what makes the probes' answers independent of the batch size).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { generateGreedyRows, type GreedyRow } from '../../../src/core/model/batchedGenerate';
import { cachedPositions, keepRows, stackRows } from '../../../src/core/model/kvCache';
import { generateGreedy, type GreedySettings } from '../../../src/core/model/generate';
import { ModelRuntime } from '../../../src/core/model/modelRuntime';
import { embedPrompt } from '../../../src/core/model/promptEmbedding';
import { decodePositionIds } from '../../../src/core/model/ropeIndex';
import { ablationGates } from '../../../src/core/probes/layerAblation';
import { tempDir } from '../../helpers/tempDir';

const MODEL_DIR = join(__dirname, '..', '..', 'test', 'fixtures', 'qwen2_5_vl_tiny');
const runtime = ModelRuntime.open(MODEL_DIR, { cacheDir: tempDir(), intraOpThreads: 1, executionProvider: 'cpu' });
after(() => runtime.unload());
const { layers, vocabSize } = runtime.config.decoder;
const visionTokens = runtime.config.visionTokens!;

/** A prompt with an image (M-RoPE positions with a nonzero delta), so decode positions are checked too. */
const ids = [11, 12, visionTokens.visionStartTokenId, ...Array<number>(6).fill(visionTokens.imageTokenId), visionTokens.visionStartTokenId + 1, 21, 22, 23];
let state = 9;
const pixelValues = Float32Array.from({ length: 24 * 1176 }, () => 4 * ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) - 2);
const images = { pixelValues, grids: [{ t: 1, h: 4, w: 6 }] };
/** Rows: no gates, then layer 0, 2 and the last ablated, and one with half-open gates. */
const rowGates: (Float32Array | undefined)[] = [undefined, ablationGates(layers, 0), ablationGates(layers, 2), ablationGates(layers, layers - 1), new Float32Array(2 * layers).fill(0.5)];

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

describe('batched greedy decoding', async () => {
  const prompt = await embedPrompt(runtime, ids, images);
  assert.notEqual(prompt.ropeDelta, 0);
  const prefill = (gates: Float32Array | undefined) => runtime.decode({ embeds: prompt.embeds, positions: prompt.positions, cache: runtime.emptyCache(), taps: gates && { gates } }, { taps: {}, logits: 'last' });
  const alone = (gates: Float32Array | undefined, settings: GreedySettings) => {
    const taps = gates && { gates };
    return generateGreedy(runtime, ids, prompt, settings, { prefillTaps: taps, stepTaps: () => taps });
  };
  const rows = async (): Promise<GreedyRow[]> => {
    const result: GreedyRow[] = [];
    for (const gates of rowGates) result.push({ prefilled: await prefill(gates), stepTaps: () => gates && { gates } });
    return result;
  };

  it('one batched step gives each row the bits its own step gives', async () => {
    const prefills = await Promise.all(rowGates.map(prefill));
    const tokens = [5, 17, 5, 250, 42];
    const position = decodePositionIds(ids.length, 1, prompt.ropeDelta);
    const single = [];
    for (const [row, gates] of rowGates.entries()) {
      const positions = BigInt64Array.from(position, BigInt);
      single.push(await runtime.decode({ embeds: await runtime.embed([tokens[row]!]), positions, cache: prefills[row]!.cache, taps: { gates: gates ?? new Float32Array(2 * layers).fill(1) } }, { taps: {}, logits: 'last' }));
    }
    const count = rowGates.length;
    const gates = new Float32Array(count * 2 * layers).fill(1);
    rowGates.forEach((rowGate, row) => rowGate && gates.set(rowGate, row * 2 * layers));
    const batched = await runtime.decode(
      { rows: count, embeds: await runtime.embed(tokens), positions: new BigInt64Array(3 * count).fill(BigInt(position[0]!)), cache: stackRows(prefills.map((result) => result.cache)), taps: { gates } },
      { taps: {}, logits: 'last' },
    );
    assert.equal(batched.logits.length, count * vocabSize);
    for (let row = 0; row < count; row++) {
      assert.ok(maxDifference(batched.logits.subarray(row * vocabSize, (row + 1) * vocabSize), single[row]!.logits) === 0, `row ${row} logits`);
      const rowCache = keepRows(batched.cache, [row]);
      for (let layer = 0; layer < layers; layer++) {
        assert.ok(maxDifference(cachedPositions(rowCache, 'keys', layer), cachedPositions(single[row]!.cache, 'keys', layer)) === 0, `row ${row} keys of layer ${layer}`);
        assert.ok(maxDifference(cachedPositions(rowCache, 'values', layer), cachedPositions(single[row]!.cache, 'values', layer)) === 0, `row ${row} values of layer ${layer}`);
      }
    }
  });

  it('refuses a cache whose rows do not match the step', async () => {
    const one = await prefill(undefined);
    const step = { rows: 2, embeds: await runtime.embed([1, 2]), positions: new BigInt64Array(6).fill(BigInt(ids.length)), cache: one.cache };
    await assert.rejects(runtime.decode(step, { taps: {}, logits: 'last' }), /decoder step of 2 row\(s\): the cache holds 1/);
  });

  for (const finishedRows of ['compact', 'mask'] as const) {
    it(`every row's tokens equal its run alone; rows stop at different steps (${finishedRows})`, async () => {
      const maxNewTokens = 7;
      const open = { maxNewTokens, repetitionPenalty: 1.05, eosTokenIds: [] };
      const free = await Promise.all(rowGates.map((gates) => alone(gates, open)));
      // Stop tokens taken from the runs themselves, so the rows finish at different steps (or never).
      const eosTokenIds = [free[1]!.tokens[1]!, free[3]!.tokens[4]!];
      const settings = { ...open, eosTokenIds };
      const expected = await Promise.all(rowGates.map((gates) => alone(gates, settings)));
      const lengths = new Set(expected.map((generation) => generation.tokens.length));
      assert.ok(lengths.size >= 2, `rows should finish at different steps, got lengths ${[...lengths].join(', ')}`);
      assert.ok(expected.some((generation) => generation.stoppedBy === 'eos'));
      const batched = await generateGreedyRows(runtime, ids, prompt, await rows(), settings, { finishedRows });
      batched.forEach((generation, row) => {
        assert.deepEqual(generation.tokens, expected[row]!.tokens, `row ${row}`);
        assert.equal(generation.stoppedBy, expected[row]!.stoppedBy, `row ${row} stop`);
      });
    });
  }

  it('a repetition penalty applies per row (tokens equal with a strong penalty too)', async () => {
    const settings = { maxNewTokens: 6, repetitionPenalty: 3, eosTokenIds: [] };
    const expected = await Promise.all(rowGates.map((gates) => alone(gates, settings)));
    const batched = await generateGreedyRows(runtime, ids, prompt, await rows(), settings);
    batched.forEach((generation, row) => assert.deepEqual(generation.tokens, expected[row]!.tokens, `row ${row}`));
  });

  it('refuses a prefill of another length', async () => {
    const short = await runtime.decode({ embeds: prompt.embeds.subarray(0, 3 * runtime.config.decoder.hiddenSize), positions: new BigInt64Array([0n, 1n, 2n, 0n, 1n, 2n, 0n, 1n, 2n]), cache: runtime.emptyCache() }, { taps: {}, logits: 'last' });
    await assert.rejects(generateGreedyRows(runtime, ids, prompt, [{ prefilled: short }], { maxNewTokens: 2, repetitionPenalty: 1, eosTokenIds: [] }), /row 0's prefill must be one row over the 13-token prompt, got 1 row\(s\) of 3/);
  });
});

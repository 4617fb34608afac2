/**
 * Batched greedy decoding against each row run alone (generateGreedy with the same gates at every
 * step): tokens and stop reasons equal, for rows that finish at different steps and leave the batch
 * while others join; runs of different prompts (image sizes, text only) decoded together, left-padded.
 * Also one batched decoder step against the rows' single steps: the same
 * bits on onnxruntime's CPU kernels (what makes the probes' answers independent of the batch size).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { decodeRuns, SharedBatch, type DecodeRun } from '../../../src/core/model/batchedGenerate';
import type { Generation } from '../../../src/core/model/generate';
import type { EmbeddedPrompt } from '../../../src/core/model/promptEmbedding';
import { cachedPositions, gatherPaddedRows, stackRows } from '../../../src/core/model/kvCache';
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

type GreedyRow = Pick<DecodeRun, 'prefilled' | 'stepTaps'>;

/** Rows of one prompt decoded together, at most `rows` at a time: one Generation per row, in row order. */
async function generateGreedyRows(runtime: ModelRuntime, promptIds: readonly number[], prompt: EmbeddedPrompt, rows: readonly GreedyRow[], settings: GreedySettings, options: { rows?: number } = {}): Promise<Generation[]> {
  const generations: Generation[] = [];
  let next = 0;
  const source = async () => rows[next] && { promptIds, ropeDelta: prompt.ropeDelta, settings, ...rows[next++]! };
  await decodeRuns(runtime, source, (index, generation) => void (generations[index] = generation), { rows: options.rows ?? rows.length });
  return generations;
}

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
      const rowCache = gatherPaddedRows([{ cache: batched.cache, row, from: 0, length: batched.cache.length }], batched.cache.length);
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

  for (const batchRows of [2, 5]) {
    it(`every row's tokens equal its run alone; rows stop at different steps (${batchRows} rows at a time)`, async () => {
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
      const batched = await generateGreedyRows(runtime, ids, prompt, await rows(), settings, { rows: batchRows });
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
    await assert.rejects(generateGreedyRows(runtime, ids, prompt, [{ prefilled: short }], { maxNewTokens: 2, repetitionPenalty: 1, eosTokenIds: [] }), /run 0's prefill must be one row over its 13-token prompt, got 1 row\(s\) of 3/);
  });

  describe('runs of different prompts, joining as others finish', async () => {
    const seeded = (seed: number, length: number) => Float32Array.from({ length }, () => 4 * ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) - 2);
    const smallImage = { pixelValues: seeded(3, 8 * 1176), grids: [{ t: 1, h: 2, w: 4 }] };
    const smallIds = [31, visionTokens.visionStartTokenId, ...Array<number>(2).fill(visionTokens.imageTokenId), visionTokens.visionStartTokenId + 1, 40, 41, 42, 43, 44];
    const textIds = [7, 8, 9, 10, 11];
    const longTextIds = Array.from({ length: 23 }, (_, index) => 50 + ((index * 7) % 40));
    const keyBias = (length: number) => Float32Array.from({ length: layers * (length + 1) }, (_, index) => 0.3 * Math.sin(index));
    /** Prompt, images, budget, penalty and taps per run: two image sizes, text only, gates and a key bias over the run's own positions. */
    const cases = [
      { ids, images, maxNewTokens: 9, repetitionPenalty: 1.05 },
      { ids: textIds, maxNewTokens: 4, repetitionPenalty: 1 },
      { ids: smallIds, images: smallImage, maxNewTokens: 12, repetitionPenalty: 1.2, gates: ablationGates(layers, 1) },
      { ids: longTextIds, maxNewTokens: 6, repetitionPenalty: 1, keyBias: true },
      { ids, images, maxNewTokens: 1, repetitionPenalty: 1 },
      { ids: smallIds, images: smallImage, maxNewTokens: 7, repetitionPenalty: 1.1, keyBias: true },
      { ids: textIds, maxNewTokens: 11, repetitionPenalty: 1.3, gates: ablationGates(layers, layers - 1) },
    ];
    const prompts = await Promise.all(cases.map((run) => embedPrompt(runtime, run.ids, run.images)));
    const settingsOf = (index: number, eosTokenIds: number[]) => ({ maxNewTokens: cases[index]!.maxNewTokens, repetitionPenalty: cases[index]!.repetitionPenalty, eosTokenIds });
    const tapsOf = (index: number) => {
      const run = cases[index]!;
      if (run.gates) return () => ({ gates: run.gates });
      if (run.keyBias) return (length: number) => ({ keyBias: keyBias(length) });
      return undefined;
    };
    /** Gates apply to the prefill too; the key bias only to decode steps (as the swap's compat rows). */
    const prefillTapsOf = (index: number) => (cases[index]!.gates ? { gates: cases[index]!.gates } : undefined);
    const aloneRun = (index: number, eosTokenIds: number[]) => {
      const stepTaps = tapsOf(index);
      return generateGreedy(runtime, cases[index]!.ids, prompts[index]!, settingsOf(index, eosTokenIds), { prefillTaps: prefillTapsOf(index), stepTaps });
    };
    const free = [];
    for (let index = 0; index < cases.length; index++) free.push(await aloneRun(index, []));
    // A stop token from one run's own answer, so that run ends early and another joins in its place.
    const eosTokenIds = [free[0]!.tokens[3]!];
    const expected: Generation[] = [];
    for (let index = 0; index < cases.length; index++) expected.push(await aloneRun(index, eosTokenIds));

    for (const rows of [1, 2, 3, 7]) {
      it(`each run's tokens equal its run alone (${rows} rows at a time)`, async () => {
        let given = 0;
        let live = 0;
        let mostLive = 0;
        const got: Generation[] = [];
        const next = async (): Promise<DecodeRun | undefined> => {
          const index = given++;
          if (index >= cases.length) return undefined;
          live++;
          mostLive = Math.max(mostLive, live);
          const stepTaps = tapsOf(index);
          const prefilled = await runtime.decode({ embeds: prompts[index]!.embeds, positions: prompts[index]!.positions, cache: runtime.emptyCache(), taps: prefillTapsOf(index) }, { taps: {}, logits: 'last' });
          return { promptIds: cases[index]!.ids, ropeDelta: prompts[index]!.ropeDelta, prefilled, settings: settingsOf(index, eosTokenIds), stepTaps };
        };
        await decodeRuns(runtime, next, (index, generation) => {
          live--;
          got[index] = generation;
        }, { rows });
        assert.equal(mostLive, rows, 'runs are prefilled only when a row is free');
        expected.forEach((generation, index) => {
          assert.deepEqual(got[index]!.tokens, generation.tokens, `run ${index}`);
          assert.equal(got[index]!.stoppedBy, generation.stoppedBy, `run ${index} stop`);
        });
      });
    }

    it('a shared batch decodes runs given by several callers at different times as rows of one batch', async () => {
      const batch = new SharedBatch(runtime, { rows: 3 });
      const prepare = (index: number) => async (): Promise<DecodeRun> => {
        const prefilled = await runtime.decode({ embeds: prompts[index]!.embeds, positions: prompts[index]!.positions, cache: runtime.emptyCache(), taps: prefillTapsOf(index) }, { taps: {}, logits: 'last' });
        return { promptIds: cases[index]!.ids, ropeDelta: prompts[index]!.ropeDelta, prefilled, settings: settingsOf(index, eosTokenIds), stepTaps: tapsOf(index) };
      };
      // Two callers: one gives runs 0–3 at once, the other gives 4–6 one after another, each after the previous one's answer.
      const first = Promise.all([0, 1, 2, 3].map((index) => batch.decode(prepare(index))));
      const second = (async () => {
        const generations: Generation[] = [];
        for (const index of [4, 5, 6]) generations.push(await batch.decode(prepare(index)));
        return generations;
      })();
      const failed = assert.rejects(batch.decode(async () => {
        throw new Error('this run cannot be prepared');
      }), /this run cannot be prepared/);
      const got = [...(await first), ...(await second)];
      await failed;
      await batch.close();
      expected.forEach((generation, index) => assert.deepEqual(got[index]!.tokens, generation.tokens, `run ${index}`));
      assert.throws(() => batch.decode(prepare(0)), /after the batch closed/);
    });
  });
});

/**
 * The ONNX graphs against Hugging Face transformers itself: the tiny random Qwen2.5-VL's logits,
 * hidden states, attention probabilities and image embeddings, computed by transformers 4.50
 * (float32, eager attention) and stored under test/fixtures/qwen2_5_vl_tiny_goldens. Tolerances as
 * the goldens' README states: atol 1e-4 for logits, rtol = atol = 1e-5 for the rest.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gatherPaddedRows } from '../../../src/core/model/kvCache';
import { ModelRuntime } from '../../../src/core/model/modelRuntime';
import { embedPrompt } from '../../../src/core/model/promptEmbedding';
import { assertAllClose } from '../../helpers/allClose';
import { readNpy } from '../../helpers/npy';
import { tempDir } from '../../helpers/tempDir';

const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures');
const GOLDENS = join(FIXTURES, 'qwen2_5_vl_tiny_goldens');
const golden = (name: string) => readNpy(join(GOLDENS, name));
const floats = (name: string) => Float32Array.from(golden(name).data as Float32Array);
const ints = (name: string) => Array.from(golden(name).data as BigInt64Array, Number);

const runtime = ModelRuntime.open(join(FIXTURES, 'qwen2_5_vl_tiny'), { cacheDir: tempDir(), intraOpThreads: 1 });
after(() => runtime.unload());
const { layers, heads } = runtime.config.decoder;
const ALL_TAPS = { taps: { hiddenStates: true, attentionMass: true }, logits: 'all' } as const;

for (const name of ['text', 'image'] as const) {
  describe(`HF goldens, ${name} prompt`, () => {
    it('logits, hidden states and attention mass match transformers', async () => {
      const ids = ints(`${name}/input_ids.npy`);
      const images = name === 'image' ? { pixelValues: floats('image/pixel_values.npy'), grids: [{ t: 1, h: 4, w: 6 }] } : undefined;
      const prompt = await embedPrompt(runtime, ids, images);
      assert.deepEqual(Array.from(prompt.positions, Number), ints(`${name}/position_ids.npy`));
      const sequence = ids.length;
      // Measure the mass on a few keys, image tokens included when there are some.
      const chosen = [0, 4, 6, sequence - 2];
      const massKeys = new Float32Array(sequence);
      for (const key of chosen) massKeys[key] = 1;
      const result = await runtime.decode({ embeds: prompt.embeds, positions: prompt.positions, cache: runtime.emptyCache(), taps: { massKeys } }, ALL_TAPS);

      const logitError = assertAllClose(result.logits, floats(`${name}/logits.npy`), { rtol: 0, atol: 1e-4 }, 'logits').maxAbs;
      const hiddenSize = runtime.config.decoder.hiddenSize;
      for (let index = 0; index <= layers; index++) {
        const actual = result.hiddenStates!.subarray(index * sequence * hiddenSize, (index + 1) * sequence * hiddenSize);
        assertAllClose(actual, floats(`${name}/hidden_states_${index}.npy`), { atol: 1e-5, rtol: 1e-5 }, `hidden state ${index}`);
      }
      for (let layer = 0; layer < layers; layer++) {
        const probabilities = golden(`${name}/attentions_${layer}.npy`).data as Float32Array;
        const expected = Array.from({ length: sequence }, (_, row) => {
          let sum = 0;
          for (let head = 0; head < heads; head++) for (const key of chosen) sum += probabilities[(head * sequence + row) * sequence + key]!;
          return sum / heads;
        });
        assertAllClose(result.attentionMass!.subarray(layer * sequence, (layer + 1) * sequence), expected, { atol: 1e-5, rtol: 1e-5 }, `attention mass of layer ${layer}`);
      }
      assert.ok(logitError < 1e-4);
    });
  });
}

describe('HF goldens, both prompts as rows of one batch', () => {
  it('left-padded and masked, teacher-forced token by token, each row gives transformers\' logits at its positions', async () => {
    const hiddenSize = runtime.config.decoder.hiddenSize;
    const vocab = runtime.config.decoder.vocabSize;
    const images = { pixelValues: floats('image/pixel_values.npy'), grids: [{ t: 1, h: 4, w: 6 }] };
    // Each row prefills its prompt up to `cached` (the image ones past the image), then steps through the rest one token at a time.
    const rows = await Promise.all((['text', 'image'] as const).map(async (name, row) => {
      const ids = ints(`${name}/input_ids.npy`);
      const prompt = await embedPrompt(runtime, ids, name === 'image' ? images : undefined);
      const cached = row === 0 ? 5 : 12;
      const positionsOf = (from: number, count: number) => BigInt64Array.from({ length: 3 * count }, (_, index) => prompt.positions[Math.floor(index / count) * ids.length + from + (index % count)]!);
      const prefilled = await runtime.decode({ embeds: prompt.embeds.subarray(0, cached * hiddenSize), positions: positionsOf(0, cached), cache: runtime.emptyCache() }, { taps: {}, logits: 'last' });
      return { name, ids, prompt, cached, prefilled, positionsOf, logits: floats(`${name}/logits.npy`) };
    }));
    let cache = gatherPaddedRows(rows.map(({ prefilled, cached }) => ({ cache: prefilled.cache, row: 0, from: 0, length: cached })), Math.max(...rows.map((row) => row.cached)));
    const steps = Math.min(...rows.map(({ ids, cached }) => ids.length - cached));
    for (let step = 0; step < steps; step++) {
      const total = cache.length + 1;
      const attentionMask = new BigInt64Array(2 * total).fill(1n);
      rows.forEach(({ cached }, row) => attentionMask.fill(0n, row * total, row * total + (total - 1 - cached - step)));
      const embeds = new Float32Array(2 * hiddenSize);
      const positions = new BigInt64Array(6);
      rows.forEach(({ prompt, cached, positionsOf }, row) => {
        embeds.set(prompt.embeds.subarray((cached + step) * hiddenSize, (cached + step + 1) * hiddenSize), row * hiddenSize);
        positionsOf(cached + step, 1).forEach((position, axis) => (positions[axis * 2 + row] = position));
      });
      const result = await runtime.decode({ rows: 2, embeds, positions, attentionMask, cache }, { taps: {}, logits: 'last' });
      rows.forEach(({ name, cached, logits }, row) => {
        const at = cached + step;
        assertAllClose(result.logits.subarray(row * vocab, (row + 1) * vocab), logits.subarray(at * vocab, (at + 1) * vocab), { rtol: 0, atol: 1e-4 }, `${name} prompt, position ${at}`);
      });
      cache = result.cache;
    }
    assert.ok(steps >= 4);
  });
});

describe('HF goldens, vision tower', () => {
  it('image embeddings match transformers', async () => {
    const prompt = await embedPrompt(runtime, ints('image/input_ids.npy'), { pixelValues: floats('image/pixel_values.npy'), grids: [{ t: 1, h: 4, w: 6 }] });
    const hiddenSize = runtime.config.decoder.hiddenSize;
    const imageRows = Float32Array.from(prompt.imageTokenPositions.flatMap((row) => Array.from(prompt.embeds.subarray(row * hiddenSize, (row + 1) * hiddenSize))));
    assertAllClose(imageRows, floats('image/image_embeds.npy'), { atol: 1e-5, rtol: 1e-5 }, 'image embeddings');
  });
});

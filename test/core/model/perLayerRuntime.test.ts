/**
 * The per-layer runtime: each layer graph holds exactly its own layer's weights (so a loaded model
 * holds decoderWeightBytes of float32 and nothing twice), the prelude none; the K/V cache appends
 * in place when a cache has one continuation and copies on write when it has two; the vision tower
 * is released after each encoding when asked; token embeddings read from the files equal a naive
 * decoding of the stored bf16 rows.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { onnx } from 'onnx-proto';
import { openCheckpoint } from '../../../src/core/checkpoint/checkpoint';
import { decoderWeightBytes, layerWeightElements } from '../../../src/core/model/decoderGraph';
import { cachedPositions } from '../../../src/core/model/kvCache';
import { ModelRuntime } from '../../../src/core/model/modelRuntime';
import { embedPrompt } from '../../../src/core/model/promptEmbedding';
import { decodePositionIds } from '../../../src/core/model/ropeIndex';
import { sharedSessionPaths } from '../../../src/core/model/sessions';
import { TINY_SHAPE, writeSyntheticCheckpoint } from '../../../src/core/synthetic/syntheticQwenVl';
import { copyCheckpoint } from '../../helpers/copyCheckpoint';
import { loadReferenceModel, referenceForward } from '../../helpers/referenceForward';
import { tempDir } from '../../helpers/tempDir';

const MODEL_DIR = join(__dirname, '..', '..', 'test', 'fixtures', 'qwen2_5_vl_tiny');
const runtime = ModelRuntime.open(MODEL_DIR, { cacheDir: tempDir(), intraOpThreads: 1 });
after(() => runtime.unload());
const { layers, hiddenSize, vocabSize } = runtime.config.decoder;

/** Float32 bytes of a graph's initializers (what its session holds once the Casts are folded). */
function initializerBytes(path: string): number {
  const model = onnx.ModelProto.decode(readFileSync(path));
  return model.graph!.initializer!.reduce((total, tensor) => total + 4 * tensor.dims!.reduce((product: number, dim) => product * Number(dim), 1), 0);
}

describe('per-layer runtime', () => {
  it('each layer graph holds its own layer\'s weights, the head the norm and LM head, the prelude nothing: decoderWeightBytes in all', () => {
    const perLayer = Array.from({ length: layers }, (_, layer) => initializerBytes(runtime.graphPath({ layer })));
    for (const bytes of perLayer) assert.equal(bytes, 4 * layerWeightElements(runtime.config.decoder));
    assert.equal(initializerBytes(runtime.graphPath('prelude')), 0);
    const head = initializerBytes(runtime.graphPath('head'));
    assert.equal(head, 4 * (hiddenSize + vocabSize * hiddenSize));
    // Closed form from the checkpoint itself: every decoder-layer tensor, the final norm and lm_head, as float32.
    const held = openCheckpoint(MODEL_DIR).tensors.filter((tensor) => /^model\.(layers\.\d+\.|norm\.)|^lm_head\./.test(tensor.name)).reduce((total, tensor) => total + 4 * tensor.shape.reduce((a, b) => a * b, 1), 0);
    assert.equal(perLayer.reduce((a, b) => a + b, 0) + head, held);
    assert.equal(decoderWeightBytes(runtime.config.decoder), held);
  });

  it('appends a decode step into the prefill\'s cache in place; a second continuation copies and leaves the first intact', async () => {
    const ids = [5, 6, 7, 8, 9];
    const prompt = await embedPrompt(runtime, ids);
    const prefill = await runtime.decode({ embeds: prompt.embeds, positions: prompt.positions, cache: runtime.emptyCache(), reserve: ids.length + 4 }, { taps: {}, logits: 'last' });
    const next = async (token: number) => runtime.decode({ embeds: await runtime.embed([token]), positions: BigInt64Array.from(decodePositionIds(ids.length, 1, 0), BigInt), cache: prefill.cache }, { taps: {}, logits: 'last' });
    const first = await next(10);
    for (let layer = 0; layer < layers; layer++) assert.equal(first.cache.keys[layer], prefill.cache.keys[layer], `layer ${layer}: the same buffer`);
    const firstKeys = Float32Array.from(cachedPositions(first.cache, 'keys', layers - 1));
    const second = await next(11);
    for (let layer = 0; layer < layers; layer++) assert.notEqual(second.cache.keys[layer], prefill.cache.keys[layer], `layer ${layer}: copied on write`);
    assert.deepEqual(cachedPositions(first.cache, 'keys', layers - 1), firstKeys, 'the first continuation is untouched');
    assert.deepEqual(cachedPositions(second.cache, 'keys', layers - 1).subarray(0, ids.length * firstKeys.length / (ids.length + 1)), firstKeys.subarray(0, ids.length * firstKeys.length / (ids.length + 1)), 'shared prefix');
    // Both continuations equal a recomputation of their whole sequence.
    for (const [token, result] of [[10, first], [11, second]] as const) {
      const whole = await embedPrompt(runtime, [...ids, token]);
      const recomputed = await runtime.decode({ embeds: whole.embeds, positions: whole.positions, cache: runtime.emptyCache() }, { taps: {}, logits: 'last' });
      const worst = recomputed.logits.reduce((max, value, index) => Math.max(max, Math.abs(value - result.logits[index]!)), 0);
      assert.ok(worst <= 1e-5, `token ${token}: ${worst}`);
    }
  });

  it('keeps the vision tower until unload, or only while encoding when told to release it', async () => {
    const { imageTokenId, visionStartTokenId } = runtime.config.visionTokens!;
    const ids = [11, visionStartTokenId, ...Array<number>(6).fill(imageTokenId), visionStartTokenId + 1, 21];
    const images = { pixelValues: new Float32Array(24 * 1176).fill(0.25), grids: [{ t: 1, h: 4, w: 6 }] };
    const releasing = ModelRuntime.open(MODEL_DIR, { cacheDir: tempDir(), intraOpThreads: 1, releaseVisionAfterEncoding: true });
    await embedPrompt(releasing, ids, images);
    assert.ok(!sharedSessionPaths().includes(releasing.graphPath('vision')), 'released after encoding');
    const keeping = ModelRuntime.open(MODEL_DIR, { cacheDir: tempDir(), intraOpThreads: 1 });
    await embedPrompt(keeping, ids, images);
    assert.ok(sharedSessionPaths().includes(keeping.graphPath('vision')));
    await keeping.unload();
    assert.ok(!sharedSessionPaths().includes(keeping.graphPath('vision')));
  });

  it('a tied LM head is the embedding table, held once, with the float64 reference\'s logits', async () => {
    const dir = join(tempDir(), 'tied');
    const config = JSON.parse(readFileSync(join(MODEL_DIR, 'config.json'), 'utf8'));
    const others = readdirSync(MODEL_DIR).filter((name) => !name.endsWith('.safetensors') && name !== 'config.json');
    copyCheckpoint(MODEL_DIR, dir, {
      keep: (name) => name !== 'lm_head.weight',
      files: { 'config.json': JSON.stringify({ ...config, tie_word_embeddings: true }), ...Object.fromEntries(others.map((name) => [name, readFileSync(join(MODEL_DIR, name), 'utf8')])) },
    });
    const tied = ModelRuntime.open(dir, { cacheDir: tempDir(), intraOpThreads: 1 });
    assert.equal(initializerBytes(tied.graphPath('head')), 4 * (hiddenSize + vocabSize * hiddenSize));
    const ids = [3, 99, 250, 17, 42, 8];
    const prompt = await embedPrompt(tied, ids);
    const { logits } = await tied.decode({ embeds: prompt.embeds, positions: prompt.positions, cache: tied.emptyCache() }, { taps: {}, logits: 'all' });
    const expected = referenceForward(loadReferenceModel(dir), ids).logits;
    const scale = expected.reduce((top, value) => Math.max(top, Math.abs(value)), 0);
    const worst = logits.reduce((max, value, index) => Math.max(max, Math.abs(value - expected[index]!)), 0);
    assert.ok(worst <= 1e-4 * scale, `max error ${worst} against ${scale}`);
    await tied.unload();
  });

  it('says which session it starts (and nothing for one another runtime already started)', async () => {
    const cacheDir = tempDir();
    const first: string[] = [];
    const second: string[] = [];
    const a = ModelRuntime.open(MODEL_DIR, { cacheDir, intraOpThreads: 1, onLoad: (message) => first.push(message) });
    await a.load();
    assert.deepEqual(first, ['loading qwen2_5_vl_tiny: rotary and mask', ...Array.from({ length: layers }, (_, layer) => `loading qwen2_5_vl_tiny: layer ${layer + 1} of ${layers}`), 'loading qwen2_5_vl_tiny: final norm and LM head']);
    const b = ModelRuntime.open(MODEL_DIR, { cacheDir, intraOpThreads: 1, onLoad: (message) => second.push(message) });
    await b.load();
    assert.deepEqual(second, [], 'the sessions are shared');
    await a.unload();
    await b.unload();
  });

  it('reads token embeddings from a bf16 file exactly (each value the stored bf16, widened)', async () => {
    const dir = join(tempDir(), 'bf16');
    writeSyntheticCheckpoint(dir, { shape: TINY_SHAPE, seed: 4, dtype: 'BF16' });
    const bf16 = ModelRuntime.open(dir, { cacheDir: tempDir(), intraOpThreads: 1 });
    const ids = [0, 7, 299, 7];
    const rows = await bf16.embed(ids);
    const table = openCheckpoint(dir).tensors.find((tensor) => tensor.name === 'model.embed_tokens.weight')!;
    const bytes = readFileSync(table.file);
    ids.forEach((id, index) => {
      for (let column = 0; column < hiddenSize; column++) {
        const stored = bytes.readUInt16LE(table.byteOffset + 2 * (id * hiddenSize + column));
        const widened = new Float32Array(new Uint32Array([stored * 65536]).buffer)[0]!;
        assert.equal(rows[index * hiddenSize + column], widened);
      }
    });
    await assert.rejects(bf16.embed([300]), /token id 300 is outside the embedding table's 300 rows/);
    await bf16.unload();
  });
});

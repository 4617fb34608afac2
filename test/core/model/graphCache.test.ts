/**
 * Graph files reference the weights instead of holding them: the cache folder holds hard links
 * (same inode, no extra disk blocks) and graphs of a few hundred KB, reused while the checkpoint is
 * unchanged. Also: a plain Qwen2 checkpoint runs through the same decoder.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ModelRuntime } from '../../../src/core/model/modelRuntime';
import { embedPrompt } from '../../../src/core/model/promptEmbedding';
import { copyCheckpoint } from '../../helpers/copyCheckpoint';
import { tempDir } from '../../helpers/tempDir';

const MODEL_DIR = join(__dirname, '..', '..', 'test', 'fixtures', 'qwen2_5_vl_tiny');
const PLAIN = { taps: {}, logits: 'all' } as const;
const LAYER = { layer: 0 };

describe('graph cache', () => {
  it('links the weights instead of copying them, writes small graphs, and reuses them', async () => {
    const cacheDir = tempDir();
    const runtime = ModelRuntime.open(MODEL_DIR, { cacheDir });
    const graphs = [runtime.graphPath('prelude'), runtime.graphPath('vision'), runtime.graphPath(LAYER), runtime.graphPath('head')];
    const folder = readdirSync(cacheDir).find((name) => graphs[2]!.includes(name));
    const weights = statSync(join(MODEL_DIR, 'model.safetensors'));
    const link = statSync(join(cacheDir, folder!, 'weights-0.safetensors'));
    assert.equal(link.ino, weights.ino, 'the cache holds a hard link to the weight file, not a copy');
    assert.ok(link.nlink >= 2);
    for (const graph of graphs) assert.ok(statSync(graph).size < weights.size / 10, `${graph} is ${statSync(graph).size} bytes for ${weights.size} bytes of weights`);
    const modified = statSync(graphs[2]!).mtimeMs;
    assert.equal(ModelRuntime.open(MODEL_DIR, { cacheDir }).graphPath(LAYER), graphs[2], 'same checkpoint, same graph file');
    assert.equal(statSync(graphs[2]!).mtimeMs, modified, 'reused, not rewritten');
    const ids = [5, 6, 7];
    const prompt = await embedPrompt(runtime, ids);
    assert.equal((await runtime.decode({ ...prompt, cache: runtime.emptyCache() }, PLAIN)).logits.length, 3 * 300);
    await runtime.unload();
  });

  it('gives a changed checkpoint new graphs', () => {
    const cacheDir = tempDir();
    const copy = join(tempDir(), 'model');
    cpSync(MODEL_DIR, copy, { recursive: true });
    const before = ModelRuntime.open(copy, { cacheDir }).graphPath(LAYER);
    const later = new Date(Date.now() + 5000);
    utimesSync(join(copy, 'model.safetensors'), later, later);
    assert.notEqual(ModelRuntime.open(copy, { cacheDir }).graphPath(LAYER), before);
  });

  it('refuses an unsupported architecture naming config.json', () => {
    const copy = join(tempDir(), 'model');
    cpSync(MODEL_DIR, copy, { recursive: true });
    const config = JSON.parse(readFileSync(join(copy, 'config.json'), 'utf8'));
    writeFileSync(join(copy, 'config.json'), JSON.stringify({ ...config, model_type: 'llava' }));
    assert.throws(() => ModelRuntime.open(copy), /config\.json: model_type "llava" cannot be run yet/);
  });
});

describe('plain Qwen2 decoder', () => {
  it('runs the language model of the tiny Qwen2.5-VL as a qwen2 checkpoint with the same logits on text', async () => {
    // Text-only positions are equal in all three M-RoPE rows, so the sections do not matter.
    const dir = join(tempDir(), 'qwen2');
    const config = JSON.parse(readFileSync(join(MODEL_DIR, 'config.json'), 'utf8'));
    for (const key of ['vision_config', 'rope_scaling', 'image_token_id', 'video_token_id', 'vision_start_token_id', 'vision_end_token_id']) delete config[key];
    copyCheckpoint(MODEL_DIR, dir, { keep: (name) => !name.startsWith('visual.'), files: { 'config.json': JSON.stringify({ ...config, model_type: 'qwen2', architectures: ['Qwen2ForCausalLM'] }) } });
    const plain = ModelRuntime.open(dir, { cacheDir: tempDir() });
    const vl = ModelRuntime.open(MODEL_DIR, { cacheDir: tempDir() });
    assert.deepEqual(plain.config.decoder.mropeSection, [8, 0, 0]);
    const ids = [3, 99, 250, 17, 42, 8, 8, 120];
    const run = async (runtime: ModelRuntime) => (await runtime.decode({ ...(await embedPrompt(runtime, ids)), cache: runtime.emptyCache() }, PLAIN)).logits;
    const [expected, actual] = [await run(vl), await run(plain)];
    actual.forEach((value, index) => assert.ok(Math.abs(value - expected[index]!) <= 1e-6 * (1 + Math.abs(expected[index]!)), `logit ${index}`));
    await plain.unload();
    await vl.unload();
  });
});

describe('Hugging Face hub cache', () => {
  it('runs a snapshot whose files are symlinks into blobs/: the graph cache links the real file', async () => {
    const root = tempDir();
    const snapshot = join(root, 'models--org--tiny', 'snapshots', 'main');
    const blobs = join(root, 'models--org--tiny', 'blobs');
    mkdirSync(snapshot, { recursive: true });
    mkdirSync(blobs, { recursive: true });
    for (const name of readdirSync(MODEL_DIR)) {
      cpSync(join(MODEL_DIR, name), join(blobs, `blob-${name}`), { recursive: true });
      symlinkSync(join('..', '..', 'blobs', `blob-${name}`), join(snapshot, name));
    }
    const cacheDir = tempDir();
    const linked = ModelRuntime.open(snapshot, { cacheDir });
    const link = statSync(join(linked.graphPath(LAYER), '..', 'weights-0.safetensors'));
    assert.equal(link.ino, statSync(join(blobs, 'blob-model.safetensors')).ino, 'a hard link to the blob, not to the symlink');
    const plain = ModelRuntime.open(MODEL_DIR, { cacheDir: tempDir() });
    const run = async (runtime: ModelRuntime) => (await runtime.decode({ ...(await embedPrompt(runtime, [5, 6, 7])), cache: runtime.emptyCache() }, PLAIN)).logits;
    assert.deepEqual(await run(linked), await run(plain));
    await linked.unload();
    await plain.unload();
  });
});

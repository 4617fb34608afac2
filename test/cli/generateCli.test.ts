/**
 * `frankenlens generate` end to end on the tiny fixture model: the first generated token is the
 * arg-max of the float64 reference forward's penalised logits for the same input ids (text and
 * image prompts), the effective settings are recorded, int8 weights run when asked (and are
 * recorded), and bad input fails cleanly.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadChatTemplate } from '../../src/core/text/chatTemplate';
import { loadTokenizer } from '../../src/core/text/tokenizer';
import { buildModelInputs, loadVisionLanguageProcessor } from '../../src/core/text/visionPrompt';
import { readImageFile } from '../../src/core/vision/imageDecode';
import { loadReferenceModel, referenceForward } from '../helpers/referenceForward';
import { tempDir } from '../helpers/tempDir';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');
const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures');
const MODEL_DIR = join(FIXTURES, 'qwen2_5_vl_tiny');
const IMAGE = join(FIXTURES, 'qwen_vl_processor', 'keyed_50x40.png');
const cacheDir = tempDir();

function frankenlens(...args: string[]) {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The token greedy decoding must pick first: arg-max of the reference logits after HF's repetition penalty. */
function expectedFirstToken(ids: number[], images?: { pixelValues: Float32Array; grids: { t: number; h: number; w: number }[] }): number {
  const run = referenceForward(loadReferenceModel(MODEL_DIR), ids, images);
  const vocab = run.logits.length / ids.length;
  const last = Array.from(run.logits.subarray((ids.length - 1) * vocab), (value, token) => (ids.includes(token) ? (value > 0 ? value / 1.05 : value * 1.05) : value));
  return last.indexOf(Math.max(...last));
}

describe('frankenlens generate', () => {
  it('answers a text prompt and records the effective settings', () => {
    const run = frankenlens('generate', '--model', MODEL_DIR, '--prompt', 'Describe a cat.', '--max-new-tokens', '5', '--threads', '1', '--cache-dir', cacheDir, '--json');
    assert.equal(run.status, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    const tokenizer = loadTokenizer(MODEL_DIR);
    const ids = tokenizer.encode(loadChatTemplate(MODEL_DIR, tokenizer).render([{ role: 'user', content: 'Describe a cat.' }], { addGenerationPrompt: true }));
    assert.equal(result.promptTokens, ids.length);
    assert.equal(result.tokens[0], expectedFirstToken(ids));
    assert.ok(result.tokens.length <= 5);
    assert.equal(result.text, tokenizer.decode(result.tokens, { skipSpecialTokens: true }));
    assert.equal(result.settings.repetitionPenalty, 1.05);
    assert.deepEqual(result.settings.eosTokenIds, [295, 294]);
    assert.equal(result.settings.decoding, 'greedy');
    assert.ok(result.settings.notApplied.some((entry: { field: string }) => entry.field === 'temperature'));
    assert.equal(result.executionProvider, 'cpu');
  });

  it('answers about a non-square image', () => {
    const run = frankenlens('generate', '--model', MODEL_DIR, '--image', IMAGE, '--prompt', 'What is this?', '--max-new-tokens', '3', '--cache-dir', cacheDir, '--json');
    assert.equal(run.status, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    const inputs = buildModelInputs(loadVisionLanguageProcessor(MODEL_DIR), [{ role: 'user', content: [{ type: 'image', image: readImageFile(IMAGE) }, { type: 'text', text: 'What is this?' }] }]);
    assert.equal(result.imageTokens, inputs.imagePadPositions.length);
    assert.ok(result.imageTokens > 0);
    const grids = inputs.images.map(({ gridThw: [t, h, w] }) => ({ t, h, w }));
    assert.equal(result.tokens[0], expectedFirstToken(inputs.inputIds, { pixelValues: inputs.pixelValues, grids }));
  });

  it('fails with one line for a missing model and a usage error for a bad device', () => {
    const missing = frankenlens('generate', '--model', join(cacheDir, 'nowhere'), '--prompt', 'hi');
    assert.equal(missing.status, 3);
    assert.match(missing.stderr, /^frankenlens: error: .*nowhere/);
    assert.equal(missing.stderr.trim().split('\n').length, 1);
    const device = frankenlens('generate', '--model', MODEL_DIR, '--prompt', 'hi', '--device', 'tpu');
    assert.equal(device.status, 2);
    assert.match(device.stderr, /--device must be one of auto, cpu, cuda, not/);
    const precision = frankenlens('generate', '--model', MODEL_DIR, '--prompt', 'hi', '--precision', 'int4');
    assert.equal(precision.status, 2);
    assert.match(precision.stderr, /--precision must be one of float32, int8, not "int4"/);
  });

  it('runs with int8 weights when asked, and records it', () => {
    const run = frankenlens('generate', '--model', MODEL_DIR, '--prompt', 'Describe a cat.', '--max-new-tokens', '3', '--threads', '1', '--precision', 'int8', '--cache-dir', cacheDir, '--json');
    assert.equal(run.status, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.precision, 'int8');
    assert.ok(result.tokens.length >= 1 && result.tokens.length <= 3);
    assert.match(run.stderr, /answers up to 3 tokens, CPU int8 weights\)/);
  });
});

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { byteLevelAlphabet } from '../../../src/core/synthetic/byteLevelBpe';
import { loadTokenizer } from '../../../src/core/text/tokenizer';
import { tempDir } from '../../helpers/tempDir';
import { qwenProcessorFiles, qwenSpecialTokenIds } from '../../../src/core/synthetic/qwenProcessorFiles';

const FIXTURE = 'test/fixtures/qwen2_5_vl_tiny';
/** The settings the tiny fixture's files were generated with: images of 2×2 to 4×4 tiles of 28 px. */
const TINY_PROCESSOR_OPTIONS = { specialTokenIds: qwenSpecialTokenIds(300), seed: 0, minPixels: 4 * 28 * 28, maxPixels: 16 * 28 * 28 };

test('the tiny fixture files are what the generator writes (FRANKENLENS_UPDATE_FIXTURES=1 rewrites them)', () => {
  const files = qwenProcessorFiles(TINY_PROCESSOR_OPTIONS);
  for (const [name, contents] of Object.entries(files)) {
    if (process.env.FRANKENLENS_UPDATE_FIXTURES === '1') writeFileSync(join(FIXTURE, name), contents);
    assert.equal(readFileSync(join(FIXTURE, name), 'utf8'), contents, name);
  }
});

test('special ids agree with the fixture config.json, and the vocabulary fills every id below them', () => {
  const config = JSON.parse(readFileSync(join(FIXTURE, 'config.json'), 'utf8'));
  const ids = qwenSpecialTokenIds(config.vocab_size);
  assert.deepEqual(
    [ids.imagePad, ids.visionStart, ids.visionEnd, ids.videoPad, ids.endOfText, ids.imEnd],
    [config.image_token_id, config.vision_start_token_id, config.vision_end_token_id, config.video_token_id, config.bos_token_id, config.eos_token_id],
  );
  const tokenizer = JSON.parse(qwenProcessorFiles(TINY_PROCESSOR_OPTIONS)['tokenizer.json']);
  const vocab: Record<string, number> = tokenizer.model.vocab;
  assert.deepEqual(Object.values(vocab).sort((a, b) => a - b), Array.from({ length: 290 }, (_, i) => i));
  assert.deepEqual(tokenizer.added_tokens.map((t: { id: number; content: string }) => [t.id, t.content]), [
    [290, '<|image_pad|>'], [291, '<|vision_start|>'], [292, '<|vision_end|>'], [293, '<|video_pad|>'],
    [294, '<|endoftext|>'], [295, '<|im_end|>'], [296, '<|im_start|>'],
  ]);
  // Every merge joins two tokens already in the vocabulary into one that is in it too.
  for (const merge of tokenizer.model.merges as string[]) {
    const [left, right] = merge.split(' ');
    assert.ok(left! in vocab && right! in vocab && left! + right! in vocab, merge);
  }
});

test('the byte alphabet is a bijection of the 256 bytes onto 256 printable characters', () => {
  const alphabet = byteLevelAlphabet();
  assert.equal(new Set(alphabet.map((entry) => entry.byte)).size, 256);
  assert.equal(new Set(alphabet.map((entry) => entry.char)).size, 256);
  for (const { char } of alphabet) assert.match(char, /^[^\s\p{Cc}]$/u);
  assert.deepEqual(alphabet.slice(0, 3).map((entry) => entry.char), ['!', '"', '#']);
  assert.equal(alphabet.find((entry) => entry.byte === 0x20)!.char, 'Ġ');
  assert.equal(alphabet.find((entry) => entry.byte === 0x0a)!.char, 'Ċ');
});

test('merges depend only on the seed', () => {
  const merges = (seed: number) => JSON.parse(qwenProcessorFiles({ ...TINY_PROCESSOR_OPTIONS, seed })['tokenizer.json']).model.merges;
  assert.deepEqual(merges(0), merges(0));
  assert.notDeepEqual(merges(0), merges(1));
});

test('bigger synthetic models get a vocabulary that reaches their special ids', () => {
  const tokenizer = JSON.parse(qwenProcessorFiles({ ...TINY_PROCESSOR_OPTIONS, specialTokenIds: qwenSpecialTokenIds(2048) })['tokenizer.json']);
  assert.equal(Object.keys(tokenizer.model.vocab).length, 2038);
  assert.equal(tokenizer.added_tokens[0].id, 2038);
});

test('a Qwen-sized vocabulary learns fewer tokens and leaves the ids up to the special tokens unused', () => {
  const dir = tempDir();
  const files = qwenProcessorFiles({ ...TINY_PROCESSOR_OPTIONS, specialTokenIds: qwenSpecialTokenIds(151936), learnedVocabSize: 1000 });
  for (const [name, contents] of Object.entries(files)) writeFileSync(join(dir, name), contents);
  const tokenizer = loadTokenizer(dir);
  assert.equal(tokenizer.vocabSize, 151933);
  assert.deepEqual(tokenizer.encode('<|im_start|>user<|im_end|><|image_pad|>'), [151932, ...tokenizer.encode('user'), 151931, 151926]);
  assert.ok(tokenizer.encode('user').every((id) => id < 1000));
  assert.throws(() => qwenProcessorFiles({ ...TINY_PROCESSOR_OPTIONS, learnedVocabSize: 291 }), /between 256 and the first special id 290/);
});

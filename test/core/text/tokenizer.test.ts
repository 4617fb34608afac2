import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FrankenlensError } from '../../../src/core/errors';
import { loadTokenizer } from '../../../src/core/text/tokenizer';
import { tempDir } from '../../helpers/tempDir';

const FIXTURE = 'test/fixtures/qwen2_5_vl_tiny';
/** Expected ids from a naive byte-level BPE in Python (scripts/goldens/tinyTokenizerGoldens.py). */
const GOLDENS: { encodings: { text: string; ids: number[] }[] } = JSON.parse(readFileSync('test/fixtures/qwen2_5_vl_tiny_text_goldens.json', 'utf8'));

test('encodings equal an independent naive BPE for fixed and 200 seeded random texts', () => {
  const tokenizer = loadTokenizer(FIXTURE);
  assert.ok(GOLDENS.encodings.length > 200);
  for (const { text, ids } of GOLDENS.encodings) assert.deepEqual(tokenizer.encode(text), ids, JSON.stringify(text));
  // The learned merges do fire: a common word is fewer tokens than bytes.
  assert.ok(tokenizer.encode(' the answer').length < ' the answer'.length);
});

test('special tokens are never split, and text that merely resembles one is', () => {
  const tokenizer = loadTokenizer(FIXTURE);
  assert.deepEqual(tokenizer.encode('<|vision_start|><|image_pad|><|image_pad|><|vision_end|>'), [291, 290, 290, 292]);
  assert.equal(tokenizer.tokenId('<|im_start|>'), 296);
  assert.ok(!tokenizer.encode('<|image_pad').includes(290));
  assert.equal(tokenizer.vocabSize, 297);
  assert.equal(tokenizer.specialToken('eos_token'), '<|im_end|>');
  assert.equal(tokenizer.specialToken('bos_token'), null);
});

test('decode(encode(x)) gives x back for unicode text; skipSpecialTokens drops chat markers', () => {
  const tokenizer = loadTokenizer(FIXTURE);
  for (const text of ['héllo wörld, 你好 🙂👍🏽', 'tabs\tand\nnewlines\r\n  spaces  ', "DON'T 3.14", 'Ω≈ç√∫˜µ≤≥÷']) {
    assert.equal(tokenizer.decode(tokenizer.encode(text)), text);
  }
  for (const { text } of GOLDENS.encodings) assert.equal(tokenizer.decode(tokenizer.encode(text)), text.normalize('NFC'));
  const chat = '<|im_start|>assistant\nThe answer is 4.<|im_end|>';
  assert.equal(tokenizer.decode(tokenizer.encode(chat), { skipSpecialTokens: true }), 'assistant\nThe answer is 4.');
  assert.equal(tokenizer.decode([]), '');
  // 297–299 are embedding rows with no token (padding), which decode to nothing, as in HF.
  assert.equal(tokenizer.decode([...tokenizer.encode('ab'), 299, ...tokenizer.encode('c')]), 'abc');
  assert.equal(tokenizer.decode([299]), '');
  assert.throws(() => tokenizer.decode([-1]), (error: FrankenlensError) => error.code === 'InvalidArgument' && /-1/.test(error.message));
});

test('missing or broken tokenizer files give errors that name the file', () => {
  const dir = tempDir();
  assert.throws(() => loadTokenizer(dir), (error: FrankenlensError) => error.code === 'InvalidTokenizer' && error.file === join(dir, 'tokenizer.json') && /missing/.test(error.message));
  writeFileSync(join(dir, 'vocab.json'), '{}');
  assert.throws(() => loadTokenizer(dir), /vocab\.json\/merges\.txt/);
  writeFileSync(join(dir, 'tokenizer.json'), '{"model": ');
  assert.throws(() => loadTokenizer(dir), (error: FrankenlensError) => error.file === join(dir, 'tokenizer.json') && /not valid JSON/.test(error.message));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify({ model: { type: 'NoSuchModel' }, added_tokens: [] }));
  assert.throws(() => loadTokenizer(dir), (error: FrankenlensError) => error.code === 'InvalidTokenizer' && /unsupported or invalid/.test(error.message));
  copyFileSync(join(FIXTURE, 'tokenizer.json'), join(dir, 'tokenizer.json'));
  writeFileSync(join(dir, 'tokenizer_config.json'), '[1]');
  assert.throws(() => loadTokenizer(dir), (error: FrankenlensError) => error.file === join(dir, 'tokenizer_config.json'));
  assert.throws(() => loadTokenizer(FIXTURE).tokenId('<|box_start|>'), /has no token "<\|box_start\|>"/);
});

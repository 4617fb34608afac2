import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { FrankenlensError } from '../../../src/core/errors';
import { loadGenerationSettings, maxNewTokensFor } from '../../../src/core/text/generationConfig';
import { tempDir } from '../../helpers/tempDir';

test('the fixture generation_config.json: eos ids, penalty, and the sampling fields greedy decoding overrides', () => {
  const settings = loadGenerationSettings('test/fixtures/qwen2_5_vl_tiny');
  assert.deepEqual(settings, {
    source: join('test/fixtures/qwen2_5_vl_tiny', 'generation_config.json'),
    eosTokenIds: [295, 294],
    bosTokenId: 294,
    padTokenId: 294,
    repetitionPenalty: 1.05,
    maxNewTokens: null,
    maxLength: 20,
    notApplied: [
      { field: 'do_sample', value: true, reason: 'greedy decoding' },
      { field: 'temperature', value: 0.1, reason: 'greedy decoding' },
      { field: 'top_k', value: 1, reason: 'greedy decoding' },
      { field: 'top_p', value: 0.001, reason: 'greedy decoding' },
    ],
  });
  // transformers 4.50: max_length at its default 20 means 20 new tokens, capped by max_position_embeddings.
  assert.equal(maxNewTokensFor(settings, 12), 20);
  assert.equal(maxNewTokensFor(settings, 25), 20);
  assert.equal(maxNewTokensFor(settings, 500, 512), 12);
  assert.equal(maxNewTokensFor({ ...settings, maxNewTokens: 64 }, 25), 64);
});

test('an explicit max_length counts the prompt, and a prompt that reaches it is refused as transformers does', () => {
  const settings = { source: 'generation_config.json', maxNewTokens: null, maxLength: 32 };
  assert.equal(maxNewTokensFor(settings, 12), 20);
  assert.throws(() => maxNewTokensFor(settings, 32), (error: FrankenlensError) => error.code === 'InvalidArgument' && /generation_config\.json: Input length of input_ids is 32, but `max_length` is set to 32\./.test(error.message));
});

test('without generation_config.json the ids come from config.json (or its text_config), with no penalty', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ bos_token_id: 1, text_config: { eos_token_id: [2, 3], pad_token_id: 0 } }));
  const settings = loadGenerationSettings(dir);
  assert.equal(settings.source, join(dir, 'config.json'));
  assert.deepEqual([settings.eosTokenIds, settings.bosTokenId, settings.padTokenId, settings.repetitionPenalty, settings.notApplied], [[2, 3], 1, 0, 1, []]);
});

test('inert defaults are not listed; unimplemented fields that matter are', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: 7, do_sample: false, num_beams: 1, top_k: 50, no_repeat_ngram_size: 3, max_new_tokens: 100, bad_words_ids: [] }));
  const settings = loadGenerationSettings(dir);
  assert.deepEqual(settings.eosTokenIds, [7]);
  assert.equal(settings.maxNewTokens, 100);
  assert.deepEqual(settings.notApplied, [{ field: 'no_repeat_ngram_size', value: 3, reason: 'not implemented' }]);
});

test('invalid values and missing files are errors naming the file', () => {
  const dir = tempDir();
  assert.throws(() => loadGenerationSettings(dir), (error: FrankenlensError) => error.file === join(dir, 'config.json') && /missing/.test(error.message));
  const file = join(dir, 'generation_config.json');
  for (const [json, pattern] of [
    ['{"repetition_penalty": 0}', /repetition_penalty is 0, expected a positive number/],
    ['{"eos_token_id": [1, "x"]}', /eos_token_id/],
    ['{"max_new_tokens": 1.5}', /max_new_tokens is 1.5/],
    ['{"pad_token_id": -1}', /pad_token_id/],
    ['not json', /not valid JSON/],
  ] as const) {
    writeFileSync(file, json);
    assert.throws(() => loadGenerationSettings(dir), (error: FrankenlensError) => error.code === 'InvalidConfig' && error.file === file && pattern.test(error.message), json);
  }
});

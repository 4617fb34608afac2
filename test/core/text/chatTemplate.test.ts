import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { FrankenlensError } from '../../../src/core/errors';
import { loadChatTemplate, type ChatMessage } from '../../../src/core/text/chatTemplate';
import { loadTokenizer } from '../../../src/core/text/tokenizer';
import { tempDir } from '../../helpers/tempDir';

const FIXTURE = 'test/fixtures/qwen2_5_vl_tiny';
/** Rendered by Python jinja2 as transformers configures it (scripts/goldens/tinyTokenizerGoldens.py). */
const CHATS: { messages: ChatMessage[]; add_generation_prompt: boolean; rendered: string }[] =
  JSON.parse(readFileSync('test/fixtures/qwen2_5_vl_tiny_text_goldens.json', 'utf8')).chats;

test('the fixture template renders as Python jinja2 renders it', () => {
  const template = loadChatTemplate(FIXTURE, loadTokenizer(FIXTURE));
  assert.equal(template.file, join(FIXTURE, 'tokenizer_config.json'));
  assert.equal(CHATS.length, 3);
  for (const chat of CHATS) assert.equal(template.render(chat.messages, { addGenerationPrompt: chat.add_generation_prompt }), chat.rendered);
});

test('the Qwen2-VL turn format, written out by hand', () => {
  const template = loadChatTemplate(FIXTURE, loadTokenizer(FIXTURE));
  const rendered = template.render([{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'How many?' }] }], { addGenerationPrompt: true });
  assert.equal(rendered, [
    '<|im_start|>system', 'You are a helpful assistant.<|im_end|>',
    '<|im_start|>user', '<|vision_start|><|image_pad|><|vision_end|>How many?<|im_end|>',
    '<|im_start|>assistant', '',
  ].join('\n'));
});

function checkpointWithTemplate(files: Record<string, string>): string {
  const dir = tempDir();
  for (const name of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(FIXTURE, name), join(dir, name));
  for (const [name, contents] of Object.entries(files)) writeFileSync(join(dir, name), contents);
  return dir;
}

test('chat_template.jinja, then chat_template.json, take precedence over tokenizer_config.json', () => {
  const messages: ChatMessage[] = [{ role: 'user', content: 'hi' }];
  let dir = checkpointWithTemplate({ 'chat_template.json': JSON.stringify({ chat_template: 'json:{{ messages[0].content }}' }) });
  assert.equal(loadChatTemplate(dir, loadTokenizer(dir)).render(messages), 'json:hi');
  dir = checkpointWithTemplate({ 'chat_template.json': '{"chat_template": "json"}', 'chat_template.jinja': 'jinja:{{ eos_token }}' });
  assert.equal(loadChatTemplate(dir, loadTokenizer(dir)).render(messages), 'jinja:<|im_end|>');
  dir = checkpointWithTemplate({ 'chat_template.json': JSON.stringify({ chat_template: [{ name: 'tool_use', template: 'tools' }, { name: 'default', template: 'default' }] }) });
  assert.equal(loadChatTemplate(dir, loadTokenizer(dir)).render(messages), 'default');
});

test('template errors name the file', () => {
  let dir = checkpointWithTemplate({ 'chat_template.jinja': '{% for m in messages %}' });
  assert.throws(() => loadChatTemplate(dir, loadTokenizer(dir)), (error: FrankenlensError) =>
    error.code === 'InvalidChatTemplate' && error.file === join(dir, 'chat_template.jinja') && /does not parse/.test(error.message));
  dir = checkpointWithTemplate({ 'chat_template.jinja': "{{ raise_exception('roles must alternate') }}" });
  assert.throws(() => loadChatTemplate(dir, loadTokenizer(dir)).render([]), (error: FrankenlensError) =>
    error.file === join(dir, 'chat_template.jinja') && /failed to render.*roles must alternate/.test(error.message));
  dir = checkpointWithTemplate({ 'tokenizer_config.json': '{}' });
  assert.throws(() => loadChatTemplate(dir, loadTokenizer(dir)), (error: FrankenlensError) =>
    error.file === join(dir, 'tokenizer_config.json') && /no chat_template/.test(error.message));
});

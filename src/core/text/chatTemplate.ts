/**
 * A checkpoint's chat template, rendered with @huggingface/jinja the way transformers'
 * `apply_chat_template` renders it (trim_blocks, lstrip_blocks, the tokenizer's special tokens in scope).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from '@huggingface/jinja';
import { readCheckpointJson } from '../checkpoint/checkpointJson';
import { FrankenlensError } from '../errors';
import { CONFIG_FILE_BYTES, isStackOverflow, nestedTooDeeply, readRegularFileText } from '../regularFile';
import type { TextTokenizer } from './tokenizer';

/** Content parts in the Qwen2-VL message format; an image part marks where the image goes. */
export type ChatContentPart = { type: 'text'; text: string } | { type: 'image' };

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | ChatContentPart[];
}

export interface ChatTemplate {
  /** The file the template came from. */
  readonly file: string;
  render(messages: readonly ChatMessage[], options?: { addGenerationPrompt?: boolean }): string;
}

/**
 * The template transformers' processor would use: chat_template.jinja, then chat_template.json (the
 * processor's), then tokenizer_config.json's `chat_template` (the only place older checkpoints keep it).
 */
export function loadChatTemplate(dir: string, tokenizer: TextTokenizer): ChatTemplate {
  const { file, source } = findTemplateSource(dir, tokenizer);
  let template: Template;
  try {
    template = new Template(source);
  } catch (error) {
    if (isStackOverflow(error)) throw nestedTooDeeply(file);
    throw new FrankenlensError('InvalidChatTemplate', `${file}: the chat template does not parse (${(error as Error).message})`, file);
  }
  const specialTokens = Object.fromEntries((['bos_token', 'eos_token', 'pad_token', 'unk_token'] as const).map((name) => [name, tokenizer.specialToken(name)]));
  return {
    file,
    render(messages, options = {}) {
      try {
        return template.render({ ...specialTokens, messages: messages.map((message) => ({ ...message })), add_generation_prompt: options.addGenerationPrompt ?? false });
      } catch (error) {
        if (isStackOverflow(error)) throw nestedTooDeeply(file);
        throw new FrankenlensError('InvalidChatTemplate', `${file}: the chat template failed to render (${(error as Error).message})`, file);
      }
    },
  };
}

function findTemplateSource(dir: string, tokenizer: TextTokenizer): { file: string; source: string } {
  const jinjaFile = join(dir, 'chat_template.jinja');
  if (existsSync(jinjaFile)) return { file: jinjaFile, source: readRegularFileText(jinjaFile, { code: 'InvalidChatTemplate', maxBytes: CONFIG_FILE_BYTES }) };
  const processorFile = join(dir, 'chat_template.json');
  if (existsSync(processorFile)) return { file: processorFile, source: templateField(readCheckpointJson(processorFile, 'InvalidChatTemplate').chat_template, processorFile) };
  const configFile = join(dir, 'tokenizer_config.json');
  return { file: configFile, source: templateField(tokenizer.config.chat_template, configFile) };
}

/** `chat_template` is a string, or a list of named templates of which "default" is the chat one. */
function templateField(value: unknown, file: string): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const named = value.find((entry) => entry?.name === 'default');
    if (typeof named?.template === 'string') return named.template;
  }
  throw new FrankenlensError('InvalidChatTemplate', `${file}: no chat_template (a string, or a list with a "default" entry)`, file);
}

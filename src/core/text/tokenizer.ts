/**
 * A checkpoint's tokenizer, built from its local tokenizer.json and tokenizer_config.json by
 * @huggingface/tokenizers (never fetched). Encoding follows `tokenizer(text)` in transformers:
 * special tokens written in the text stay whole, and the post-processor's own tokens are added.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { readCheckpointJson } from '../checkpoint/checkpointJson';
import { FrankenlensError } from '../errors';
import { isStackOverflow, nestedTooDeeply, TOKENIZER_FILE_BYTES } from '../regularFile';

export interface TextTokenizer {
  /** The tokenizer.json it was built from. */
  readonly file: string;
  /** tokenizer_config.json as parsed ({} when the checkpoint has none). */
  readonly config: Readonly<Record<string, unknown>>;
  /** One more than the largest token id. */
  readonly vocabSize: number;
  encode(text: string): number[];
  /** `skipSpecialTokens` drops special tokens (chat markers, image pads) as transformers' decode does. */
  decode(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string;
  /** The id of a token written as text, e.g. `<|image_pad|>`; a FrankenlensError when the vocabulary lacks it. */
  tokenId(token: string): number;
  /** A special token named in tokenizer_config.json (`eos_token`, `pad_token`, …), as text. */
  specialToken(name: 'bos_token' | 'eos_token' | 'pad_token' | 'unk_token'): string | null;
}

export function loadTokenizer(dir: string): TextTokenizer {
  const file = join(dir, 'tokenizer.json');
  if (!existsSync(file) && existsSync(join(dir, 'vocab.json'))) {
    throw new FrankenlensError('InvalidTokenizer', `${file}: missing (only the slow-tokenizer files vocab.json/merges.txt are present; save the tokenizer with a recent transformers to get tokenizer.json)`, file);
  }
  const json = readCheckpointJson(file, 'InvalidTokenizer', TOKENIZER_FILE_BYTES);
  const configFile = join(dir, 'tokenizer_config.json');
  const config = existsSync(configFile) ? readCheckpointJson(configFile, 'InvalidTokenizer') : {};
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(json, config);
  } catch (error) {
    if (isStackOverflow(error)) throw nestedTooDeeply(file);
    throw new FrankenlensError('InvalidTokenizer', `${file}: unsupported or invalid tokenizer (${(error as Error).message})`, file);
  }
  const vocab = tokenizer.get_vocab(true);
  // A loop, not Math.max(...ids): spreading a huge vocabulary overflows the stack.
  let vocabSize = 0;
  for (const id of vocab.values()) vocabSize = Math.max(vocabSize, id + 1);

  return {
    file,
    config,
    vocabSize,
    encode: (text) => tokenizer.encode(text).ids,
    decode(ids, options = {}) {
      for (const id of ids) {
        if (!Number.isInteger(id) || id < 0) throw new FrankenlensError('InvalidArgument', `token id ${id} is not a token id`, file);
      }
      // The embedding matrix is usually padded past the tokenizer (Qwen2.5: 151,936 rows for 151,665
      // tokens) and a model may emit a padding id; like HF's decode, ids with no token read as nothing.
      const known = ids.filter((id) => tokenizer.id_to_token(id) !== undefined);
      if (known.length === 0) return '';
      return tokenizer.decode(known, { skip_special_tokens: options.skipSpecialTokens ?? false });
    },
    tokenId(token) {
      const id = tokenizer.token_to_id(token);
      if (id === undefined) throw new FrankenlensError('InvalidTokenizer', `${file}: the vocabulary has no token ${JSON.stringify(token)}`, file);
      return id;
    },
    specialToken(name) {
      const value = config[name];
      // transformers writes special tokens either as text or as an AddedToken object.
      if (typeof value === 'string') return value;
      if (typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
      return null;
    },
  };
}

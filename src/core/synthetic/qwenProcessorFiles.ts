/**
 * The non-weight files of a synthetic Qwen2.5-VL checkpoint, in the layout Hugging Face writes:
 * tokenizer.json (byte-level BPE learned from a seeded corpus, Qwen's special tokens at given ids),
 * tokenizer_config.json with a Qwen2-VL-style chat template, preprocessor_config.json
 * (Qwen2VLImageProcessor) and generation_config.json.
 */
import { SequencePreTokenizer } from '@huggingface/tokenizers';
import { FrankenlensError } from '../errors';
import { learnByteLevelBpe } from './byteLevelBpe';

export interface QwenSpecialTokenIds {
  imagePad: number;
  visionStart: number;
  visionEnd: number;
  videoPad: number;
  /** `<|endoftext|>`: Qwen's bos and pad token. */
  endOfText: number;
  /** `<|im_end|>`: Qwen's eos token, closing every chat turn. */
  imEnd: number;
  imStart: number;
}

/**
 * The special-token layout of synthetic configs (`qwen2_5VlConfigJson`) and of the HF tiny fixture:
 * image pad, vision start/end, video pad, bos, eos at vocab−10…vocab−5, `<|im_start|>` after them.
 */
export function qwenSpecialTokenIds(vocabSize: number): QwenSpecialTokenIds {
  const first = vocabSize - 10;
  return { imagePad: first, visionStart: first + 1, visionEnd: first + 2, videoPad: first + 3, endOfText: first + 4, imEnd: first + 5, imStart: first + 6 };
}

const SPECIAL_TOKEN_CONTENT: Record<keyof QwenSpecialTokenIds, string> = {
  imagePad: '<|image_pad|>',
  visionStart: '<|vision_start|>',
  visionEnd: '<|vision_end|>',
  videoPad: '<|video_pad|>',
  endOfText: '<|endoftext|>',
  imEnd: '<|im_end|>',
  imStart: '<|im_start|>',
};

/** Qwen2's pre-tokenizer: its regex split (letters, single digits, punctuation runs, newlines), then bytes. */
const QWEN2_PRE_TOKENIZER = {
  type: 'Sequence',
  pretokenizers: [
    {
      type: 'Split',
      pattern: { Regex: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+" },
      behavior: 'Isolated',
      invert: false,
    },
    { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
  ],
};
const BYTE_LEVEL = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };

/**
 * Chat turns as `<|im_start|>role\n…<|im_end|>\n`, a default system turn when the first message is not
 * one, images as `<|vision_start|><|image_pad|><|vision_end|>` where they appear in the content list.
 */
const CHAT_TEMPLATE = [
  '{%- for message in messages -%}',
  "{%- if loop.first and message['role'] != 'system' -%}",
  "{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' -}}",
  '{%- endif -%}',
  "{{- '<|im_start|>' + message['role'] + '\\n' -}}",
  "{%- if message['content'] is string -%}",
  "{{- message['content'] -}}",
  '{%- else -%}',
  "{%- for part in message['content'] -%}",
  "{%- if part['type'] == 'image' -%}{{- '<|vision_start|><|image_pad|><|vision_end|>' -}}",
  "{%- elif part['type'] == 'text' -%}{{- part['text'] -}}",
  '{%- endif -%}',
  '{%- endfor -%}',
  '{%- endif -%}',
  "{{- '<|im_end|>\\n' -}}",
  '{%- endfor -%}',
  "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}",
].join('\n');

/** OpenAI CLIP's normalisation, which Qwen2-VL's image processor uses. */
const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073];
const CLIP_STD = [0.26862954, 0.26130258, 0.27577711];

export interface QwenProcessorFilesOptions {
  specialTokenIds: QwenSpecialTokenIds;
  /** Seeds the BPE training corpus. */
  seed: number;
  /**
   * Tokens the BPE learns (256 bytes included); default: every id below the first special token.
   * Big vocabularies (Qwen's 151k) need a smaller number: ids between stay unused, as in real checkpoints.
   */
  learnedVocabSize?: number;
  /** The image processor's pixel budget; Qwen2.5-VL ships 3136 and 12845056. */
  minPixels: number;
  maxPixels: number;
  /** Qwen2.5-VL-Instruct ships 1.05. */
  repetitionPenalty?: number;
}

/** File name → contents; pass as `files` to `writeCheckpointFolder` or write beside config.json. */
export function qwenProcessorFiles(options: QwenProcessorFilesOptions): Record<string, string> {
  const ids = options.specialTokenIds;
  const specials = (Object.keys(SPECIAL_TOKEN_CONTENT) as (keyof QwenSpecialTokenIds)[])
    .map((key) => ({ id: ids[key], content: SPECIAL_TOKEN_CONTENT[key] }))
    .sort((a, b) => a.id - b.id);
  const learnedVocabSize = options.learnedVocabSize ?? specials[0]!.id;
  if (learnedVocabSize < 256 || learnedVocabSize > specials[0]!.id) {
    throw new FrankenlensError('InvalidArgument', `learnedVocabSize ${learnedVocabSize} must lie between 256 and the first special id ${specials[0]!.id}`);
  }
  const preTokenizer = new SequencePreTokenizer(QWEN2_PRE_TOKENIZER as ConstructorParameters<typeof SequencePreTokenizer>[0]);
  const bpe = learnByteLevelBpe(learnedVocabSize, options.seed, (text) => preTokenizer.pre_tokenize(text));

  const addedToken = (token: { id: number; content: string }) => ({
    id: token.id, content: token.content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
  });
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map(addedToken),
    normalizer: { type: 'NFC' },
    pre_tokenizer: QWEN2_PRE_TOKENIZER,
    post_processor: BYTE_LEVEL,
    decoder: BYTE_LEVEL,
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '',
      fuse_unk: false, byte_fallback: false, ignore_merges: false,
      vocab: Object.fromEntries(bpe.vocab),
      merges: bpe.merges.map(([left, right]) => `${left} ${right}`),
    },
  };
  const tokenizerConfig = {
    add_bos_token: false,
    add_prefix_space: false,
    added_tokens_decoder: Object.fromEntries(specials.map((token) => {
      const { id, ...rest } = addedToken(token);
      return [String(id), rest];
    })),
    additional_special_tokens: specials.filter((token) => token.id !== ids.endOfText).map((token) => token.content),
    bos_token: null,
    chat_template: CHAT_TEMPLATE,
    clean_up_tokenization_spaces: false,
    eos_token: SPECIAL_TOKEN_CONTENT.imEnd,
    errors: 'replace',
    model_max_length: 32768,
    pad_token: SPECIAL_TOKEN_CONTENT.endOfText,
    split_special_tokens: false,
    tokenizer_class: 'Qwen2Tokenizer',
    unk_token: null,
  };
  const preprocessorConfig = {
    do_convert_rgb: true,
    do_normalize: true,
    do_rescale: true,
    do_resize: true,
    image_mean: CLIP_MEAN,
    image_processor_type: 'Qwen2VLImageProcessor',
    image_std: CLIP_STD,
    max_pixels: options.maxPixels,
    merge_size: 2,
    min_pixels: options.minPixels,
    patch_size: 14,
    processor_class: 'Qwen2_5_VLProcessor',
    resample: 3,
    rescale_factor: 1 / 255,
    temporal_patch_size: 2,
  };
  // Qwen2.5-VL-Instruct's own generation settings: sampling fields that greedy decoding overrides included.
  const generationConfig = {
    bos_token_id: ids.endOfText,
    do_sample: true,
    eos_token_id: [ids.imEnd, ids.endOfText],
    pad_token_id: ids.endOfText,
    repetition_penalty: options.repetitionPenalty ?? 1.05,
    temperature: 0.1,
    top_k: 1,
    top_p: 0.001,
  };
  const json = (value: unknown) => JSON.stringify(value, null, 2) + '\n';
  return {
    'tokenizer.json': json(tokenizerJson),
    'tokenizer_config.json': json(tokenizerConfig),
    'preprocessor_config.json': json(preprocessorConfig),
    'generation_config.json': json(generationConfig),
  };
}

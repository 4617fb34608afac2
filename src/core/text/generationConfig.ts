/**
 * The generation settings a checkpoint asks for (generation_config.json, else config.json's token ids,
 * as transformers falls back), resolved to what greedy decoding actually uses. Fields that do not apply
 * are kept with the reason, so every run can record exactly which settings were in effect.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readCheckpointJson } from '../checkpoint/checkpointJson';
import { FrankenlensError } from '../errors';
import { previewValue } from '../regularFile';

export interface GenerationSettings {
  /** The file the values came from. */
  source: string;
  /** Decoding stops after any of these ids. */
  eosTokenIds: number[];
  bosTokenId: number | null;
  padTokenId: number | null;
  /** transformers' CTRL-style penalty on logits of ids already in the sequence; 1 is off. */
  repetitionPenalty: number;
  /** New tokens to generate at most; null defers to `maxLength`. */
  maxNewTokens: number | null;
  /** Prompt plus new tokens at most (transformers' default 20 when neither limit is set). */
  maxLength: number;
  /** Fields of the file that greedy decoding here does not apply, with why. */
  notApplied: { field: string; value: unknown; reason: string }[];
}

/** Sampling and beam fields: greedy decoding ignores them, as `generate(do_sample=False)` does. */
const OVERRIDDEN_BY_GREEDY = ['do_sample', 'temperature', 'top_k', 'top_p', 'min_p', 'typical_p', 'epsilon_cutoff', 'eta_cutoff', 'num_beams', 'num_beam_groups', 'diversity_penalty', 'length_penalty', 'early_stopping', 'num_return_sequences'];
/** Fields that would change greedy output but that the decoder does not implement. */
const NOT_IMPLEMENTED = ['no_repeat_ngram_size', 'encoder_no_repeat_ngram_size', 'encoder_repetition_penalty', 'bad_words_ids', 'force_words_ids', 'min_length', 'min_new_tokens', 'suppress_tokens', 'begin_suppress_tokens', 'forced_bos_token_id', 'forced_eos_token_id', 'sequence_bias', 'exponential_decay_length_penalty', 'renormalize_logits', 'stop_strings', 'max_time'];
/** Values of the fields above that are transformers' defaults, i.e. do nothing. */
const INERT_VALUES: Record<string, unknown> = { do_sample: false, temperature: 1, top_k: 50, top_p: 1, typical_p: 1, min_p: null, epsilon_cutoff: 0, eta_cutoff: 0, num_beams: 1, num_beam_groups: 1, diversity_penalty: 0, length_penalty: 1, early_stopping: false, num_return_sequences: 1, no_repeat_ngram_size: 0, encoder_no_repeat_ngram_size: 0, encoder_repetition_penalty: 1, min_length: 0, renormalize_logits: false };
const HF_DEFAULT_MAX_LENGTH = 20;

export function loadGenerationSettings(dir: string): GenerationSettings {
  const generationFile = join(dir, 'generation_config.json');
  const fromGenerationFile = existsSync(generationFile);
  const source = fromGenerationFile ? generationFile : join(dir, 'config.json');
  const raw = readCheckpointJson(source, 'InvalidConfig');
  // A VL config may keep the text model's token ids in text_config.
  const textConfig = !fromGenerationFile && typeof raw.text_config === 'object' && raw.text_config !== null ? (raw.text_config as Record<string, unknown>) : {};
  const field = (name: string) => raw[name] ?? textConfig[name];

  const tokenId = (name: string): number | null => {
    const value = field(name);
    if (value === undefined || value === null) return null;
    if (!Number.isInteger(value) || (value as number) < 0) throw invalid(source, name, value, 'a token id');
    return value as number;
  };
  const eos = field('eos_token_id');
  const eosList = eos === undefined || eos === null ? [] : Array.isArray(eos) ? eos : [eos];
  for (const id of eosList) if (!Number.isInteger(id) || id < 0) throw invalid(source, 'eos_token_id', eos, 'a token id or a list of them');

  const repetitionPenalty = raw.repetition_penalty ?? 1;
  if (typeof repetitionPenalty !== 'number' || !(repetitionPenalty > 0)) throw invalid(source, 'repetition_penalty', repetitionPenalty, 'a positive number');
  const positiveInteger = (name: string): number | null => {
    const value = raw[name];
    if (value === undefined || value === null) return null;
    if (!Number.isInteger(value) || (value as number) <= 0) throw invalid(source, name, value, 'a positive integer');
    return value as number;
  };

  const notApplied: GenerationSettings['notApplied'] = [];
  for (const [name, value] of Object.entries(fromGenerationFile ? raw : {})) {
    if (value === undefined || value === null || INERT_VALUES[name] === value) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    if (OVERRIDDEN_BY_GREEDY.includes(name)) notApplied.push({ field: name, value, reason: 'greedy decoding' });
    else if (NOT_IMPLEMENTED.includes(name)) notApplied.push({ field: name, value, reason: 'not implemented' });
  }

  return {
    source,
    eosTokenIds: [...new Set(eosList as number[])],
    bosTokenId: tokenId('bos_token_id'),
    padTokenId: tokenId('pad_token_id'),
    repetitionPenalty,
    maxNewTokens: positiveInteger('max_new_tokens'),
    maxLength: positiveInteger('max_length') ?? HF_DEFAULT_MAX_LENGTH,
    notApplied,
  };
}

/**
 * How many tokens may follow a prompt of `promptLength`, as transformers (4.50) decides it: max_new_tokens
 * when set; else a max_length of transformers' default 20 means 20 new tokens (capped by the model's
 * max_position_embeddings); any other max_length counts the prompt, and a prompt that reaches it is
 * refused with transformers' own message.
 */
export function maxNewTokensFor(settings: Pick<GenerationSettings, 'maxNewTokens' | 'maxLength' | 'source'>, promptLength: number, maxPositionEmbeddings?: number): number {
  if (settings.maxNewTokens !== null) return settings.maxNewTokens;
  if (settings.maxLength === HF_DEFAULT_MAX_LENGTH) {
    const total = settings.maxLength + promptLength;
    return (maxPositionEmbeddings === undefined ? total : Math.min(total, maxPositionEmbeddings)) - promptLength;
  }
  if (promptLength >= settings.maxLength) {
    throw new FrankenlensError('InvalidArgument', `${settings.source}: Input length of input_ids is ${promptLength}, but \`max_length\` is set to ${settings.maxLength}. This can lead to unexpected behavior. You should consider increasing \`max_length\` or, better yet, setting \`max_new_tokens\` (--max-new-tokens).`, settings.source);
  }
  return settings.maxLength - promptLength;
}

function invalid(file: string, field: string, value: unknown, expected: string): FrankenlensError {
  return new FrankenlensError('InvalidConfig', `${file}: ${field} is ${previewValue(value)}, expected ${expected}`, file);
}

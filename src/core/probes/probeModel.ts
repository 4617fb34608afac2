/**
 * One checkpoint opened for probing: its runtime, processor and the greedy settings of its own
 * generation_config.json (repetition penalty and stop tokens included, as HF applies them), plus
 * the chat-to-decoder-inputs step every probe shares.
 */
import { fingerprintFiles, type FileFingerprint } from '../checkpoint/fingerprint';
import type { GreedySettings } from '../model/generate';
import { ModelRuntime, type RuntimeOptions } from '../model/modelRuntime';
import { embedPrompt, type EmbeddedPrompt, type PromptImages } from '../model/promptEmbedding';
import { loadGenerationSettings, type GenerationSettings } from '../text/generationConfig';
import { buildModelInputs, loadVisionLanguageProcessor, type PromptMessage, type VisionLanguageProcessor } from '../text/visionPrompt';
import type { WeightPrecision } from '../model/graphOps';

/** IN (the cold-start SFT checkpoint) and RL, the two checkpoints every probe compares. */
export type ModelRole = 'in' | 'rl';
export const MODEL_ROLES: readonly ModelRole[] = ['in', 'rl'];

export interface ProbeModel {
  role: ModelRole;
  dir: string;
  runtime: ModelRuntime;
  processor: VisionLanguageProcessor;
  generation: GenerationSettings;
}

export function openProbeModel(role: ModelRole, dir: string, options: RuntimeOptions = {}): ProbeModel {
  return { role, dir, runtime: ModelRuntime.open(dir, options), processor: loadVisionLanguageProcessor(dir), generation: loadGenerationSettings(dir) };
}

/** Greedy settings with the checkpoint's penalty and stop tokens and the probe's token budget. */
export function greedySettings(model: ProbeModel, maxNewTokens: number): GreedySettings {
  return { maxNewTokens, repetitionPenalty: model.generation.repetitionPenalty, eosTokenIds: model.generation.eosTokenIds };
}

export interface PreparedPrompt {
  ids: number[];
  images: PromptImages | undefined;
  embedded: EmbeddedPrompt;
}

/** A chat (with the generation prompt added) through the checkpoint's template, processor and embedding. */
export async function preparePrompt(model: ProbeModel, messages: readonly PromptMessage[], extraIds: readonly number[] = []): Promise<PreparedPrompt> {
  const inputs = buildModelInputs(model.processor, messages);
  const ids = [...inputs.inputIds, ...extraIds];
  const images = inputs.images.length > 0 ? { pixelValues: inputs.pixelValues, grids: inputs.images.map(({ gridThw: [t, h, w] }) => ({ t, h, w })) } : undefined;
  return { ids, images, embedded: await embedPrompt(model.runtime, ids, images) };
}

/** The answer text as HF decodes it for the paper's scripts: new tokens, special tokens skipped. */
export function answerText(model: ProbeModel, tokens: readonly number[]): string {
  return model.processor.tokenizer.decode(tokens, { skipSpecialTokens: true });
}

/** What a result records about a checkpoint: where, which files, which generation settings. */
/** What a result records of a model: its folder and files, its generation settings, and where and in what precision it ran. */
export function modelRecord(model: ProbeModel): { role: ModelRole; dir: string; fingerprint: FileFingerprint[]; generation: GenerationSettings; executionProvider: 'cpu' | 'cuda' | null; precision: WeightPrecision } {
  return { role: model.role, dir: model.dir, fingerprint: fingerprintFiles(model.runtime.checkpoint), generation: model.generation, executionProvider: model.runtime.providerUsed ?? null, precision: model.runtime.precision };
}

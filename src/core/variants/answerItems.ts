/**
 * Greedy answers of one model to benchmark items: the same code for a checkpoint and for a merge
 * variant run from referenced weights (their runtimes differ only in where the weights lie). The
 * tokenizer, processor, chat template and generation settings come from the runtime's checkpoint,
 * which for a variant is the plan's primary model (the one the merge writer copies them from).
 */
import type { BenchmarkItem } from '../bench/benchmarkItems';
import { generateGreedy, type Generation } from '../model/generate';
import type { ModelRuntime } from '../model/modelRuntime';
import { embedPrompt } from '../model/promptEmbedding';
import { conditionMessages, type Condition, type Describer, type PromptStyle } from '../probes/conditions';
import type { CancelToken } from '../progress';
import { loadGenerationSettings, type GenerationSettings } from '../text/generationConfig';
import { buildModelInputs, loadVisionLanguageProcessor, type VisionLanguageProcessor } from '../text/visionPrompt';

export interface AnsweringModel {
  /** "IN", "RL" or the plan's name. */
  name: string;
  runtime: ModelRuntime;
  processor: VisionLanguageProcessor;
  generation: GenerationSettings;
}

export function answeringModel(name: string, runtime: ModelRuntime): AnsweringModel {
  const dir = runtime.checkpoint.path;
  return { name, runtime, processor: loadVisionLanguageProcessor(dir), generation: loadGenerationSettings(dir) };
}

export interface ItemAnswer {
  id: string;
  /** The new tokens as text, special tokens skipped (what the paper's scripts score). */
  response: string;
  tokens: number;
  stoppedBy: Generation['stoppedBy'];
}

/** What the model is shown: the input condition (default the real image), the prompt style, and who describes images for black+description. */
export interface ItemInput {
  condition?: Condition;
  style?: PromptStyle;
  describer?: Describer;
}

/** The item under its condition, greedy with the model's penalty and stop tokens, at most `maxNewTokens` new tokens. */
export async function answerItem(model: AnsweringModel, item: BenchmarkItem, maxNewTokens: number, input: ItemInput = {}, cancel?: CancelToken): Promise<ItemAnswer> {
  const inputs = buildModelInputs(model.processor, await conditionMessages(item, input.condition ?? 'real', input.style ?? {}, input.describer));
  const images = inputs.images.length > 0 ? { pixelValues: inputs.pixelValues, grids: inputs.images.map(({ gridThw: [t, h, w] }) => ({ t, h, w })) } : undefined;
  const prompt = await embedPrompt(model.runtime, inputs.inputIds, images);
  const generation = await generateGreedy(model.runtime, inputs.inputIds, prompt, { maxNewTokens, repetitionPenalty: model.generation.repetitionPenalty, eosTokenIds: model.generation.eosTokenIds }, { cancel });
  return { id: item.id, response: model.processor.tokenizer.decode(generation.tokens, { skipSpecialTokens: true }), tokens: generation.tokens.length, stoppedBy: generation.stoppedBy };
}

/**
 * Greedy answers of one model to benchmark items: the same code for a checkpoint and for a merge
 * variant run from referenced weights (their runtimes differ only in where the weights lie). The
 * tokenizer, processor, chat template and generation settings come from the runtime's checkpoint,
 * which for a variant is the plan's primary model (the one the merge writer copies them from).
 */
import type { BenchmarkItem } from '../bench/benchmarkItems';
import { decodeRuns, type DecodeRun } from '../model/batchedGenerate';
import { generateGreedy, type Generation, type GreedySettings } from '../model/generate';
import type { ModelRuntime } from '../model/modelRuntime';
import { embedPrompt, type EmbeddedPrompt } from '../model/promptEmbedding';
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

/** One item to answer, under its input condition. */
export interface ItemQuestion {
  item: BenchmarkItem;
  input?: ItemInput;
}

export interface AnswerOptions {
  /** Items decoded together at most (default DEFAULT_BATCH_ROWS). */
  rows?: number;
  cancel?: CancelToken;
}

/**
 * The items under their conditions, greedy with the model's penalty and stop tokens, at most
 * `maxNewTokens` new tokens each, decoded together as rows of one batch (batchedGenerate.ts: an
 * item whose answer ends leaves and the next one joins); `answered` gets each answer as it ends,
 * with the question's index. A question is read and prefilled only when a row is free.
 */
export async function answerItems(model: AnsweringModel, questions: readonly ItemQuestion[], maxNewTokens: number, answered: (index: number, answer: ItemAnswer) => void | Promise<void>, options: AnswerOptions = {}): Promise<void> {
  let given = 0;
  const next = async (): Promise<DecodeRun | undefined> => {
    const question = questions[given++];
    return question && itemRun(model, question, maxNewTokens);
  };
  await decodeRuns(model.runtime, next, (index, generation) => answered(index, itemAnswer(model, questions[index]!.item, generation)), options);
}

/** One item's answer decoded alone (no batch): what each row of answerItems must equal. */
export async function answerItem(model: AnsweringModel, item: BenchmarkItem, maxNewTokens: number, input: ItemInput = {}, cancel?: CancelToken): Promise<ItemAnswer> {
  const { ids, prompt } = await itemPrompt(model, { item, input });
  const generation = await generateGreedy(model.runtime, ids, prompt, greedy(model, maxNewTokens), { cancel });
  return itemAnswer(model, item, generation);
}

function itemAnswer(model: AnsweringModel, item: BenchmarkItem, generation: Generation): ItemAnswer {
  return { id: item.id, response: model.processor.tokenizer.decode(generation.tokens, { skipSpecialTokens: true }), tokens: generation.tokens.length, stoppedBy: generation.stoppedBy };
}

const greedy = (model: AnsweringModel, maxNewTokens: number): GreedySettings => ({ maxNewTokens, repetitionPenalty: model.generation.repetitionPenalty, eosTokenIds: model.generation.eosTokenIds });

/** The item's chat under its condition through the checkpoint's template, processor and embedding. */
export async function itemPrompt(model: AnsweringModel, { item, input = {} }: ItemQuestion): Promise<{ ids: number[]; prompt: EmbeddedPrompt }> {
  const inputs = buildModelInputs(model.processor, await conditionMessages(item, input.condition ?? 'real', input.style ?? {}, input.describer));
  const images = inputs.images.length > 0 ? { pixelValues: inputs.pixelValues, grids: inputs.images.map(({ gridThw: [t, h, w] }) => ({ t, h, w })) } : undefined;
  return { ids: inputs.inputIds, prompt: await embedPrompt(model.runtime, inputs.inputIds, images) };
}

/** The item's prompt under its condition, prefilled: a run for the batch. */
async function itemRun(model: AnsweringModel, question: ItemQuestion, maxNewTokens: number): Promise<DecodeRun> {
  const { ids, prompt } = await itemPrompt(model, question);
  const { runtime } = model;
  const prefilled = await runtime.decode({ embeds: prompt.embeds, positions: prompt.positions, cache: runtime.emptyCache() }, { taps: {}, logits: 'last' });
  return { promptIds: ids, ropeDelta: prompt.ropeDelta, prefilled, settings: greedy(model, maxNewTokens) };
}

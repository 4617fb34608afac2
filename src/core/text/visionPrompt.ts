/**
 * A chat with images to model inputs, as Qwen2.5-VL's HF processor builds them: the chat template
 * puts one `<|image_pad|>` where each image goes, the tokenizer encodes the text, and each image's pad
 * is expanded to the number of tokens the vision tower produces for it (t·h·w / merge²).
 */
import { FrankenlensError } from '../errors';
import type { RgbImage } from '../vision/imageDecode';
import { loadImageProcessorConfig, processImage, type QwenImageProcessorConfig } from '../vision/qwenImageProcessor';
import { loadChatTemplate, type ChatMessage, type ChatTemplate } from './chatTemplate';
import { loadTokenizer, type TextTokenizer } from './tokenizer';

export interface VisionLanguageProcessor {
  tokenizer: TextTokenizer;
  chatTemplate: ChatTemplate;
  imageConfig: QwenImageProcessorConfig;
  imagePadId: number;
}

export function loadVisionLanguageProcessor(dir: string): VisionLanguageProcessor {
  const tokenizer = loadTokenizer(dir);
  return { tokenizer, chatTemplate: loadChatTemplate(dir, tokenizer), imageConfig: loadImageProcessorConfig(dir), imagePadId: tokenizer.tokenId('<|image_pad|>') };
}

/** A message whose image parts carry the decoded image (`name` is used in errors). */
export interface PromptMessage {
  role: ChatMessage['role'];
  content: string | ({ type: 'text'; text: string } | { type: 'image'; image: RgbImage; name?: string })[];
}

export interface PromptImage {
  gridThw: [number, number, number];
  resizedWidth: number;
  resizedHeight: number;
  /** Index in `inputIds` of this image's first `<|image_pad|>`; its pads are contiguous. */
  firstToken: number;
  tokens: number;
}

export interface ModelInputs {
  /** The rendered chat, one `<|image_pad|>` per image. */
  prompt: string;
  inputIds: number[];
  /** Every `<|image_pad|>` position in `inputIds`, images in order. */
  imagePadPositions: number[];
  images: PromptImage[];
  /** All images' patches, one after another: [Σ patches, 3·temporalPatch·patch²]. */
  pixelValues: Float32Array;
}

export function buildModelInputs(processor: VisionLanguageProcessor, messages: readonly PromptMessage[], options: { addGenerationPrompt?: boolean } = {}): ModelInputs {
  const images = messages.flatMap((message) => (typeof message.content === 'string' ? [] : message.content.flatMap((part) => (part.type === 'image' ? [part] : []))));
  const processed = images.map((part, i) => processImage(part.image, processor.imageConfig, part.name ?? `image ${i + 1}`));
  const chat: ChatMessage[] = messages.map((message) => ({
    role: message.role,
    content: typeof message.content === 'string' ? message.content : message.content.map((part) => (part.type === 'image' ? { type: 'image' as const } : part)),
  }));
  const prompt = processor.chatTemplate.render(chat, { addGenerationPrompt: options.addGenerationPrompt ?? true });
  const expanded = expandImagePads(processor.tokenizer.encode(prompt), processor.imagePadId, processed.map((image) => image.imageTokens), processor.chatTemplate.file);

  const pixelValues = new Float32Array(processed.reduce((total, image) => total + image.pixelValues.length, 0));
  let offset = 0;
  for (const image of processed) {
    pixelValues.set(image.pixelValues, offset);
    offset += image.pixelValues.length;
  }
  return {
    prompt,
    inputIds: expanded.inputIds,
    imagePadPositions: expanded.imagePadPositions,
    images: processed.map((image, i) => ({
      gridThw: image.gridThw, resizedWidth: image.resizedWidth, resizedHeight: image.resizedHeight,
      firstToken: expanded.imageStarts[i]!, tokens: image.imageTokens,
    })),
    pixelValues,
  };
}

/**
 * Replaces the i-th `<|image_pad|>` of `ids` by `tokenCounts[i]` copies. The template must have
 * placed exactly one pad per image; `templateFile` is named when it did not.
 */
export function expandImagePads(ids: readonly number[], imagePadId: number, tokenCounts: readonly number[], templateFile: string): { inputIds: number[]; imagePadPositions: number[]; imageStarts: number[] } {
  const pads = ids.filter((id) => id === imagePadId).length;
  if (pads !== tokenCounts.length) {
    throw new FrankenlensError('InvalidChatTemplate', `${templateFile}: the rendered prompt has ${pads} image placeholders for ${tokenCounts.length} images`, templateFile);
  }
  const inputIds: number[] = [];
  const imagePadPositions: number[] = [];
  const imageStarts: number[] = [];
  let image = 0;
  for (const id of ids) {
    if (id !== imagePadId) {
      inputIds.push(id);
      continue;
    }
    imageStarts.push(inputIds.length);
    for (let k = 0; k < tokenCounts[image]!; k++) {
      imagePadPositions.push(inputIds.length);
      inputIds.push(imagePadId);
    }
    image++;
  }
  return { inputIds, imagePadPositions, imageStarts };
}

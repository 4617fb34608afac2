/**
 * Input conditions (reference §3.4): the real image; a black image of the same size (so the
 * processor gives the same token layout); or the black image with a text description of the real
 * one before the question. Descriptions come from the item's `description` field, from a local
 * model run through the runtime, or from an OpenAI-compatible endpoint (describer.ts).
 */
import type { BenchmarkItem } from '../bench/benchmarkItems';
import { FrankenlensError } from '../errors';
import { generateGreedy } from '../model/generate';
import type { PromptMessage } from '../text/visionPrompt';
import { blackImage, readImageFile, type RgbImage } from '../vision/imageDecode';
import { answerText, greedySettings, preparePrompt, type ProbeModel } from './probeModel';

export const CONDITIONS = ['real', 'black', 'black+description'] as const;
export type Condition = (typeof CONDITIONS)[number];

/** How the user turn is written: an explicit system prompt (none = the template's default) and an instruction before the question. */
export interface PromptStyle {
  system?: string;
  prefix?: string;
}

export interface ItemImage {
  path: string;
  image: RgbImage;
}

/** Describes an item's image(s) in one text; `name` goes into results so descriptions can be traced. */
export interface Describer {
  name: string;
  describe(item: BenchmarkItem, images: readonly ItemImage[]): Promise<string>;
}

export const itemDescriber: Describer = {
  name: 'item description field',
  async describe(item) {
    if (item.description === undefined || item.description.trim() === '') {
      throw new FrankenlensError('InvalidBenchmarkItem', `item "${item.id}" has no description; the black+description condition needs one (or a describer model or endpoint)`);
    }
    return item.description;
  },
};

/** The instruction a describer gets (the paper's asks for text, numbers, shapes, layout and values, without solving). */
export const DESCRIBE_PROMPT = 'Describe exactly what this image shows, without solving any problem in it: all text, numbers and labels; shapes, graphs, charts, tables, axes and data points; spatial relations; meaningful colours. Be structured and complete.';

/** A local vision-language checkpoint describing the image greedily. */
export function modelDescriber(model: ProbeModel, maxNewTokens: number, prompt = DESCRIBE_PROMPT): Describer {
  return {
    name: `local model ${model.dir}`,
    async describe(_item, images) {
      const descriptions: string[] = [];
      for (const { path, image } of images) {
        const prepared = await preparePrompt(model, [{ role: 'user', content: [{ type: 'image', image, name: path }, { type: 'text', text: prompt }] }]);
        const generation = await generateGreedy(model.runtime, prepared.ids, prepared.embedded, greedySettings(model, maxNewTokens));
        descriptions.push(answerText(model, generation.tokens).trim());
      }
      return descriptions.join('\n\n');
    },
  };
}

/** The question with lettered choices appended, as the paper's transfer test writes multiple choice. */
export function questionText(item: BenchmarkItem): string {
  if (!item.choices || item.choices.length === 0) return item.question;
  return `${item.question}\n${item.choices.map((choice, index) => `${String.fromCharCode(65 + index)}. ${choice}`).join('\n')}`;
}

/** The chat for an item under a condition: images first, then the text, in one user turn. */
export async function conditionMessages(item: BenchmarkItem, condition: Condition, style: PromptStyle, describer: Describer = itemDescriber): Promise<PromptMessage[]> {
  const images = item.images.map((path) => ({ path, image: readImageFile(path) }));
  if (condition !== 'real' && images.length === 0) throw new FrankenlensError('InvalidBenchmarkItem', `item "${item.id}" has no image; the ${condition} condition replaces one`);
  let text = questionText(item);
  if (condition === 'black+description') {
    text = `Image Description: ${await describer.describe(item, images)}\n\nQuestion: ${text}`;
  }
  if (style.prefix) text = `${style.prefix}\n\n${text}`;
  const shown = images.map(({ path, image }) => ({ type: 'image' as const, name: path, image: condition === 'real' ? image : blackImage(image.width, image.height) }));
  const messages: PromptMessage[] = style.system ? [{ role: 'system', content: style.system }] : [];
  messages.push({ role: 'user', content: [...shown, { type: 'text', text }] });
  return messages;
}

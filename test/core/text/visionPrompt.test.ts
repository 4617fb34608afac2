import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { FrankenlensError } from '../../../src/core/errors';
import { blackImage, readImageFile } from '../../../src/core/vision/imageDecode';
import { processImage } from '../../../src/core/vision/qwenImageProcessor';
import { buildModelInputs, expandImagePads, loadVisionLanguageProcessor } from '../../../src/core/text/visionPrompt';

const FIXTURE = 'test/fixtures/qwen2_5_vl_tiny';
const IMAGES = 'test/fixtures/qwen_vl_processor';

test('image pads expanded per image equal HF processor-style expansion of the text before tokenizing', () => {
  const processor = loadVisionLanguageProcessor(FIXTURE);
  const wide = readImageFile(join(IMAGES, 'wide_90x50.png'));
  const square = blackImage(56, 56);
  const inputs = buildModelInputs(processor, [
    { role: 'user', content: [{ type: 'text', text: 'Compare ' }, { type: 'image', image: wide }, { type: 'text', text: ' and ' }, { type: 'image', image: square }, { type: 'text', text: '. Which is darker?' }] },
  ]);
  // transformers' Qwen2_5_VLProcessor repeats the pad in the string, then tokenizes.
  let pad = 0;
  const counts = [6, 4];
  const expandedText = inputs.prompt.replace(/<\|image_pad\|>/g, () => '<|image_pad|>'.repeat(counts[pad++]!));
  assert.deepEqual(inputs.inputIds, processor.tokenizer.encode(expandedText));
  assert.deepEqual(inputs.images.map((image) => [image.gridThw, image.tokens]), [[[1, 4, 6], 6], [[1, 4, 4], 4]]);
  assert.deepEqual(inputs.imagePadPositions, inputs.inputIds.flatMap((id, i) => (id === 290 ? [i] : [])));
  const [first, second] = inputs.images;
  assert.equal(inputs.inputIds[first!.firstToken - 1], 291, 'vision_start before the pads');
  assert.equal(inputs.inputIds[first!.firstToken + 6], 292, 'vision_end after them');
  assert.equal(second!.firstToken, inputs.imagePadPositions[6]);
  assert.ok(inputs.prompt.endsWith('<|im_start|>assistant\n'));
  // Pixel values are the images' own, one after the other.
  const wideValues = processImage(wide, processor.imageConfig).pixelValues;
  assert.equal(inputs.pixelValues.length, (24 + 16) * 1176);
  assert.deepEqual(inputs.pixelValues.subarray(0, wideValues.length), wideValues);
  assert.deepEqual(inputs.pixelValues.subarray(wideValues.length), processImage(square, processor.imageConfig).pixelValues);
});

test('text-only chats have no pads and no pixel values', () => {
  const processor = loadVisionLanguageProcessor(FIXTURE);
  const inputs = buildModelInputs(processor, [{ role: 'user', content: 'What is 2+2?' }], { addGenerationPrompt: false });
  assert.deepEqual([inputs.imagePadPositions, inputs.images, inputs.pixelValues.length], [[], [], 0]);
  assert.deepEqual(inputs.inputIds, processor.tokenizer.encode(inputs.prompt));
});

test('a template that loses or invents image placeholders is an error naming it', () => {
  assert.throws(() => expandImagePads([1, 290, 2], 290, [4, 4], 'chat_template.jinja'), (error: FrankenlensError) =>
    error.code === 'InvalidChatTemplate' && error.file === 'chat_template.jinja' && /1 image placeholders for 2 images/.test(error.message));
  assert.deepEqual(expandImagePads([7, 290, 8, 290], 290, [2, 1], 't'), { inputIds: [7, 290, 290, 8, 290], imagePadPositions: [1, 2, 4], imageStarts: [1, 4] });
});

test('images the processor refuses are named in the error', () => {
  const processor = loadVisionLanguageProcessor(FIXTURE);
  assert.throws(() => buildModelInputs(processor, [{ role: 'user', content: [{ type: 'image', image: blackImage(20, 20), name: 'small.png' }] }]),
    (error: FrankenlensError) => error.code === 'InvalidImage' && error.file === 'small.png');
});

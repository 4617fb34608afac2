import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FrankenlensError } from '../../../src/core/errors';
import { readVisionPairs } from '../../../src/core/probes/visionPairs';
import { adoptsSource, answerChanged, boxIou } from '../../../src/core/probes/swapMetrics';
import { tempDir } from '../../helpers/tempDir';

const DATASET = join(__dirname, '..', '..', 'test', 'fixtures', 'vision_functionality');

function withLine(task: string, edit: (lines: string[]) => string[]): string {
  const root = tempDir();
  cpSync(DATASET, root, { recursive: true });
  const file = join(root, task, 'data.jsonl');
  writeFileSync(file, `${edit(readFileSync(file, 'utf8').trim().split('\n')).join('\n')}\n`);
  return root;
}

function rejects(root: string, pattern: RegExp): void {
  assert.throws(() => readVisionPairs(root), (error: unknown) => error instanceof FrankenlensError && error.code === 'InvalidBenchmarkItem' && pattern.test(error.message), `expected ${pattern}`);
}

describe('vision pair reader', () => {
  it('reads the paper format as it is', () => {
    const pairs = readVisionPairs(DATASET);
    assert.deepEqual(pairs.map((pair) => pair.id), ['counting_000000', 'counting_000001', 'counting_000002', 'grounding_000000', 'grounding_000001', 'grounding_000002', 'ocr_000000', 'ocr_000001', 'ocr_000010', 'recognition_000003', 'recognition_000019', 'recognition_000029']);
    const [counting] = pairs;
    assert.equal(counting!.prompt, '<image>How many items are there in the image?');
    assert.deepEqual([counting!.targetAnswer, counting!.sourceAnswer], ['3', '10']);
    assert.deepEqual([pairs[3]!.targetAnswer, pairs[3]!.sourceAnswer], ['[283, 278, 368, 348]', '[15, 320, 81, 382]']);
    assert.deepEqual([pairs[8]!.targetAnswer, pairs[8]!.sourceAnswer], ['alignment', 'alignment']);
    assert.deepEqual([pairs[9]!.targetAnswer, pairs[9]!.sourceAnswer], ['Yes', 'No']);
    assert.ok(pairs[0]!.targetImage.endsWith(join('counting', 'images', 'counting_000000_t.jpg')));
    assert.deepEqual(readVisionPairs(DATASET, { rowsPerTask: 2, tasks: ['ocr'] }).map((pair) => pair.id), ['ocr_000000', 'ocr_000001'], 'the first rows, in file order');
  });

  it('names the file and line of a bad row', () => {
    rejects(withLine('ocr', (lines) => [lines[0]!, '{not json']), /ocr[/\\]data\.jsonl:2: not JSON/);
    rejects(withLine('ocr', (lines) => [lines[0]!.replace('"prompt"', '"question"')]), /ocr[/\\]data\.jsonl:1: "prompt" must be a non-empty string/);
    rejects(withLine('counting', (lines) => [lines[0]!.replace('"task": "counting"', '"task": "ocr"')]), /counting[/\\]data\.jsonl:1: "task" is "ocr"/);
    rejects(withLine('grounding', (lines) => [lines[0]!.replace('_t.png', '_missing.png')]), /grounding[/\\]data\.jsonl:1: target_image .* does not exist/);
    rejects(withLine('grounding', (lines) => [lines[0]!.replace('[283, 278, 368, 348]', '[283, 278]')]), /grounding[/\\]data\.jsonl:1: meta\.target_bbox_xyxy must be four numbers/);
    rejects(withLine('ocr', (lines) => [lines[0]!, lines[0]!]), /ocr[/\\]data\.jsonl:2: duplicate id "ocr_000000"/);
  });
});

describe('swap metrics', () => {
  it("change follows the paper's rule", () => {
    assert.equal(answerChanged('Yes.', ' yes'), false);
    assert.equal(answerChanged('3', '4'), true);
    assert.equal(answerChanged('The image shows three cubes', 'the image shows three cubes and a sphere'), false, '≥ 20 characters: containment is unchanged');
    assert.equal(answerChanged('The image shows three cubes', 'The image shows five cubes!'), true);
    assert.equal(answerChanged('abc', 'abcd'), true, 'short strings must be equal');
  });

  it('source adoption per task', () => {
    const pairs = readVisionPairs(DATASET);
    const byId = (id: string) => pairs.find((pair) => pair.id === id)!;
    assert.equal(adoptsSource(byId('counting_000000'), 'There are 10 objects.'), true);
    assert.equal(adoptsSource(byId('counting_000000'), '3'), false);
    assert.equal(adoptsSource(byId('recognition_000003'), 'No.'), true);
    assert.equal(adoptsSource(byId('recognition_000003'), 'Yes'), false);
    assert.equal(adoptsSource(byId('ocr_000000'), '"Singular".'), true);
    assert.equal(adoptsSource(byId('ocr_000010'), 'alignment'), null, 'same word in both images');
    assert.equal(adoptsSource(byId('grounding_000000'), '(15, 320), (81, 382)'), true);
    assert.equal(adoptsSource(byId('grounding_000000'), '283,278,368,348'), false);
    assert.equal(boxIou([0, 0, 2, 2], [1, 1, 3, 3]), 1 / 7);
  });
});

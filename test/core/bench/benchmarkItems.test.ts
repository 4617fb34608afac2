import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { benchmarkItemLine, readBenchmarkItems } from '../../../src/core/bench/benchmarkItems';
import { readModelResponses } from '../../../src/core/bench/modelResponses';
import { FrankenlensError } from '../../../src/core/errors';
import { tempDir } from '../../helpers/tempDir';

const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures', 'bench');

describe('benchmark items (JSONL)', () => {
  it('reads the fixture: image paths resolved against the file, optional fields kept', () => {
    const items = readBenchmarkItems(join(FIXTURES, 'items.jsonl'));
    assert.deepEqual(items.map((item) => item.id), ['vqa-1', 'vqa-2', 'math-1', 'math-2', 'm500-1', 'm500-2']);
    assert.equal(items[0]!.images[0], join(FIXTURES, 'images', 'four-pixels.png'));
    assert.equal(items[0]!.description, 'A 2x2 image: red, green, blue and white pixels.');
    assert.deepEqual(items[1]!.choices, ['green', 'red', 'blue', 'white']);
    assert.deepEqual(items[4]!.images, []);
    assert.equal(items[4]!.answer, '\\frac{1}{2}');
  });

  it('round-trips through benchmarkItemLine with relative image paths', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'images'));
    copyFileSync(join(FIXTURES, 'images', 'black.png'), join(dir, 'images', 'black.png'));
    const items = readBenchmarkItems(join(FIXTURES, 'items.jsonl')).map((item) => ({ ...item, images: item.images.map(() => join(dir, 'images', 'black.png')) }));
    const lines = items.map((item) => benchmarkItemLine(item, dir));
    assert.match(lines[0]!, /"images":\["images\/black.png"\]/);
    writeFileSync(join(dir, 'copy.jsonl'), lines.join('\n') + '\n');
    assert.deepEqual(readBenchmarkItems(join(dir, 'copy.jsonl')), items);
  });

  describe('a broken line is refused with its file, line and problem', () => {
    const dir = tempDir();
    copyFileSync(join(FIXTURES, 'images', 'black.png'), join(dir, 'black.png'));
    const good = { id: 'a', images: ['black.png'], question: 'Q?', answer: '1', answerType: 'number' };
    const cases: [string, string, RegExp][] = [
      ['bad JSON', '{"id": "b", "images": [],', /line 2: not valid JSON/],
      ['not an object', '[1, 2]', /line 2: expected a JSON object/],
      ['missing field', JSON.stringify({ ...good, id: 'b', question: undefined }), /line 2: missing "question"/],
      ['wrong type', JSON.stringify({ ...good, id: 'b', answer: 3 }), /line 2: "answer" must be a string, got number 3/],
      ['images not a list', JSON.stringify({ ...good, id: 'b', images: 'black.png' }), /line 2: "images" must be an array of strings/],
      ['missing images', JSON.stringify({ ...good, id: 'b', images: undefined }), /line 2: missing "images"/],
      ['missing image file', JSON.stringify({ ...good, id: 'b', images: ['nowhere.png'] }), /line 2: image "nowhere.png" not found/],
      ['unknown field', JSON.stringify({ ...good, id: 'b', answer_type: 'number' }), /line 2: unknown field "answer_type"/],
      ['bad answer type', JSON.stringify({ ...good, id: 'b', answerType: 'integer' }), /line 2: "answerType" must be one of choice, number, expression, text/],
      ['duplicate id', JSON.stringify(good), /line 2: duplicate id "a" \(first on line 1\)/],
      ['choice without choices', JSON.stringify({ ...good, id: 'b', answerType: 'choice' }), /line 2: "answerType" "choice" needs "choices"/],
      ['choice answer out of range', JSON.stringify({ ...good, id: 'b', answerType: 'choice', choices: ['x', 'y'], answer: 'C' }), /line 2: "answer" "C" is neither a choice letter \(A–B\)/],
      ['choices on a number item', JSON.stringify({ ...good, id: 'b', choices: ['1', '2'] }), /line 2: "choices" given but "answerType" is "number"/],
      ['number answer that is not one', JSON.stringify({ ...good, id: 'b', answer: 'many' }), /line 2: "answer" "many" is not a number/],
      ['empty choice', JSON.stringify({ ...good, id: 'b', answerType: 'choice', choices: ['x', ''], answer: 'A' }), /line 2: "choices"\[1\] must be a non-empty string/],
    ];
    for (const [name, line, message] of cases) {
      it(name, () => {
        const file = join(dir, `${name.replace(/\W+/g, '-')}.jsonl`);
        writeFileSync(file, `${JSON.stringify(good)}\n${line}\n`);
        assert.throws(
          () => readBenchmarkItems(file),
          (error: unknown) => error instanceof FrankenlensError && error.code === 'InvalidBenchmarkItem' && error.file === file && error.message.startsWith(`${file}, line 2: `) && message.test(error.message),
        );
      });
    }
    it('an empty file', () => {
      const file = join(dir, 'empty.jsonl');
      writeFileSync(file, '\n\n');
      assert.throws(() => readBenchmarkItems(file), /empty.jsonl: no lines/);
    });
    it('a missing file', () => assert.throws(() => readBenchmarkItems(join(dir, 'absent.jsonl')), (error: unknown) => error instanceof FrankenlensError && /absent.jsonl: cannot read \(ENOENT\)/.test(error.message)));
  });
});

describe('model responses (JSONL)', () => {
  it('reads {id, response} lines, ignoring other fields', () => {
    const responses = readModelResponses(join(FIXTURES, 'responses.jsonl'));
    assert.equal(responses.size, 5);
    assert.equal(responses.get('m500-1')?.response, '<answer>0.5</answer>');
  });

  it('refuses a missing response, a non-string id and duplicates, naming the line', () => {
    const dir = tempDir();
    const check = (content: string, message: RegExp) => {
      const file = join(dir, 'r.jsonl');
      writeFileSync(file, content);
      assert.throws(() => readModelResponses(file), (error: unknown) => error instanceof FrankenlensError && error.code === 'InvalidResponses' && message.test(error.message));
    };
    check('{"id": "a", "response": "x"}\n{"id": "b"}\n', /r.jsonl, line 2: "response" must be a string, got nothing/);
    check('{"id": 3, "response": "x"}\n', /line 1: "id" must be a non-empty string, got 3/);
    check('{"id": "a", "response": "x"}\n\n{"id": "a", "response": "y"}\n', /line 3: duplicate id "a" \(first on line 1\)/);
  });
});

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readBenchmarkItems } from '../../../src/core/bench/benchmarkItems';
import { importBenchmark } from '../../../src/core/bench/importBenchmark';
import { importLmmsEvalLog } from '../../../src/core/bench/lmmsEvalLog';
import { parsePythonScalarList, parsePythonStringList } from '../../../src/core/bench/pythonLiteral';
import { importVlmEvalKitTsv, parseTsv } from '../../../src/core/bench/vlmEvalKitTsv';
import { FrankenlensError } from '../../../src/core/errors';
import { tempDir } from '../../helpers/tempDir';

const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures', 'bench');
const fixture = (name: string) => readFileSync(join(FIXTURES, name));

function throwsItemError(run: () => unknown, message: RegExp): void {
  assert.throws(run, (error: unknown) => error instanceof FrankenlensError && error.code === 'InvalidBenchmarkItem' && message.test(error.message));
}

describe('VLMEvalKit TSV importer', () => {
  it('decodes every image to a file with the original bytes; shared and listed images too', () => {
    const imageDir = tempDir();
    const { items } = importVlmEvalKitTsv(join(FIXTURES, 'vlmevalkit.tsv'), imageDir);
    assert.deepEqual(items.map((item) => item.id), ['101', '102', '103', '104']);
    assert.deepEqual(readdirSync(imageDir).sort(), ['101.png', '103.png', '104_1.png', '104_2.png']);
    assert.deepEqual(readFileSync(items[0]!.images[0]!), fixture('images/four-pixels.png'));
    assert.deepEqual(items[1]!.images, items[0]!.images, 'row 102 names row 101 as its image');
    assert.deepEqual(readFileSync(items[2]!.images[0]!), fixture('images/black.png'));
    assert.deepEqual(items[3]!.images.map((path) => readFileSync(path)), [fixture('images/four-pixels.png'), fixture('images/black.png')]);
  });

  it('keeps quoted cells exactly, prepends hints, leaves out empty trailing options', () => {
    const { items, responses } = importVlmEvalKitTsv(join(FIXTURES, 'vlmevalkit.tsv'), tempDir());
    assert.equal(items[2]!.question, '"Quoted"\tquestion with a tab\nand a newline: is it dark?');
    assert.equal(items[1]!.question, 'Hint: The image is tiny.\nHow many pixels are there?');
    assert.deepEqual(items[1]!.choices, ['2', '4', '8']);
    assert.deepEqual(items.map((item) => [item.answerType, item.answer, item.category]), [
      ['choice', 'B', 'perception'],
      ['choice', 'B', 'perception'],
      ['choice', 'A', 'perception'],
      ['choice', 'B', 'comparison'],
    ]);
    assert.deepEqual(responses.map((response) => response.response), ['The answer is (B).', '\\boxed{4}', 'A', '']);
  });

  it("reads MathVista's layout: choices as a Python list, answer_type float as a number", () => {
    const { items, responses } = importVlmEvalKitTsv(join(FIXTURES, 'mathvista-style.tsv'), tempDir());
    assert.deepEqual(items.map((item) => [item.id, item.answerType, item.answer]), [['7', 'number', '3.5'], ['8', 'choice', "it's a square"]]);
    assert.deepEqual(items[1]!.choices, ["it's a square", 'circle', 'triangle']);
    assert.equal(responses.length, 0);
  });

  describe('refuses broken rows, naming the line (quoted newlines counted)', () => {
    const dir = tempDir();
    const header = 'index\timage\tquestion\tA\tB\tanswer\n';
    const png = fixture('images/black.png').toString('base64');
    const cases: [string, string, RegExp][] = [
      ['not an image', `${header}1\t${Buffer.from('plain text, not an image at all; long enough to be base64 data here').toString('base64')}\tQ\tx\ty\tA\n`, /line 2: row "1": image is not base64 of a PNG, JPEG/],
      ['missing field', `${header}1\t${png}\tQ\tx\ty\n`, /line 2: 5 fields, the header has 6/],
      ['dangling reference', `${header}1\t9\tQ\tx\ty\tA\n`, /line 2: row "1": "image" refers to row "9", which holds no image/],
      ['line after a quoted newline', `${header}1\t${png}\t"two\nlines"\tx\ty\tA\n2\t1\tQ\tx\ty\tC\n`, /line 4: "answer" "C" is neither a choice letter \(A–B\)/],
      ['duplicate index', `${header}1\t${png}\tQ\tx\ty\tA\n1\t1\tQ\tx\ty\tA\n`, /line 3: duplicate index "1" \(first on line 2\)/],
      ['unclosed quote', `${header}1\t${png}\t"Q\tx\ty\tA\n`, /line 2: a quoted field never closes/],
      ['no answer column', 'index\timage\tquestion\n1\tx\tQ\n', /line 1: no "answer" column/],
      ['no image column', 'index\tquestion\tanswer\n1\tQ\tA\n', /line 1: no "image" or "image_path" column/],
      ['a prediction file as the dataset', 'index\tquestion\tanswer\tprediction\n1\tQ\tA\tA\n', /line 1: no "image" or "image_path" column .*Pass it with --predictions/],
      ['self reference', `${header}1\t1\tQ\tx\ty\tA\n`, /line 2: row "1": "image" refers to row "1", which holds no image/],
      ['reference to a text-only row', `${header}1\t\tQ\tx\ty\tA\n2\t1\tQ\tx\ty\tA\n`, /line 3: row "2": "image" refers to row "1", which holds no image/],
      ['gold names an empty option', 'index\timage\tquestion\tA\tB\tC\tanswer\n' + `1\t${png}\tQ\tx\tnan\tz\tB\n`, /line 2: row "1": the answer "B" names option column B, which is empty/],
    ];
    for (const [name, content, message] of cases) {
      it(name, () => {
        const file = join(dir, `${name.replace(/\W+/g, '-')}.tsv`);
        writeFileSync(file, content);
        const images = join(dir, `${name.replace(/\W+/g, '-')}-images`);
        mkdirSync(images);
        throwsItemError(() => importVlmEvalKitTsv(file, images), new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, ${message.source}`));
      });
    }
  });

  it('keeps a row without an image as a text-only item and counts it; references may point forward', () => {
    const dir = tempDir();
    const file = join(dir, 'mixed.tsv');
    const png = fixture('images/black.png').toString('base64');
    writeFileSync(file, `index\timage\tquestion\tA\tB\tanswer\n1\t3\tQ1\tx\ty\tA\n2\t\tQ2\tx\ty\tB\n3\t${png}\tQ3\tx\ty\tA\n4\tnan\tQ4\tx\ty\tA\n`);
    const { items, warnings } = importVlmEvalKitTsv(file, tempDir());
    assert.deepEqual(items.map((item) => [item.id, item.images.length]), [['1', 1], ['2', 0], ['3', 1], ['4', 0]]);
    assert.deepEqual(items[0]!.images, items[2]!.images, 'row 1 names row 3, which comes after it');
    assert.deepEqual(warnings.textOnly, { count: 2, first: ['2', '4'] });
  });

  it('reads every filled option column: an empty one in the middle is skipped and the later letters move up', () => {
    const dir = tempDir();
    const file = join(dir, 'gaps.tsv');
    const png = fixture('images/black.png').toString('base64');
    writeFileSync(file, `index\timage\tquestion\tA\tB\tC\tD\tanswer\n1\t${png}\tQ\tx\tnan\tz\tw\tD\n2\t1\tQ\tx\ty\t\t\tB\n3\t1\tQ\tnan\ty\tz\tnan\tz\n`);
    const { items, warnings } = importVlmEvalKitTsv(file, tempDir());
    assert.deepEqual(items.map((item) => [item.choices, item.answer]), [
      [['x', 'z', 'w'], 'C'],
      [['x', 'y'], 'B'],
      [['y', 'z'], 'z'],
    ]);
    assert.deepEqual(warnings.relettered, { count: 2, first: ['1', '3'] });
  });

  it("turns MMMU-style list answers (['A', 'C'], [\"1\", \"2\"]) into several accepted answers", () => {
    const dir = tempDir();
    const file = join(dir, 'mmmu.tsv');
    const png = fixture('images/black.png').toString('base64');
    writeFileSync(file, `index\timage\tquestion\tA\tB\tC\tanswer\n1\t${png}\tQ\tx\ty\tz\t['A', 'C']\n2\t1\tQ\tnan\tnan\tnan\t["1", "2"]\n3\t1\tQ\tnan\tnan\tnan\t['24/7', '3.429']\n4\t1\tQ\tnan\tnan\tnan\t['7']\n5\t1\tQ\tx\tnan\tz\t['A', 'C']\n`);
    const { items } = importVlmEvalKitTsv(file, tempDir());
    assert.deepEqual(items.map((item) => [item.answerType, item.answer, item.answers ?? null]), [
      ['choice', 'A', ['A', 'C']],
      ['number', '1', ['1', '2']],
      ['text', '24/7', ['24/7', '3.429']],
      ['number', '7', null],
      ['choice', 'A', ['A', 'B']],
    ]);
    const out = join(dir, 'out');
    importBenchmark({ format: 'vlmevalkit-tsv', file }, out);
    const lines = readFileSync(join(out, 'items.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    assert.deepEqual(lines[0].answers, ['A', 'C']);
    assert.equal(lines[3].answers, undefined);
    assert.deepEqual(readBenchmarkItems(join(out, 'items.jsonl'))[1]!.answers, ['1', '2']);
  });

  it('parses TSV quoting like pandas: doubled quotes, CRLF, a last line without newline', () => {
    assert.deepEqual(parseTsv('a\tb\r\n"x ""y"""\t\n1\t2', 'f'), [
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x "y"', ''] },
      { line: 3, fields: ['1', '2'] },
    ]);
  });
});

describe('lmms-eval sample log importer', () => {
  it('takes items from doc and responses from filtered_resps', () => {
    const { items, responses } = importLmmsEvalLog(join(FIXTURES, 'lmms-eval-samples.jsonl'));
    assert.deepEqual(items.map((item) => [item.id, item.answerType, item.answer, item.category ?? null]), [
      ['1', 'number', '1.2', 'math-targeted-vqa'],
      ['2', 'choice', '1000', 'general-vqa'],
      ['validation_Art_1', 'choice', 'C', null],
    ]);
    assert.deepEqual(items[2]!.choices, ['Baroque', 'Rococo', 'Gothic']);
    assert.deepEqual(items.map((item) => item.images), [[], [], []]);
    assert.deepEqual(responses.map((response) => response.response), ['<think>k = 1.2</think><answer>1.2</answer>', 'The cup holds 1000 g, so the answer is A.', '(B) Rococo']);
  });

  it('refuses rows without a doc or a response, and duplicate ids', () => {
    const dir = tempDir();
    const check = (rows: object[], message: RegExp) => {
      const file = join(dir, 'log.jsonl');
      writeFileSync(file, rows.map((row) => JSON.stringify(row)).join('\n'));
      throwsItemError(() => importLmmsEvalLog(file), message);
    };
    const row = { doc_id: 0, doc: { question: 'Q', answer: '1' }, target: '1', resps: [['1']], filtered_resps: ['1'] };
    check([row, { doc_id: 1, target: '1' }], /line 2: no "doc" object/);
    check([row, { ...row, doc_id: 1, resps: [], filtered_resps: [] }], /line 2: no response/);
    check([row, row], /line 2: duplicate id "0" \(first on line 1\)/);
    check([{ ...row, doc: { answer: '1' }, arguments: [] }], /line 1: missing "question"/);
    check([{ doc_id: 0, input: 'Q', target: '1', filtered_resps: [[-1.5, false]] }], /line 1: no response .*loglikelihood/);
  });

  it('reads v0.4-v0.6 lines (no doc, no arguments; filtered_resps a list) and v0.7 lines (the response itself)', () => {
    const dir = tempDir();
    const file = join(dir, 'samples.jsonl');
    const mathvista = { question_id: '12', query: 'Hint: ...\nHow long?', choices: null, answer: '3.5', answer_type: 'float', metadata: { category: 'math-targeted-vqa' }, true_false: true };
    const rows = [
      // v0.4: MathVista, whose metric records carry the doc's fields.
      { doc_id: 0, input: 'Hint: ...\nHow long?', target: '3.5', filtered_resps: ['The length is 3.5'], doc_hash: 'h', llm_as_judge_eval: mathvista, submission: mathvista },
      // v0.7: MMMU, filtered_resps flattened, resps kept because it differs.
      { doc_id: 1, input: 'Which? A. x B. y C. z', target: "['A', 'C']", resps: ['raw answer'], filtered_resps: 'A', mmmu_acc: { id: 'validation_Art_2', subdomain: 'Art', answer: "['A', 'C']", parsed_pred: ['A'] } },
    ];
    writeFileSync(file, rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
    const { items, responses } = importLmmsEvalLog(file);
    assert.deepEqual(items.map((item) => [item.id, item.question, item.answerType, item.answer, item.answers ?? null, item.category ?? null]), [
      ['12', 'Hint: ...\nHow long?', 'number', '3.5', null, 'math-targeted-vqa'],
      ['validation_Art_2', 'Which? A. x B. y C. z', 'text', 'A', ['A', 'C'], null],
    ]);
    assert.deepEqual(responses, [
      { id: '12', response: 'The length is 3.5' },
      { id: 'validation_Art_2', response: 'A' },
    ]);
    // A task whose metric records carry nothing but a score: doc_id names the item, the prompt is its question.
    writeFileSync(file, JSON.stringify({ doc_id: 2, input: 'What is 2+2?', target: '4', filtered_resps: ['4'], exact_match: 1.0 }));
    const plain = importLmmsEvalLog(file);
    assert.deepEqual(plain.items.map((item) => [item.id, item.question, item.answerType, item.answer]), [['2', 'What is 2+2?', 'number', '4']]);
    assert.deepEqual(plain.responses, [{ id: '2', response: '4' }]);
  });

  it('v0.4 lines: ids from metric records only when they name every line once, else doc_id', () => {
    const dir = tempDir();
    const file = join(dir, 'samples.jsonl');
    const rows = [0, 1].map((docId) => ({ doc_id: docId, input: `Q${docId}`, target: 'B', filtered_resps: ['B'], score: { id: 'same', choices: ['a', 'b'] } }));
    writeFileSync(file, rows.map((row) => JSON.stringify(row)).join('\n'));
    const { items } = importLmmsEvalLog(file);
    assert.deepEqual(items.map((item) => [item.id, item.answerType, item.choices]), [['0', 'choice', ['a', 'b']], ['1', 'choice', ['a', 'b']]]);
  });
});

describe('importBenchmark', () => {
  it('writes items.jsonl, images/ and responses.jsonl that read back; refuses to overwrite', () => {
    const out = join(tempDir(), 'imported');
    const summary = importBenchmark({ format: 'vlmevalkit-tsv', file: join(FIXTURES, 'vlmevalkit.tsv') }, out);
    assert.deepEqual([summary.items, summary.images, summary.responses], [4, 4, 4]);
    assert.deepEqual([summary.warnings.textOnly.count, summary.warnings.relettered.count], [0, 0]);
    const items = readBenchmarkItems(summary.itemsFile);
    assert.deepEqual(readFileSync(items[0]!.images[0]!), fixture('images/four-pixels.png'));
    assert.ok(existsSync(join(out, 'responses.jsonl')));
    assert.throws(() => importBenchmark({ format: 'vlmevalkit-tsv', file: join(FIXTURES, 'vlmevalkit.tsv') }, out), /already exists/);
    importBenchmark({ format: 'lmms-eval', file: join(FIXTURES, 'lmms-eval-samples.jsonl') }, out, { overwrite: true });
    assert.ok(!existsSync(join(out, 'images')), 'no image folder when there are no images');
  });

  it('leaves nothing behind when the source is broken', () => {
    const dir = tempDir();
    const file = join(dir, 'bad.tsv');
    writeFileSync(file, 'index\timage\tquestion\tanswer\n1\tnot-an-image-and-not-a-reference-either-but-longer-than-sixty-four\tQ\t1\n');
    assert.throws(() => importBenchmark({ format: 'vlmevalkit-tsv', file }, join(dir, 'out')), FrankenlensError);
    assert.deepEqual(readdirSync(dir), ['bad.tsv']);
  });
});

describe('Python string lists', () => {
  it('reads repr output, refuses anything else', () => {
    assert.deepEqual(parsePythonStringList(`['a', "b's", 'c\\'d', '\\u00e9\\n']`), ['a', "b's", "c'd", 'é\n']);
    assert.deepEqual(parsePythonStringList('[]'), []);
    assert.deepEqual(parsePythonStringList("['x',]"), ['x']);
    for (const bad of ['nan', "['a' 'b']", '[1, 2]', "['a'", "['a'] + ['b']", "['a', 'b'] x", "['a\\"]) assert.equal(parsePythonStringList(bad), undefined, bad);
  });

  it('reads numbers too where answers may be numbers; copes with megabyte strings', () => {
    assert.deepEqual(parsePythonScalarList("['1', 2, -3.5e2]"), ['1', '2', '-3.5e2']);
    assert.equal(parsePythonScalarList('[1 2]'), undefined);
    const big = 'QUJD'.repeat(2_000_000);
    const started = performance.now();
    assert.deepEqual(parsePythonStringList(`['${big}', "${big}"]`)?.map((text) => text.length), [big.length, big.length]);
    assert.ok(performance.now() - started < 2000, 'slices, not a character at a time');
  });
});

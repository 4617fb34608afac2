import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readBenchmarkItems } from '../../../src/core/bench/benchmarkItems';
import { importBenchmark } from '../../../src/core/bench/importBenchmark';
import { importLmmsEvalLog } from '../../../src/core/bench/lmmsEvalLog';
import { parsePythonStringList } from '../../../src/core/bench/pythonLiteral';
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

  it('keeps quoted cells exactly, prepends hints, stops options at the first empty one', () => {
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
  });
});

describe('importBenchmark', () => {
  it('writes items.jsonl, images/ and responses.jsonl that read back; refuses to overwrite', () => {
    const out = join(tempDir(), 'imported');
    const summary = importBenchmark({ format: 'vlmevalkit-tsv', file: join(FIXTURES, 'vlmevalkit.tsv') }, out);
    assert.deepEqual([summary.items, summary.images], [4, 4]);
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
    for (const bad of ['nan', "['a' 'b']", '[1, 2]', "['a'", "['a'] + ['b']", "['a', 'b'] x"]) assert.equal(parsePythonStringList(bad), undefined, bad);
  });
});

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { importBenchmark } from '../../../src/core/bench/importBenchmark';
import { readModelResponses } from '../../../src/core/bench/modelResponses';
import { importVlmEvalKitTsv, indexKey, readPredictionFile } from '../../../src/core/bench/vlmEvalKitTsv';
import { FrankenlensError } from '../../../src/core/errors';
import { tempDir } from '../../helpers/tempDir';

const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures', 'bench');
const DATASET = join(FIXTURES, 'vlmevalkit.tsv');

/** What scripts/goldens/vlmEvalKitPredictionFixtures.py wrote as predictions (row 104 has none; 999 is not in the dataset). */
const EXPECTED = [
  { id: '101', response: 'The answer is (B).' },
  { id: '102', response: '\\boxed{4} & <done>\nsecond line' },
  { id: '103', response: 'A\t\u{1F600} _x0041_ \u0001' },
];

describe('VLMEvalKit prediction files joined to their dataset TSV', () => {
  const cases: [string, string, typeof EXPECTED][] = [
    ['xlsx as VLMEvalKit writes it (xlsxwriter: shared strings, _xHHHH_ escapes)', 'vlmevalkit-pred.xlsx', EXPECTED],
    // openpyxl refuses control characters (the fixture script left U+0001 out) and, unlike xlsxwriter,
    // does not escape a literal "_x0041_": Excel, and this reader, read it as the escape of "A".
    ['xlsx through openpyxl (inline strings, typed cells)', 'vlmevalkit-pred-openpyxl.xlsx', EXPECTED.map((row) => ({ ...row, response: row.response.replace(' \u0001', ' ').replace('_x0041_', 'A') }))],
    ['TSV (PRED_FORMAT=tsv: every field quoted)', 'vlmevalkit-pred.tsv', EXPECTED],
  ];
  for (const [name, file, expected] of cases) {
    it(name, () => {
      const { items, responses, warnings } = importVlmEvalKitTsv(DATASET, tempDir(), { predictions: join(FIXTURES, file) });
      assert.deepEqual(items.map((item) => [item.id, item.images.length]), [['101', 1], ['102', 1], ['103', 1], ['104', 2]], 'items and images from the dataset');
      assert.deepEqual(responses, expected, "responses from the prediction file, never the dataset's own prediction column");
      assert.deepEqual(warnings.withoutPrediction, { count: 1, first: ['104'] });
      assert.deepEqual(warnings.unmatchedPredictions, { count: 1, first: ['999'] });
    });
  }

  it('CSV and JSON (records) prediction files, integer indices written as 101.0 or numbers', () => {
    const dir = tempDir();
    const csv = join(dir, 'model_bench.csv');
    writeFileSync(csv, 'index,question,prediction\n101.0,"Q, with comma","B, because ""red"""\n102,Q,\n103,Q,nan\n');
    const json = join(dir, 'model_bench.json');
    writeFileSync(json, JSON.stringify([{ index: 101, prediction: 'B' }, { index: 103, prediction: null }, { index: 104, prediction: 4 }]));
    const fromCsv = importVlmEvalKitTsv(DATASET, tempDir(), { predictions: csv });
    assert.deepEqual(fromCsv.responses, [{ id: '101', response: 'B, because "red"' }, { id: '102', response: '' }, { id: '103', response: '' }]);
    const fromJson = importVlmEvalKitTsv(DATASET, tempDir(), { predictions: json });
    assert.deepEqual(fromJson.responses, [{ id: '101', response: 'B' }, { id: '103', response: '' }, { id: '104', response: '4' }]);
    assert.deepEqual(fromJson.warnings.withoutPrediction, { count: 1, first: ['102'] });
  });

  it('finds the format by content when the name does not say', () => {
    const dir = tempDir();
    const renamed = join(dir, 'predictions.out');
    writeFileSync(renamed, readFileSync(join(FIXTURES, 'vlmevalkit-pred.xlsx')));
    assert.equal(readPredictionFile(renamed).get('101')?.prediction, 'The answer is (B).');
  });

  it('index keys: integers however a spreadsheet wrote them, anything else as it is', () => {
    assert.deepEqual(['101', ' 101.0 ', '1.01E2', '+7', 'a-1', '1.5', '007'].map(indexKey), ['101', '101', '101', '7', 'a-1', '1.5', '7']);
  });

  it('refuses a file without index or prediction, duplicate indices, and a file that matches no row', () => {
    const dir = tempDir();
    const refuses = (name: string, content: string, message: RegExp) => {
      const file = join(dir, name);
      writeFileSync(file, content);
      assert.throws(
        () => importVlmEvalKitTsv(DATASET, tempDir(), { predictions: file }),
        (error: unknown) => error instanceof FrankenlensError && error.code === 'InvalidBenchmarkItem' && error.message.startsWith(file) && message.test(error.message),
      );
    };
    refuses('no-prediction.tsv', 'index\tanswer\n101\tA\n', /line 1: no "prediction" column \(columns: index, answer; a VLMEvalKit prediction file has "index" and "prediction" columns\)/);
    refuses('duplicate.tsv', 'index\tprediction\n101\tA\n101.0\tB\n', /line 3: duplicate index "101.0" \(first at line 2\)/);
    refuses('other.tsv', 'index\tprediction\n1\tA\n2\tB\n', /no prediction row matches a row of .*vlmevalkit\.tsv by index \(dataset indices such as "101", prediction indices such as "1"\)/);
    refuses('empty.tsv', 'index\tprediction\n', /no prediction rows/);
    refuses('not-json.json', '{"index": 1}', /expected a JSON array of rows/);
    refuses('broken.xlsx', 'PK\u0003\u0004 not really a zip', /not an \.xlsx file/);
  });

  it('importBenchmark writes the joined responses and reports both sides', () => {
    const out = join(tempDir(), 'imported');
    const summary = importBenchmark({ format: 'vlmevalkit-tsv', file: DATASET, predictions: join(FIXTURES, 'vlmevalkit-pred.xlsx') }, out);
    assert.deepEqual([summary.items, summary.images, summary.responses], [4, 4, 3]);
    assert.deepEqual([...readModelResponses(summary.responsesFile!).values()], EXPECTED);
    assert.equal(summary.warnings.withoutPrediction?.count, 1);
    assert.equal(summary.warnings.unmatchedPredictions?.count, 1);
  });
});

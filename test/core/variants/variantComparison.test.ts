import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { renderSvg } from '../../../src/core/report/renderReport';
import { variantCharts, variantPoints } from '../../../src/core/report/variantSpecs';
import { tableCsv } from '../../../src/core/report/csv';
import { variantItemTables, variantScoreTable, type VariantsSummary } from '../../../src/core/variants/variantComparison';
import { wilsonInterval } from '../../../src/core/stats/wilson';
import { tempDir } from '../../helpers/tempDir';

function accuracy(correct: number, total: number) {
  return { correct, total, accuracy: correct / total, interval: wilsonInterval(correct, total) };
}

/** A sweep folder written by hand: 3 items, IN answers 2 right, the variant 1, and a torn last line. */
function sweep(): { dir: string; summary: VariantsSummary } {
  const dir = tempDir('frankenlens-variants-view-');
  const itemsFile = join(dir, 'items.jsonl');
  writeFileSync(
    itemsFile,
    [
      { id: 'a', images: [], question: 'How many?', answer: '3', answerType: 'number', category: 'counting' },
      { id: 'b', images: [], question: 'How many?', answer: '0.5', answerType: 'number', category: 'counting' },
      { id: 'c', images: [], question: 'Colour?', choices: ['red', 'blue'], answer: 'B', answerType: 'choice', category: 'colour' },
    ].map((item) => JSON.stringify(item)).join('\n') + '\n',
  );
  const answers = [
    { model: 'IN', id: 'a', response: 'The answer is 3.' },
    { model: 'IN', id: 'b', response: '\\boxed{0.5}' },
    { model: 'IN', id: 'c', response: '(A)' },
    { model: 'rl-early', id: 'a', response: 'I count 4 shapes, so the answer is 4' },
    { model: 'rl-early', id: 'b', response: 'The answer is 0.5' },
    { model: 'rl-early', id: 'c', response: 'red' },
  ];
  writeFileSync(join(dir, 'variants.jsonl'), answers.map((answer) => JSON.stringify(answer)).join('\n') + '\n{"model":"IN","id":"tor');
  const summary: VariantsSummary = {
    schema: 'frankenlens.variants/1',
    items: 3,
    settings: { itemsFile, maxNewTokens: 16 },
    rows: [
      { model: 'IN', kind: 'checkpoint', summary: { overall: accuracy(2, 3), byCategory: { counting: accuracy(2, 2), colour: accuracy(0, 1) } } as never },
      { model: 'rl-early', kind: 'thirds', summary: { overall: accuracy(1, 3), byCategory: { counting: accuracy(1, 2), colour: accuracy(0, 1) } } as never },
    ],
  };
  return { dir, summary };
}

describe('variant comparison', () => {
  it('lists each model with its accuracy and Wilson interval', () => {
    const { summary } = sweep();
    const table = variantScoreTable(summary);
    assert.deepEqual(table.rows[0].slice(0, 5), ['IN', 'checkpoint', '2', '3', '0.6667']);
    // Wilson 95% for 1/3 by the closed form: (p + z²/2n ± z√(p(1−p)/n + z²/4n²)) / (1 + z²/n).
    const z = 1.959963984540054;
    const [p, n] = [1 / 3, 3];
    const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
    const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
    assert.deepEqual(table.rows[1].slice(4), [(1 / 3).toFixed(4), (centre - half).toFixed(4), (centre + half).toFixed(4)]);
  });

  it('re-scores every answered item per model, explaining each decision, and skips a torn last line', () => {
    const { dir, summary } = sweep();
    const tables = variantItemTables(summary, dir);
    const correct = (model: string) => Object.fromEntries(tables[model].rows.map((row) => [row[0], row[5]]));
    assert.deepEqual(correct('IN'), { a: 'yes', b: 'yes', c: 'no' });
    assert.deepEqual(correct('rl-early'), { a: 'no', b: 'yes', c: 'no' });
    const rowB = tables.IN.rows.find((row) => row[0] === 'b')!;
    assert.equal(rowB[3], '0.5', '0.5 stays 0.5');
    assert.match(rowB[4], /boxed/);
    assert.equal(tables.IN.rows.length, 3, 'the torn line is not an answer');
  });

  it('writes CSV with quoted cells (RFC 4180)', () => {
    assert.equal(tableCsv({ columns: ['a', 'b'], rows: [['x, y', 'say "hi"'], ['1', '2']] }), 'a,b\r\n"x, y","say ""hi"""\r\n1,2\r\n');
  });

  it('charts the accuracies it was given, overall and per category, and renders them', async () => {
    const { summary } = sweep();
    const { overall, byCategory } = variantPoints(summary);
    assert.deepEqual(overall.map((point) => [point.model, point.accuracy]), [['IN', 2 / 3], ['rl-early', 1 / 3]]);
    assert.equal(byCategory.length, 4);
    const charts = variantCharts(summary);
    assert.deepEqual(charts.map((chart) => chart.id), ['variant-accuracy', 'variant-accuracy-by-category']);
    for (const chart of charts) assert.match(await renderSvg(chart.spec), /^<svg/);
  });
});

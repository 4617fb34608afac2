import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { renderSvg } from '../../../src/core/report/renderReport';
import { variantCharts, variantMeasurePoints, variantPoints } from '../../../src/core/report/variantSpecs';
import { tableCsv } from '../../../src/core/report/csv';
import type { ScoredResponse } from '../../../src/core/bench/scoreResponses';
import { variantItemTables, variantScoreTable, type VariantsSummary } from '../../../src/core/variants/variantComparison';
import { compareWithBaseline, paperMetrics, type ComparisonSettings } from '../../../src/core/variants/variantMetrics';
import { wilsonInterval } from '../../../src/core/stats/wilson';
import { tempDir } from '../../helpers/tempDir';

function accuracy(correct: number, total: number) {
  return { correct, total, accuracy: correct / total, interval: wilsonInterval(correct, total) };
}

const scored = (marks: Record<string, boolean>) => Object.entries(marks).map(([id, correct]) => ({ id, correct }) as ScoredResponse);

/**
 * A sweep folder written by hand: 3 items, real and black conditions, IN answers 2 right with the
 * image and 1 without, the variant 1 and 1; a torn last line.
 */
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
    { model: 'IN', condition: 'real', id: 'a', response: 'The answer is 3.' },
    { model: 'IN', condition: 'real', id: 'b', response: '\\boxed{0.5}' },
    { model: 'IN', condition: 'real', id: 'c', response: '(A)' },
    { model: 'IN', condition: 'black', id: 'a', response: 'I cannot see; 2' },
    { model: 'IN', condition: 'black', id: 'b', response: '0.5' },
    { model: 'IN', condition: 'black', id: 'c', response: 'A' },
    { model: 'rl-early', condition: 'real', id: 'a', response: 'I count 4 shapes, so the answer is 4' },
    { model: 'rl-early', condition: 'real', id: 'b', response: 'The answer is 0.5' },
    { model: 'rl-early', condition: 'real', id: 'c', response: 'red' },
    { model: 'rl-early', condition: 'black', id: 'a', response: '3' },
    { model: 'rl-early', condition: 'black', id: 'b', response: '1' },
    { model: 'rl-early', condition: 'black', id: 'c', response: 'A' },
  ];
  writeFileSync(join(dir, 'variants.jsonl'), answers.map((answer) => JSON.stringify(answer)).join('\n') + '\n{"model":"IN","id":"tor');
  const comparison: ComparisonSettings = { baseline: 'IN', condition: 'real', mcnemar: 'exact', bootstrap: { resamples: 1000, seed: 3, confidence: 0.95 } };
  const inReal = scored({ a: true, b: true, c: false });
  const variantReal = scored({ a: false, b: true, c: false });
  const summary: VariantsSummary = {
    schema: 'frankenlens.variants/2',
    items: 3,
    settings: { itemsFile, maxNewTokens: 16, conditions: ['real', 'black'], describer: 'item description field' },
    comparison,
    rows: [
      {
        model: 'IN',
        kind: 'checkpoint',
        conditions: { real: { overall: accuracy(2, 3), byCategory: { counting: accuracy(2, 2), colour: accuracy(0, 1) } } as never, black: { overall: accuracy(1, 3), byCategory: {} } as never },
        metrics: paperMetrics({ real: inReal, black: scored({ a: false, b: true, c: false }) }, new Set()),
      },
      {
        model: 'rl-early',
        kind: 'frankenstein',
        conditions: { real: { overall: accuracy(1, 3), byCategory: { counting: accuracy(1, 2), colour: accuracy(0, 1) } } as never, black: { overall: accuracy(1, 3), byCategory: {} } as never },
        metrics: paperMetrics({ real: variantReal, black: scored({ a: true, b: false, c: false }) }, new Set()),
        versusBaseline: compareWithBaseline(inReal, variantReal, comparison),
      },
    ],
  };
  return { dir, summary };
}

describe('variant comparison', () => {
  it('lists each model with its accuracy per condition, the paper metric and the comparison with IN', () => {
    const { summary } = sweep();
    const table = variantScoreTable(summary);
    assert.deepEqual(table.columns, [
      'model', 'kind', 'correct', 'scored', 'accuracy', 'lower 95%', 'upper 95%',
      'black accuracy', 'black lower 95%', 'black upper 95%',
      'M_vis', 'M_vis lower 95%', 'M_vis upper 95%', 'M_vis count', 'M_vis N',
      'Δ vs IN', 'Δ lower 95%', 'Δ upper 95%', 'b (only IN)', 'c (only model)', 'McNemar exact p',
    ]);
    // Wilson 95% for 1/3 by the closed form: (p + z²/2n ± z√(p(1−p)/n + z²/4n²)) / (1 + z²/n).
    const z = 1.959963984540054;
    const [p, n] = [1 / 3, 3];
    const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
    const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
    const oneThird = [(1 / 3).toFixed(4), (centre - half).toFixed(4), (centre + half).toFixed(4)];
    const [inRow, variantRow] = table.rows;
    assert.deepEqual(inRow!.slice(0, 5), ['IN', 'checkpoint', '2', '3', '0.6667']);
    assert.deepEqual(variantRow!.slice(4, 7), oneThird);
    // IN with a black image: 1 of 3; M_vis: a is right with the image and wrong without (1 of 3).
    assert.deepEqual(inRow!.slice(7, 10), oneThird);
    assert.deepEqual(inRow!.slice(10, 15), [...oneThird, '1', '3']);
    assert.deepEqual(inRow!.slice(15), ['', '', '', '', '', ''], 'IN is not compared with itself');
    // Only IN got a right, neither model alone got anything else: b = 1, c = 0, exact p = min(1, 2·½) = 1.
    const { bootstrap } = summary.rows[1]!.versusBaseline!;
    assert.deepEqual(variantRow!.slice(15), ['-0.3333', bootstrap.interval.lower.toFixed(4), bootstrap.interval.upper.toFixed(4), '1', '0', '1.0000']);
  });

  it('re-scores every answered item per model and condition, explaining each decision, and skips a torn last line', () => {
    const { dir, summary } = sweep();
    const tables = variantItemTables(summary, dir);
    assert.deepEqual(tables.IN!.columns, ['item', 'condition', 'category', 'gold', 'extracted', 'rule', 'correct']);
    const correct = (model: string) => tables[model]!.rows.map((row) => `${row[0]} ${row[1]} ${row[6]}`);
    assert.deepEqual(correct('IN'), ['a real yes', 'a black no', 'b real yes', 'b black yes', 'c real no', 'c black no']);
    assert.deepEqual(correct('rl-early'), ['a real no', 'a black yes', 'b real yes', 'b black no', 'c real no', 'c black no']);
    const rowB = tables.IN!.rows.find((row) => row[0] === 'b' && row[1] === 'real')!;
    assert.equal(rowB[4], '0.5', '0.5 stays 0.5');
    assert.match(rowB[5]!, /boxed/);
    assert.equal(tables.IN!.rows.length, 6, 'the torn line is not an answer');
  });

  it('refuses answer lines without a condition, naming the file and line', () => {
    const { dir, summary } = sweep();
    writeFileSync(join(dir, 'variants.jsonl'), '{"model":"IN","id":"a","response":"3"}\n');
    assert.throws(() => variantItemTables(summary, dir), new RegExp(`variants\\.jsonl:1: needs .*"condition" of the sweep \\(real, black\\)`));
  });

  it('writes CSV with quoted cells (RFC 4180)', () => {
    assert.equal(tableCsv({ columns: ['a', 'b'], rows: [['x, y', 'say "hi"'], ['1', '2']] }), 'a,b\r\n"x, y","say ""hi"""\r\n1,2\r\n');
  });

  it('charts the accuracies and every measure it was given, and renders them', async () => {
    const { summary } = sweep();
    const { overall, byCategory } = variantPoints(summary);
    assert.deepEqual(overall.map((point) => [point.model, point.accuracy]), [['IN', 2 / 3], ['rl-early', 1 / 3]]);
    assert.equal(byCategory.length, 4);
    const measures = variantMeasurePoints(summary).map((point) => [point.model, point.measure, point.value, point.detail]);
    const versus = summary.rows[1]!.versusBaseline!;
    assert.deepEqual(measures, [
      ['IN', 'accuracy (real)', 2 / 3, '2/3 correct'],
      ['IN', 'accuracy (black)', 1 / 3, '1/3 correct'],
      ['IN', 'M_vis', 1 / 3, '1/3; TT 1, TF 1, FT 0, FF 1'],
      ['rl-early', 'accuracy (real)', 1 / 3, '1/3 correct'],
      ['rl-early', 'accuracy (black)', 1 / 3, '1/3 correct'],
      ['rl-early', 'M_vis', 1 / 3, '1/3; TT 0, TF 1, FT 1, FF 1'],
      ['rl-early', 'Δ accuracy vs IN', versus.difference, 'b 1, c 0, McNemar exact p 1.0000'],
    ]);
    const charts = variantCharts(summary);
    assert.deepEqual(charts.map((chart) => chart.id), ['variant-accuracy', 'variant-measures', 'variant-accuracy-by-category']);
    for (const chart of charts) assert.match(await renderSvg(chart.spec), /^<svg/);
  });
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../helpers/tempDir';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');
const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures', 'bench');

function frankenlens(...args: string[]) {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('frankenlens bench-import / score (CLI)', () => {
  const root = tempDir();

  it('imports a VLMEvalKit TSV and scores its predictions', () => {
    const out = join(root, 'tsv');
    const run = frankenlens('bench-import', '--tsv', join(FIXTURES, 'vlmevalkit.tsv'), '--out', out);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /imported 4 items and 4 images/);
    assert.match(run.stdout, /responses  .*responses\.jsonl \(4 responses\)/);
    assert.doesNotMatch(run.stdout, /warning/);
    const score = frankenlens('score', '--items', join(out, 'items.jsonl'), '--answers', join(out, 'responses.jsonl'), '--out', join(root, 'tsv-score'));
    assert.equal(score.status, 0, score.stderr);
    assert.match(score.stdout, /accuracy 75\.0% \(3\/4; 95% Wilson interval 30\.1%–95\.4%\)/);
    const lines = readFileSync(join(root, 'tsv-score', 'scores.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    // Which extraction rule fired is answerExtraction's own tests' business.
    assert.deepEqual(lines.map((line) => [line.id, line.correct, line.checkRule]), [
      ['101', true, 'choice letter'],
      ['102', true, 'choice text'],
      ['103', true, 'choice letter'],
      ['104', false, 'no answer'],
    ]);
  });

  it('joins a VLMEvalKit prediction xlsx to its dataset TSV and reports rows missing on either side', () => {
    const out = join(root, 'pred');
    const run = frankenlens('bench-import', '--tsv', join(FIXTURES, 'vlmevalkit.tsv'), '--predictions', join(FIXTURES, 'vlmevalkit-pred.xlsx'), '--out', out);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(
      run.stdout,
      [
        `imported 4 items and 4 images into ${out}`,
        `  items      ${join(out, 'items.jsonl')}`,
        `  responses  ${join(out, 'responses.jsonl')} (3 responses)`,
        'warning: 1 dataset row without a prediction, imported without a response ("104")',
        'warning: 1 prediction row whose index is not in the dataset, dropped ("999")',
        '',
      ].join('\n'),
    );
    const responses = readFileSync(join(out, 'responses.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    assert.deepEqual(responses.map((line) => line.id), ['101', '102', '103']);
  });

  it('scores what current VLMEvalKit and lmms-eval write: a prediction xlsx joined to its TSV, and a v0.4+ samples log', () => {
    const pred = join(root, 'pred-scored');
    assert.equal(frankenlens('bench-import', '--tsv', join(FIXTURES, 'vlmevalkit.tsv'), '--predictions', join(FIXTURES, 'vlmevalkit-pred.xlsx'), '--out', pred).status, 0);
    const predScore = frankenlens('score', '--items', join(pred, 'items.jsonl'), '--answers', join(pred, 'responses.jsonl'), '--out', join(pred, 'score'));
    assert.equal(predScore.status, 0, predScore.stderr);
    assert.match(predScore.stdout, /accuracy 100\.0% \(3\/3;/);
    assert.match(predScore.stdout, /1 of 4 items have no response/);

    // lmms-eval ≥ 0.4 logs no doc and no arguments: input, target, filtered_resps (a list, or from 0.7 the string).
    const log = join(root, 'lmms-v04.jsonl');
    writeFileSync(log, [
      { doc_id: 0, input: 'What is 2+3?', target: '5', resps: [['The sum is \\boxed{5}.']], filtered_resps: ['The sum is \\boxed{5}.'], doc_hash: 'a', exact_match: 1 },
      { doc_id: 1, input: 'What is 10% of 50?', target: '5', filtered_resps: 'So the answer is 6.', doc_hash: 'b', exact_match: 0 },
      { doc_id: 2, input: 'Which set solves x^2 = 1?', target: '\\{-1, 1\\}', filtered_resps: ['Both roots: $x \\in \\{1, -1\\}$'], doc_hash: 'c', exact_match: 0 },
    ].map((line) => JSON.stringify(line)).join('\n') + '\n');
    const lmms = join(root, 'lmms-v04');
    const imported = frankenlens('bench-import', '--lmms-eval', log, '--out', lmms);
    assert.equal(imported.status, 0, imported.stderr);
    const lmmsScore = frankenlens('score', '--items', join(lmms, 'items.jsonl'), '--answers', join(lmms, 'responses.jsonl'), '--out', join(lmms, 'score'));
    assert.equal(lmmsScore.status, 0, lmmsScore.stderr);
    assert.match(lmmsScore.stdout, /accuracy 66\.7% \(2\/3/);
  });

  it('counts text-only rows and relettered options in the summary', () => {
    const tsv = join(root, 'gaps.tsv');
    const png = readFileSync(join(FIXTURES, 'images', 'black.png')).toString('base64');
    writeFileSync(tsv, `index\timage\tquestion\tA\tB\tC\tanswer\n1\t${png}\tQ\tx\tnan\tz\tC\n2\t\tQ\tx\ty\tz\tA\n3\tnan\tQ\tx\ty\tz\tA\n`);
    const run = frankenlens('bench-import', '--tsv', tsv, '--out', join(root, 'gaps'));
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /imported 3 items and 1 image into/);
    assert.match(run.stdout, /warning: 2 rows without an image, kept as text-only items \("2", "3"\)/);
    assert.match(run.stdout, /warning: 1 row with an empty option column between filled ones; later options moved up a letter \("1"\)/);
  });

  it('scores the item fixture: per-item rules, a summary with the Wilson interval and per-category accuracy', () => {
    const out = join(root, 'score');
    const run = frankenlens('score', '--items', join(FIXTURES, 'items.jsonl'), '--answers', join(FIXTURES, 'responses.jsonl'), '--out', out);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /1 of 6 items have no response/);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    assert.deepEqual([summary.scored, summary.missing, summary.overall.correct, summary.protocol], [5, ['m500-2'], 5, 'transfer']);
    assert.deepEqual(Object.keys(summary.byCategory), ['general-vqa', 'math-targeted-vqa', 'math500']);
    const scores = readFileSync(join(out, 'scores.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    const m500 = scores.find((line) => line.id === 'm500-1');
    assert.deepEqual([m500.extracted, m500.checkRule, m500.correct], ['0.5', 'math equivalence', true]);
  });

  it('imports an lmms-eval log with its responses', () => {
    const out = join(root, 'lmms');
    const run = frankenlens('bench-import', '--lmms-eval', join(FIXTURES, 'lmms-eval-samples.jsonl'), '--out', out);
    assert.equal(run.status, 0, run.stderr);
    const score = frankenlens('score', '--items', join(out, 'items.jsonl'), '--answers', join(out, 'responses.jsonl'), '--out', join(out, 'score'), '--protocol', 'ablation');
    assert.equal(score.status, 0, score.stderr);
    assert.match(score.stdout, /accuracy 66\.7% \(2\/3/);
  });

  it('bad input: exit 3 and one line naming the file and line; usage errors: exit 2', () => {
    const bad = join(root, 'bad.jsonl');
    writeFileSync(bad, '{"id": "a", "images": [], "question": "Q", "answer": "1", "answerType": "number"}\n{"id": "b"\n');
    const run = frankenlens('score', '--items', bad, '--answers', join(FIXTURES, 'responses.jsonl'), '--out', join(root, 'never'));
    assert.equal(run.status, 3);
    assert.match(run.stderr, /^frankenlens: error: .*bad\.jsonl, line 2: not valid JSON/);
    assert.equal(run.stderr.trim().split('\n').length, 1);
    assert.ok(!existsSync(join(root, 'never')));
    const unknown = frankenlens('score', '--items', join(FIXTURES, 'items.jsonl'), '--answers', join(FIXTURES, 'lmms-eval-samples.jsonl'));
    assert.equal(unknown.status, 3);
    assert.match(unknown.stderr, /"id" must be a non-empty string/);
    const stray = join(root, 'stray.jsonl');
    writeFileSync(stray, '{"id": "vqa-1", "response": "4"}\n{"id": "not-an-item", "response": "4"}\n');
    const strayRun = frankenlens('score', '--items', join(FIXTURES, 'items.jsonl'), '--answers', stray);
    assert.equal(strayRun.status, 3);
    assert.match(strayRun.stderr, /stray\.jsonl: 1 response id not among the items \("not-an-item"\)/);
    assert.equal(frankenlens('score', '--items', join(FIXTURES, 'items.jsonl')).status, 2);
    assert.equal(frankenlens('bench-import', '--tsv', 'a.tsv', '--lmms-eval', 'b.jsonl', '--out', root).status, 2);
    const lonePredictions = frankenlens('bench-import', '--predictions', 'p.xlsx', '--lmms-eval', 'b.jsonl', '--out', root);
    assert.equal(lonePredictions.status, 2);
    assert.match(lonePredictions.stderr, /--predictions FILE goes with --tsv FILE/);
    assert.match(frankenlens('bench-import', '--help').stdout, /--predictions FILE/);
    assert.equal(frankenlens('score', '--items', 'x', '--answers', 'y', '--protocol', 'other').status, 2);
    assert.match(frankenlens('score', '--help').stdout, /--protocol P/);
  });
});

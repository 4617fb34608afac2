import assert from 'node:assert/strict';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { comparisonFor, DiffResultIndex, summarizeSavedComparison, topChangedHfLayers, type SavedComparison } from '../../src/host/diffResultIndex';
import { tempDir } from '../helpers/tempDir';
import { sampleDiffResult } from '../core/report/sampleDiffResult';

function comparison(file: string, inPath: string, rlPath: string, createdAt: string): SavedComparison {
  return { file, inPath, rlPath, createdAt, topChangedHfLayers: [] };
}

describe('topChangedHfLayers', () => {
  it('takes the three decoder layers with the largest mean relative update, in layer order', () => {
    // Sample values: HF 3 (2.6e-3) > HF 2 (2.1e-3) > HF 4 (1.9e-3); vision and projector are not decoder layers.
    assert.deepEqual(topChangedHfLayers(sampleDiffResult().layers), [2, 3, 4]);
  });

  it('skips unchanged layers and layers outside the decoder', () => {
    const layers = [
      { hfLayer: null, rlDeltaRelMean: 9 },
      { hfLayer: 0, rlDeltaRelMean: 0 },
      { hfLayer: 5, rlDeltaRelMean: 1e-3 },
    ];
    assert.deepEqual(topChangedHfLayers(layers), [5]);
  });
});

describe('comparisonFor', () => {
  const saved = [
    comparison('/r/old/diff.json', '/ckpt/in', '/ckpt/rl', '2025-01-01T00:00:00.000Z'),
    comparison('/r/new/diff.json', '/ckpt/in', '/ckpt/rl', '2025-02-01T00:00:00.000Z'),
    comparison('/r/other/diff.json', '/ckpt/in', '/ckpt/rl2', '2025-03-01T00:00:00.000Z'),
  ];

  it('finds the newest comparison that has the folder as RL', () => {
    assert.equal(comparisonFor(saved, '/ckpt/rl/')?.file, '/r/new/diff.json');
  });

  it('finds a comparison through its IN folder too, and none for an unrelated folder', () => {
    assert.equal(comparisonFor(saved, '/ckpt/in')?.file, '/r/other/diff.json');
    assert.equal(comparisonFor(saved, '/ckpt/base'), undefined);
  });
});

describe('summarizeSavedComparison', () => {
  it('keeps the inputs and the top layers of a diff result, and refuses anything else', () => {
    const summary = summarizeSavedComparison('/r/diff.json', sampleDiffResult());
    assert.deepEqual(summary && { inPath: summary.inPath, rlPath: summary.rlPath, top: summary.topChangedHfLayers }, {
      inPath: '/ckpt/qwen-in',
      rlPath: '/ckpt/qwen-rl',
      top: [2, 3, 4],
    });
    assert.equal(summarizeSavedComparison('/r/x.json', { schema: 'other' }), undefined);
    assert.equal(summarizeSavedComparison('/r/x.json', null), undefined);
  });
});

describe('DiffResultIndex', () => {
  it('reads every diff.json below the results folder and reads a file again only when it changed', async () => {
    const results = tempDir();
    const folder = join(results, 'diff-in-vs-rl');
    mkdirSync(folder);
    const file = join(folder, 'diff.json');
    writeFileSync(file, JSON.stringify(sampleDiffResult()));
    writeFileSync(join(results, 'notes.json'), '{}');
    mkdirSync(join(results, 'broken'));
    writeFileSync(join(results, 'broken', 'diff.json'), '{ half written');

    const index = new DiffResultIndex();
    assert.deepEqual((await index.comparisons(results)).map((saved) => saved.file), [file]);

    const moved = sampleDiffResult();
    moved.inputs.rl.path = '/ckpt/qwen-rl-2';
    writeFileSync(file, JSON.stringify(moved));
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    assert.equal((await index.comparisons(results))[0]?.rlPath, '/ckpt/qwen-rl-2');
  });

  it('has no comparisons for a results folder that does not exist yet', async () => {
    assert.deepEqual(await new DiffResultIndex().comparisons(join(tempDir(), 'missing')), []);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summarizeDiff } from '../../src/host/diffSummary';
import { sampleDiffResult } from '../core/report/sampleDiffResult';

describe('summarizeDiff', () => {
  it('names the inputs and the three layers with the largest mean relative update', () => {
    const summary = summarizeDiff(sampleDiffResult());
    assert.equal(summary.in.path, '/ckpt/qwen-in');
    assert.equal(summary.rl.path, '/ckpt/qwen-rl');
    assert.equal(summary.base, null);
    assert.equal(summary.llmLayers, 6, "the panel converts brushed layers with IN's decoder layer count");
    // Sample values: unified 4 (2.6e-3) > 3 (2.1e-3) > 5 (1.9e-3); HF layer = unified − 1.
    assert.deepEqual(summary.mostChangedLayers, [
      { unifiedLayer: 4, layerName: 'model.layers.3', section: 'llm', rlDeltaRelMean: 2.6e-3 },
      { unifiedLayer: 3, layerName: 'model.layers.2', section: 'llm', rlDeltaRelMean: 2.1e-3 },
      { unifiedLayer: 5, layerName: 'model.layers.4', section: 'llm', rlDeltaRelMean: 1.9e-3 },
    ]);
  });

  it('includes Base when the result has one', () => {
    assert.equal(summarizeDiff(sampleDiffResult({ withBase: true })).base?.path, '/ckpt/qwen-base');
  });

  it('lists no layer when RL changed nothing', () => {
    const result = sampleDiffResult();
    for (const layer of result.layers) layer.rlDeltaRelMean = 0;
    assert.deepEqual(summarizeDiff(result).mostChangedLayers, []);
  });
});

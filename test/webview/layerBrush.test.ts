import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { declaresParam, layerRangeFromBrush } from '../../webview/layerBrush';

describe('layerRangeFromBrush', () => {
  it('keeps the whole layers inside the brush', () => {
    assert.deepEqual(layerRangeFromBrush({ unifiedLayer: [2.3, 7.8] }), { startUnified: 3, endUnified: 7 });
    assert.deepEqual(layerRangeFromBrush({ unifiedLayer: [-4.6, -0.2] }), { startUnified: -4, endUnified: -1 });
  });

  it('accepts the extent in either order', () => {
    assert.deepEqual(layerRangeFromBrush({ unifiedLayer: [7.8, 2.3] }), { startUnified: 3, endUnified: 7 });
  });

  it('keeps a layer whose position an edge misses by rounding', () => {
    assert.deepEqual(layerRangeFromBrush({ unifiedLayer: [3.0000000001, 5.9999999999] }), { startUnified: 3, endUnified: 6 });
  });

  it('gives nothing for a cleared brush, a brush between two layers, or malformed values', () => {
    for (const value of [{}, undefined, null, { unifiedLayer: [] }, { unifiedLayer: [3.2, 3.7] }, { unifiedLayer: ['1', '3'] }, { unifiedLayer: [1, Number.NaN] }, { otherField: [1, 3] }]) {
      assert.equal(layerRangeFromBrush(value), undefined, JSON.stringify(value));
    }
  });
});

describe('declaresParam', () => {
  it('finds a param in a nested layer', () => {
    const spec = { layer: [{ mark: 'rect' }, { layer: [{ mark: 'point', params: [{ name: 'layerBrush', select: 'interval' }] }] }] };
    assert.equal(declaresParam(spec, 'layerBrush'), true);
    assert.equal(declaresParam(spec, 'other'), false);
  });

  it('finds a top-level param and one in concatenated views', () => {
    assert.equal(declaresParam({ params: [{ name: 'layerBrush' }], mark: 'point' }, 'layerBrush'), true);
    assert.equal(declaresParam({ hconcat: [{ mark: 'bar' }, { params: [{ name: 'layerBrush' }] }] }, 'layerBrush'), true);
    assert.equal(declaresParam({ mark: 'bar' }, 'layerBrush'), false);
  });
});

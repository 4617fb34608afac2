import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isChartViewState, isFromPanelMessage, isHfLayerRange, isPanelState, MAX_EXPORT_CHARS } from '../../webview/protocol';

describe('isFromPanelMessage', () => {
  it('accepts every panel → host message', () => {
    assert.equal(isFromPanelMessage({ type: 'ready' }), true);
    assert.equal(isFromPanelMessage({ type: 'layerRangeSelected', startUnified: -3, endUnified: 7 }), true);
    assert.equal(isFromPanelMessage({ type: 'layerRangeSelected', startUnified: 4, endUnified: 4 }), true);
    assert.equal(isFromPanelMessage({ type: 'mergeLayerRange', hfStart: 6, hfEnd: 11 }), true);
    assert.equal(isFromPanelMessage({ type: 'freezeLayerRange', hfStart: 0, hfEnd: 0 }), true);
  });

  it('rejects values that are not messages', () => {
    for (const value of [undefined, null, 'ready', 42, [], [{ type: 'ready' }], {}, { type: 7 }, { kind: 'ready' }]) {
      assert.equal(isFromPanelMessage(value), false, JSON.stringify(value));
    }
  });

  it('rejects unknown types and host → panel messages sent back', () => {
    assert.equal(isFromPanelMessage({ type: 'mergeRange', startUnified: 1, endUnified: 2 }), false);
    assert.equal(isFromPanelMessage({ type: 'showDiff' }), false);
    assert.equal(isFromPanelMessage({ type: 'error', message: 'x' }), false);
    assert.equal(isFromPanelMessage({ type: 'READY' }), false);
  });

  it('rejects layer ranges that are missing, fractional, non-finite, reversed or strings', () => {
    const ranges: unknown[] = [
      {},
      { startUnified: 1 },
      { endUnified: 1 },
      { startUnified: 1.5, endUnified: 3 },
      { startUnified: 1, endUnified: Number.POSITIVE_INFINITY },
      { startUnified: Number.NaN, endUnified: 3 },
      { startUnified: 5, endUnified: 2 },
      { startUnified: '1', endUnified: '3' },
      { startUnified: 2 ** 60, endUnified: 2 ** 61 },
    ];
    for (const range of ranges) {
      const message = { type: 'layerRangeSelected', ...(range as object) };
      assert.equal(isFromPanelMessage(message), false, JSON.stringify(message));
    }
  });
});

describe('merge and freeze messages', () => {
  it('reject ranges that are missing, negative, reversed, fractional, non-finite, huge or strings', () => {
    const ranges: unknown[] = [
      {},
      { hfStart: 3 },
      { hfEnd: 3 },
      { hfStart: -1, hfEnd: 3 },
      { hfStart: 7, hfEnd: 6 },
      { hfStart: 1.5, hfEnd: 3 },
      { hfStart: 1, hfEnd: Number.POSITIVE_INFINITY },
      { hfStart: Number.NaN, hfEnd: 3 },
      { hfStart: '6', hfEnd: '11' },
      { hfStart: 2 ** 60, hfEnd: 2 ** 61 },
      // The unified range of a brush is not a merge request.
      { startUnified: 7, endUnified: 12 },
    ];
    for (const type of ['mergeLayerRange', 'freezeLayerRange']) {
      for (const range of ranges) {
        const message = { type, ...(range as object) };
        assert.equal(isFromPanelMessage(message), false, JSON.stringify(message));
      }
    }
  });

  it('carry only layers: the host takes the checkpoint paths from its own state', () => {
    // Extra fields are tolerated but never read; the guard's type has no paths.
    const message: unknown = { type: 'mergeLayerRange', hfStart: 6, hfEnd: 11, inDir: '/etc' };
    assert.equal(isFromPanelMessage(message), true);
    assert.equal(isHfLayerRange({ hfStart: 6, hfEnd: 11 }), true);
    assert.equal(isHfLayerRange(null), false);
    assert.equal(isHfLayerRange([6, 11]), false);
  });
});

describe('isPanelState', () => {
  it('accepts the state the panel stores and nothing else', () => {
    assert.equal(isPanelState({ resultFile: '/w/.frankenlens/diff-in-vs-rl/diff.json' }), true);
    for (const value of [undefined, null, {}, { resultFile: '' }, { resultFile: 3 }, 'diff.json']) {
      assert.equal(isPanelState(value), false, JSON.stringify(value));
    }
  });
});

describe('layerTensors requests', () => {
  it('accept an integer layer (vision layers are negative) and a request id', () => {
    assert.equal(isFromPanelMessage({ type: 'layerTensors', requestId: 0, unifiedLayer: -32 }), true);
    assert.equal(isFromPanelMessage({ type: 'layerTensors', requestId: 12, unifiedLayer: 7 }), true);
  });

  it('reject missing, fractional, non-finite or string fields and negative ids', () => {
    for (const fields of [{}, { requestId: 1 }, { unifiedLayer: 1 }, { requestId: 1, unifiedLayer: 1.5 }, { requestId: -1, unifiedLayer: 1 }, { requestId: 1, unifiedLayer: Number.NaN }, { requestId: '1', unifiedLayer: 1 }, { requestId: 1, unifiedLayer: '3' }]) {
      const message = { type: 'layerTensors', ...fields };
      assert.equal(isFromPanelMessage(message), false, JSON.stringify(message));
    }
  });
});

describe('exportChart messages', () => {
  it('accept every format with its content', () => {
    assert.equal(isFromPanelMessage({ type: 'exportChart', chartId: 'relative-update', format: 'svg', content: '<svg/>' }), true);
    assert.equal(isFromPanelMessage({ type: 'exportChart', chartId: 'relative-update', format: 'png', content: 'iVBORw0KGgo=' }), true);
    assert.equal(isFromPanelMessage({ type: 'exportChart', chartId: 'component-heatmap', format: 'spec', content: '{}' }), true);
    assert.equal(isFromPanelMessage({ type: 'exportChart', chartId: 'update-alignment', format: 'data', content: '[]' }), true);
  });

  it('reject chart ids that are not plain file-name stems', () => {
    for (const chartId of ['', '../diff', '/etc/passwd', 'a/b', 'Relative', 'x.svg', '-x', 'a'.repeat(65), 3, null]) {
      assert.equal(isFromPanelMessage({ type: 'exportChart', chartId, format: 'svg', content: '<svg/>' }), false, String(chartId));
    }
  });

  it('reject unknown formats, empty or oversized content and PNGs that are not base64', () => {
    const base = { type: 'exportChart', chartId: 'relative-update' };
    for (const fields of [
      { format: 'pdf', content: 'x' },
      { format: 'toString', content: 'x' },
      { format: 'svg', content: '' },
      { format: 'svg', content: 42 },
      { format: 'svg' },
      { format: 'png', content: 'data:image/png;base64,iVBORw0KGgo=' },
      { format: 'png', content: 'iVBORw0KGg' },
      { format: 'svg', content: 'x'.repeat(MAX_EXPORT_CHARS + 1) },
    ]) {
      const message = { ...base, ...fields };
      assert.equal(isFromPanelMessage(message), false, JSON.stringify(message).slice(0, 120));
    }
  });
});

describe('isChartViewState', () => {
  it('accepts a LAYER_METRICS key and a section filter, nothing else', () => {
    assert.equal(isChartViewState({ metric: 'rlDeltaFroSum', section: 'vision' }), true);
    assert.equal(isChartViewState({ metric: 'cosineMean', section: 'all' }), true);
    for (const value of [undefined, null, {}, { metric: 'rlDeltaFroSum' }, { metric: 'value', section: 'all' }, { metric: 'rlDeltaRelMean', section: 'embedding' }, 'rlDeltaRelMean']) {
      assert.equal(isChartViewState(value), false, JSON.stringify(value));
    }
  });
});

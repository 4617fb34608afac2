import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decoderSelection } from '../../webview/decoderRange';

describe('decoderSelection', () => {
  it('maps unified LLM layer i to HF layer i − 1, both ends included', () => {
    assert.deepEqual(decoderSelection({ startUnified: 7, endUnified: 12 }, 12), { range: { hfStart: 6, hfEnd: 11 }, ignoredNonDecoder: false });
    assert.deepEqual(decoderSelection({ startUnified: 1, endUnified: 1 }, 12), { range: { hfStart: 0, hfEnd: 0 }, ignoredNonDecoder: false });
  });

  it('drops vision blocks and the projector (unified ≤ 0) and says so', () => {
    assert.deepEqual(decoderSelection({ startUnified: -3, endUnified: 4 }, 12), { range: { hfStart: 0, hfEnd: 3 }, ignoredNonDecoder: true });
    assert.deepEqual(decoderSelection({ startUnified: 0, endUnified: 2 }, 12), { range: { hfStart: 0, hfEnd: 1 }, ignoredNonDecoder: true });
  });

  it('gives nothing when the brush holds no LLM layer', () => {
    assert.equal(decoderSelection({ startUnified: -8, endUnified: -1 }, 12), undefined);
    assert.equal(decoderSelection({ startUnified: 0, endUnified: 0 }, 12), undefined);
  });

  it('clamps the end to the last decoder layer when the count is known', () => {
    assert.deepEqual(decoderSelection({ startUnified: 10, endUnified: 14 }, 12), { range: { hfStart: 9, hfEnd: 11 }, ignoredNonDecoder: false });
    assert.equal(decoderSelection({ startUnified: 13, endUnified: 14 }, 12), undefined);
    assert.deepEqual(decoderSelection({ startUnified: 10, endUnified: 14 }, null), { range: { hfStart: 9, hfEnd: 13 }, ignoredNonDecoder: false });
  });
});

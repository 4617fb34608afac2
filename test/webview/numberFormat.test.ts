import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exactNumber, formatShape, formatSignificant } from '../../webview/numberFormat';

describe('formatSignificant', () => {
  it('keeps four significant digits and trims trailing zeros', () => {
    assert.equal(formatSignificant(0.050091234), '0.05009');
    assert.equal(formatSignificant(1.6881e-7), '1.688e-7');
    assert.equal(formatSignificant(0.05), '0.05');
    assert.equal(formatSignificant(12.5), '12.5');
    assert.equal(formatSignificant(1234.5678), '1235');
    assert.equal(formatSignificant(123456), '1.235e5');
    assert.equal(formatSignificant(-0.000123456), '-0.0001235');
    assert.equal(formatSignificant(1e-7), '1e-7');
  });

  it('writes zero, missing and non-finite values plainly', () => {
    assert.equal(formatSignificant(0), '0');
    assert.equal(formatSignificant(null), '—');
    assert.equal(formatSignificant(Number.POSITIVE_INFINITY), 'Infinity');
    assert.equal(formatSignificant(Number.NaN), 'NaN');
  });

  it('leaves the exact value for the title', () => {
    assert.equal(exactNumber(0.050091234), '0.050091234');
    assert.equal(exactNumber(null), '');
    assert.equal(Number(exactNumber(1 / 3)), 1 / 3);
  });

  it('prints shapes as PyTorch does', () => {
    assert.equal(formatShape([2048, 1280]), '[2048, 1280]');
    assert.equal(formatShape([]), '[]');
  });
});

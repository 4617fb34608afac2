/** --cuts: two HF 0-based cuts, or the presets counted on the decoder's layers (the paper's merges vs its SVD script). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCuts } from '../../src/cli/cutsArgument';
import { UsageError } from '../../src/cli/cliErrors';

describe('--cuts', () => {
  it('takes two integers as given, without reading the model', () => {
    assert.deepEqual(parseCuts('8,20', () => assert.fail('the layer count is read only for a preset')), [8, 20]);
    assert.deepEqual(parseCuts(' 3 , 5 ', () => null), [3, 5]);
  });

  it('thirds is floor(n/3), floor(2n/3); paper-svd is n//3, 2*(n//3): they differ when n ≡ 2 (mod 3)', () => {
    for (const [layers, thirds, paper] of [[28, [9, 18], [9, 18]], [36, [12, 24], [12, 24]], [8, [2, 5], [2, 4]], [29, [9, 19], [9, 18]], [4, [1, 2], [1, 2]]] as const) {
      assert.deepEqual(parseCuts('thirds', () => layers), thirds, `thirds of ${layers}`);
      assert.deepEqual(parseCuts('paper-svd', () => layers), paper, `paper-svd of ${layers}`);
    }
  });

  it('names what is wrong', () => {
    assert.throws(() => parseCuts('8', () => 28), (error: unknown) => error instanceof UsageError && /two integers like 8,20, thirds or paper-svd, not "8"/.test(error.message));
    assert.throws(() => parseCuts('paper', () => 28), UsageError);
    assert.throws(() => parseCuts('paper-svd', () => null), (error: unknown) => error instanceof UsageError && /layer count is not known/.test(error.message));
  });
});

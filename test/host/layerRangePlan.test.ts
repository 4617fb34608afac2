import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrankenlensError } from '../../src/core/errors';
import { layerRangeFreezePlan, layerRangeMergePlan, parseLayerRange } from '../../src/host/layerRangePlan';

const paths = { in: '/ckpt/in', rl: '/ckpt/rl' };
const slices = (plan: { slices: { start: number; end: number; source: string }[] }) => plan.slices.map(({ start, end, source }) => [start, end, source]);

describe('layerRangeMergePlan', () => {
  it('puts RL layers a..b (inclusive) into IN, everything else from IN', () => {
    const plan = layerRangeMergePlan(paths, 12, { hfStart: 6, hfEnd: 9 }, 'rl');
    assert.equal(plan.name, 'IN with layers 6-9 from RL');
    assert.deepEqual(slices(plan), [[0, 6, 'in'], [6, 10, 'rl'], [10, 12, 'in']]);
    assert.deepEqual(plan.nonDecoder, { rule: 'first-model' });
    assert.deepEqual(plan.models, { in: '/ckpt/in', rl: '/ckpt/rl' });
    assert.match(plan.description, /from IN \(the model of the first slice/);
  });

  it('takes IN layers into RL the other way round', () => {
    const plan = layerRangeMergePlan(paths, 12, { hfStart: 6, hfEnd: 11 }, 'in');
    assert.equal(plan.name, 'RL with layers 6-11 from IN');
    assert.deepEqual(slices(plan), [[0, 6, 'rl'], [6, 12, 'in']]);
  });

  it('follows the first-slice rule when the range starts at layer 0', () => {
    const plan = layerRangeMergePlan(paths, 12, { hfStart: 0, hfEnd: 3 }, 'rl');
    assert.deepEqual(slices(plan), [[0, 4, 'rl'], [4, 12, 'in']]);
    assert.match(plan.description, /lm_head, config and tokenizer from RL/);
  });

  it('refuses ranges outside the decoder', () => {
    assert.throws(() => layerRangeMergePlan(paths, 12, { hfStart: 6, hfEnd: 12 }, 'rl'), (error: unknown) => error instanceof FrankenlensError && error.code === 'InvalidPlan' && /0–11/.test(error.message));
    assert.throws(() => layerRangeMergePlan(paths, 12, { hfStart: 7, hfEnd: 6 }, 'rl'), FrankenlensError);
  });
});

describe('layerRangeFreezePlan', () => {
  it('is RL with the inclusive range held at IN', () => {
    const plan = layerRangeFreezePlan(paths, 12, { hfStart: 8, hfEnd: 11 });
    assert.equal(plan.kind, 'freeze');
    assert.deepEqual(slices(plan), [[0, 8, 'rl'], [8, 12, 'in']]);
    assert.deepEqual(plan.nonDecoder, { rule: 'model', source: 'rl' });
  });

  it('refuses a range past the last layer', () => {
    assert.throws(() => layerRangeFreezePlan(paths, 12, { hfStart: 8, hfEnd: 12 }), FrankenlensError);
  });
});

describe('parseLayerRange', () => {
  it('reads inclusive ranges in the usual spellings', () => {
    for (const text of ['6-11', ' 6 - 11 ', '6–11', '6..11']) assert.deepEqual(parseLayerRange(text), { hfStart: 6, hfEnd: 11 }, text);
    assert.deepEqual(parseLayerRange('7'), { hfStart: 7, hfEnd: 7 });
  });

  it('rejects anything else', () => {
    for (const text of ['', '11-6', '-3', '6-', 'a-b', '6-11-12', '1.5-3']) assert.equal(parseLayerRange(text), undefined, text);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validatePlan } from '../../../src/core/merge/mergePlan';
import { freezePlan, thirdsVariants } from '../../../src/core/merge/presets';
import { FrankenlensError } from '../../../src/core/errors';

const PATHS = { in: '/ckpt/in', rl: '/ckpt/rl' };

/** Which HF layers each model gives, as the reference's variant table lists them (inclusive ranges). */
function layersFrom(plan: ReturnType<typeof thirdsVariants>[number], model: 'in' | 'rl'): string {
  return plan.slices.filter((slice) => slice.source === model).map((slice) => `${slice.start}–${slice.end - 1}`).join(', ');
}

describe('merge presets', () => {
  // reference §3.2, "Variant table (default cuts)": decoder layers from IN, from RL, non-decoder parts.
  const TABLE_28 = [
    ['IN early 1/3 + RL late 2/3', '0–8', '9–27', 'in'],
    ['RL early 1/3 + IN late 2/3', '9–27', '0–8', 'rl'],
    ['IN early 2/3 + RL late 1/3', '0–17', '18–27', 'in'],
    ['RL early 2/3 + IN late 1/3', '18–27', '0–17', 'rl'],
    ['IN early 1/3 + RL middle 1/3 + IN late 1/3', '0–8, 18–27', '9–17', 'in'],
    ['RL early 1/3 + IN middle 1/3 + RL late 1/3', '9–17', '0–8, 18–27', 'rl'],
  ];

  it('builds the six thirds variants for 28 layers exactly as the reference table', () => {
    const plans = thirdsVariants(PATHS, 28);
    assert.deepEqual(plans.map((plan) => [plan.name, layersFrom(plan, 'in'), layersFrom(plan, 'rl'), plan.slices[0]!.source]), TABLE_28);
    for (const plan of plans) {
      assert.deepEqual(plan.nonDecoder, { rule: 'first-model' });
      assert.equal(plan.kind, 'frankenstein');
      assert.deepEqual(validatePlan(JSON.parse(JSON.stringify(plan))), plan, 'presets are valid plans');
    }
  });

  it('uses 12/12/12 for 36 layers and honours custom cuts such as 8,20', () => {
    const plans36 = thirdsVariants(PATHS, 36);
    assert.equal(layersFrom(plans36[0]!, 'in'), '0–11');
    assert.equal(layersFrom(plans36[4]!, 'rl'), '12–23');
    assert.equal(layersFrom(plans36[4]!, 'in'), '0–11, 24–35');
    const custom = thirdsVariants(PATHS, 28, [8, 20]);
    assert.equal(layersFrom(custom[0]!, 'in'), '0–7');
    assert.equal(layersFrom(custom[2]!, 'rl'), '20–27');
    assert.equal(layersFrom(custom[5]!, 'in'), '8–19');
    assert.throws(() => thirdsVariants(PATHS, 28, [20, 8]), { code: 'InvalidPlan' });
    assert.throws(() => thirdsVariants(PATHS, 28, [8, 28]), { code: 'InvalidPlan' });
  });

  it('labels the freeze plan as an inference-time counterfactual, everything else from RL', () => {
    const plan = freezePlan(PATHS, 28, [9, 18]);
    assert.equal(plan.kind, 'freeze');
    assert.equal(layersFrom(plan, 'in'), '9–17');
    assert.equal(layersFrom(plan, 'rl'), '0–8, 18–27');
    assert.deepEqual(plan.nonDecoder, { rule: 'model', source: 'rl' });
    assert.match(plan.description, /counterfactual/);
    assert.match(plan.description, /not a model trained/);
    assert.equal(layersFrom(freezePlan(PATHS, 28, [0, 28]), 'in'), '0–27');
    assert.throws(() => freezePlan(PATHS, 28, [20, 30]), { code: 'InvalidPlan' });
  });
});

describe('merge plan validation', () => {
  const base = { models: { in: '/a', rl: '/b' }, slices: [{ start: 0, end: 9, source: 'in' }, { start: 9, end: 28, source: 'rl' }] };
  const refuses = (plan: object, pattern: RegExp) =>
    assert.throws(() => validatePlan(plan, 'plan.json'), (error: FrankenlensError) => error.code === 'InvalidPlan' && pattern.test(error.message) && error.message.startsWith('plan.json: '));

  it('fills defaults: HF indices, the paper rule for non-decoder parts', () => {
    const plan = validatePlan(base);
    assert.equal(plan.layerIndex, 'hf');
    assert.deepEqual(plan.nonDecoder, { rule: 'first-model' });
  });

  it('converts unified indices only when the plan says so', () => {
    const plan = validatePlan({ ...base, layerIndex: 'unified', slices: [{ start: 1, end: 10, source: 'in' }, { start: 10, end: 29, source: 'rl' }] });
    assert.deepEqual(plan.slices.map((slice) => [slice.start, slice.end]), [[0, 9], [9, 28]]);
    refuses({ ...base, layerIndex: 'unified', slices: [{ start: 0, end: 10, source: 'in' }] }, /unified LLM layer indices start at 1/);
  });

  it('refuses overlapping, missing, inverted and unknown-model ranges', () => {
    refuses({ ...base, slices: [{ start: 0, end: 10, source: 'in' }, { start: 9, end: 28, source: 'rl' }] }, /overlap at HF layer 9/);
    refuses({ ...base, slices: [{ start: 0, end: 8, source: 'in' }, { start: 9, end: 28, source: 'rl' }] }, /no slice covers HF layers \[8, 9\)/);
    refuses({ ...base, slices: [{ start: 1, end: 28, source: 'in' }] }, /no slice covers HF layers \[0, 1\)/);
    refuses({ ...base, slices: [{ start: 5, end: 5, source: 'in' }] }, /0 ≤ start < end/);
    refuses({ ...base, slices: [{ start: 0, end: 28, source: 'sft' }] }, /"sft", which is not in "models"/);
    refuses({ ...base, slices: [{ start: 0, end: 28, source: 'in', interpolate: { with: 'rl', alpha: 1.5 } }] }, /alpha must be a number in \[0, 1\]/);
    refuses({ ...base, nonDecoder: { rule: 'model', source: 'base' } }, /"base", which is not in "models"/);
    refuses({ slices: base.slices }, /"models" must map/);
  });
});

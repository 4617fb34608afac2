import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkpointHeadline, checkpointTooltip, checkpointTreeDescription, dominantDtype, formatParameterCount, type CheckpointFacts } from '../../src/host/checkpointDescription';

const qwen: CheckpointFacts = {
  architecture: 'Qwen2_5_VLForConditionalGeneration',
  modelType: 'qwen2_5_vl',
  llmLayers: 28,
  visionDepth: 32,
  parameterCount: 8_292_166_656,
  dtypes: { BF16: 729, F32: 2 },
};

describe('formatParameterCount', () => {
  it('uses B with two decimals, M and K with one, and plain counts below a thousand', () => {
    assert.equal(formatParameterCount(8_292_166_656), '8.29B');
    assert.equal(formatParameterCount(1_500_000_000), '1.50B');
    assert.equal(formatParameterCount(3_400_000), '3.4M');
    assert.equal(formatParameterCount(291_712), '291.7K');
    assert.equal(formatParameterCount(999), '999');
    assert.equal(formatParameterCount(0), '0');
  });
});

describe('dominantDtype', () => {
  it('names the dtype most tensors are stored in, lower-case', () => {
    assert.equal(dominantDtype({ BF16: 729, F32: 2 }), 'bf16');
    assert.equal(dominantDtype({ F16: 1, F32: 3 }), 'f32');
    assert.equal(dominantDtype({}), null);
  });
});

describe('checkpoint wording', () => {
  it('gives the CodeLens headline: architecture, decoder layers, dtype', () => {
    assert.equal(checkpointHeadline(qwen), 'Qwen2_5_VLForConditionalGeneration · 28 layers · bf16');
  });

  it('puts the role first in the tree description, and the vision depth after the layers', () => {
    assert.equal(checkpointTreeDescription(qwen, 'IN'), 'IN · Qwen2_5_VLForConditionalGeneration · 8.29B · bf16 · 28 layers + 32 vision blocks');
    assert.equal(checkpointTreeDescription({ ...qwen, visionDepth: null, llmLayers: null }, null), 'Qwen2_5_VLForConditionalGeneration · 8.29B · bf16');
  });

  it('falls back to the model type, then says the architecture is unknown', () => {
    assert.equal(checkpointHeadline({ ...qwen, architecture: null }), 'qwen2_5_vl · 28 layers · bf16');
    assert.equal(checkpointHeadline({ ...qwen, architecture: null, modelType: null, llmLayers: null, dtypes: {} }), 'unknown architecture');
  });

  it('lists every stored dtype with its tensor count in the tooltip', () => {
    const tooltip = checkpointTooltip('/ckpt/in', qwen, 'RL').split('\n');
    assert.equal(tooltip[0], 'RL: /ckpt/in');
    assert.ok(tooltip.includes('Parameters: 8.29B (8,292,166,656)'));
    assert.ok(tooltip.includes('Stored dtypes: bf16 × 729, f32 × 2'));
    assert.ok(tooltip.includes('Vision blocks: 32'));
  });
});

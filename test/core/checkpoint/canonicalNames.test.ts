import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalName, defaultRegionCuts, detectNamingScheme, inferModelShape, placeTensor } from '../../../src/core/checkpoint/canonicalNames';

const QWEN_7B = { llmLayers: 28, visionDepth: 32, regionCuts: defaultRegionCuts(28) };

describe('canonical names and layer placement', () => {
  it('maps both Qwen2.5-VL naming schemes onto one name', () => {
    const pairs = [
      ['model.language_model.layers.3.self_attn.q_proj.weight', 'model.layers.3.self_attn.q_proj.weight'],
      ['model.language_model.embed_tokens.weight', 'model.embed_tokens.weight'],
      ['model.language_model.norm.weight', 'model.norm.weight'],
      ['model.visual.blocks.0.attn.qkv.weight', 'visual.blocks.0.attn.qkv.weight'],
      ['model.visual.merger.mlp.0.weight', 'visual.merger.mlp.0.weight'],
      ['lm_head.weight', 'lm_head.weight'],
    ];
    for (const [renamed, legacy] of pairs) {
      assert.equal(canonicalName(renamed!), legacy);
      assert.equal(canonicalName(legacy!), legacy);
    }
    assert.equal(detectNamingScheme(['model.language_model.layers.0.mlp.up_proj.weight']), 'qwen2_5_vl-transformers-4.52');
    assert.equal(detectNamingScheme(['visual.blocks.0.norm1.weight', 'model.layers.0.mlp.up_proj.weight']), 'qwen2_5_vl-legacy');
    assert.equal(detectNamingScheme(['model.layers.0.mlp.up_proj.weight']), 'decoder-only');
  });

  it('gives the paper unified index and the HF index together', () => {
    const first = placeTensor('visual.blocks.0.attn.qkv.weight', QWEN_7B);
    assert.deepEqual([first.section, first.unifiedLayer, first.visionBlock, first.hfLayer], ['vision', -32, 0, null]);
    assert.equal(placeTensor('model.visual.blocks.31.mlp.down_proj.weight', QWEN_7B).unifiedLayer, -1);
    const merger = placeTensor('visual.merger.ln_q.weight', QWEN_7B);
    assert.deepEqual([merger.section, merger.unifiedLayer, merger.component], ['projector', 0, 'norm']);
    const llm = placeTensor('model.language_model.layers.0.self_attn.o_proj.weight', QWEN_7B);
    assert.deepEqual([llm.section, llm.hfLayer, llm.unifiedLayer, llm.component, llm.region], ['llm', 0, 1, 'attention', 'early']);
    assert.equal(placeTensor('model.layers.27.mlp.down_proj.weight', QWEN_7B).unifiedLayer, 28);
  });

  it("uses the paper's thirds (9/9/10 for 28 layers, 12/12/12 for 36) and custom cuts", () => {
    assert.deepEqual(defaultRegionCuts(28), [9, 18]);
    assert.deepEqual(defaultRegionCuts(36), [12, 24]);
    const regions = Array.from({ length: 28 }, (_, i) => placeTensor(`model.layers.${i}.mlp.up_proj.weight`, QWEN_7B).region);
    assert.deepEqual([regions.filter((r) => r === 'early').length, regions.filter((r) => r === 'middle').length, regions.filter((r) => r === 'late').length], [9, 9, 10]);
    assert.equal(regions[8], 'early');
    assert.equal(regions[9], 'middle');
    assert.equal(regions[18], 'late');
    const custom = { ...QWEN_7B, regionCuts: [8, 20] as [number, number] };
    assert.equal(placeTensor('model.layers.7.mlp.up_proj.weight', custom).region, 'early');
    assert.equal(placeTensor('model.layers.8.mlp.up_proj.weight', custom).region, 'middle');
    assert.equal(placeTensor('model.layers.20.mlp.up_proj.weight', custom).region, 'late');
  });

  it('places the tensors outside layers into sections', () => {
    const cases: [string, string, string][] = [
      ['model.embed_tokens.weight', 'embedding', 'other'],
      ['lm_head.weight', 'head', 'other'],
      ['model.norm.weight', 'head', 'norm'],
      ['visual.patch_embed.proj.weight', 'vision', 'other'],
      ['model.layers.4.input_layernorm.weight', 'llm', 'norm'],
      ['visual.blocks.2.norm1.weight', 'vision', 'norm'],
      ['visual.blocks.2.mlp.gate_proj.bias', 'vision', 'mlp'],
      ['model.layers.1.self_attn.k_proj.bias', 'llm', 'attention'],
      ['some.buffer', 'other', 'other'],
    ];
    for (const [name, section, component] of cases) {
      const placement = placeTensor(name, QWEN_7B);
      assert.equal(placement.section, section, name);
      assert.equal(placement.component, component, name);
    }
    assert.equal(placeTensor('visual.patch_embed.proj.weight', QWEN_7B).unifiedLayer, null);
  });

  it('infers layer counts from names when config.json does not say', () => {
    const names = ['model.layers.0.mlp.up_proj.weight', 'model.layers.5.mlp.up_proj.weight', 'visual.blocks.3.attn.qkv.weight'];
    assert.deepEqual(inferModelShape(names, { llmLayers: null, visionDepth: null }), { llmLayers: 6, visionDepth: 4, regionCuts: [2, 4] });
    assert.deepEqual(inferModelShape(names, { llmLayers: 28, visionDepth: 32 }, [8, 20]), { llmLayers: 28, visionDepth: 32, regionCuts: [8, 20] });
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { integerRangePattern, trainerFreezeExport } from '../../../src/core/merge/trainerFreeze';

const LAYER_SUFFIXES = [
  'self_attn.q_proj.weight', 'self_attn.q_proj.bias', 'self_attn.k_proj.weight', 'self_attn.k_proj.bias', 'self_attn.v_proj.weight', 'self_attn.v_proj.bias',
  'self_attn.o_proj.weight', 'mlp.gate_proj.weight', 'mlp.up_proj.weight', 'mlp.down_proj.weight', 'input_layernorm.weight', 'post_attention_layernorm.weight',
];
const VISION_SUFFIXES = ['attn.qkv.weight', 'attn.qkv.bias', 'attn.proj.weight', 'mlp.down_proj.weight', 'norm1.weight', 'norm2.weight'];

type Scheme = 'legacy' | 'transformers-4.52';

/** The stored tensor names of a Qwen2.5-VL checkpoint with `layers` decoder layers, in file order. */
function qwenNames(layers: number, scheme: Scheme): string[] {
  const [text, visual] = scheme === 'legacy' ? ['model.', 'visual.'] : ['model.language_model.', 'model.visual.'];
  return [
    `${visual}patch_embed.proj.weight`,
    ...Array.from({ length: 32 }, (_, block) => VISION_SUFFIXES.map((suffix) => `${visual}blocks.${block}.${suffix}`)).flat(),
    `${visual}merger.ln_q.weight`, `${visual}merger.mlp.0.weight`, `${visual}merger.mlp.2.bias`,
    `${text}embed_tokens.weight`,
    ...Array.from({ length: layers }, (_, layer) => LAYER_SUFFIXES.map((suffix) => `${text}layers.${layer}.${suffix}`)).flat(),
    `${text}norm.weight`,
    'lm_head.weight',
  ];
}

const layerOfName = (name: string): number | null => {
  const match = /(?:^|\.)layers\.(\d+)\./.exec(name);
  return match ? Number(match[1]) : null;
};

describe('integer range patterns', () => {
  it('writes compact alternations such as 9..17 → (?:9|1[0-7])', () => {
    assert.equal(integerRangePattern(9, 17), '(?:9|1[0-7])');
    assert.equal(integerRangePattern(0, 8), '[0-8]');
    assert.equal(integerRangePattern(18, 27), '(?:1[8-9]|2[0-7])');
    assert.equal(integerRangePattern(0, 35), '(?:[0-9]|[1-2][0-9]|3[0-5])');
    assert.equal(integerRangePattern(1, 1), '1');
    assert.equal(integerRangePattern(10, 19), '1[0-9]');
  });

  it('matches exactly the numbers in range, never with leading zeros', () => {
    for (let low = 0; low <= 130; low++) {
      for (let high = low; high <= 130; high++) {
        const pattern = new RegExp(`^${integerRangePattern(low, high)}$`);
        for (let n = 0; n <= 300; n++) assert.equal(pattern.test(String(n)), low <= n && n <= high, `${n} against [${low}, ${high}]: ${pattern}`);
        assert.equal(pattern.test(`0${low}`), false);
      }
    }
  });
});

describe('trainer-side freeze export', () => {
  const cases: [layers: number, range: [number, number]][] = [
    [28, [0, 9]], [28, [9, 18]], [28, [18, 28]], [28, [1, 2]], [28, [10, 20]],
    [36, [0, 12]], [36, [1, 2]], [36, [10, 20]], [36, [24, 36]], [36, [0, 36]],
  ];
  for (const [layers, [start, end]] of cases) {
    it(`selects and matches exactly layers [${start}, ${end}) of ${layers} in both naming schemes`, () => {
      const everyName = [...qwenNames(layers, 'legacy'), ...qwenNames(layers, 'transformers-4.52')];
      for (const scheme of ['legacy', 'transformers-4.52'] as const) {
        const names = qwenNames(layers, scheme);
        const exported = trainerFreezeExport([start, end], names);
        const inRange = (name: string) => {
          const layer = layerOfName(name);
          return layer !== null && start <= layer && layer < end;
        };
        assert.deepEqual(exported.range, [start, end]);
        assert.deepEqual(exported.parameterNames, names.filter(inRange), 'checkpoint order');
        assert.equal(exported.parameterNames.length, LAYER_SUFFIXES.length * (end - start));

        const regex = new RegExp(exported.regex);
        assert.deepEqual(everyName.filter((name) => regex.test(name)), everyName.filter(inRange), 'the regex matches these layers in both schemes and nothing else');
        assert.ok(exported.regex.startsWith('^') && exported.regex.endsWith('\\.'));
      }
    });
  }

  it('keeps layer 1 from matching layers 10-19 and layer 2 from matching 20-27', () => {
    const names = qwenNames(28, 'legacy');
    const regex = new RegExp(trainerFreezeExport([1, 3], names).regex);
    assert.deepEqual(names.filter((name) => regex.test(name)).map(layerOfName), [...Array(12).fill(1), ...Array(12).fill(2)]);
  });

  it('matches nothing outside the decoder layers', () => {
    const regex = new RegExp(trainerFreezeExport([0, 36], qwenNames(36, 'legacy')).regex);
    const outside = ['visual.blocks.0.attn.qkv.weight', 'model.visual.blocks.3.mlp.down_proj.weight', 'visual.merger.mlp.0.weight', 'model.embed_tokens.weight', 'model.language_model.embed_tokens.weight', 'model.norm.weight', 'lm_head.weight', 'model.layers.36.mlp.up_proj.weight', 'base_model.model.model.layers.0.mlp.up_proj.weight', 'model.layers.x.mlp.up_proj.weight'];
    for (const name of outside) assert.equal(regex.test(name), false, name);
  });

  it('writes a snippet to paste and says what the freeze means', () => {
    const exported = trainerFreezeExport([9, 18], qwenNames(28, 'transformers-4.52'));
    assert.ok(exported.pythonSnippet.includes(`re.compile(r"${exported.regex}")`));
    assert.match(exported.pythonSnippet, /for name, param in model\.named_parameters\(\):/);
    assert.match(exported.pythonSnippet, /param\.requires_grad = False/);
    assert.match(exported.pythonSnippet, /assert frozen == 108,/);
    assert.match(exported.note, /during RL training/);
    assert.match(exported.note, /counterpart of the inference-time freeze merge/);
  });

  it('refuses ranges that are empty, negative or past the last layer', () => {
    const names = qwenNames(28, 'legacy');
    for (const range of [[5, 5], [-1, 3], [2.5, 4]] as [number, number][]) assert.throws(() => trainerFreezeExport(range, names), { code: 'InvalidArgument' });
    assert.throws(() => trainerFreezeExport([20, 29], names), { code: 'InvalidArgument', message: /28 decoder layers/ });
  });
});

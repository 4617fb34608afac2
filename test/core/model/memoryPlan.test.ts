/**
 * The memory planner: every figure against closed forms written out here by hand for Qwen2.5-VL-7B
 * and 3B (the architecture numbers of their config.json), decoderWeightBytes and visionWeightBytes
 * against the float32 size of a generated checkpoint's own tensors, int8 weights (45 bytes per
 * block of 32 weights as onnxruntime holds them), the largest --batch and --max-new-tokens that fit, the refusal message
 * (8-bit weights suggested when they fit), the size parser and the budget's sources.
 */
import assert from 'node:assert/strict';
import { freemem } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openCheckpoint } from '../../../src/core/checkpoint/checkpoint';
import { FrankenlensError } from '../../../src/core/errors';
import { decoderWeightBytes } from '../../../src/core/model/decoderGraph';
import {
  assertMemoryFits,
  DEFAULT_PROMPT_TOKENS,
  defaultMemoryBudget,
  describeMemoryPlan,
  formatBytes,
  kvCacheBytesPerToken,
  largestFittingMaxNewTokens,
  largestFittingRows,
  parseMemorySize,
  planMemory,
  resolveMemoryBudget,
  RUNTIME_OVERHEAD_BYTES,
  visionWeightBytes,
  type MemoryPlanRequest,
} from '../../../src/core/model/memoryPlan';
import { readModelConfig, type ModelConfig } from '../../../src/core/model/modelConfig';
import { checkMemoryPlan } from '../../../src/core/jobs/memoryCheck';
import { qwen2_5VlTensorSpecs, writeSyntheticCheckpoint, type SyntheticShape } from '../../../src/core/synthetic/syntheticQwenVl';
import { tempDir } from '../../helpers/tempDir';

const GIB = 2 ** 30;

/** A Qwen2.5-VL config as readModelConfig returns it, from the fields the planner reads. */
function qwenVl(d: { hidden: number; layers: number; heads: number; kv: number; mlp: number; vocab: number; tied: boolean }, visionMlp = 3420): ModelConfig {
  return {
    modelType: 'qwen2_5_vl',
    decoder: { hiddenSize: d.hidden, layers: d.layers, heads: d.heads, kvHeads: d.kv, headDim: d.hidden / d.heads, intermediateSize: d.mlp, vocabSize: d.vocab, rmsNormEps: 1e-6, ropeTheta: 1e6, mropeSection: [16, 24, 24], tieWordEmbeddings: d.tied },
    vision: { depth: 32, hiddenSize: 1280, heads: 16, intermediateSize: visionMlp, outHiddenSize: d.hidden, patchSize: 14, temporalPatchSize: 2, spatialMergeSize: 2, windowSize: 112, fullAttentionBlocks: [7, 15, 23, 31], inChannels: 3 },
    visionTokens: { imageTokenId: 151655, videoTokenId: 151656, visionStartTokenId: 151652 },
  };
}

const QWEN_7B = qwenVl({ hidden: 3584, layers: 28, heads: 28, kv: 4, mlp: 18944, vocab: 152064, tied: false });
const QWEN_3B = qwenVl({ hidden: 2048, layers: 36, heads: 16, kv: 2, mlp: 11008, vocab: 151936, tied: true });

// Qwen2.5-VL-7B, tensor by tensor (float32 bytes): per layer q (3584² + bias), k and v (512 × 3584 + bias each),
// o (3584²), gate/up/down (3 × 3584 × 18944), two norms; then the final norm and lm_head (152064 × 3584).
const LAYER_7B = 3584 * 3584 + 3584 + 2 * (512 * 3584 + 512) + 3584 * 3584 + 3 * 3584 * 18944 + 2 * 3584;
const WEIGHTS_7B = 4 * (28 * LAYER_7B + 3584 + 152064 * 3584);
// 3B, tied: lm_head is the embedding, held once (151936 × 2048).
const LAYER_3B = 2048 * 2048 + 2048 + 2 * (256 * 2048 + 256) + 2048 * 2048 + 3 * 2048 * 11008 + 2 * 2048;
const WEIGHTS_3B = 4 * (36 * LAYER_3B + 2048 + 151936 * 2048);
// The vision encoder: patch embedding 1280 × 3 × 2 × 14 × 14; 32 blocks of two norms, qkv, proj and a
// gated MLP of 3420 (all with biases); the merger: norm, 5120 × 5120 and out × 5120 with biases.
const VISION_BLOCK = 2 * 1280 + (3 * 1280 * 1280 + 3 * 1280) + (1280 * 1280 + 1280) + 2 * (3420 * 1280 + 3420) + (1280 * 3420 + 1280);
const VISION_7B = 4 * (1280 * 3 * 2 * 14 * 14 + 32 * VISION_BLOCK + 1280 + (5120 * 5120 + 5120) + (3584 * 5120 + 3584));
// int8 (MatMulNBits, blocks of 32 along the input axis, all of 7B's multiples of 32): each block is
// held as 32 packed code bytes with a float32 scale and block sum, plus the given float32 scale and
// zero-point byte, 45 bytes; biases and norms stay float32.
const MATRICES_7B = 28 * (2 * 3584 * 3584 + 2 * 512 * 3584 + 3 * 3584 * 18944) + 152064 * 3584;
const INT8_WEIGHTS_7B = (45 / 32) * MATRICES_7B + 4 * (28 * (3584 + 2 * 512 + 2 * 3584) + 3584);
// K/V per row per token: 2 × 28 layers × 4 KV heads × 128 × 4 bytes.
const KV_7B = 2 * 28 * 4 * 128 * 4;

/** One 7B layer's prefill over t tokens (scores + probabilities, mask, MLP, six hidden-sized tensors) and `rows` rows of logits. */
const activations7B = (t: number, rows: number) => 4 * (2 * 28 * t * t + t * t + 3 * t * 18944 + 6 * t * 3584 + rows * 152064);
/** The vision encoder over n patches: 16 heads of full attention, the mask, the 3420-wide MLP, six 1280-wide tensors and the patches (3 × 2 × 14 × 14 each). */
const visionActivations = (n: number) => 4 * (2 * 16 * n * n + n * n + 3 * n * 3420 + 6 * n * 1280 + n * 1176);

const O = RUNTIME_OVERHEAD_BYTES;
const P = 1024;
const A = 2048;
/** The figures below are for a vision tower released after each encoding; 'keeps the vision tower' adds it back. */
const base = { promptTokens: P, maxNewTokens: A, images: true, budgetBytes: 1e15, visionResident: false } as const;
const phase = (plan: ReturnType<typeof planMemory>, name: string) => plan.phases.find((candidate) => candidate.name === name)?.bytes;

describe('memory plan: figures', () => {
  it('weights, vision encoder and K/V cache per token match the closed forms for 7B and 3B', () => {
    assert.equal(decoderWeightBytes(QWEN_7B.decoder), WEIGHTS_7B);
    assert.equal(WEIGHTS_7B, 28_282_476_544);
    assert.equal(decoderWeightBytes(QWEN_3B.decoder), WEIGHTS_3B);
    assert.equal(decoderWeightBytes(QWEN_7B.decoder, 'int8'), INT8_WEIGHTS_7B);
    assert.equal((decoderWeightBytes(QWEN_7B.decoder, 'int8') / GIB).toFixed(2), '9.26');
    assert.equal(visionWeightBytes(QWEN_7B.vision!), VISION_7B);
    assert.equal(kvCacheBytesPerToken(QWEN_7B.decoder), KV_7B);
    assert.equal(kvCacheBytesPerToken(QWEN_3B.decoder), 2 * 36 * 2 * 128 * 4);
  });

  it('generate: one model, one row; the peak is the larger of encoding the image and decoding', () => {
    const plan = planMemory({ ...base, command: 'generate', models: [QWEN_7B] });
    assert.equal(phase(plan, 'encoding images'), O + WEIGHTS_7B + VISION_7B + visionActivations(4 * P));
    assert.equal(phase(plan, 'prefill and decode'), O + WEIGHTS_7B + KV_7B * (P + A) + activations7B(P, 1));
    assert.equal(plan.total, Math.max(phase(plan, 'encoding images')!, phase(plan, 'prefill and decode')!));
    const text = planMemory({ ...base, command: 'generate', models: [QWEN_7B], images: false, promptTokens: 37, promptKnown: true });
    assert.deepEqual(text.phases.map((p) => p.name), ['prefill and decode']);
    assert.equal(text.total, O + WEIGHTS_7B + KV_7B * (37 + A) + activations7B(37, 1));
    assert.match(describeMemoryPlan(text), /this prompt's 37 tokens/);
  });

  it('probe attention: IN and RL together, a batch of rows each, the teacher-forced prompt + answer one at a time', () => {
    const plan = planMemory({ ...base, command: 'probe attention', models: [QWEN_7B, QWEN_7B], maxNewTokens: 1024 });
    assert.equal(phase(plan, 'encoding images'), O + 2 * WEIGHTS_7B + VISION_7B + visionActivations(4 * P));
    assert.equal(phase(plan, 'prefill and decode'), O + 2 * WEIGHTS_7B + 2 * KV_7B * (P + 1024) + activations7B(P + 1024, 1) + activations7B(P, 1), 'IN and RL answer at once, each prefilling one prompt at a time');
    assert.equal(plan.rows, 1);
    const batched = planMemory({ ...base, command: 'probe attention', models: [QWEN_7B, QWEN_7B], maxNewTokens: 1024, rows: 8 });
    assert.equal(phase(batched, 'prefill and decode'), O + 2 * WEIGHTS_7B + 16 * KV_7B * (P + 1024) + 16 * KV_7B * P + activations7B(P + 1024, 8) + activations7B(P, 1));
  });

  it('probe ablation: one model at a time, rows decoded together, the clean residual stream kept', () => {
    const plan = planMemory({ ...base, command: 'probe ablation', models: [QWEN_7B, QWEN_7B], rows: 16 });
    const stream = 2 * 4 * 29 * P * 3584; // two items in flight
    const prefills = 16 * KV_7B * P; // each run's own prefill cache, before the rows are stacked
    assert.equal(phase(plan, 'prefill and decode'), O + WEIGHTS_7B + 16 * KV_7B * (P + A) + stream + prefills + activations7B(P, 16));
    assert.equal(plan.total, phase(plan, 'prefill and decode'));
  });

  it('probe swap: as ablation, plus the source run and clean caches', () => {
    const plan = planMemory({ ...base, command: 'probe swap', models: [QWEN_7B, QWEN_7B], rows: 16, maxNewTokens: 64 });
    const stream = 2 * 4 * 29 * P * 3584; // two pairs in flight
    assert.equal(phase(plan, 'prefill and decode'), O + WEIGHTS_7B + 16 * KV_7B * (P + 64) + stream + 16 * KV_7B * P + 2 * 2 * KV_7B * (P + 64) + activations7B(P, 16));
  });

  it('variants: IN and RL held, one cache per row; a describer model runs in a phase of its own first', () => {
    const one = planMemory({ ...base, command: 'variants', models: [QWEN_7B, QWEN_7B] });
    assert.equal(one.rows, 1, 'one row unless told');
    assert.equal(phase(one, 'prefill and decode'), O + 2 * WEIGHTS_7B + KV_7B * (P + A) + activations7B(P, 1));
    const plan = planMemory({ ...base, command: 'variants', models: [QWEN_7B, QWEN_7B], rows: 16 });
    assert.equal(plan.rows, 16);
    assert.equal(phase(plan, 'prefill and decode'), O + 2 * WEIGHTS_7B + 16 * KV_7B * (P + A) + 16 * KV_7B * P + activations7B(P, 16));
    const described = planMemory({ ...base, command: 'variants', models: [QWEN_7B, QWEN_7B], rows: 16, describer: { config: QWEN_3B, maxNewTokens: 512 } });
    const kv3B = 2 * 36 * 2 * 128 * 4;
    const activations3B = 4 * (2 * 16 * P * P + P * P + 3 * P * 11008 + 6 * P * 2048 + 151936);
    const vision3B = visionWeightBytes(QWEN_3B.vision!);
    assert.equal(phase(described, 'describing images'), O + WEIGHTS_3B + vision3B + visionActivations(4 * P) + kv3B * (P + 512) + activations3B);
    assert.equal(phase(described, 'prefill and decode'), phase(plan, 'prefill and decode'), 'released before the models run');
  });

  it('keeps the vision tower loaded while decoding by default: one tower, or IN\'s and RL\'s when both are loaded', () => {
    for (const [command, towers] of [['generate', 1], ['probe ablation', 1], ['probe swap', 1], ['probe attention', 2], ['variants', 2]] as const) {
      const released = planMemory({ ...base, command, models: command === 'generate' ? [QWEN_7B] : [QWEN_7B, QWEN_7B], rows: 4 });
      const kept = planMemory({ ...released.request, visionResident: undefined });
      assert.equal(phase(kept, 'prefill and decode')! - phase(released, 'prefill and decode')!, towers * VISION_7B, command);
      assert.equal(phase(kept, 'encoding images'), phase(released, 'encoding images'), command);
    }
    const text = planMemory({ ...base, command: 'generate', models: [QWEN_7B], images: false, visionResident: undefined });
    assert.equal(phase(text, 'prefill and decode'), O + WEIGHTS_7B + KV_7B * (P + A) + activations7B(P, 1), 'no image, no tower');
  });

  it('releases the vision tower after each encoding only when keeping it does not fit', () => {
    const request = { ...base, command: 'probe attention', models: [QWEN_7B, QWEN_7B], visionResident: undefined } as const;
    const kept = planMemory(request);
    const released = planMemory({ ...request, visionResident: false });
    const between = Math.floor((kept.total + released.total) / 2);
    const quiet = { device: 'cpu', log() {} } as const;
    assert.equal(checkMemoryPlan(request, { ...quiet, budget: String(kept.total) }).request.visionResident, undefined, 'fits as is');
    const fallback = checkMemoryPlan(request, { ...quiet, budget: String(between) });
    assert.equal(fallback.request.visionResident, false);
    assert.match(describeMemoryPlan(fallback), /vision tower is released after each encoding/);
    assert.throws(() => checkMemoryPlan(request, { ...quiet, budget: String(released.total - 1) }), (error: unknown) => error instanceof FrankenlensError && error.code === 'MemoryBudget');
  });

  it('lowers a default batch to the most rows that fit, and refuses a --batch that does not fit', () => {
    const request = { ...base, command: 'variants' as const, models: [QWEN_7B, QWEN_7B], rows: 16, images: false };
    const quiet = { device: 'cpu', log() {} } as const;
    const eight = planMemory({ ...request, rows: 8, budgetBytes: 1e15 }).total;
    const chosen = checkMemoryPlan(request, { ...quiet, budget: String(eight), rowsChosen: true });
    assert.equal(chosen.rows, 8);
    assert.equal(chosen.request.rows, 8);
    assert.match(describeMemoryPlan(chosen), /8 rows decoded together/);
    assert.equal(checkMemoryPlan(request, { ...quiet, budget: String(1e15), rowsChosen: true }).rows, 16, 'all 16 when they fit');
    assert.throws(() => checkMemoryPlan(request, { ...quiet, budget: String(eight) }), (error: unknown) => error instanceof FrankenlensError && error.code === 'MemoryBudget' && /--batch 8 /.test(error.message));
  });

  it('a probe holds a local describer beside its models', () => {
    const plain = planMemory({ ...base, command: 'probe ablation', models: [QWEN_7B, QWEN_7B], rows: 4 });
    const described = planMemory({ ...base, command: 'probe ablation', models: [QWEN_7B, QWEN_7B], rows: 4, describer: { config: QWEN_3B, maxNewTokens: 512 } });
    assert.equal(phase(described, 'prefill and decode')! - phase(plain, 'prefill and decode')!, WEIGHTS_3B + 2 * 36 * 2 * 128 * 4 * (P + 512));
  });

  it('the default prompt assumption is 1,024 tokens, and the image fills it (4 patches per token)', () => {
    const plan = planMemory({ command: 'generate', models: [QWEN_7B], maxNewTokens: A, images: true, budgetBytes: 1e15 });
    assert.equal(DEFAULT_PROMPT_TOKENS, 1024);
    assert.equal(plan.promptTokens, 1024);
    assert.equal(phase(plan, 'encoding images'), O + WEIGHTS_7B + VISION_7B + visionActivations(4096));
    assert.match(describeMemoryPlan(plan), /prompts of 1,024 tokens \(an assumption; images included\)/);
  });
});

describe('memory plan: weights against a generated checkpoint', () => {
  it('decoderWeightBytes and visionWeightBytes are the float32 size of the decoder (no embedding) and visual tensors', () => {
    const shape: SyntheticShape = { hiddenSize: 48, intermediateSize: 80, llmLayers: 3, attentionHeads: 4, keyValueHeads: 2, vocabSize: 320, visionDepth: 2, visionHidden: 32, visionIntermediate: 56, visionHeads: 2, fullAttentionBlocks: [1] };
    const dir = join(tempDir(), 'model');
    writeSyntheticCheckpoint(dir, { shape, seed: 3, dtype: 'BF16' });
    const checkpoint = openCheckpoint(dir);
    const config = readModelConfig(checkpoint);
    const float32 = (keep: (name: string) => boolean) => checkpoint.tensors.filter((tensor) => keep(tensor.name)).reduce((sum, tensor) => sum + 4 * tensor.shape.reduce((a, b) => a * b, 1), 0);
    assert.equal(decoderWeightBytes(config.decoder), float32((name) => name.startsWith('model.layers.') || name === 'model.norm.weight' || name === 'lm_head.weight'));
    assert.equal(visionWeightBytes(config.vision!), float32((name) => name.startsWith('visual.')));
    assert.equal(checkpoint.tensors.length, qwen2_5VlTensorSpecs(shape).length, 'every tensor is one of the two or the embedding');
  });
});

describe('memory plan: what would fit', () => {
  const request: MemoryPlanRequest = { ...base, command: 'probe ablation', models: [QWEN_7B, QWEN_7B], rows: 16, budgetBytes: 32 * GIB };

  it('the largest --batch and --max-new-tokens that fit are the last values that fit', () => {
    assert.equal(planMemory(request).fits, false);
    const rows = largestFittingRows(request)!;
    assert.ok(rows >= 1 && rows < 16);
    assert.equal(planMemory({ ...request, rows }).fits, true);
    assert.equal(planMemory({ ...request, rows: rows + 1 }).fits, false);
    const cap = largestFittingMaxNewTokens(request)!;
    assert.ok(cap >= 1 && cap < A);
    assert.equal(planMemory({ ...request, maxNewTokens: cap }).fits, true);
    assert.equal(planMemory({ ...request, maxNewTokens: cap + 1 }).fits, false);
    // Closed form: the cache is the only term in the answer cap: 16 rows × KV_7B × (P + cap) ≤ what is left.
    const fixed = O + WEIGHTS_7B + 2 * 4 * 29 * P * 3584 + 16 * KV_7B * P + activations7B(P, 16);
    assert.equal(cap, Math.floor((32 * GIB - fixed) / (16 * KV_7B)) - P);
    assert.equal(largestFittingRows({ ...request, command: 'generate' }), null, 'generate has no rows to choose');
  });

  it('refuses with one message: the need itemized, the budget, and what would fit', () => {
    const plan = planMemory({ ...request, budgetSource: '--memory-budget' });
    assert.throws(() => assertMemoryFits(plan), (error: unknown) => {
      assert.ok(error instanceof FrankenlensError);
      assert.equal(error.code, 'MemoryBudget');
      const { message } = error;
      assert.match(message, new RegExp(`^probe ablation needs about ${formatBytes(plan.total).replace('.', '\\.')} at its peak \\(prefill and decode: `));
      assert.match(message, /decoder weights of one model at a time \(IN, then RL\) 26\.3 GiB/);
      assert.match(message, /K\/V cache \(16 rows × 3,072 tokens\) 5\.3 GiB/);
      assert.match(message, /more than the memory budget of 32\.0 GiB \(--memory-budget\)/);
      assert.match(message, /Figures for prompts of 1,024 tokens \(an assumption; images included\), 16 rows decoded together, answers up to 2,048 tokens, CPU float32, the vision tower released after each encoding\./);
      assert.match(message, new RegExp(`--batch ${largestFittingRows(request)} `));
      assert.match(message, new RegExp(`--max-new-tokens ${largestFittingMaxNewTokens(request)} `));
      assert.match(message, /; or 8-bit weights: --precision int8 \(about \d+\.\d GiB; answers may differ slightly from float32's\); or a GPU: --device cuda/);
      assert.doesNotMatch(message, /float16|bf16/i);
      return true;
    });
  });

  it('says so when the weights alone are over the budget', () => {
    const plan = planMemory({ ...request, budgetBytes: 8 * GIB });
    assert.throws(() => assertMemoryFits(plan), /Even 1 row and a 1-token answer need about \d+\.\d GiB: free memory, or use a GPU: --device cuda/);
    assert.doesNotThrow(() => assertMemoryFits(planMemory({ ...request, budgetBytes: 200 * GIB })));
  });

  it('int8: the plan holds 8-bit weights and says so; suggested when only they fit', () => {
    // 7B float32 weights alone (26.3 GiB) are over 20 GiB; the int8 plan swaps them for 9.3 GiB.
    const float32 = planMemory({ ...request, budgetBytes: 20 * GIB });
    const int8 = planMemory({ ...request, budgetBytes: 20 * GIB, precision: 'int8' });
    assert.equal(int8.total, float32.total - WEIGHTS_7B + INT8_WEIGHTS_7B);
    assert.equal(int8.fits, true);
    assert.throws(() => assertMemoryFits(float32), new RegExp(`Would fit: 8-bit weights: --precision int8 \\(about ${formatBytes(int8.total).replace('.', '\\.')}; answers may differ slightly from float32's\\); or a GPU: --device cuda`));
    assert.match(describeMemoryPlan(int8), /answers up to 2,048 tokens, CPU int8 weights/);
    const int8Refused = planMemory({ ...request, budgetBytes: 8 * GIB, precision: 'int8' });
    assert.throws(() => assertMemoryFits(int8Refused), (error: unknown) => error instanceof Error && /CPU int8 weights/.test(error.message) && !/--precision int8/.test(error.message));
  });
});

describe('memory sizes and budgets', () => {
  it('parses sizes with binary units, bytes and exponents', () => {
    const cases: [string, number][] = [
      ['24GB', 24 * GIB], ['24G', 24 * GIB], ['24 GiB', 24 * GIB], ['24gb', 24 * GIB], ['512MiB', 512 * 2 ** 20], ['512M', 512 * 2 ** 20],
      ['1.5T', 1.5 * 2 ** 40], ['64k', 65536], ['2e10', 2e10], ['1048576', 1048576], ['100B', 100], ['.5G', GIB / 2],
    ];
    for (const [text, bytes] of cases) assert.equal(parseMemorySize(text), bytes, text);
  });

  it('refuses what is not a size, with the flag it came from', () => {
    for (const text of ['', 'lots', '24 GBs', '-1G', '1,5G', 'G']) {
      assert.throws(() => parseMemorySize(text, '--memory-budget'), (error: unknown) => error instanceof FrankenlensError && error.code === 'InvalidArgument' && error.message.startsWith(`--memory-budget "${text}" is not a size`), text);
    }
    assert.throws(() => parseMemorySize('0GB'), /must be more than 0 bytes/);
  });

  it('takes the flag, else FRANKENLENS_MEMORY_BUDGET, else the free memory', () => {
    assert.deepEqual(resolveMemoryBudget('8G', { FRANKENLENS_MEMORY_BUDGET: '4G' }), { bytes: 8 * GIB, source: '--memory-budget' });
    assert.deepEqual(resolveMemoryBudget(undefined, { FRANKENLENS_MEMORY_BUDGET: '4G' }), { bytes: 4 * GIB, source: 'FRANKENLENS_MEMORY_BUDGET' });
    assert.throws(() => resolveMemoryBudget(undefined, { FRANKENLENS_MEMORY_BUDGET: 'plenty' }), /FRANKENLENS_MEMORY_BUDGET "plenty" is not a size/);
    const fallback = resolveMemoryBudget(undefined, {});
    assert.equal(fallback.source, 'free memory');
    assert.ok(fallback.bytes > 0 && fallback.bytes <= freemem() * 1.1, `${fallback.bytes}`);
    assert.ok(defaultMemoryBudget() > 0);
  });

  it('formats GiB with one decimal, small figures in MiB', () => {
    assert.equal(formatBytes(26.34 * GIB), '26.3 GiB');
    assert.equal(formatBytes(GIB / 10), '0.1 GiB');
    assert.equal(formatBytes(2 ** 20), '1 MiB');
    assert.equal(formatBytes(1), '1 MiB');
  });
});

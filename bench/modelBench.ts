/**
 * `npm run bench -- model`: greedy decoding speed of the ONNX graphs on the tiny fixture model and
 * on a generated ~0.5B-parameter random Qwen2 (Qwen2.5-0.5B's shape, bf16, written once into
 * .bench/), plain graphs against graphs with the probe taps on (attention mass, gates, K/V
 * override, with neutral inputs); and, on a 2 GB float32 copy of that model, that building graphs
 * and starting a session adds no weight bytes on disk.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { writeCheckpointFolder } from '../src/core/checkpoint/safetensorsWriter';
import { encodeFloats } from '../src/core/checkpoint/floatEncode';
import { generateGreedy } from '../src/core/model/generate';
import { ModelRuntime } from '../src/core/model/modelRuntime';
import { embedPrompt } from '../src/core/model/promptEmbedding';
import type { DecoderTaps } from '../src/core/model/taps';
import { qwen2_5VlTensorSpecs, syntheticValueStream, type SyntheticShape } from '../src/core/synthetic/syntheticQwenVl';

const REPEATS = Number(process.env.FRANKENLENS_BENCH_REPEATS ?? 5);
const PROBE_TAPS: DecoderTaps = { attentionMass: true, gates: true, kvOverride: true };

/** Qwen2.5-0.5B's decoder: 494M parameters with tied embeddings (vision fields unused). */
const HALF_B_SHAPE: SyntheticShape = {
  hiddenSize: 896, intermediateSize: 4864, llmLayers: 24, attentionHeads: 14, keyValueHeads: 2, vocabSize: 151936,
  visionDepth: 0, visionHidden: 0, visionIntermediate: 0, visionHeads: 0, fullAttentionBlocks: [],
};

function ensureQwen2(dir: string, dtype: 'BF16' | 'F32'): string {
  if (existsSync(join(dir, 'complete.json'))) return dir;
  console.log(`generating a random ${dtype} Qwen2 (~0.5B parameters) in ${dir} ...`);
  const specs = qwen2_5VlTensorSpecs(HALF_B_SHAPE).filter((spec) => spec.name.startsWith('model.'));
  const piece = 1 << 20;
  writeCheckpointFolder(dir, specs.map((spec) => ({
    name: spec.name,
    dtype,
    shape: spec.shape,
    produce(write) {
      const count = spec.shape.reduce((a, b) => a * b, 1);
      const next = syntheticValueStream(spec, { seed: 7 });
      for (let start = 0; start < count; start += piece) write(encodeFloats(next(Math.min(piece, count - start)), dtype));
    },
  })), {
    maxShardBytes: 2 ** 30,
    overwrite: true,
    files: {
      'config.json': JSON.stringify({
        architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', _frankenlens_synthetic: 'random weights for benchmarks, not a trained model',
        hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, vocab_size: 151936,
        rms_norm_eps: 1e-6, rope_theta: 1000000, tie_word_embeddings: true, torch_dtype: dtype === 'BF16' ? 'bfloat16' : 'float32',
      }, null, 2),
    },
  });
  writeFileSync(join(dir, 'complete.json'), '{}');
  return dir;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * Decode tokens/s with taps off and on, medians of REPEATS generations of `newTokens` after a
 * `promptLength`-token prompt; the two alternate so that load from other processes hits both alike.
 */
async function speedRow(name: string, dir: string, cacheDir: string, promptLength: number, newTokens: number): Promise<Record<string, unknown>> {
  const runtime = ModelRuntime.open(dir, { cacheDir });
  const ids = Array.from({ length: promptLength }, (_, index) => (index * 7919) % 250);
  const prompt = await embedPrompt(runtime, ids);
  const settings = { maxNewTokens: newTokens, repetitionPenalty: 1, eosTokenIds: [] };
  const speeds = { plain: [] as number[], tapped: [] as number[] };
  for (const taps of [{}, PROBE_TAPS]) await generateGreedy(runtime, ids, prompt, { ...settings, maxNewTokens: 2 }, { taps }); // session start, first allocations
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    for (const [key, taps] of [['plain', {}], ['tapped', PROBE_TAPS]] as const) {
      const generation = await generateGreedy(runtime, ids, prompt, settings, { taps });
      speeds[key].push((generation.tokens.length - 1) / generation.decodeSeconds);
    }
  }
  await runtime.unload();
  const [plain, tapped] = [median(speeds.plain), median(speeds.tapped)];
  return {
    model: name,
    'prompt + new tokens': `${promptLength} + ${newTokens}`,
    'decode tok/s, plain': +plain.toFixed(1),
    'decode tok/s, taps on': +tapped.toFixed(1),
    'tap overhead %': +((plain / tapped - 1) * 100).toFixed(1),
  };
}

/** Free bytes of the filesystem before and after building every graph and starting the decoder session. */
async function noCopyCheck(dir: string, cacheDir: string): Promise<Record<string, unknown>> {
  rmSync(cacheDir, { recursive: true, force: true });
  const weightBytes = readdirSync(dir).filter((name) => name.endsWith('.safetensors')).reduce((total, name) => total + statSync(join(dir, name)).size, 0);
  const free = () => { const stats = statfsSync(cacheDir.replace(/\/[^/]*$/, '')); return stats.bavail * stats.bsize; };
  const before = free();
  const started = performance.now();
  const runtime = ModelRuntime.open(dir, { cacheDir });
  const graph = runtime.graphPath({ taps: {}, logits: 'last' });
  await runtime.provider({ taps: {}, logits: 'last' });
  const seconds = (performance.now() - started) / 1000;
  const after = free();
  await runtime.unload();
  const [key] = readdirSync(cacheDir);
  const cacheFiles = readdirSync(join(cacheDir, key!));
  return {
    checkpoint: `${(weightBytes / 1e9).toFixed(2)} GB float32 (~0.5B parameters)`,
    'decoder graph KB': +(statSync(graph).size / 1024).toFixed(1),
    'weight files hard-linked': cacheFiles.filter((name) => name.endsWith('.safetensors')).length,
    'disk used by graph + session start MB': +((before - after) / 1e6).toFixed(1),
    'graph build + session start s': +seconds.toFixed(1),
  };
}

export async function runModelBench(benchDir: string): Promise<void> {
  mkdirSync(benchDir, { recursive: true });
  const cacheDir = join(benchDir, 'graph-cache');
  const tiny = join(__dirname, '..', 'test', 'fixtures', 'qwen2_5_vl_tiny');
  const bf16 = ensureQwen2(join(benchDir, 'qwen2-0.5b-bf16'), 'BF16');
  const f32 = ensureQwen2(join(benchDir, 'qwen2-0.5b-f32'), 'F32');
  const speed = [await speedRow('tiny Qwen2.5-VL (fixture, f32)', tiny, cacheDir, 32, 128), await speedRow('random Qwen2 0.5B (bf16 → f32 on CPU)', bf16, cacheDir, 32, 24)];
  const noCopy = await noCopyCheck(f32, join(benchDir, 'graph-cache-no-copy'));
  console.log(`\nmodel decoding on onnxruntime-node CPU, medians of ${REPEATS} runs, ${process.version}, ${availableParallelism()} cores; taps on = ${Object.keys(PROBE_TAPS).join(' + ')}`);
  console.table(speed);
  console.log('\nno weight copy on disk: graph cache with hard links');
  console.table([noCopy]);
  writeFileSync(join(benchDir, 'model-results.json'), JSON.stringify({ date: new Date().toISOString(), speed, noCopy }, null, 2));
}

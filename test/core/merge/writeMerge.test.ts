import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FrankenlensError } from '../../../src/core/errors';
import { validatePlan } from '../../../src/core/merge/mergePlan';
import { freezePlan, thirdsVariants } from '../../../src/core/merge/presets';
import { resolveMerge } from '../../../src/core/merge/resolveMerge';
import { PROVENANCE_FILE, writeMerge } from '../../../src/core/merge/writeMerge';
import { TINY_SHAPE, writeSyntheticCheckpoint } from '../../../src/core/synthetic/syntheticQwenVl';
import { readReferenceCheckpoint, readReferenceRawTensors } from '../../helpers/referenceDiff';
import { tempDir } from '../../helpers/tempDir';
import xxhash from 'xxhash-wasm';

const root = tempDir();
const paths = { in: join(root, 'in'), rl: join(root, 'rl') };
writeSyntheticCheckpoint(paths.in, { shape: TINY_SHAPE, seed: 11, dtype: 'BF16' });
writeSyntheticCheckpoint(paths.rl, { shape: TINY_SHAPE, seed: 11, dtype: 'BF16', naming: 'transformers-4.52', maxShardBytes: 150_000, update: { llmLayers: [0, 1, 2, 3], visionBlocks: [0, 1, 2, 3], scale: 0.2 } });
writeFileSync(join(paths.in, 'tokenizer_config.json'), '{"from": "in"}');
writeFileSync(join(paths.rl, 'tokenizer_config.json'), '{"from": "rl"}');

/** Independent of the core: the model a tensor should come from, from its name and the expected layout. */
function expectedSource(name: string, fromIn: (layer: number) => boolean, nonDecoder: 'in' | 'rl'): 'in' | 'rl' {
  const layer = /(?:^|\.)layers\.(\d+)\./.exec(name);
  if (layer && !name.includes('visual')) return fromIn(Number(layer[1])) ? 'in' : 'rl';
  return nonDecoder;
}

const stripScheme = (name: string) => name.replace(/^model\.language_model\./, 'model.').replace(/^model\.visual\./, 'visual.');

function assertByteIdentical(out: string, fromIn: (layer: number) => boolean, nonDecoder: 'in' | 'rl') {
  const merged = readReferenceRawTensors(out);
  const sources = { in: readReferenceRawTensors(paths.in), rl: new Map([...readReferenceRawTensors(paths.rl)].map(([name, tensor]) => [stripScheme(name), tensor])) };
  const inTensors = sources.in;
  assert.deepEqual([...merged.keys()].sort(), [...inTensors.keys()].sort(), "the merged tensor set equals IN's");
  let fromRl = 0;
  for (const [name, tensor] of merged) {
    const source = expectedSource(name, fromIn, nonDecoder);
    const expected = sources[source].get(stripScheme(name))!;
    assert.deepEqual(tensor.shape, inTensors.get(name)!.shape, name);
    assert.equal(tensor.dtype, expected.dtype, name);
    assert.ok(tensor.bytes.equals(expected.bytes), `${name} is byte-identical to ${source}'s`);
    if (source === 'rl' && !tensor.bytes.equals(inTensors.get(name)!.bytes)) fromRl++;
  }
  return fromRl;
}

describe('writeMerge', () => {
  it('writes a thirds variant whose every tensor is byte-identical to its intended source', async () => {
    const plan = thirdsVariants(paths, TINY_SHAPE.llmLayers)[0]!; // IN early 1/3 + RL late 2/3: cuts 1,2 of 4
    const out = join(root, 'variant-1');
    const provenance = await writeMerge(resolveMerge(plan), { outDir: out, maxShardBytes: 200_000 });
    const changed = assertByteIdentical(out, (layer) => layer < 1, 'in');
    assert.ok(changed > 0, 'the RL layers really differ from IN');
    const files = readdirSync(out);
    assert.ok(files.includes('model.safetensors.index.json') && files.filter((file) => file.endsWith('.safetensors')).length > 1, 'sharded with an index');
    assert.equal(readFileSync(join(out, 'tokenizer_config.json'), 'utf8'), '{"from": "in"}', 'tokenizer from the non-decoder source');
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')), JSON.parse(readFileSync(join(paths.in, 'config.json'), 'utf8')));
    assert.ok(!files.some((file) => file.includes('partial')));
    const onDisk = JSON.parse(readFileSync(join(out, PROVENANCE_FILE), 'utf8'));
    assert.equal(onDisk.plan.name, plan.name);
    assert.deepEqual(Object.keys(onDisk.sources).sort(), ['in', 'rl']);
    const raw = readReferenceRawTensors(out);
    const { h64Raw } = await xxhash();
    for (const record of provenance.tensors) assert.equal(record.xxh64, h64Raw(raw.get(record.name)!.bytes).toString(16).padStart(16, '0'), record.name);
    // Completeness: every source tensor is placed or listed as unused with a reason.
    const count = raw.size;
    const fromCounts = { in: provenance.tensors.filter((t) => t.from === 'in').length, rl: provenance.tensors.filter((t) => t.from === 'rl').length };
    assert.equal(fromCounts.in + provenance.unused.filter((u) => u.model === 'in').length, count);
    assert.equal(fromCounts.rl + provenance.unused.filter((u) => u.model === 'rl').length, count);
    assert.ok(provenance.unused.every((entry) => entry.reason.startsWith('not used: ')));
  });

  it('takes everything outside the decoder from the early model (RL early variant, RL naming source)', async () => {
    const plan = thirdsVariants(paths, TINY_SHAPE.llmLayers)[1]!; // RL early 1/3 + IN late 2/3
    const out = join(root, 'variant-2');
    await writeMerge(resolveMerge(plan), { outDir: out });
    const merged = readReferenceRawTensors(out);
    assert.ok(merged.has('model.language_model.layers.0.mlp.up_proj.weight'), "names follow the primary model's scheme");
    const sources = { in: readReferenceRawTensors(paths.in), rl: readReferenceRawTensors(paths.rl) };
    for (const [name, tensor] of merged) {
      const legacy = stripScheme(name);
      const source = expectedSource(legacy, (layer) => layer >= 1, 'rl');
      const expected = source === 'rl' ? sources.rl.get(name)! : sources.in.get(legacy)!;
      assert.ok(tensor.bytes.equals(expected.bytes), `${name} from ${source}`);
    }
    assert.equal(readFileSync(join(out, 'tokenizer_config.json'), 'utf8'), '{"from": "rl"}');
  });

  it('freezes a range at IN inside RL', async () => {
    const out = join(root, 'freeze');
    const provenance = await writeMerge(resolveMerge(freezePlan(paths, TINY_SHAPE.llmLayers, [1, 3])), { outDir: out });
    assert.equal(provenance.plan.kind, 'freeze');
    const merged = readReferenceRawTensors(out);
    const sources = { in: readReferenceRawTensors(paths.in), rl: readReferenceRawTensors(paths.rl) };
    for (const [name, tensor] of merged) {
      const source = expectedSource(stripScheme(name), (layer) => layer >= 1 && layer < 3, 'rl');
      const expected = source === 'rl' ? sources.rl.get(name)! : sources.in.get(stripScheme(name))!;
      assert.ok(tensor.bytes.equals(expected.bytes), `${name} from ${source}`);
    }
  });

  it('interpolates the chosen components in float64 and rounds once to bf16', async () => {
    const plan = validatePlan({
      name: 'IN with mid MLP halfway to RL',
      models: paths,
      slices: [{ start: 0, end: 1, source: 'in' }, { start: 1, end: 3, source: 'in', interpolate: { with: 'rl', alpha: 0.5, components: 'mlp' } }, { start: 3, end: 4, source: 'in' }],
    });
    const out = join(root, 'interpolated');
    await writeMerge(resolveMerge(plan), { outDir: out });
    const merged = readReferenceCheckpoint(out);
    const a = readReferenceCheckpoint(paths.in);
    const b = new Map([...readReferenceCheckpoint(paths.rl)].map(([name, tensor]) => [stripScheme(name), tensor]));
    let mixed = 0;
    for (const [name, tensor] of merged) {
      const layer = Number(/layers\.(\d+)\./.exec(name)?.[1] ?? -1);
      const interpolated = layer >= 1 && layer < 3 && name.includes('.mlp.');
      for (let i = 0; i < tensor.values.length; i++) {
        const exact = interpolated ? 0.5 * a.get(name)!.values[i]! + 0.5 * b.get(name)!.values[i]! : a.get(name)!.values[i]!;
        // bf16 keeps 8 significant bits: rounding to nearest is off by at most half an ulp, 2^-8 relative.
        assert.ok(Math.abs(tensor.values[i]! - exact) <= Math.abs(exact) * 2 ** -8 + 1e-45, `${name}[${i}]: ${tensor.values[i]} vs ${exact}`);
      }
      if (interpolated) mixed++;
    }
    assert.equal(mixed, 2 * 3, 'gate/up/down of two layers');
  });

  it('refuses bad plans before writing anything', async () => {
    const out = join(root, 'never');
    const refuse = (plan: Parameters<typeof resolveMerge>[0], pattern: RegExp) => {
      assert.throws(() => resolveMerge(plan), (error: FrankenlensError) => error.code === 'PlanMismatch' || error.code === 'UnpairedTensors' || error.code === 'ShapeMismatch' ? pattern.test(error.message) : false);
      assert.ok(!existsSync(out));
    };
    refuse(validatePlan({ models: paths, slices: [{ start: 0, end: 6, source: 'in' }] }), /covers HF layers \[0, 6\) but the checkpoints have 4/);
    const deeper = join(root, 'deeper');
    writeSyntheticCheckpoint(deeper, { shape: { ...TINY_SHAPE, llmLayers: 6 }, seed: 11, dtype: 'BF16' });
    refuse(validatePlan({ models: { in: paths.in, rl: deeper }, slices: [{ start: 0, end: 4, source: 'in' }] }), /different models: llmLayers is 4/);
    const wide = join(root, 'wide');
    writeSyntheticCheckpoint(wide, { shape: { ...TINY_SHAPE, intermediateSize: 96 }, seed: 11, dtype: 'BF16' });
    refuse(validatePlan({ models: { in: paths.in, rl: wide }, slices: [{ start: 0, end: 4, source: 'rl' }] }), /has shape/);
    const f16 = join(root, 'f16');
    writeSyntheticCheckpoint(f16, { shape: TINY_SHAPE, seed: 11, dtype: 'F16' });
    refuse(validatePlan({ models: { in: paths.in, rl: f16 }, slices: [{ start: 0, end: 2, source: 'in' }, { start: 2, end: 4, source: 'rl' }] }), /never changes dtypes/);
  });

  it('refuses to overwrite unless asked', async () => {
    const out = join(root, 'twice');
    const resolved = resolveMerge(thirdsVariants(paths, TINY_SHAPE.llmLayers)[2]!);
    await writeMerge(resolved, { outDir: out });
    await assert.rejects(writeMerge(resolved, { outDir: out }), { code: 'FileExists' });
    await writeMerge(resolved, { outDir: out, overwrite: true });
  });
});

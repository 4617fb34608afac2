import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writeCheckpointFolder } from '../../../src/core/checkpoint/safetensorsWriter';
import { runDiff, type DiffOptions } from '../../../src/core/diff/runDiff';
import type { DiffResult, TensorDiffRecord } from '../../../src/core/diff/diffResult';
import { FrankenlensError } from '../../../src/core/errors';
import { cancelTokenFromSignal } from '../../../src/core/progress';
import { qwen2_5VlTensorSpecs, TINY_SHAPE, writeSyntheticCheckpoint, type SyntheticOptions } from '../../../src/core/synthetic/syntheticQwenVl';
import { readReferenceCheckpoint, referenceStats, relativeError } from '../../helpers/referenceDiff';
import { tempDir } from '../../helpers/tempDir';

const WORKER_SCRIPT = join(__dirname, 'diffWorker.js');
const SEED = 7;
const RL_UPDATE = { llmLayers: [2, 3], components: ['attention' as const], scale: 0.05, density: 0.5 };
const BASE_OFFSET = { llmLayers: [0, 1, 2, 3], visionBlocks: [0, 1, 2, 3], scale: 0.1 };
const TENSOR_COUNT = qwen2_5VlTensorSpecs(TINY_SHAPE).length;

function writeTriple(root: string, variants: { in?: Partial<SyntheticOptions>; rl?: Partial<SyntheticOptions>; base?: Partial<SyntheticOptions> } = {}) {
  const common: SyntheticOptions = { shape: TINY_SHAPE, seed: SEED, dtype: 'BF16' };
  const dirs = { in: join(root, 'in'), rl: join(root, 'rl'), base: join(root, 'base') };
  writeSyntheticCheckpoint(dirs.in, { ...common, ...variants.in });
  writeSyntheticCheckpoint(dirs.rl, { ...common, update: RL_UPDATE, ...variants.rl });
  writeSyntheticCheckpoint(dirs.base, { ...common, baseOffset: BASE_OFFSET, ...variants.base });
  return dirs;
}

/** Checks every tensor record against the independent float64 reference computed from the files. */
function assertMatchesReference(result: DiffResult, dirs: { in: string; rl: string; base?: string }) {
  const reference = { in: readReferenceCheckpoint(dirs.in), rl: readReferenceCheckpoint(dirs.rl), base: dirs.base ? readReferenceCheckpoint(dirs.base) : undefined };
  assert.equal(result.tensors.length, reference.in.size);
  for (const record of result.tensors) {
    const expected = referenceStats(reference.in.get(record.names.in)!, reference.rl.get(record.names.rl)!, record.names.base ? reference.base!.get(record.names.base) : undefined);
    const close = (field: keyof TensorDiffRecord, actual: number | null, want: number) => {
      assert.ok(actual !== null, `${record.name}.${field} is null`);
      assert.ok(relativeError(actual, want) <= 1e-6 || Math.abs(actual - want) <= 1e-12, `${record.name}.${field}: ${actual} vs reference ${want}`);
    };
    close('inFro', record.inFro, expected.inFro);
    close('rlDeltaFro', record.rlDeltaFro, expected.rlDeltaFro);
    close('rlDeltaRel', record.rlDeltaRel, expected.rlDeltaRel);
    close('maxAbsDelta', record.maxAbsDelta, expected.maxAbsDelta);
    assert.equal(record.unchangedFraction, expected.unchangedFraction, `${record.name}.unchangedFraction`);
    if (dirs.base) {
      close('inDeltaFro', record.inDeltaFro, expected.inDeltaFro);
      close('inDeltaRel', record.inDeltaRel, expected.inDeltaRel);
      if (expected.cosine === null) assert.equal(record.cosine, null, record.name);
      else assert.ok(Math.abs(record.cosine! - expected.cosine) <= 1e-9, `${record.name}.cosine ${record.cosine} vs ${expected.cosine}`);
    }
  }
}

describe('runDiff', () => {
  const root = tempDir();
  const dirs = writeTriple(root);
  const options: DiffOptions = { inDir: dirs.in, rlDir: dirs.rl, baseDir: dirs.base, workerScript: WORKER_SCRIPT };

  it('matches an independent float64 computation per tensor (bf16, with Base, worker threads)', async () => {
    const result = await runDiff({ ...options, threads: 2 });
    assertMatchesReference(result, dirs);
    assert.equal(result.inputs.base?.role, 'base');
    assert.equal(result.config.threads, 2);
  });

  it('gives the same numbers inline, in workers, and with tensors split into many chunks', async () => {
    const inline = await runDiff({ ...options, inline: true });
    const chunked = await runDiff({ ...options, threads: 2, chunkElements: 1000 });
    for (let i = 0; i < inline.tensors.length; i++) {
      const a = inline.tensors[i]!, b = chunked.tensors[i]!;
      assert.equal(a.name, b.name);
      for (const field of ['inFro', 'rlDeltaFro', 'inDeltaFro', 'cosine', 'maxAbsDelta', 'unchangedFraction'] as const) {
        const x = a[field], y = b[field];
        assert.ok(x === y || (x !== null && y !== null && relativeError(y, x) < 1e-12), `${a.name}.${field}: ${x} vs ${y}`);
      }
    }
  });

  it('finds the planted update exactly where it was planted', async () => {
    const result = await runDiff({ ...options, inline: true });
    for (const record of result.tensors) {
      const planted = record.section === 'llm' && RL_UPDATE.llmLayers.includes(record.hfLayer!) && record.component === 'attention';
      if (planted) {
        assert.ok(record.rlDeltaFro! > 0 && record.unchangedFraction < 1, `${record.name} should have changed`);
        // density 0.5 leaves about half the entries bit-identical
        assert.ok(record.unchangedFraction > 0.3 && record.unchangedFraction < 0.7, `${record.name} unchanged ${record.unchangedFraction}`);
      } else {
        assert.equal(record.rlDeltaFro, 0, `${record.name} should be untouched`);
        assert.equal(record.unchangedFraction, 1, record.name);
      }
    }
    const changedLayers = result.layers.filter((layer) => layer.rlDeltaFroSum > 0).map((layer) => layer.unifiedLayer);
    assert.deepEqual(changedLayers, [3, 4], 'HF layers 2 and 3 are unified 3 and 4');
    const late = result.layers.find((layer) => layer.unifiedLayer === 4)!;
    assert.ok(late.byComponent.attention!.rlDeltaFroSum > 0);
    assert.equal(late.byComponent.mlp!.rlDeltaFroSum, 0);
  });

  it('aggregates per layer as the mean and sum of per-tensor stats over the included tensors', async () => {
    const result = await runDiff({ ...options, inline: true });
    const included = result.tensors.filter((record) => record.included);
    // paper rule: 7 matrices per LLM layer, 5 per vision block, merger mlp.0, mlp.2 and ln_q
    assert.equal(included.length, 7 * TINY_SHAPE.llmLayers + 5 * TINY_SHAPE.visionDepth + 3);
    for (const record of result.tensors) {
      const expected = record.name.includes('weight') && !/norm/i.test(record.name) && record.unifiedLayer !== null;
      assert.equal(record.included, expected, record.name);
    }
    assert.deepEqual(result.layers.map((layer) => layer.unifiedLayer), [-4, -3, -2, -1, 0, 1, 2, 3, 4]);
    for (const layer of result.layers) {
      const members = included.filter((record) => record.unifiedLayer === layer.unifiedLayer);
      const sum = members.reduce((total, record) => total + record.rlDeltaFro!, 0);
      const relMean = members.reduce((total, record) => total + record.rlDeltaRel!, 0) / members.length;
      const inMean = members.reduce((total, record) => total + record.inDeltaFro!, 0) / members.length;
      assert.equal(layer.tensorCount, members.length);
      assert.ok(Math.abs(layer.rlDeltaFroSum - sum) <= 1e-12 * Math.max(1, sum));
      assert.ok(Math.abs(layer.rlDeltaRelMean - relMean) <= 1e-12 * Math.max(1, relMean));
      assert.ok(relativeError(layer.inDeltaFroMean!, inMean) <= 1e-12);
      assert.equal(layer.parameterCount, members.reduce((total, record) => total + record.numel, 0));
    }
    const all = await runDiff({ ...options, inline: true, inclusion: 'all' });
    assert.ok(all.tensors.filter((record) => record.included).length > included.length);
    assert.equal(all.config.inclusionRule.id, 'all');
    assert.match(result.config.inclusionRule.description, /norm/);
  });

  it('pairs every tensor across naming schemes, shard splits and bf16 vs f16', async () => {
    const mixedRoot = tempDir();
    const mixed = writeTriple(mixedRoot, {
      in: { naming: 'legacy', dtype: 'BF16' },
      rl: { naming: 'transformers-4.52', dtype: 'F16', maxShardBytes: 40_000 },
      base: { naming: 'transformers-4.52', dtype: 'F32', maxShardBytes: 100_000 },
    });
    const result = await runDiff({ inDir: mixed.in, rlDir: mixed.rl, baseDir: mixed.base, workerScript: WORKER_SCRIPT, threads: 2 });
    assert.equal(result.tensors.length, TENSOR_COUNT);
    assert.ok(result.inputs.rl.files.length > 1, 'RL is sharded');
    assert.equal(result.inputs.rl.namingScheme, 'qwen2_5_vl-transformers-4.52');
    const record = result.tensors.find((entry) => entry.canonicalName === 'model.layers.1.mlp.up_proj.weight')!;
    assert.equal(record.names.rl, 'model.language_model.layers.1.mlp.up_proj.weight');
    assert.deepEqual(record.dtypes, { in: 'BF16', rl: 'F16', base: 'F32' });
    assertMatchesReference(result, mixed);
  });

  it('compares integer tensors byte for byte and keeps them out of the norms', async () => {
    const intRoot = tempDir();
    const write = (dir: string, ints: number[]) =>
      writeCheckpointFolder(join(intRoot, dir), [
        { name: 'model.layers.0.mlp.up_proj.weight', dtype: 'F32', shape: [2], produce: (emit) => emit(new Uint8Array(Float32Array.from([1, 2]).buffer)) },
        { name: 'model.layers.0.position_ids', dtype: 'I64', shape: [4], produce: (emit) => emit(new Uint8Array(BigInt64Array.from(ints.map(BigInt)).buffer)) },
      ]);
    write('in', [0, 1, 2, 3]);
    write('rl', [0, 1, 2, 7]);
    const result = await runDiff({ inDir: join(intRoot, 'in'), rlDir: join(intRoot, 'rl'), inline: true, inclusion: 'all' });
    const ints = result.tensors.find((record) => record.name === 'model.layers.0.position_ids')!;
    assert.equal(ints.unchangedFraction, 0.75);
    assert.equal(ints.inFro, null);
    assert.equal(ints.rlDeltaRel, null);
    assert.equal(ints.maxAbsDelta, null);
    assert.equal(ints.included, false, 'integer tensors never enter the aggregates');
    assert.equal(result.layers.find((layer) => layer.unifiedLayer === 1)!.tensorCount, 1);
  });

  it('refuses pairs whose shapes disagree, naming the file and the tensor', async () => {
    const otherRoot = tempDir();
    const rl = join(otherRoot, 'rl-wide');
    writeSyntheticCheckpoint(rl, { shape: { ...TINY_SHAPE, intermediateSize: 96 }, seed: SEED, dtype: 'BF16' });
    await assert.rejects(runDiff({ inDir: dirs.in, rlDir: rl, inline: true }), (error: FrankenlensError) => {
      assert.equal(error.code, 'ShapeMismatch');
      assert.match(error.message, /model\.layers\.0\.mlp\.(gate|up|down)_proj\.weight/);
      assert.ok(error.file!.startsWith(rl));
      return true;
    });
  });

  it('refuses pairs that hold different tensors, listing the differences', async () => {
    const otherRoot = tempDir();
    const rl = join(otherRoot, 'rl-deeper');
    writeSyntheticCheckpoint(rl, { shape: { ...TINY_SHAPE, llmLayers: 5 }, seed: SEED, dtype: 'BF16' });
    await assert.rejects(runDiff({ inDir: dirs.in, rlDir: rl, inline: true }), (error: FrankenlensError) => error.code === 'UnpairedTensors' && /only in RL .*model\.layers\.4\./.test(error.message));
  });

  it('stops on cancellation with a Cancelled error and reports progress until then', async () => {
    const controller = new AbortController();
    const fractions: number[] = [];
    const run = runDiff({
      ...options,
      threads: 2,
      chunkElements: 500,
      cancel: cancelTokenFromSignal(controller.signal),
      progress: { report: ({ fraction }) => { fractions.push(fraction); if (fraction > 0.2) controller.abort(); } },
    });
    await assert.rejects(run, { code: 'Cancelled' });
    assert.ok(fractions.length > 0 && fractions.at(-1)! < 1);
    const complete: number[] = [];
    await runDiff({ ...options, inline: true, progress: { report: ({ fraction }) => complete.push(fraction) } });
    assert.equal(complete.at(-1), 1);
    assert.ok(complete.every((value, i) => i === 0 || value >= complete[i - 1]!));
  });
});

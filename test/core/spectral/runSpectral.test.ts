import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writeCheckpointFolder } from '../../../src/core/checkpoint/safetensorsWriter';
import { FrankenlensError } from '../../../src/core/errors';
import { runSpectral } from '../../../src/core/spectral/runSpectral';
import type { MatrixSpectrum } from '../../../src/core/spectral/spectralResult';
import { writeSpectralJson } from '../../../src/core/spectral/writeSpectralJson';
import { TINY_SHAPE, writeSyntheticCheckpoint } from '../../../src/core/synthetic/syntheticQwenVl';
import { relativeError, SPECTRAL_FIXTURES } from '../../helpers/spectralGoldens';
import { tempDir } from '../../helpers/tempDir';

const goldens = JSON.parse(readFileSync(join(SPECTRAL_FIXTURES, 'goldens.json'), 'utf8')).matrices;

describe('runSpectral', () => {
  it('reads a bf16 pair, forms ΔRL with its exact zeros and matches numpy in both modes', async () => {
    const golden = goldens.bf16_update;
    for (const mode of ['exact', 'fast'] as const) {
      const result = await runSpectral({ inDir: join(SPECTRAL_FIXTURES, 'bf16_in.safetensors'), rlDir: join(SPECTRAL_FIXTURES, 'bf16_rl.safetensors'), mode, kernel: 'typed-array' });
      assert.equal(result.tensors.length, 1);
      const { rl } = result.tensors[0]!;
      assert.equal(rl.mode, mode);
      assert.ok(relativeError(rl.spectralNorm, golden.metrics.spectralNorm) <= (mode === 'exact' ? 1e-9 : 1e-3));
      assert.ok(relativeError(rl.stableRank, golden.metrics.stableRank) <= (mode === 'exact' ? 1e-9 : 1e-3));
      assert.ok(relativeError(rl.effectiveRank, golden.metrics.effectiveRank) <= (mode === 'exact' ? 1e-9 : 1e-2));
      assert.ok(relativeError(rl.frobeniusNorm, golden.metrics.frobeniusNorm) <= 1e-9);
      if (mode === 'exact') golden.singularValues.slice(0, 50).forEach((value: number, i: number) => assert.ok(relativeError(rl.topSingularValues[i]!, value) <= 1e-4));
    }
  });

  it('takes the paper’s matrices from a Base/IN/RL triple, analyses ΔRL and ΔIN, and means them per layer, section and region', async () => {
    const root = tempDir();
    const common = { shape: TINY_SHAPE, seed: 4, dtype: 'BF16' as const };
    writeSyntheticCheckpoint(join(root, 'in'), common);
    writeSyntheticCheckpoint(join(root, 'rl'), { ...common, update: { llmLayers: [2, 3], scale: 0.05 } });
    writeSyntheticCheckpoint(join(root, 'base'), { ...common, baseOffset: { llmLayers: [0, 1, 2, 3], visionBlocks: [0, 1], scale: 0.1 } });
    const result = await runSpectral({ inDir: join(root, 'in'), rlDir: join(root, 'rl'), baseDir: join(root, 'base'), kernel: 'typed-array' });
    // 7 per LLM layer, 5 per vision block, the merger's two linear layers: the paper's 358 for the 7B shape.
    assert.equal(result.tensors.length, 7 * TINY_SHAPE.llmLayers + 5 * TINY_SHAPE.visionDepth + 2);
    assert.ok(result.tensors.every((tensor) => tensor.in !== null && !tensor.flattened));
    const unchanged = result.tensors.filter((tensor) => tensor.hfLayer === 0);
    for (const tensor of unchanged) assert.equal(tensor.rl.spectralNorm, 0, `${tensor.name}: RL left layer 0 alone`);
    const changed = result.tensors.filter((tensor) => tensor.hfLayer === 3);
    for (const tensor of changed) assert.ok(tensor.rl.spectralNorm > 0);
    const mean = (spectra: MatrixSpectrum[], metric: keyof MatrixSpectrum) => spectra.reduce((sum, spectrum) => sum + (spectrum[metric] as number), 0) / spectra.length;
    for (const layer of result.layers) {
      const members = result.tensors.filter((tensor) => tensor.unifiedLayer === layer.unifiedLayer);
      assert.equal(layer.tensorCount, members.length);
      for (const metric of ['spectralNorm', 'stableRank', 'effectiveRank', 'logVolume'] as const) {
        assert.ok(Math.abs(layer.rl[metric] - mean(members.map((tensor) => tensor.rl), metric)) <= 1e-12 * Math.max(1, Math.abs(layer.rl[metric])));
        assert.ok(Math.abs(layer.in![metric] - mean(members.map((tensor) => tensor.in!), metric)) <= 1e-12 * Math.max(1, Math.abs(layer.in![metric])));
      }
    }
    assert.equal(result.regions.late!.tensorCount, result.tensors.filter((tensor) => tensor.region === 'late').length);
    assert.equal(result.sections.vision!.tensorCount, 5 * TINY_SHAPE.visionDepth);
    assert.equal(result.schema, 'frankenlens.spectral/1');
    assert.ok(result.inputs.base && result.partition.regionCuts);
    const written = JSON.parse(readFileSync(writeSpectralJson(result, join(root, 'out')), 'utf8'));
    assert.equal(written.tensors.length, result.tensors.length);
  });

  it('all-matrices adds the embeddings, lm_head and the flattened patch embedding', async () => {
    const root = tempDir();
    const common = { shape: TINY_SHAPE, seed: 4, dtype: 'F32' as const };
    writeSyntheticCheckpoint(join(root, 'in'), common);
    writeSyntheticCheckpoint(join(root, 'rl'), { ...common, update: { llmLayers: [1], scale: 0.05 } });
    const result = await runSpectral({ inDir: join(root, 'in'), rlDir: join(root, 'rl'), inclusion: 'all-matrices', kernel: 'typed-array' });
    const names = result.tensors.map((tensor) => tensor.canonicalName);
    for (const name of ['model.embed_tokens.weight', 'lm_head.weight', 'visual.patch_embed.proj.weight']) assert.ok(names.includes(name), name);
    const patch = result.tensors.find((tensor) => tensor.canonicalName === 'visual.patch_embed.proj.weight')!;
    assert.ok(patch.flattened);
    assert.deepEqual(patch.matrixShape, [patch.shape[0], patch.shape.slice(1).reduce((a, b) => a * b, 1)]);
    assert.match(result.config.flattening, /dim0, product of the other dims/);
  });

  it('refuses a non-finite update, naming the file and the tensor', async () => {
    const root = tempDir();
    const name = 'model.layers.0.mlp.down_proj.weight';
    mkdirSync(join(root, 'in'));
    copyFileSync(join(SPECTRAL_FIXTURES, 'bf16_in.safetensors'), join(root, 'in', 'model.safetensors'));
    const values = new Float32Array(64 * 160);
    values[17] = Number.NaN;
    writeCheckpointFolder(join(root, 'rl'), [{ name, dtype: 'F32', shape: [64, 160], produce: (write) => write(new Uint8Array(values.buffer)) }]);
    await assert.rejects(runSpectral({ inDir: join(root, 'in'), rlDir: join(root, 'rl'), kernel: 'typed-array' }), (error: unknown) => {
      assert.ok(error instanceof FrankenlensError && error.code === 'NonFiniteValues');
      assert.match(error.message, new RegExp(`rl.*${name.replaceAll('.', '\\.')}.*element 17`));
      return true;
    });
  });
});

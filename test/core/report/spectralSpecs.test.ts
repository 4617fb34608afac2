import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { BASE_SERIES, RL_SERIES } from '../../../src/core/report/diffSpecs';
import { renderSvg } from '../../../src/core/report/renderReport';
import { SPECTRAL_REPORT_HTML, writeSpectralReport } from '../../../src/core/report/spectralReport';
import { defaultSpectrumLayer, spectralCharts, spectralLayerSpec, spectrumSpec } from '../../../src/core/report/spectralSpecs';
import { runSpectral } from '../../../src/core/spectral/runSpectral';
import type { SpectralResult } from '../../../src/core/spectral/spectralResult';
import { TINY_SHAPE, writeSyntheticCheckpoint } from '../../../src/core/synthetic/syntheticQwenVl';
import { tempDir } from '../../helpers/tempDir';

type Json = Record<string, any>;

describe('spectral specs and report', () => {
  let result: SpectralResult;
  const root = tempDir();
  before(async () => {
    const common = { shape: TINY_SHAPE, seed: 2, dtype: 'BF16' as const };
    writeSyntheticCheckpoint(join(root, 'in'), common);
    writeSyntheticCheckpoint(join(root, 'rl'), { ...common, update: { llmLayers: [1, 2], scale: 0.05 } });
    writeSyntheticCheckpoint(join(root, 'base'), { ...common, baseOffset: { llmLayers: [0, 1, 2, 3], scale: 0.1 } });
    result = await runSpectral({ inDir: join(root, 'in'), rlDir: join(root, 'rl'), baseDir: join(root, 'base'), kernel: 'typed-array' });
  });

  it('per-layer charts carry exactly the result’s layer means, ΔRL and ΔIN', () => {
    const spec = spectralLayerSpec(result, 'stableRank') as Json;
    const points = spec.datasets.layers as { series: string; unifiedLayer: number; value: number }[];
    for (const layer of result.layers) {
      assert.equal(points.find((point) => point.series === RL_SERIES && point.unifiedLayer === layer.unifiedLayer)!.value, layer.rl.stableRank);
      assert.equal(points.find((point) => point.series === BASE_SERIES && point.unifiedLayer === layer.unifiedLayer)!.value, layer.in!.stableRank);
    }
  });

  it('the spectrum chart of a layer overlays σᵢ/σ₁ of every matrix for both updates', () => {
    const layer = defaultSpectrumLayer(result)!;
    assert.equal(layer, [...result.layers].sort((a, b) => b.rl.spectralNorm - a.rl.spectralNorm)[0]!.unifiedLayer);
    const points = (spectrumSpec(result, layer) as Json).datasets.spectra as { tensor: string; series: string; index: number; sigma: number; relative: number }[];
    const tensors = result.tensors.filter((tensor) => tensor.unifiedLayer === layer);
    assert.equal(points.filter((point) => point.series === RL_SERIES).length, tensors.reduce((sum, tensor) => sum + tensor.rl.topSingularValues.filter((s) => s > 0).length, 0));
    for (const point of points) {
      assert.ok(point.relative > 0 && point.relative <= 1 + 1e-12);
      if (point.index === 1) assert.equal(point.relative, 1);
    }
    assert.ok(points.some((point) => point.series === BASE_SERIES));
  });

  it('every chart renders headless, and the report page is self-contained', async () => {
    for (const chart of spectralCharts(result)) assert.match(await renderSvg(chart.spec), /^<svg/);
    const out = join(root, 'report');
    const { files } = await writeSpectralReport(result, out);
    assert.equal(files.at(-1), join(out, SPECTRAL_REPORT_HTML));
    const html = readFileSync(join(out, SPECTRAL_REPORT_HTML), 'utf8');
    assert.match(html, /default-src 'none'/);
    assert.doesNotMatch(html, /<script/);
    assert.equal((html.match(/<svg/g) ?? []).length, spectralCharts(result).length);
    assert.ok(existsSync(join(out, 'spectral-stable-rank.png')));
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsGemmKernel } from '../../../src/core/linalg/jsGemm';
import { analyseMatrix } from '../../../src/core/spectral/runSpectral';
import type { MatrixSpectrum } from '../../../src/core/spectral/spectralResult';
import { readSpectralGoldens, relativeError, type GoldenMetrics } from '../../helpers/spectralGoldens';

const METRICS: (keyof GoldenMetrics)[] = ['spectralNorm', 'nuclearNorm', 'frobeniusNorm', 'stableRank', 'effectiveRank', 'conditionNumber', 'logVolume'];

function assertNoNaN(spectrum: MatrixSpectrum) {
  for (const [key, value] of Object.entries(spectrum)) {
    if (typeof value === 'number') assert.ok(Number.isFinite(value), `${key} = ${value}`);
  }
  for (const value of [...spectrum.topSingularValues, ...spectrum.topSingularValueErrors]) assert.ok(Number.isFinite(value));
}

describe('spectral metrics against numpy goldens', () => {
  for (const golden of readSpectralGoldens()) {
    it(`exact mode: ${golden.name} (${golden.rows}×${golden.cols})`, async () => {
      const spectrum = await analyseMatrix(golden, 'exact', 50, 1e-4, 1);
      assertNoNaN(spectrum);
      for (const metric of METRICS) {
        // σ_min of the ill-conditioned matrices is known to ~1e-10 relative; every other metric much better.
        const tolerance = metric === 'conditionNumber' ? 1e-6 : 1e-9;
        assert.ok(relativeError(spectrum[metric], golden.metrics[metric]) <= tolerance, `${metric}: ${spectrum[metric]} vs numpy ${golden.metrics[metric]}`);
      }
      golden.singularValues.slice(0, 50).forEach((expected, i) => assert.ok(relativeError(spectrum.topSingularValues[i]!, expected) <= 1e-4, `σ${i + 1}`));
    });

    it(`fast mode: ${golden.name} (${golden.rows}×${golden.cols})`, async () => {
      const spectrum = await analyseMatrix(golden, 'fast', 50, 1e-4, 1, jsGemmKernel);
      assertNoNaN(spectrum);
      assert.ok(relativeError(spectrum.spectralNorm, golden.metrics.spectralNorm) <= 1e-3, `spectral ${spectrum.spectralNorm}`);
      assert.ok(relativeError(spectrum.stableRank, golden.metrics.stableRank) <= 1e-3, `stable rank ${spectrum.stableRank}`);
      assert.ok(relativeError(spectrum.effectiveRank, golden.metrics.effectiveRank) <= 0.01, `effective rank ${spectrum.effectiveRank} vs ${golden.metrics.effectiveRank}`);
      assert.ok(relativeError(spectrum.frobeniusNorm, golden.metrics.frobeniusNorm) <= 1e-9);
    });
  }

  it('a zero matrix has defined values: 0 norms and ranks, condition 0, log-volume min(50, n)·ln 1e-12', async () => {
    for (const mode of ['exact', 'fast'] as const) {
      const spectrum = await analyseMatrix({ data: new Float32Array(8 * 12), rows: 8, cols: 12 }, mode, 5, 1e-4, 1);
      assertNoNaN(spectrum);
      assert.deepEqual([spectrum.spectralNorm, spectrum.nuclearNorm, spectrum.stableRank, spectrum.effectiveRank, spectrum.conditionNumber], [0, 0, 0, 0, 0]);
      assert.ok(Math.abs(spectrum.logVolume - 8 * Math.log(1e-12)) < 1e-9);
    }
  });
});

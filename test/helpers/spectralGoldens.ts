/** The numpy goldens of test/fixtures/spectral (written by scripts/goldens/spectralGoldens.py). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileReader } from '../../src/core/checkpoint/fileReader';
import { openSafetensorsFile } from '../../src/core/checkpoint/safetensorsFile';

export const SPECTRAL_FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures', 'spectral');

export interface GoldenMetrics {
  spectralNorm: number;
  nuclearNorm: number;
  frobeniusNorm: number;
  stableRank: number;
  effectiveRank: number;
  conditionNumber: number;
  logVolume: number;
}

export interface GoldenMatrix {
  name: string;
  rows: number;
  cols: number;
  data: Float32Array;
  singularValues: number[];
  metrics: GoldenMetrics;
}

export function readSpectralGoldens(): GoldenMatrix[] {
  const goldens = JSON.parse(readFileSync(join(SPECTRAL_FIXTURES, 'goldens.json'), 'utf8')).matrices as Record<string, { shape: [number, number]; singularValues: number[]; metrics: GoldenMetrics }>;
  const path = join(SPECTRAL_FIXTURES, 'matrices.safetensors');
  const reader = new FileReader();
  try {
    const file = openSafetensorsFile(reader, path);
    return Object.entries(goldens).map(([name, golden]) => {
      const tensor = file.tensors.find((candidate) => candidate.name === name)!;
      const bytes = new Uint8Array(tensor.byteLength);
      reader.read(path, tensor.byteOffset, bytes);
      return { name, rows: golden.shape[0], cols: golden.shape[1], data: new Float32Array(bytes.buffer), singularValues: golden.singularValues, metrics: golden.metrics };
    });
  } finally {
    reader.close();
  }
}

export function relativeError(actual: number, expected: number): number {
  return expected === 0 ? Math.abs(actual) : Math.abs(actual - expected) / Math.abs(expected);
}

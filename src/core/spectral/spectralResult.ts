/**
 * The shape of `spectral.json`: the singular-value analysis of the weight updates, self-describing
 * like `diff.json` (config, versions, inputs with file fingerprints, layer partition).
 * Field names are part of the file format; add fields, never rename them.
 */
import type { Region, Section } from '../checkpoint/tensorInfo';
import type { PairedTensorIdentity } from '../checkpoint/pairing';
import type { CheckpointSummary, LayerPartition } from '../diff/diffResult';
import type { KernelTiming } from '../linalg/gemmKernel';

export const SPECTRAL_SCHEMA = 'frankenlens.spectral/1';

export type SpectralMode = 'exact' | 'fast';
export type SpectralModeChoice = SpectralMode | 'auto';
export type SpectralInclusionId = 'paper' | 'all-matrices';

/** Metrics of one update matrix. Error bars are 0 in exact mode; see `config.errorBars` for fast mode. */
export interface MatrixSpectrum {
  mode: SpectralMode;
  spectralNorm: number;
  spectralNormError: number;
  nuclearNorm: number;
  nuclearNormError: number;
  frobeniusNorm: number;
  stableRank: number;
  stableRankError: number;
  effectiveRank: number;
  effectiveRankError: number;
  conditionNumber: number;
  /** Fast mode knows the smallest singular value only from above, so the condition number only from below. */
  conditionNumberIsLowerBound: boolean;
  logVolume: number;
  logVolumeError: number;
  topSingularValues: number[];
  topSingularValueErrors: number[];
  /** Fast mode only: how far the Krylov run went. */
  krylov: { steps: number; dimension: number; probes: number; complete: boolean } | null;
  seconds: number;
}

export interface SpectralTensorRecord extends PairedTensorIdentity {
  /** The matrix analysed: (dim0, product of the rest), as the paper flattens conv weights. */
  matrixShape: [number, number];
  flattened: boolean;
  /** ΔRL = W_RL − W_IN. */
  rl: MatrixSpectrum;
  /** ΔIN = W_IN − W_Base; null without a Base. */
  in: MatrixSpectrum | null;
}

/** Means over matrices (the paper's summaries are means of per-matrix metrics). */
export interface MetricMeans {
  spectralNorm: number;
  nuclearNorm: number;
  frobeniusNorm: number;
  stableRank: number;
  effectiveRank: number;
  conditionNumber: number;
  logVolume: number;
}

export interface SpectralSummary {
  tensorCount: number;
  parameterCount: number;
  rl: MetricMeans;
  in: MetricMeans | null;
}

export interface SpectralLayerSummary extends SpectralSummary {
  unifiedLayer: number;
  hfLayer: number | null;
  section: Section;
  region: Region | null;
}

export interface SpectralResult {
  schema: typeof SPECTRAL_SCHEMA;
  tool: { name: string; version: string; node: string };
  createdAt: string;
  config: {
    inclusionRule: { id: SpectralInclusionId; description: string };
    mode: SpectralModeChoice;
    /** auto: exact when rows·cols·min(rows, cols) is at most this, fast otherwise. */
    exactMaxWork: number;
    topK: number;
    tolerance: number;
    seed: number;
    flattening: string;
    precision: string;
    metrics: string;
    errorBars: string;
    aggregation: string;
    /** The product kernel fast mode used, and the timings it was chosen by; null when no matrix needed it. */
    kernel: { name: string; timings: KernelTiming[] } | null;
  };
  inputs: { in: CheckpointSummary; rl: CheckpointSummary; base?: CheckpointSummary };
  partition: LayerPartition;
  tensors: SpectralTensorRecord[];
  layers: SpectralLayerSummary[];
  sections: Partial<Record<Section, SpectralSummary>>;
  regions: Partial<Record<Region, SpectralSummary>>;
  /** Wall time, bytes read, and the process's peak resident set size when the result was made. */
  timing: { seconds: number; bytesRead: number; peakRssBytes: number };
}

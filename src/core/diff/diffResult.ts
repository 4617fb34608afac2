/**
 * The shape of `diff.json`: self-describing, so every chart can be rebuilt from the file alone.
 * Field names are part of the file format; add fields, never rename them.
 */
import type { FileFingerprint } from '../checkpoint/fingerprint';
import type { PairedTensorIdentity } from '../checkpoint/pairing';
import type { Component, Region, Section } from '../checkpoint/tensorInfo';

export const DIFF_SCHEMA = 'frankenlens.diff/1';

export interface CheckpointSummary {
  role: 'in' | 'rl' | 'base';
  path: string;
  architecture: string | null;
  modelType: string | null;
  /** sha256 of config.json's bytes; null when the folder has none. */
  configSha256: string | null;
  namingScheme: string;
  llmLayers: number | null;
  visionDepth: number | null;
  configDtype: string | null;
  /** Count of tensors per stored dtype. */
  dtypes: Record<string, number>;
  parameterCount: number;
  totalBytes: number;
  /** Size, mtime and header hash per weight file: a changed checkpoint invalidates saved results. */
  files: FileFingerprint[];
}

/** The identity fields (names, both layer numberings, section, component) are documented on PairedTensorIdentity. */
export interface TensorDiffRecord extends PairedTensorIdentity {
  /** Stored dtype in IN; `dtypes` lists all roles. */
  dtype: string;
  numel: number;
  /** Whether the tensor enters the per-layer aggregates (see `config.inclusionRule`). */
  included: boolean;
  /** Norms are null for integer tensors, which are compared byte for byte only. */
  inFro: number | null;
  rlDeltaFro: number | null;
  /** ‖W_RL − W_IN‖_F / ‖W_IN‖_F; 0 when the delta is 0, null when ‖W_IN‖_F is 0 but the delta is not. */
  rlDeltaRel: number | null;
  inDeltaFro: number | null;
  /** ‖W_IN − W_Base‖_F / ‖W_IN‖_F, the paper's reference for both deltas. */
  inDeltaRel: number | null;
  /** cos(ΔIN, ΔRL); null without Base or when either delta is zero. */
  cosine: number | null;
  /** Fraction of entries whose RL value equals the IN value bit for bit (after exact decoding to f32). */
  unchangedFraction: number;
  maxAbsDelta: number | null;
  inUnchangedFraction: number | null;
  inMaxAbsDelta: number | null;
}

export interface StatSummary {
  tensorCount: number;
  parameterCount: number;
  rlDeltaFroMean: number;
  rlDeltaFroSum: number;
  rlDeltaRelMean: number;
  inDeltaFroMean: number | null;
  inDeltaFroSum: number | null;
  inDeltaRelMean: number | null;
  /** Mean of the per-tensor cosines that are defined; null when none is. */
  cosineMean: number | null;
  /** Parameter-weighted fraction of unchanged entries. */
  unchangedFraction: number;
  maxAbsDelta: number;
}

export interface LayerAggregate extends StatSummary {
  unifiedLayer: number;
  hfLayer: number | null;
  section: Section;
  region: Region | null;
  byComponent: Partial<Record<Component, StatSummary>>;
}

export interface InclusionRule {
  id: 'paper' | 'all';
  description: string;
}

export interface LayerPartition {
  llmLayers: number | null;
  visionDepth: number | null;
  /** HF 0-based cut points [a, b]: early = [0, a), middle = [a, b), late = [b, n). */
  regionCuts: [number, number] | null;
  unifiedIndex: string;
}

export interface DiffResult {
  schema: typeof DIFF_SCHEMA;
  tool: { name: string; version: string; node: string };
  createdAt: string;
  config: {
    inclusionRule: InclusionRule;
    precision: string;
    aggregation: string;
    threads: number;
  };
  inputs: { in: CheckpointSummary; rl: CheckpointSummary; base?: CheckpointSummary };
  partition: LayerPartition;
  tensors: TensorDiffRecord[];
  layers: LayerAggregate[];
  sections: Partial<Record<Section, StatSummary>>;
  /** Wall time, bytes read, and the process's peak resident set size when the result was made. */
  timing: { seconds: number; bytesRead: number; peakRssBytes: number };
}

/**
 * Probe result files. Per item: `<probe>.jsonl` (see probeRun.ts). Summary: `<probe>.summary.json`
 * with schema `frankenlens.probe.<name>/1`, self-describing (settings, tool version, model
 * fingerprints and generation settings, the layer partition) plus `rows`: one flat record per
 * (model, layer, …) with an estimate and its interval, which is what the chart specs plot
 * (layer on x, IN and RL overlaid).
 */
import { join } from 'node:path';
import { writeJsonAtomic } from '../atomicWrite';
import { peakRssBytes } from '../processMemory';
import { wilsonInterval } from '../stats/wilson';
import { TOOL_VERSION } from '../version';
import type { modelRecord } from './probeModel';
import type { PrecisionReport } from '../model/precisionReport';

export type ProbeName = 'attention' | 'ablation' | 'swap';
export const probeSchema = (probe: ProbeName) => `frankenlens.probe.${probe}/1` as const;

/** HF 0-based decoder layer ranges [start, end) of the default thirds (floor(n/3), floor(2n/3)). */
export interface LayerPartition {
  early: [number, number];
  mid: [number, number];
  late: [number, number];
}

export function thirdsPartition(layers: number): LayerPartition {
  const a = Math.floor(layers / 3);
  const b = Math.floor((2 * layers) / 3);
  return { early: [0, a], mid: [a, b], late: [b, layers] };
}

export interface ProbeSummary<Row> {
  schema: ReturnType<typeof probeSchema>;
  tool: { name: 'frankenlens'; version: string };
  created: string;
  settings: unknown;
  models: ReturnType<typeof modelRecord>[];
  /** int8 runs only: the agreement with float32 on a calibration subset (precisionReport.ts). */
  precisionAgreement?: PrecisionReport;
  /** Decoder layers (HF 0-based indices 0..layers-1 on every row). */
  layers: number;
  partition: LayerPartition;
  items: number;
  rows: Row[];
  /** Measured when the summary is written: the process's peak resident set size so far (bytes). */
  timing: { peakRssBytes: number };
}

export function writeProbeSummary<Row>(outDir: string, probe: ProbeName, parts: Omit<ProbeSummary<Row>, 'schema' | 'tool' | 'created' | 'partition' | 'timing'>): { path: string; summary: ProbeSummary<Row> } {
  const summary: ProbeSummary<Row> = { schema: probeSchema(probe), tool: { name: 'frankenlens', version: TOOL_VERSION }, created: new Date().toISOString(), ...parts, partition: thirdsPartition(parts.layers), timing: { peakRssBytes: peakRssBytes() } };
  const path = join(outDir, `${probe}.summary.json`);
  writeJsonAtomic(path, summary);
  return { path, summary };
}

/** A proportion with its 95% Wilson interval. */
export interface Proportion {
  successes: number;
  n: number;
  rate: number;
  lower: number;
  upper: number;
}

export function proportion(successes: number, n: number): Proportion {
  const { lower, upper } = wilsonInterval(successes, n);
  return { successes, n, rate: n > 0 ? successes / n : 0, lower, upper };
}

/**
 * From summed chunks to the numbers users read: per-tensor norms, then per-layer and per-section
 * summaries. Summaries are means and sums of per-tensor statistics (the paper's rule), not norms of
 * concatenated layers.
 */
import { isFloatDtype } from '../checkpoint/dtypes';
import { pairedTensorIdentity, type PairedTensor } from '../checkpoint/pairing';
import type { Component, LayerPlacement, Section } from '../checkpoint/tensorInfo';
import type { DeltaSums } from './deltaSums';
import type { LayerAggregate, StatSummary, TensorDiffRecord } from './diffResult';

/** ‖a‖/‖b‖ with the conventions 0/0 = 0 and x/0 = null (undefined, never Infinity or NaN). */
function ratio(numerator: number, denominator: number): number | null {
  if (numerator === 0) return 0;
  return denominator === 0 ? null : numerator / denominator;
}

export function tensorRecord(pair: PairedTensor, placement: LayerPlacement, included: boolean, sums: DeltaSums): TensorDiffRecord {
  const withBase = pair.base !== undefined;
  const numeric = [pair.in, pair.rl, pair.base].every((tensor) => tensor === undefined || isFloatDtype(tensor.dtype));
  const inFro = Math.sqrt(sums.inSumSq);
  const rlDeltaFro = Math.sqrt(sums.rlDeltaSumSq);
  const inDeltaFro = Math.sqrt(sums.inDeltaSumSq);
  const numel = sums.count;
  return {
    ...pairedTensorIdentity(pair, placement),
    dtype: pair.in.dtype,
    numel,
    included: included && numeric,
    inFro: numeric ? inFro : null,
    rlDeltaFro: numeric ? rlDeltaFro : null,
    rlDeltaRel: numeric ? ratio(rlDeltaFro, inFro) : null,
    inDeltaFro: numeric && withBase ? inDeltaFro : null,
    inDeltaRel: numeric && withBase ? ratio(inDeltaFro, inFro) : null,
    cosine: numeric && withBase && inDeltaFro > 0 && rlDeltaFro > 0 ? clampCosine(sums.deltaDot / (inDeltaFro * rlDeltaFro)) : null,
    unchangedFraction: numel === 0 ? 1 : sums.rlUnchanged / numel,
    maxAbsDelta: numeric ? sums.rlMaxAbs : null,
    inUnchangedFraction: withBase ? (numel === 0 ? 1 : sums.inUnchanged / numel) : null,
    inMaxAbsDelta: numeric && withBase ? sums.inMaxAbs : null,
  };
}

function clampCosine(value: number): number {
  return Math.max(-1, Math.min(1, value));
}

const mean = (values: number[]) => (values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length);
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
const defined = (values: (number | null)[]) => values.filter((value): value is number => value !== null);

export function summarize(records: readonly TensorDiffRecord[]): StatSummary {
  const withBase = records.some((record) => record.inDeltaFro !== null);
  const parameterCount = sum(records.map((record) => record.numel));
  const unchanged = sum(records.map((record) => record.unchangedFraction * record.numel));
  return {
    tensorCount: records.length,
    parameterCount,
    rlDeltaFroMean: mean(defined(records.map((record) => record.rlDeltaFro))) ?? 0,
    rlDeltaFroSum: sum(defined(records.map((record) => record.rlDeltaFro))),
    rlDeltaRelMean: mean(defined(records.map((record) => record.rlDeltaRel))) ?? 0,
    inDeltaFroMean: withBase ? mean(defined(records.map((record) => record.inDeltaFro))) : null,
    inDeltaFroSum: withBase ? sum(defined(records.map((record) => record.inDeltaFro))) : null,
    inDeltaRelMean: withBase ? mean(defined(records.map((record) => record.inDeltaRel))) : null,
    cosineMean: mean(defined(records.map((record) => record.cosine))),
    unchangedFraction: parameterCount === 0 ? 1 : unchanged / parameterCount,
    maxAbsDelta: Math.max(0, ...defined(records.map((record) => record.maxAbsDelta))),
  };
}

function groupBy<K, V>(items: readonly V[], key: (item: V) => K): Map<K, V[]> {
  const groups = new Map<K, V[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** Per unified layer, over included tensors only, sorted by layer. */
export function layerAggregates(records: readonly TensorDiffRecord[]): LayerAggregate[] {
  const included = records.filter((record) => record.included && record.unifiedLayer !== null);
  const layers: LayerAggregate[] = [];
  for (const [unifiedLayer, group] of groupBy(included, (record) => record.unifiedLayer!)) {
    const byComponent: Partial<Record<Component, StatSummary>> = {};
    for (const [component, componentGroup] of groupBy(group, (record) => record.component)) byComponent[component] = summarize(componentGroup);
    const first = group[0]!;
    layers.push({ unifiedLayer, hfLayer: first.hfLayer, section: first.section, region: first.region, ...summarize(group), byComponent });
  }
  return layers.sort((a, b) => a.unifiedLayer - b.unifiedLayer);
}

/** Per section over all float tensors, included or not (embeddings and head appear only here). */
export function sectionSummaries(records: readonly TensorDiffRecord[]): Partial<Record<Section, StatSummary>> {
  const sections: Partial<Record<Section, StatSummary>> = {};
  for (const [section, group] of groupBy(records, (record) => record.section)) sections[section] = summarize(group);
  return sections;
}

/** Means of the per-matrix metrics per unified layer, per section and per LLM region. */
import type { Region, Section } from '../checkpoint/tensorInfo';
import type { MatrixSpectrum, MetricMeans, SpectralLayerSummary, SpectralSummary, SpectralTensorRecord } from './spectralResult';

const METRICS: readonly (keyof MetricMeans)[] = ['spectralNorm', 'nuclearNorm', 'frobeniusNorm', 'stableRank', 'effectiveRank', 'conditionNumber', 'logVolume'];

function means(spectra: readonly MatrixSpectrum[]): MetricMeans {
  const result = {} as MetricMeans;
  for (const metric of METRICS) result[metric] = spectra.length === 0 ? 0 : spectra.reduce((sum, spectrum) => sum + spectrum[metric], 0) / spectra.length;
  return result;
}

export function summarize(records: readonly SpectralTensorRecord[]): SpectralSummary {
  const inSpectra = records.map((record) => record.in).filter((spectrum): spectrum is MatrixSpectrum => spectrum !== null);
  return {
    tensorCount: records.length,
    parameterCount: records.reduce((sum, record) => sum + record.matrixShape[0] * record.matrixShape[1], 0),
    rl: means(records.map((record) => record.rl)),
    in: inSpectra.length === 0 ? null : means(inSpectra),
  };
}

function groupBy<K>(records: readonly SpectralTensorRecord[], key: (record: SpectralTensorRecord) => K | null): Map<K, SpectralTensorRecord[]> {
  const groups = new Map<K, SpectralTensorRecord[]>();
  for (const record of records) {
    const k = key(record);
    if (k === null) continue;
    groups.set(k, [...(groups.get(k) ?? []), record]);
  }
  return groups;
}

export function layerSummaries(records: readonly SpectralTensorRecord[]): SpectralLayerSummary[] {
  return [...groupBy(records, (record) => record.unifiedLayer)]
    .map(([unifiedLayer, group]) => ({ unifiedLayer, hfLayer: group[0]!.hfLayer, section: group[0]!.section, region: group[0]!.region, ...summarize(group) }))
    .sort((a, b) => a.unifiedLayer - b.unifiedLayer);
}

export function sectionSummaries(records: readonly SpectralTensorRecord[]): Partial<Record<Section, SpectralSummary>> {
  return Object.fromEntries([...groupBy(records, (record) => record.section)].map(([section, group]) => [section, summarize(group)]));
}

export function regionSummaries(records: readonly SpectralTensorRecord[]): Partial<Record<Region, SpectralSummary>> {
  return Object.fromEntries([...groupBy(records, (record) => record.region)].map(([region, group]) => [region, summarize(group)]));
}

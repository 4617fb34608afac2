/**
 * Saved analyses other than comparisons, as panel content: the result file's schema picks the
 * chart builders (core, pure), and its inputs and settings become the facts under the heading.
 */
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { FrankenlensError } from '../core/errors';
import { readJsonFileAsync, TABLE_FILE_BYTES } from '../core/regularFile';
import type { AttentionRow } from '../core/probes/attentionToVision';
import type { AblationRow } from '../core/probes/layerAblation';
import type { ProbeName, ProbeSummary } from '../core/probes/probeResult';
import type { SwapRow } from '../core/probes/visualSwap';
import { ablationCharts, attentionCharts, swapCharts, type ProbeChart } from '../core/report/probeSpecs';
import { layerDisplayName } from '../core/report/diffSpecs';
import { defaultSpectrumLayer, spectralCharts, spectrumSpec } from '../core/report/spectralSpecs';
import { variantCharts } from '../core/report/variantSpecs';
import { VARIANTS_SCHEMA, VARIANTS_SCHEMA_V1, variantItemTables, variantScoreTable, type VariantsSummary } from '../core/variants/variantComparison';
import { SPECTRAL_SCHEMA, type SpectralResult } from '../core/spectral/spectralResult';
import type { ShowAnalysisMessage } from '../../webview/protocol';
import { resultsFolderPath, type FrankenlensSettings } from './settings';
import { panelStrings } from './showDiffMessage';
import { precisionNotice } from './precisionNotice';

export interface AnalysisContent {
  message: ShowAnalysisMessage;
  /** The panel's tab title. */
  title: string;
}

export async function loadAnalysisContent(file: string): Promise<AnalysisContent> {
  const value = await readJsonFileAsync(file, { code: 'InvalidArgument', maxBytes: TABLE_FILE_BYTES });
  const schema = typeof value === 'object' && value !== null ? (value as { schema?: unknown }).schema : undefined;
  if (schema === SPECTRAL_SCHEMA) return spectralContent(value as SpectralResult, file);
  if (schema === VARIANTS_SCHEMA) return variantsContent(value as VariantsSummary, file);
  if (schema === VARIANTS_SCHEMA_V1) throw new FrankenlensError('InvalidArgument', vscode.l10n.t('{0}: a variant sweep from an earlier Frankenlens (real images only, no paired tests); score the variants again into a new folder', file), file);
  const probe = typeof schema === 'string' ? /^frankenlens\.probe\.(attention|ablation|swap)\/1$/.exec(schema)?.[1] : undefined;
  if (probe !== undefined) return probeContent(probe as ProbeName, value as ProbeSummary<unknown>, file);
  throw new FrankenlensError('InvalidArgument', `${file}: not an analysis result Frankenlens can draw (schema ${JSON.stringify(schema)})`, file);
}

function spectralContent(result: SpectralResult, file: string): AnalysisContent {
  const facts = [
    { label: vscode.l10n.t('IN'), value: result.inputs.in.path },
    { label: vscode.l10n.t('RL'), value: result.inputs.rl.path },
    ...(result.inputs.base ? [{ label: vscode.l10n.t('Base'), value: result.inputs.base.path }] : []),
    { label: vscode.l10n.t('Matrices'), value: `${result.tensors.length} (${result.config.inclusionRule.id})` },
    { label: vscode.l10n.t('Mode'), value: result.config.mode },
    { label: vscode.l10n.t('Result'), value: file },
  ];
  const charts = spectralCharts(result);
  const spectrum = charts.find((chart) => chart.id === 'spectral-spectrum');
  const shown = defaultSpectrumLayer(result);
  // Any layer's spectra on demand: one chart per layer that has analysed matrices.
  const layers = result.layers.filter((layer) => result.tensors.some((tensor) => tensor.unifiedLayer === layer.unifiedLayer));
  const choice =
    spectrum && shown !== null
      ? {
          chartId: spectrum.id,
          label: vscode.l10n.t('Layer'),
          selected: String(shown),
          options: layers.map((layer) => ({ value: String(layer.unifiedLayer), label: `${layer.unifiedLayer} · ${layerDisplayName(layer, result.partition.visionDepth)}`, chart: { ...spectrum, spec: spectrumSpec(result, layer.unifiedLayer) } })),
        }
      : undefined;
  return {
    title: vscode.l10n.t('Spectra: {0} vs {1}', basename(result.inputs.in.path), basename(result.inputs.rl.path)),
    message: { type: 'showAnalysis', heading: vscode.l10n.t('Singular values of the updates'), facts, charts, choice, strings: panelStrings(), resultFile: file },
  };
}

const PROBE_HEADINGS: Record<ProbeName, () => string> = {
  attention: () => vscode.l10n.t('Attention from the response to the image, per layer'),
  ablation: () => vscode.l10n.t('Accuracy with each decoder layer ablated'),
  swap: () => vscode.l10n.t('Visual-token swap: change and source adoption per layer'),
};

function probeCharts(probe: ProbeName, rows: unknown[]): ProbeChart[] {
  switch (probe) {
    case 'attention':
      return attentionCharts(rows as AttentionRow[]);
    case 'ablation':
      return ablationCharts(rows as AblationRow[]);
    case 'swap':
      return swapCharts(rows as SwapRow[]);
  }
}

function probeContent(probe: ProbeName, summary: ProbeSummary<unknown>, file: string): AnalysisContent {
  const facts = [
    ...summary.models.map((model) => ({ label: model.role.toUpperCase(), value: model.dir })),
    { label: vscode.l10n.t('Items'), value: String(summary.items) },
    { label: vscode.l10n.t('Decoder layers'), value: String(summary.layers) },
    { label: vscode.l10n.t('Result'), value: file },
  ];
  const charts = probeCharts(probe, summary.rows).map((chart) => ({ ...chart, description: chart.title }));
  return {
    title: vscode.l10n.t('Probe: {0}', probe),
    message: { type: 'showAnalysis', heading: PROBE_HEADINGS[probe](), facts, ...withNotice(summary.precisionAgreement), charts, strings: panelStrings(), resultFile: file },
  };
}

function variantsContent(summary: VariantsSummary, file: string): AnalysisContent {
  const facts = [
    { label: vscode.l10n.t('Benchmark'), value: summary.settings.itemsFile },
    { label: vscode.l10n.t('Items'), value: String(summary.items) },
    { label: vscode.l10n.t('Conditions'), value: summary.settings.conditions.join(', ') },
    { label: vscode.l10n.t('Models'), value: summary.rows.map((row) => row.model).join(', ') },
    { label: vscode.l10n.t('Paired tests'), value: vscode.l10n.t('against {0} on the real images: McNemar exact, paired bootstrap ({1} resamples, seed {2})', summary.comparison.baseline, String(summary.comparison.bootstrap.resamples), String(summary.comparison.bootstrap.seed)) },
    { label: vscode.l10n.t('Result'), value: file },
  ];
  const caption = vscode.l10n.t('Every model × measure, 95% bounds (Wilson; Δ vs {0}: paired bootstrap)', summary.comparison.baseline);
  const table = { id: 'variant-scores', caption, ...variantScoreTable(summary), details: variantItemTables(summary, dirname(file)) };
  return {
    title: vscode.l10n.t('Variants: {0}', basename(dirname(file))),
    message: { type: 'showAnalysis', heading: vscode.l10n.t('IN, RL and Frankenstein variants on a benchmark'), facts, ...withNotice(summary.precisionAgreement), table, charts: variantCharts(summary), strings: panelStrings(), resultFile: file },
  };
}

/** The int8 agreement line, when the result has a report. */
function withNotice(report: unknown): { notice?: string } {
  const notice = precisionNotice(report);
  return notice === undefined ? {} : { notice };
}

/**
 * The folder an analysis of a pair writes into: `<results>/<kind>-<in>-vs-<rl>`. Analyses are
 * saved in the workspace's results folder, so without a local folder open there is nowhere to go.
 */
export function analysisFolder(settings: FrankenlensSettings, kind: string, inDir: string, rlDir: string): string {
  const results = resultsFolderPath(settings);
  if (results === undefined) throw new FrankenlensError('InvalidArgument', vscode.l10n.t('open a folder first: analyses are saved in its results folder ({0})', settings.resultsFolder));
  return join(results, `${kind}-${basename(inDir)}-vs-${basename(rlDir)}`);
}

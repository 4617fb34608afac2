import * as vscode from 'vscode';
import type { DiffResult } from '../core/diff/diffResult';
import { diffCharts } from '../core/report/diffSpecs';
import type { PanelStrings, ShowDiffMessage } from '../../webview/protocol';
import { summarizeDiff } from './diffSummary';
import { layerResult } from './layerTensors';

/**
 * The whole result behind each message, for the panel's tensor look-ups: the message itself carries
 * only the per-layer aggregates (a real model has hundreds of tensors per layer range).
 */
const resultsShown = new WeakMap<ShowDiffMessage, DiffResult>();

/** The result a message built by `showDiffMessage` shows; undefined for any other message. */
export function resultBehind(message: ShowDiffMessage): DiffResult | undefined {
  return resultsShown.get(message);
}

/** Everything the diff panel draws, built by core from the result alone. */
export function showDiffMessage(result: DiffResult, resultFile: string | null): ShowDiffMessage {
  const message: ShowDiffMessage = {
    type: 'showDiff',
    summary: summarizeDiff(result),
    // 'container': the charts follow the panel's width; the panel applies the theme's colours.
    charts: diffCharts(result, { width: 'container' }),
    strings: panelStrings(),
    resultFile,
    layerResult: layerResult(result),
  };
  resultsShown.set(message, result);
  return message;
}

export function panelStrings(): PanelStrings {
  return {
    inLabel: vscode.l10n.t('IN'),
    rlLabel: vscode.l10n.t('RL'),
    baseLabel: vscode.l10n.t('Base'),
    architectureLabel: vscode.l10n.t('Architecture'),
    unknownArchitecture: vscode.l10n.t('unknown (no config.json)'),
    mostChangedLayersLabel: vscode.l10n.t('Most changed layers (mean ‖W_RL − W_IN‖ / ‖W_IN‖)'),
    chartFailed: vscode.l10n.t('This chart could not be drawn:'),
    brushHint: vscode.l10n.t('Drag across LLM layers on a per-layer chart to merge or freeze that range.'),
    // {0} stays a placeholder for the panel to fill with the brushed range ("6–11").
    mergeRangeButton: vscode.l10n.t('Merge HF layers {0} from RL into IN', '{0}'),
    freezeRangeButton: vscode.l10n.t('Freeze HF layers {0} (RL with them held at IN)', '{0}'),
    nonDecoderIgnored: vscode.l10n.t('Vision blocks and the projector in the selection are ignored: merges and freezes take decoder layers only.'),
    layerPickerLabel: vscode.l10n.t('Select layers with the keyboard'),
    layerPickerFrom: vscode.l10n.t('Layers from'),
    layerPickerTo: vscode.l10n.t('to'),
    layerPickerSelect: vscode.l10n.t('Select range'),
    layerPickerTensors: vscode.l10n.t('List tensors of the first'),
    // {0} and {1} stay placeholders for the panel to fill per layer.
    layerOptionDecoder: vscode.l10n.t('{0} (HF layer {1})', '{0}', '{1}'),
    layerOptionOther: vscode.l10n.t('{0} ({1})', '{0}', '{1}'),
    metricLabel: vscode.l10n.t('Metric'),
    sectionLabel: vscode.l10n.t('Section'),
    metricNames: {
      rlDeltaRelMean: vscode.l10n.t('Relative update (mean ‖ΔW‖ / ‖W_IN‖)'),
      rlDeltaFroMean: vscode.l10n.t('Absolute update, mean ‖ΔW‖'),
      rlDeltaFroSum: vscode.l10n.t('Absolute update, sum of ‖ΔW‖'),
      cosineMean: vscode.l10n.t('Cosine of the SFT and RL updates'),
      unchangedFraction: vscode.l10n.t('Unchanged fraction'),
    },
    sectionNames: {
      all: vscode.l10n.t('All'),
      vision: vscode.l10n.t('Vision encoder'),
      projector: vscode.l10n.t('Projector'),
      llm: vscode.l10n.t('LLM decoder'),
    },
    tensorTableHint: vscode.l10n.t('Click a point of a per-layer chart to list that layer’s tensors.'),
    // {0} unified layer, {1} block name, {2} tensor count.
    tensorTableCaption: vscode.l10n.t('Tensors of layer {0} ({1}), {2} in all, largest ‖ΔRL‖ first', '{0}', '{1}', '{2}'),
    tensorTableLoading: vscode.l10n.t('Looking up the layer’s tensors…'),
    tensorTableEmpty: vscode.l10n.t('This layer has no tensors in the result.'),
    tensorColumns: {
      name: vscode.l10n.t('Tensor'),
      component: vscode.l10n.t('Component'),
      shape: vscode.l10n.t('Shape'),
      dtype: vscode.l10n.t('dtype'),
      inFro: '‖W_IN‖',
      rlDeltaFro: '‖ΔRL‖',
      rlDeltaRel: '‖ΔRL‖ / ‖W_IN‖',
      cosine: 'cos(ΔIN, ΔRL)',
      unchangedFraction: vscode.l10n.t('Unchanged'),
      maxAbsDelta: 'max |Δ|',
    },
    excludedTensor: vscode.l10n.t('Not in the per-layer means (inclusion rule)'),
    exportGroupLabel: vscode.l10n.t('Export “{0}”', '{0}'),
    exportFormats: {
      svg: vscode.l10n.t('SVG'),
      png: vscode.l10n.t('PNG'),
      spec: vscode.l10n.t('Vega-Lite spec'),
      data: vscode.l10n.t('Data (JSON)'),
      csv: vscode.l10n.t('CSV'),
    },
    detailsHint: vscode.l10n.t('Pick a row to list its items: the answer extracted, the rule that decided, right or wrong.'),
    detailsCaption: vscode.l10n.t('Items of {0}', '{0}'),
  };
}

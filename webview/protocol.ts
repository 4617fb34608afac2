/**
 * The messages between the extension host and the diff panel. Both sides import this file, so a
 * message type is defined once; the host checks every incoming message with `isFromPanelMessage`
 * before it acts on it, since a webview is a separate, less trusted runtime.
 */
import type { Component, Section } from '../src/core/checkpoint/tensorInfo';
import type { DiffResult } from '../src/core/diff/diffResult';
import type { DiffChart, LayerMetric } from '../src/core/report/diffSpecs';

/** One checkpoint of the comparison, as the panel header shows it. */
export interface CheckpointLabel {
  path: string;
  architecture: string | null;
}

/** A layer among the most changed ones. */
export interface ChangedLayer {
  unifiedLayer: number;
  /** Scheme-independent block name: `visual.blocks.N`, `projector`, `model.layers.N`. */
  layerName: string;
  section: Section;
  /** Mean relative IN→RL update over the layer's included tensors. */
  rlDeltaRelMean: number;
}

/** What the panel header says about a comparison; computed from `diff.json` by the host. */
export interface DiffSummary {
  in: CheckpointLabel;
  rl: CheckpointLabel;
  base: CheckpointLabel | null;
  mostChangedLayers: ChangedLayer[];
  /** Decoder layers of IN (from diff.json's partition); null when the checkpoint does not say. */
  llmLayers: number | null;
}

/** The panel's texts, localized by the host (`vscode.l10n.t`) so the webview needs no l10n runtime. */
export interface PanelStrings {
  inLabel: string;
  rlLabel: string;
  baseLabel: string;
  architectureLabel: string;
  unknownArchitecture: string;
  mostChangedLayersLabel: string;
  /** Shown in a chart's place when it cannot be drawn, followed by the reason. */
  chartFailed: string;
  /** Above the charts until a brush selects LLM layers. */
  brushHint: string;
  /** Button templates: {0} is the brushed HF range, e.g. "6–11". */
  mergeRangeButton: string;
  freezeRangeButton: string;
  /** Shown beside the buttons when the brush also covers vision blocks or the projector. */
  nonDecoderIgnored: string;
  /** Labels of the per-layer chart's switches and their options. */
  metricLabel: string;
  sectionLabel: string;
  metricNames: Record<LayerMetric, string>;
  sectionNames: Record<SectionFilter, string>;
  /** Above the tensor table until a layer is clicked. */
  tensorTableHint: string;
  /** Caption of the tensor table: {0} is the unified layer, {1} its block name, {2} the tensor count. */
  tensorTableCaption: string;
  /** Shown in the table's place while the host looks the tensors up, or when it has none. */
  tensorTableLoading: string;
  tensorTableEmpty: string;
  /** Column headers of the tensor table. */
  tensorColumns: Record<TensorColumn, string>;
  /** Title attribute of rows that the per-layer means leave out (inclusion rule). */
  excludedTensor: string;
  /** The keyboard layer picker: its accessible name, labels and buttons. */
  layerPickerLabel: string;
  layerPickerFrom: string;
  layerPickerTo: string;
  layerPickerSelect: string;
  layerPickerTensors: string;
  /** Option text: {0} is the unified layer, {1} the HF decoder layer or (other) the section's name. */
  layerOptionDecoder: string;
  layerOptionOther: string;
  /** Export buttons: {0} is the chart's title in the group's accessible name. */
  exportGroupLabel: string;
  exportFormats: Record<ChartExportFormat, string>;
  /** Analysis tables with details: the hint until a row is picked, and the details' caption ({0}: the row). */
  detailsHint: string;
  detailsCaption: string;
}

/** The columns of the tensor table, in display order. */
export const TENSOR_COLUMNS = ['name', 'component', 'shape', 'dtype', 'inFro', 'rlDeltaFro', 'rlDeltaRel', 'cosine', 'unchangedFraction', 'maxAbsDelta'] as const;
export type TensorColumn = (typeof TENSOR_COLUMNS)[number];

/** The section filter of the per-layer chart. */
export const SECTION_FILTERS = ['all', 'vision', 'projector', 'llm'] as const;
export type SectionFilter = (typeof SECTION_FILTERS)[number];

/** The per-layer chart's switches, kept through reloads in the page state. */
export interface ChartViewState {
  metric: LayerMetric;
  section: SectionFilter;
}

const LAYER_METRIC_KEYS: readonly LayerMetric[] = ['rlDeltaRelMean', 'rlDeltaFroMean', 'rlDeltaFroSum', 'cosineMean', 'unchangedFraction'];

/** Whether a state handed back by VS Code holds a well-formed chart view. */
export function isChartViewState(value: unknown): value is ChartViewState {
  return (
    isRecord(value) &&
    (LAYER_METRIC_KEYS as readonly unknown[]).includes(value.metric) &&
    (SECTION_FILTERS as readonly unknown[]).includes(value.section)
  );
}

/** What an exported file holds: a chart's drawing (SVG, PNG), its Vega-Lite spec or its data (JSON), or a table as CSV. */
export type ChartExportFormat = 'svg' | 'png' | 'spec' | 'data' | 'csv';

export const CHART_EXPORT_FORMATS: Readonly<Record<ChartExportFormat, { extension: string; base64: boolean }>> = {
  svg: { extension: 'svg', base64: false },
  png: { extension: 'png', base64: true },
  spec: { extension: 'vl.json', base64: false },
  data: { extension: 'data.json', base64: false },
  csv: { extension: 'csv', base64: false },
};

/** The largest export the host accepts (a PNG at 2× of a wide chart is a few hundred KB). */
export const MAX_EXPORT_CHARS = 64 * 1024 * 1024;
/** Chart ids become file names: lower-case words and dashes only. */
const CHART_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** What the panel keeps through `setState`, so the host can rebuild it after a window reload. */
export interface PanelState {
  /** Absolute path of the `diff.json` the panel shows. */
  resultFile: string;
}

/** Everything the page stores: the result file when there is one, and the chart switches. */
export interface StoredPanelState extends Partial<PanelState> {
  chartView?: ChartViewState;
}

/** Panel → host: the script is loaded and listening; the host answers with the current content. */
export interface ReadyMessage {
  type: 'ready';
}

/** Host → panel: the comparison to show, charts included (Vega-Lite specs with inline data). */
export interface ShowDiffMessage {
  type: 'showDiff';
  summary: DiffSummary;
  charts: DiffChart[];
  strings: PanelStrings;
  /** Where `diff.json` was written; null when no workspace folder was open to write it into. */
  resultFile: string | null;
  /**
   * The result without its tensors (one aggregate per layer), so the panel can redraw the per-layer
   * chart for another metric or section; tensors are asked for one layer at a time (`layerTensors`).
   */
  layerResult: LayerResult;
}

/** A `DiffResult` less its per-tensor records. */
export type LayerResult = Omit<DiffResult, 'tensors'>;

/** One tensor of a layer, as the tensor table lists it. */
export interface LayerTensorRow {
  name: string;
  component: Component;
  shape: number[];
  dtype: string;
  /** Whether the per-layer means include it (the result's inclusion rule). */
  included: boolean;
  inFro: number | null;
  rlDeltaFro: number | null;
  rlDeltaRel: number | null;
  cosine: number | null;
  unchangedFraction: number;
  maxAbsDelta: number | null;
}

/** Panel → host: list the tensors of this layer. */
export interface LayerTensorsRequest {
  type: 'layerTensors';
  /** Echoed in the answer, so the panel shows only the answer to its latest question. */
  requestId: number;
  unifiedLayer: number;
}

/** Host → panel: the tensors of a layer, largest ‖ΔRL‖ first. */
export interface LayerTensorsResponse {
  type: 'layerTensors';
  requestId: number;
  unifiedLayer: number;
  layerName: string;
  tensors: LayerTensorRow[];
}

/** Panel → host: save a chart (drawing, spec or data) where the user picks. */
export interface ExportChartMessage {
  type: 'exportChart';
  /** The chart's id, the default file name's stem. */
  chartId: string;
  format: ChartExportFormat;
  /** Text for svg, spec and data; base64 for png. */
  content: string;
}

/** Host → panel: nothing to show, and why (already localized). */
export interface ErrorMessage {
  type: 'error';
  message: string;
}

/** Panel → host: the user brushed a range of the unified layer axis (both ends included). */
export interface LayerRangeSelectedMessage {
  type: 'layerRangeSelected';
  startUnified: number;
  endUnified: number;
}

/** HF 0-based decoder layers, both ends included (as the UI shows them; plans use [start, end + 1)). */
export interface HfLayerRange {
  hfStart: number;
  hfEnd: number;
}

/** Panel → host: write IN with these layers from RL (the panel's pair). */
export interface MergeLayerRangeMessage extends HfLayerRange {
  type: 'mergeLayerRange';
}

/** Panel → host: write RL with these layers held at IN (the panel's pair). */
export interface FreezeLayerRangeMessage extends HfLayerRange {
  type: 'freezeLayerRange';
}

/**
 * Host → panel: a saved analysis other than a comparison (spectral metrics, probes, variant
 * scores): a heading, its facts (inputs, settings) and charts with export buttons.
 */
export interface AnalysisTable {
  /** The default file name stem of its exports. */
  id: string;
  caption: string;
  columns: string[];
  rows: string[][];
  /** Per first-column value, a table shown when that row is picked (e.g. a model's per-item answers). */
  details?: Record<string, { columns: string[]; rows: string[][] }>;
}

/** A labelled list above one chart that swaps it for another (e.g. the spectrum of another layer). */
export interface ChartChoice {
  chartId: string;
  label: string;
  selected: string;
  options: { value: string; label: string; chart: DiffChart }[];
}

export interface ShowAnalysisMessage {
  type: 'showAnalysis';
  heading: string;
  facts: { label: string; value: string }[];
  /**
   * One line under the facts, already localized: for a result made with int8 weights, its agreement
   * with float32 on the calibration subset (or why it was not measured). The host builds it only
   * from a report that passes isPrecisionReport; the panel shows it only when it is a string.
   */
  notice?: string;
  table?: AnalysisTable;
  choice?: ChartChoice;
  charts: DiffChart[];
  strings: PanelStrings;
  /** The result JSON the charts come from; exports go next to it. */
  resultFile: string;
}

export type ToPanel = ShowDiffMessage | ShowAnalysisMessage | ErrorMessage;
/** Host → panel answers, which never replace the panel's content. */
export type ToPanelAnswer = LayerTensorsResponse;
export type FromPanel = ReadyMessage | LayerRangeSelectedMessage | MergeLayerRangeMessage | FreezeLayerRangeMessage | LayerTensorsRequest | ExportChartMessage;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether `value` is a well-formed panel → host message; anything else is dropped by the host. */
export function isFromPanelMessage(value: unknown): value is FromPanel {
  if (!isRecord(value)) return false;
  switch (value.type) {
    case 'ready':
      return true;
    case 'layerRangeSelected': {
      const { startUnified, endUnified } = value;
      return Number.isSafeInteger(startUnified) && Number.isSafeInteger(endUnified) && (startUnified as number) <= (endUnified as number);
    }
    case 'mergeLayerRange':
    case 'freezeLayerRange':
      return isHfLayerRange(value);
    case 'layerTensors':
      return Number.isSafeInteger(value.requestId) && (value.requestId as number) >= 0 && Number.isSafeInteger(value.unifiedLayer);
    case 'exportChart':
      return isExportChart(value);
    default:
      return false;
  }
}

function isExportChart(value: Record<string, unknown>): boolean {
  const { chartId, format, content } = value;
  if (typeof chartId !== 'string' || !CHART_ID.test(chartId)) return false;
  if (typeof format !== 'string' || !Object.hasOwn(CHART_EXPORT_FORMATS, format)) return false;
  if (typeof content !== 'string' || content.length === 0 || content.length > MAX_EXPORT_CHARS) return false;
  return !CHART_EXPORT_FORMATS[format as ChartExportFormat].base64 || (content.length % 4 === 0 && BASE64.test(content));
}

/** Whether `value` carries a well-formed HF range: integers with 0 ≤ hfStart ≤ hfEnd (the layer count is checked later, against the checkpoint). */
export function isHfLayerRange(value: unknown): value is HfLayerRange {
  if (!isRecord(value)) return false;
  const { hfStart, hfEnd } = value;
  return Number.isSafeInteger(hfStart) && Number.isSafeInteger(hfEnd) && (hfStart as number) >= 0 && (hfStart as number) <= (hfEnd as number);
}

/** Whether a showAnalysis message's notice is one the panel shows: a non-empty string of one line. */
export function isAnalysisNotice(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 1000 && !value.includes('\n');
}

/** Whether a state handed back by VS Code on reload is one this panel stored. */
export function isPanelState(value: unknown): value is PanelState {
  return isRecord(value) && typeof value.resultFile === 'string' && value.resultFile.length > 0;
}

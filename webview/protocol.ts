/**
 * The messages between the extension host and the diff panel. Both sides import this file, so a
 * message type is defined once; the host checks every incoming message with `isFromPanelMessage`
 * before it acts on it, since a webview is a separate, less trusted runtime.
 */
import type { Section } from '../src/core/checkpoint/tensorInfo';
import type { DiffChart } from '../src/core/report/diffSpecs';

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
}

/** What the panel keeps through `setState`, so the host can rebuild it after a window reload. */
export interface PanelState {
  /** Absolute path of the `diff.json` the panel shows. */
  resultFile: string;
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

export type ToPanel = ShowDiffMessage | ErrorMessage;
export type FromPanel = ReadyMessage | LayerRangeSelectedMessage | MergeLayerRangeMessage | FreezeLayerRangeMessage;

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
    default:
      return false;
  }
}

/** Whether `value` carries a well-formed HF range: integers with 0 ≤ hfStart ≤ hfEnd (the layer count is checked later, against the checkpoint). */
export function isHfLayerRange(value: unknown): value is HfLayerRange {
  if (!isRecord(value)) return false;
  const { hfStart, hfEnd } = value;
  return Number.isSafeInteger(hfStart) && Number.isSafeInteger(hfEnd) && (hfStart as number) >= 0 && (hfStart as number) <= (hfEnd as number);
}

/** Whether a state handed back by VS Code on reload is one this panel stored. */
export function isPanelState(value: unknown): value is PanelState {
  return isRecord(value) && typeof value.resultFile === 'string' && value.resultFile.length > 0;
}

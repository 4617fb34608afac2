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

export type ToPanel = ShowDiffMessage | ErrorMessage;
export type FromPanel = ReadyMessage | LayerRangeSelectedMessage;

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
    default:
      return false;
  }
}

/** Whether a state handed back by VS Code on reload is one this panel stored. */
export function isPanelState(value: unknown): value is PanelState {
  return isRecord(value) && typeof value.resultFile === 'string' && value.resultFile.length > 0;
}

/** The panel's header: which checkpoints were compared and where RL changed them most. */
import { element } from './dom';
import type { CheckpointLabel, DiffSummary, PanelStrings } from './protocol';

function layerNumber(unifiedLayer: number): string {
  return unifiedLayer < 0 ? `−${-unifiedLayer}` : String(unifiedLayer);
}

export function renderDiffHeader(summary: DiffSummary, strings: PanelStrings): HTMLElement {
  const inputs = element('dl', 'diff-inputs');
  const addRow = (term: string, ...description: (Node | string)[]) => inputs.append(element('dt', null, term), element('dd', null, ...description));
  const checkpoints: [string, CheckpointLabel | null][] = [
    [strings.inLabel, summary.in],
    [strings.rlLabel, summary.rl],
    [strings.baseLabel, summary.base],
  ];
  for (const [term, checkpoint] of checkpoints) {
    if (checkpoint) addRow(term, element('code', null, checkpoint.path));
  }
  // Paired checkpoints share an architecture; IN's is the one the analysis used.
  addRow(strings.architectureLabel, summary.in.architecture ?? strings.unknownArchitecture);

  const header = element('header', 'diff-header', inputs);
  if (summary.mostChangedLayers.length > 0) {
    const list = element('ol', 'most-changed');
    for (const layer of summary.mostChangedLayers) {
      list.append(
        element(
          'li',
          null,
          element('span', 'layer-index', layerNumber(layer.unifiedLayer)),
          ' ',
          element('code', null, layer.layerName),
          ' ',
          element('span', 'layer-value', layer.rlDeltaRelMean.toExponential(3)),
        ),
      );
    }
    header.append(element('h2', null, strings.mostChangedLayersLabel), list);
  }
  return header;
}

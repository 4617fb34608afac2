import type { CheckpointSummary, DiffResult } from '../core/diff/diffResult';
import { layerDisplayName } from '../core/report/diffSpecs';
import type { CheckpointLabel, DiffSummary } from '../../webview/protocol';

const MOST_CHANGED_COUNT = 3;

/** The panel header's facts about a comparison: the inputs and the layers RL moved most. */
export function summarizeDiff(result: DiffResult): DiffSummary {
  // Same ranking as the CLI's summary: mean relative update over the layer's included tensors.
  const mostChanged = [...result.layers]
    .filter((layer) => layer.rlDeltaRelMean > 0)
    .sort((a, b) => b.rlDeltaRelMean - a.rlDeltaRelMean)
    .slice(0, MOST_CHANGED_COUNT);
  return {
    in: label(result.inputs.in),
    rl: label(result.inputs.rl),
    base: result.inputs.base ? label(result.inputs.base) : null,
    mostChangedLayers: mostChanged.map((layer) => ({
      unifiedLayer: layer.unifiedLayer,
      layerName: layerDisplayName(layer, result.partition.visionDepth),
      section: layer.section,
      rlDeltaRelMean: layer.rlDeltaRelMean,
    })),
    llmLayers: result.partition.llmLayers,
  };
}

function label(checkpoint: CheckpointSummary): CheckpointLabel {
  return { path: checkpoint.path, architecture: checkpoint.architecture };
}

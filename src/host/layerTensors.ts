/** The tensor table of one layer, from a `DiffResult`: pure, so the host answers it without I/O. */
import type { DiffResult, TensorDiffRecord } from '../core/diff/diffResult';
import { layerDisplayName } from '../core/report/diffSpecs';
import type { LayerResult, LayerTensorRow, LayerTensorsResponse } from '../../webview/protocol';

function row(tensor: TensorDiffRecord): LayerTensorRow {
  return {
    name: tensor.name,
    component: tensor.component,
    shape: tensor.shape,
    dtype: tensor.dtype,
    included: tensor.included,
    inFro: tensor.inFro,
    rlDeltaFro: tensor.rlDeltaFro,
    rlDeltaRel: tensor.rlDeltaRel,
    cosine: tensor.cosine,
    unchangedFraction: tensor.unchangedFraction,
    maxAbsDelta: tensor.maxAbsDelta,
  };
}

/** Largest ‖ΔRL‖ first; integer tensors (no norm) last; ties by name, so the order is stable. */
function byUpdateSize(a: LayerTensorRow, b: LayerTensorRow): number {
  const sizeA = a.rlDeltaFro ?? Number.NEGATIVE_INFINITY;
  const sizeB = b.rlDeltaFro ?? Number.NEGATIVE_INFINITY;
  if (sizeA !== sizeB) return sizeB > sizeA ? 1 : -1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** The answer to a `layerTensors` request: every tensor on `unifiedLayer`, largest update first. */
export function layerTensors(result: DiffResult, requestId: number, unifiedLayer: number): LayerTensorsResponse {
  const tensors = result.tensors.filter((tensor) => tensor.unifiedLayer === unifiedLayer).map(row).sort(byUpdateSize);
  const layer = result.layers.find((candidate) => candidate.unifiedLayer === unifiedLayer);
  const layerName = layer ? layerDisplayName(layer, result.partition.visionDepth) : String(unifiedLayer);
  return { type: 'layerTensors', requestId, unifiedLayer, layerName, tensors };
}

/** The result less its tensors: what the panel needs to redraw per-layer charts. */
export function layerResult(result: DiffResult): LayerResult {
  const { tensors: _tensors, ...rest } = result;
  return rest;
}

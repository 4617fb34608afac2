/** Reading the `layerBrush` interval selection of the per-layer charts. */
import type { LayerRangeSelectedMessage } from './protocol';

export type LayerRange = Omit<LayerRangeSelectedMessage, 'type'>;

/** The x field the brush is declared on in the per-layer spec. */
const UNIFIED_LAYER_FIELD = 'unifiedLayer';
/** Pixel-to-data inversion leaves an edge drawn exactly on a layer a hair beside it. */
const EDGE_TOLERANCE = 1e-6;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether a Vega-Lite spec (or one of its layers / concatenated views) declares the param `name`. */
export function declaresParam(spec: unknown, name: string): boolean {
  if (!isRecord(spec)) return false;
  if (Array.isArray(spec.params) && spec.params.some((param) => isRecord(param) && param.name === name)) return true;
  return ['layer', 'concat', 'hconcat', 'vconcat'].some((key) => {
    const children = spec[key];
    return Array.isArray(children) && children.some((child) => declaresParam(child, name));
  });
}

/**
 * The whole layers inside a brush, from the selection signal's value (`{unifiedLayer: [lo, hi]}`,
 * `{}` once cleared); undefined when the brush is empty or holds no layer.
 */
export function layerRangeFromBrush(value: unknown): LayerRange | undefined {
  if (!isRecord(value)) return undefined;
  const extent = value[UNIFIED_LAYER_FIELD];
  if (!Array.isArray(extent) || extent.length === 0) return undefined;
  if (!extent.every((end): end is number => typeof end === 'number' && Number.isFinite(end))) return undefined;
  const startUnified = Math.ceil(Math.min(...extent) - EDGE_TOLERANCE);
  const endUnified = Math.floor(Math.max(...extent) + EDGE_TOLERANCE);
  return startUnified <= endUnified ? { startUnified, endUnified } : undefined;
}

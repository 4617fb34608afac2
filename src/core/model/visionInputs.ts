/**
 * The vision graph's inputs for a set of images: the processor's pixel values plus the geometry
 * ropeIndex.ts derives from the grids (rotary positions, window permutation, attention bounds),
 * with the cumulative bounds turned into per-patch segment ids the graph compares.
 */
import { FrankenlensError } from '../errors';
import type { VisionConfig } from './modelConfig';
import { visionFullAttentionSeqlens, visionPatchPositions, visionWindows, type ImageGrid } from './ropeIndex';

export interface VisionInputs {
  /** [patches, C·T·P·P] */
  pixelValues: Float32Array;
  /** [patches, 2] row and column of each patch. */
  rotaryPositionIds: BigInt64Array;
  windowIndex: BigInt64Array;
  inverseWindowIndex: BigInt64Array;
  /** [patches] in window order: windowed blocks attend within equal ids. */
  windowSegments: BigInt64Array;
  /** [patches] in window order: full-attention blocks attend within equal ids (one per frame). */
  fullAttentionSegments: BigInt64Array;
}

export function visionInputs(pixelValues: Float32Array, grids: readonly ImageGrid[], vision: VisionConfig): VisionInputs {
  const patches = grids.reduce((total, grid) => total + grid.t * grid.h * grid.w, 0);
  const patchLength = vision.inChannels * vision.temporalPatchSize * vision.patchSize ** 2;
  if (pixelValues.length !== patches * patchLength) {
    throw new FrankenlensError('InvalidArgument', `pixel values hold ${pixelValues.length} numbers; the image grids ${JSON.stringify(grids)} need ${patches} patches of ${patchLength}`);
  }
  const windows = visionWindows(grids, vision);
  return {
    pixelValues,
    rotaryPositionIds: BigInt64Array.from(visionPatchPositions(grids, vision.spatialMergeSize), BigInt),
    windowIndex: BigInt64Array.from(windows.windowIndex, BigInt),
    inverseWindowIndex: BigInt64Array.from(windows.inverseWindowIndex, BigInt),
    windowSegments: segmentIds(windows.cuWindowSeqlens),
    fullAttentionSegments: segmentIds(visionFullAttentionSeqlens(grids)),
  };
}

/** Cumulative bounds [0, a, b, …] → the id of the segment each row falls in. */
function segmentIds(cuSeqlens: Int32Array): BigInt64Array {
  const ids = new BigInt64Array(cuSeqlens[cuSeqlens.length - 1]!);
  for (let segment = 0; segment + 1 < cuSeqlens.length; segment++) ids.fill(BigInt(segment), cuSeqlens[segment]!, cuSeqlens[segment + 1]!);
  return ids;
}

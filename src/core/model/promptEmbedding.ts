/**
 * A prompt's decoder inputs: token embeddings with the image embeddings written over the
 * `<|image_pad|>` rows (in order), and the M-RoPE positions of ropeIndex.ts.
 */
import { FrankenlensError } from '../errors';
import type { ModelRuntime } from './modelRuntime';
import { mropePositionIds, type ImageGrid } from './ropeIndex';
import { visionInputs } from './visionInputs';

export interface PromptImages {
  /** The processor's pixel values of every image, concatenated: [patches, C·T·P·P]. */
  pixelValues: Float32Array;
  grids: ImageGrid[];
}

export interface EmbeddedPrompt {
  /** [sequence · hidden] */
  embeds: Float32Array;
  /** [3 · sequence] t, h, w rows. */
  positions: BigInt64Array;
  /** Added to a cache index to get a decode step's position. */
  ropeDelta: number;
  /** Sequence indices of the image tokens (where attention to vision is measured). */
  imageTokenPositions: number[];
}

export async function embedPrompt(runtime: ModelRuntime, ids: readonly number[], images?: PromptImages): Promise<EmbeddedPrompt> {
  const { config } = runtime;
  const embeds = await runtime.embed(ids);
  const imageTokenPositions: number[] = [];
  const imageTokenId = config.visionTokens?.imageTokenId;
  ids.forEach((id, index) => id === imageTokenId && imageTokenPositions.push(index));
  const grids = images?.grids ?? [];
  if (!config.vision || !config.visionTokens) {
    if (grids.length > 0) throw new FrankenlensError('InvalidArgument', `${runtime.checkpoint.path}: a ${config.modelType} model takes no images`, runtime.checkpoint.path);
    const positions = BigInt64Array.from({ length: 3 * ids.length }, (_, index) => BigInt(index % ids.length));
    return { embeds, positions, ropeDelta: 0, imageTokenPositions };
  }
  const rope = mropePositionIds(ids, grids, config.visionTokens, config.vision.spatialMergeSize);
  if (images && grids.length > 0) {
    const imageEmbeds = await runtime.encodeImages(visionInputs(images.pixelValues, grids, config.vision));
    const hidden = config.decoder.hiddenSize;
    imageTokenPositions.forEach((row, index) => embeds.set(imageEmbeds.subarray(index * hidden, (index + 1) * hidden), row * hidden));
  }
  return { embeds, positions: BigInt64Array.from(rope.positionIds, BigInt), ropeDelta: rope.ropeDelta, imageTokenPositions };
}

/** The prompt's embeddings and M-RoPE rows from position `start` on (what a prefill after a cached prefix computes). */
export function promptFrom(prompt: EmbeddedPrompt, start: number, hiddenSize: number): { embeds: Float32Array; positions: BigInt64Array } {
  const length = prompt.positions.length / 3;
  const positions = new BigInt64Array(3 * (length - start));
  for (let row = 0; row < 3; row++) positions.set(prompt.positions.subarray(row * length + start, (row + 1) * length), row * (length - start));
  return { embeds: prompt.embeds.subarray(start * hiddenSize), positions };
}

/** What the core knows about one stored tensor, independent of any analysis. */
import type { Dtype } from './dtypes';

export type Section = 'vision' | 'projector' | 'llm' | 'embedding' | 'head' | 'other';
export type Component = 'attention' | 'mlp' | 'norm' | 'other';
export type Region = 'early' | 'middle' | 'late';

/** Where a tensor's bytes live: a file, the absolute byte range of its data, and its layout. */
export interface TensorLocation {
  name: string;
  file: string;
  dtype: Dtype;
  shape: number[];
  /** Absolute offset of the first data byte in `file` (header included). */
  byteOffset: number;
  byteLength: number;
}

/** Where a tensor sits in the model: both layer numberings, so no consumer converts by hand. */
export interface LayerPlacement {
  canonicalName: string;
  section: Section;
  component: Component;
  /** Paper's unified index: vision block i → i − depth, projector 0, LLM layer i → i + 1. */
  unifiedLayer: number | null;
  /** HF 0-based decoder layer index. */
  hfLayer: number | null;
  visionBlock: number | null;
  region: Region | null;
}

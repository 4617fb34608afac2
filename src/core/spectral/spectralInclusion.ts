/** Which update matrices the spectral analysis takes. Written into every spectral.json. */
import type { LayerPlacement, TensorLocation } from '../checkpoint/tensorInfo';
import { isFloatDtype } from '../checkpoint/dtypes';
import { INCLUSION_RULES } from '../diff/inclusionRule';
import type { SpectralInclusionId } from './spectralResult';

/** The paper skips tensors with more than 1e8 elements (reference §4.2; none in Qwen2.5-VL-7B's layers). */
export const PAPER_MAX_ELEMENTS = 1e8;

export const FLATTENING_NOTE =
  'Tensors with more than two dimensions (the vision patch embedding, a Conv3d) are analysed as the matrix (dim0, product of the other dims), as the paper flattens them; matrixShape and flattened say so per tensor.';

export interface SpectralInclusionRule {
  id: SpectralInclusionId;
  description: string;
  includes(tensor: TensorLocation, placement: LayerPlacement): boolean;
}

const isMatrix = (tensor: TensorLocation) => isFloatDtype(tensor.dtype) && tensor.shape.length >= 2 && tensor.shape.every((dim) => dim > 0);
const elements = (tensor: TensorLocation) => tensor.shape.reduce((product, dim) => product * dim, 1);

export const SPECTRAL_INCLUSION_RULES: Record<SpectralInclusionId, SpectralInclusionRule> = {
  paper: {
    id: 'paper',
    description:
      "The paper's SVD rule (reference §4.2, §4.4): the diff's paper rule (name contains 'weight', not 'norm', with a unified layer index), float tensors with at least two dimensions and at most 1e8 elements. Qwen2.5-VL-7B: 358 matrices (7 per LLM layer, 5 per vision block, the merger's two linear layers).",
    includes: (tensor, placement) => INCLUSION_RULES.paper.includes(tensor.name, placement) && isMatrix(tensor) && elements(tensor) <= PAPER_MAX_ELEMENTS,
  },
  'all-matrices': {
    id: 'all-matrices',
    description:
      'Every float tensor with at least two dimensions, whatever its name and size: adds the embeddings, lm_head and the patch embedding that the paper skips (the embedding and lm_head of a 7B model are 152064×3584, 2.2 GB each as float32 while analysed).',
    includes: (tensor) => isMatrix(tensor),
  },
};

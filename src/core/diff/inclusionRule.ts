/** Which tensors enter the per-layer aggregates. Written into every diff.json. */
import type { LayerPlacement } from '../checkpoint/tensorInfo';
import type { InclusionRule } from './diffResult';

export type InclusionRuleId = InclusionRule['id'];

export const INCLUSION_RULES: Record<InclusionRuleId, InclusionRule & { includes(name: string, placement: LayerPlacement): boolean }> = {
  paper: {
    id: 'paper',
    description:
      "The paper's rule (reference §4.2): the name contains 'weight', does not contain 'norm' (case-insensitive), and the tensor has a unified layer index (vision block, projector or LLM layer). So biases, norms, embeddings, lm_head and the patch embedding are excluded, and the merger's ln_q is included.",
    includes: (name, placement) => name.includes('weight') && !/norm/i.test(name) && placement.unifiedLayer !== null,
  },
  all: {
    id: 'all',
    description: 'Every tensor that has a unified layer index (vision block, projector or LLM layer), biases and norms included.',
    includes: (_name, placement) => placement.unifiedLayer !== null,
  },
};

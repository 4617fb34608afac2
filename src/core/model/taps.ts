/**
 * Analysis taps of the decoder. Every layer graph has all of them compiled in (decoderGraph.ts),
 * each with an input that is neutral when a step gives none (gates 1, key bias 0, no override,
 * no mass keys), so one session per layer serves plain runs and every probe, and a neutral tap
 * changes no bit of the logits. The flags of DecoderTaps say which outputs a step collects.
 *
 * - attentionMass: input `attention_mass_keys` [batch or 1, 1, total, 1] (1 at chosen key positions,
 *   else 0); each layer outputs `attention_mass` [batch, sequence]: for every query row of this step,
 *   the softmax probability summed over the chosen keys, averaged over heads. Callers average the
 *   rows they care about (e.g. reasoning tokens), so no full attention map ever leaves a layer.
 * - gates: input `layer_gates` [batch or 1, 2] per layer multiplying its attention and MLP residual
 *   contributions (1 = unchanged, 0 = zero-ablated), per row, so rows of one batch can ablate
 *   different layers. The runtime takes them as [rows · layers · 2] (TapInputs.gates).
 * - kvOverride: inputs `kv_override_mask` [sequence, 1, 1, 1] bool and `kv_override_keys`,
 *   `kv_override_values` [sequence, 1, kv_heads, head_dim] (post-rotary, position-major as the
 *   cache holds them): where the mask is true, the layer takes the given K/V at that new position
 *   instead of its own. Single-layer swap selects one layer, suffix swap every layer from L on. The
 *   override lands in the cache, so later steps need none. The runtime builds these inputs from
 *   absolute positions (TapInputs.kvOverride).
 * - keyBias: input `attention_key_bias` [batch or 1, 1, 1, total] per layer, added to every query
 *   row's scaled attention scores (0 = unchanged). log(m) at a key weighs it as m copies of itself
 *   in the softmax: the paper's swap code appends the source K/V once more at every decode step.
 * - hiddenStates: the residual stream [layers + 1, batch, sequence, hidden], HF's convention:
 *   0 = inputs_embeds, i = output of layer i − 1, the last = after the final norm. The runtime has
 *   each layer write its output straight into that stack.
 */
export interface DecoderTaps {
  attentionMass?: boolean;
  hiddenStates?: boolean;
}

export const TAP_NAMES = {
  massKeys: 'attention_mass_keys',
  mass: 'attention_mass',
  gates: 'layer_gates',
  overrideMask: 'kv_override_mask',
  overrideKeys: 'kv_override_keys',
  overrideValues: 'kv_override_values',
  keyBias: 'attention_key_bias',
} as const;

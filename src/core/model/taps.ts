/**
 * Analysis taps of the decoder graph. Each tap is compiled into its own graph variant (the graph
 * cache key includes the taps), so a graph without taps has no tap op at all and costs nothing.
 * Per-layer tap inputs are split once before the layers, so a tap adds about one small op per layer
 * (decode speed with taps on is in `npm run bench -- model`).
 *
 * - attentionMass: input `attention_mass_keys` [batch, 1, total, 1] (1 at chosen key positions, else 0);
 *   output `attention_mass` [layers, batch, sequence]: for every query row of this step, the
 *   softmax probability summed over the chosen keys, averaged over heads. Callers average the rows
 *   they care about (e.g. reasoning tokens), so no full attention map ever leaves the graph.
 * - gates: input `layer_gates` [batch, layers · 2] multiplying each layer's attention and MLP residual
 *   contributions (attention of layer l at 2l, MLP at 2l + 1; 1 = unchanged, 0 = zero-ablated),
 *   per row, so rows of one batch can ablate different layers.
 * - kvOverride: inputs `kv_override_mask` [layers, 1, sequence, 1] bool and `kv_override_keys`,
 *   `kv_override_values` [layers · batch, kv_heads, sequence, head_dim] (post-rotary, as `present.*`
 *   returns them): where the mask is true, that layer takes the given K/V at that new position
 *   instead of its own. Single-layer swap selects one layer, suffix swap every layer from L on. The
 *   override lands in `present.*`, so cached decoding keeps it and later steps need no override
 *   (generate.ts runs them on a graph without this tap). The runtime builds these inputs from
 *   absolute positions (TapInputs.kvOverride).
 * - keyBias: input `attention_key_bias` [layers, batch, 1, 1, total] added to every query row's scaled
 *   attention scores of that layer (0 = unchanged). log(m) at a key weighs it as m copies of itself
 *   in the softmax: the paper's swap code appends the source K/V once more at every decode step.
 * - hiddenStates: output `hidden_states` [layers + 1, batch, sequence, hidden], HF's convention:
 *   0 = inputs_embeds, i = output of layer i − 1, the last = after the final norm.
 */
export interface DecoderTaps {
  attentionMass?: boolean;
  gates?: boolean;
  kvOverride?: boolean;
  keyBias?: boolean;
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
  hiddenStates: 'hidden_states',
} as const;

/** Stable text for cache keys and file names: the taps that are on, in a fixed order. */
export function tapsKey(taps: DecoderTaps): string {
  const on = (['attentionMass', 'gates', 'kvOverride', 'keyBias', 'hiddenStates'] as const).filter((tap) => taps[tap]);
  return on.length === 0 ? 'plain' : on.join('+');
}

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeCheckpointFolder, type TensorToWrite } from '../../src/core/checkpoint/safetensorsWriter';

/**
 * Two decoder-only checkpoints of 2 layers × 4 BF16 [rows, 8192] matrices and a plan that
 * interpolates them (float64 work per element), so a merge takes long enough to be interrupted.
 * Returns the plan file. 32 MiB matrices (rows 2048) take several seconds; smaller ones less.
 */
export function slowMergeCheckpoints(root: string, rows = 2048): { planFile: string; paths: { in: string; rl: string } } {
  const paths = { in: join(root, 'in'), rl: join(root, 'rl') };
  for (const [dir, seed] of [[paths.in, 1], [paths.rl, 2]] as const) {
    const piece = new Uint8Array(rows * 8192 * 2 / 4);
    for (let i = 0; i < piece.length; i += 2) piece[i + 1] = 0x3f + ((i * seed) % 3); // bf16 values near 1
    const tensors: TensorToWrite[] = [0, 1].flatMap((layer) => ['gate_proj', 'up_proj', 'down_proj', 'o_proj'].map((name) => ({
      name: `model.layers.${layer}.${name === 'o_proj' ? 'self_attn' : 'mlp'}.${name}.weight`,
      dtype: 'BF16' as const,
      shape: [rows, 8192],
      *pieces() {
        for (let i = 0; i < 4; i++) yield piece;
      },
    })));
    writeCheckpointFolder(dir, tensors, { files: { 'config.json': JSON.stringify({ architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', num_hidden_layers: 2, torch_dtype: 'bfloat16' }) } });
  }
  const planFile = join(root, 'plan.json');
  writeFileSync(planFile, JSON.stringify({ name: 'halfway', models: paths, slices: [{ start: 0, end: 2, source: 'in', interpolate: { with: 'rl', alpha: 0.5, components: 'all' } }] }));
  return { planFile, paths };
}

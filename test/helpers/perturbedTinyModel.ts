/**
 * A second tiny checkpoint for IN-vs-RL probe tests: the tiny Qwen2.5-VL fixture copied with one
 * decoder tensor per layer shifted by seeded noise (same tokenizer, processor and config), so the
 * two models answer and attend differently.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './tempDir';

export function perturbedTinyModel(sourceDir: string, scale = 0.5, seed = 7): string {
  const dir = tempDir();
  cpSync(sourceDir, dir, { recursive: true });
  const path = join(dir, 'model.safetensors');
  const bytes = readFileSync(path);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { dtype: string; data_offsets: [number, number] }>;
  let state = seed;
  const next = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  for (const [name, tensor] of Object.entries(header)) {
    if (!/layers\.\d+\.self_attn\.(q|k)_proj\.weight$/.test(name) || tensor.dtype !== 'F32') continue;
    const [start, end] = tensor.data_offsets;
    for (let offset = 8 + headerLength + start; offset < 8 + headerLength + end; offset += 4) bytes.writeFloatLE(bytes.readFloatLE(offset) + scale * next(), offset);
  }
  writeFileSync(path, bytes);
  return dir;
}

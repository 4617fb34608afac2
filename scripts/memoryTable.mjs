// The README's "Running on real checkpoints" figures, from the memory planner itself
// (src/core/model/memoryPlan.ts, bundled here on the fly): Qwen2.5-VL-3B, 7B and 72B, CPU float32
// (and int8 weights, --precision int8), each command with its default answer cap and rows.
//   node scripts/memoryTable.mjs            print the tables (Markdown)
//   node scripts/memoryTable.mjs --readme   rewrite them in README.md between the memory-table markers
import * as esbuild from 'esbuild';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const out = mkdtempSync(join(tmpdir(), 'frankenlens-memory-table-'));
let plan;
try {
  const outfile = join(out, 'memoryPlan.cjs');
  await esbuild.build({ entryPoints: [join(root, 'src/core/model/memoryPlan.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile, logLevel: 'warning', external: ['onnxruntime-node'] });
  plan = createRequire(import.meta.url)(outfile);
} finally {
  rmSync(out, { recursive: true, force: true });
}
const { planMemory, decoderWeightBytes, visionWeightBytes, visionActivationBytes, kvCacheBytesPerToken, prefillActivationBytes, RUNTIME_OVERHEAD_BYTES, DEFAULT_PROMPT_TOKENS } = plan;

/** config.json of Qwen2.5-VL (the fields the planner reads). */
const qwenVl = (name, d, visionMlp) => ({
  name,
  config: {
    modelType: 'qwen2_5_vl',
    decoder: { hiddenSize: d.hidden, layers: d.layers, heads: d.heads, kvHeads: d.kv, headDim: d.hidden / d.heads, intermediateSize: d.mlp, vocabSize: d.vocab, rmsNormEps: 1e-6, ropeTheta: 1e6, mropeSection: [16, 24, 24], tieWordEmbeddings: d.tied },
    vision: { depth: 32, hiddenSize: 1280, heads: 16, intermediateSize: visionMlp, outHiddenSize: d.hidden, patchSize: 14, temporalPatchSize: 2, spatialMergeSize: 2, windowSize: 112, fullAttentionBlocks: [7, 15, 23, 31], inChannels: 3 },
    visionTokens: { imageTokenId: 151655, videoTokenId: 151656, visionStartTokenId: 151652 },
  },
});
const MODELS = [
  qwenVl('Qwen2.5-VL-3B', { hidden: 2048, layers: 36, heads: 16, kv: 2, mlp: 11008, vocab: 151936, tied: true }, 3420),
  qwenVl('Qwen2.5-VL-7B', { hidden: 3584, layers: 28, heads: 28, kv: 4, mlp: 18944, vocab: 152064, tied: false }, 3420),
  qwenVl('Qwen2.5-VL-72B', { hidden: 8192, layers: 80, heads: 64, kv: 8, mlp: 29568, vocab: 152064, tied: false }, 3456),
];
/** Each command as the CLI runs it by default: answer cap, rows decoded together (--batch 16 where it applies). */
const COMMANDS = [
  { command: 'generate', maxNewTokens: 2048, rows: () => 1, models: 1, held: 'one' },
  { command: 'probe attention', maxNewTokens: 1024, rows: () => 16, models: 2, held: 'IN and RL together' },
  { command: 'probe ablation', maxNewTokens: 2048, rows: (c) => Math.min(16, c.decoder.layers + 1), models: 2, held: 'one at a time' },
  { command: 'probe swap', maxNewTokens: 64, rows: () => 16, models: 2, held: 'one at a time' },
  { command: 'variants', maxNewTokens: 2048, rows: () => 16, models: 2, held: 'IN and RL (every variant)' },
];

const gib = (bytes) => (bytes / 2 ** 30).toFixed(1);
const P = DEFAULT_PROMPT_TOKENS;
const lines = [];
lines.push(`Per model (GiB, float32 but for the int8 column; a ${P.toLocaleString('en-US')}-token prompt whose image fills it, ${(4 * P).toLocaleString('en-US')} patches, and a 2,048-token answer):`, '');
lines.push('| Model | Decoder weights | Decoder weights, int8 | Vision encoder weights | Vision activations | K/V cache per row | Prefill activations | Residual stream (ablation, swap) |');
lines.push('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const { name, config } of MODELS) {
  const { decoder, vision } = config;
  const cells = [decoderWeightBytes(decoder), decoderWeightBytes(decoder, 'int8'), visionWeightBytes(vision), visionActivationBytes(vision, 4 * P), kvCacheBytesPerToken(decoder) * (P + 2048), prefillActivationBytes(decoder, P, 1), 4 * (decoder.layers + 1) * P * decoder.hiddenSize];
  lines.push(`| ${name} | ${cells.map(gib).join(' | ')} |`);
}
lines.push('', `Peak per command (CPU, float32 but for the last column, GiB, the runtime's ${gib(RUNTIME_OVERHEAD_BYTES)} GiB included; each command's default answer cap and rows) and the phase it is reached in:`, '');
lines.push(`| Command | Models held | Answer cap | Rows | ${MODELS.map(({ name }) => name.replace('Qwen2.5-VL-', '')).join(' | ')} | 7B, int8 |`);
lines.push(`|---|---|---:|---:|${MODELS.map(() => '---:').join('|')}|---:|`);
for (const { command, maxNewTokens, rows, models, held } of COMMANDS) {
  const cell = (config, precision) => {
    const result = planMemory({ command, models: Array(models).fill(config), rows: rows(config), maxNewTokens, precision, images: true, budgetBytes: Infinity });
    return `**${gib(result.total)}** (${result.peak.name === 'encoding images' ? 'image' : 'decode'})`;
  };
  const cells = [...MODELS.map(({ config }) => cell(config, 'float32')), cell(MODELS[1].config, 'int8')];
  lines.push(`| \`${command}\` | ${held} | ${maxNewTokens.toLocaleString('en-US')} | ${rows(MODELS[1].config)} | ${cells.join(' | ')} |`);
}
const table = lines.join('\n');

if (process.argv.includes('--readme')) {
  const readme = join(root, 'README.md');
  const text = readFileSync(readme, 'utf8');
  const start = '<!-- memory-table:start (node scripts/memoryTable.mjs --readme) -->';
  const end = '<!-- memory-table:end -->';
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README.md: no "${start}" … "${end}" markers`);
  writeFileSync(readme, `${text.slice(0, from + start.length)}\n${table}\n${text.slice(to)}`);
  console.log('README.md: memory tables updated');
} else {
  console.log(table);
}

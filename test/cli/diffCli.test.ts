import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TINY_SHAPE, writeSyntheticCheckpoint } from '../../src/core/synthetic/syntheticQwenVl';
import { tempDir } from '../helpers/tempDir';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');

function frankenlens(...args: string[]) {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** A checkpoint folder holding one hand-made model.safetensors. */
function craftedCheckpoint(dir: string, header: object, dataLength: number): string {
  mkdirSync(dir, { recursive: true });
  const text = Buffer.from(JSON.stringify(header));
  const bytes = Buffer.alloc(8 + text.length + dataLength);
  bytes.writeBigUInt64LE(BigInt(text.length));
  text.copy(bytes, 8);
  writeFileSync(join(dir, 'model.safetensors'), bytes);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'qwen2', num_hidden_layers: 1 }));
  return dir;
}

const GOOD_HEADER = {
  'model.layers.0.mlp.up_proj.weight': { dtype: 'F32', shape: [4, 4], data_offsets: [0, 64] },
  'model.layers.0.mlp.down_proj.weight': { dtype: 'F32', shape: [4, 4], data_offsets: [64, 128] },
};

/** Exit status 3, exactly one line on stderr naming what is wrong, no stack, nothing written. */
function assertCleanFailure(run: ReturnType<typeof frankenlens>, out: string, ...mustMention: (string | RegExp)[]) {
  assert.equal(run.status, 3, `exit status (stderr: ${run.stderr})`);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${run.stderr}`);
  assert.match(lines[0]!, /^frankenlens: error: /);
  assert.doesNotMatch(run.stderr, /\n\s+at |Error:/, 'no stack trace');
  for (const text of mustMention) assert.match(lines[0]!, typeof text === 'string' ? new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : text);
  assert.ok(!existsSync(out), 'no output folder is left behind');
}

describe('frankenlens diff (CLI)', () => {
  const root = tempDir();
  const inDir = join(root, 'in');
  const rlDir = join(root, 'rl');
  writeSyntheticCheckpoint(inDir, { shape: TINY_SHAPE, seed: 3, dtype: 'BF16' });
  writeSyntheticCheckpoint(rlDir, { shape: TINY_SHAPE, seed: 3, dtype: 'BF16', naming: 'transformers-4.52', maxShardBytes: 100_000, update: { llmLayers: [3], scale: 0.1 } });

  it('writes diff.json and the report, and names the most changed layer', () => {
    const out = join(root, 'out');
    const run = frankenlens('diff', '--in', inDir, '--rl', rlDir, '--out', out, '--quiet');
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /unified\s+4\s+\(llm, HF layer 3\)/);
    const files = readdirSync(out);
    for (const expected of ['diff.json', 'report.html', 'relative-update.svg', 'relative-update.png', 'relative-update.vl.json', 'component-heatmap.svg']) assert.ok(files.includes(expected), `${expected} in ${files}`);
    assert.ok(!files.some((file) => file.endsWith('.partial')));
    const result = JSON.parse(readFileSync(join(out, 'diff.json'), 'utf8'));
    assert.equal(result.schema, 'frankenlens.diff/1');
    assert.equal(result.inputs.rl.namingScheme, 'qwen2_5_vl-transformers-4.52');
    assert.match(result.inputs.in.configSha256, /^[0-9a-f]{64}$/);
    assert.equal(result.config.inclusionRule.id, 'paper');
    assert.deepEqual(result.partition.regionCuts, [1, 2]);
    const record = result.tensors[0];
    for (const field of ['name', 'canonicalName', 'unifiedLayer', 'hfLayer', 'section', 'component', 'shape', 'dtype', 'inFro', 'rlDeltaFro', 'rlDeltaRel', 'inDeltaFro', 'inDeltaRel', 'cosine', 'unchangedFraction', 'maxAbsDelta']) {
      assert.ok(field in record, `tensor records have ${field}`);
    }
    assert.ok(Array.isArray(result.layers) && result.layers.length > 0);
  });

  it('reports usage errors with status 2', () => {
    const run = frankenlens('diff', '--in', inDir);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /needs --in DIR and --rl DIR/);
    assert.equal(frankenlens('diff', '--bogus').status, 2);
  });

  it('fails cleanly on a truncated shard, naming the shard and the tensor cut off', () => {
    const broken = join(root, 'rl-truncated');
    writeSyntheticCheckpoint(broken, { shape: TINY_SHAPE, seed: 3, dtype: 'BF16', maxShardBytes: 100_000 });
    const shard = readdirSync(broken).filter((name) => name.endsWith('.safetensors')).sort()[1]!;
    const path = join(broken, shard);
    truncateSync(path, readFileSync(path).length - 100);
    const out = join(root, 'never-1');
    assertCleanFailure(frankenlens('diff', '--in', inDir, '--rl', broken, '--out', out), out, shard, /truncated/, /tensor "/);
  });

  it('fails cleanly on a header length larger than the file, and on an absurd one without allocating it', () => {
    for (const [length, pattern] of [[5_000_000n, /past the end of the file/], [2n ** 60n, /exceeds the 100000000-byte limit/]] as const) {
      const broken = craftedCheckpoint(join(root, `header-${length}`), GOOD_HEADER, 128);
      const fd = openSync(join(broken, 'model.safetensors'), 'r+');
      const prefix = Buffer.alloc(8);
      prefix.writeBigUInt64LE(length);
      writeSync(fd, prefix, 0, 8, 0);
      closeSync(fd);
      const good = craftedCheckpoint(join(root, `good-${length}`), GOOD_HEADER, 128);
      const out = join(root, `never-h${length}`);
      assertCleanFailure(frankenlens('diff', '--in', good, '--rl', broken, '--out', out), out, 'model.safetensors', pattern);
    }
  });

  it('fails cleanly on overlapping offsets, naming the tensor', () => {
    const good = craftedCheckpoint(join(root, 'good-overlap'), GOOD_HEADER, 128);
    const broken = craftedCheckpoint(join(root, 'overlap'), {
      'model.layers.0.mlp.up_proj.weight': { dtype: 'F32', shape: [4, 4], data_offsets: [0, 64] },
      'model.layers.0.mlp.down_proj.weight': { dtype: 'F32', shape: [4, 4], data_offsets: [32, 96] },
    }, 96);
    const out = join(root, 'never-2');
    assertCleanFailure(frankenlens('diff', '--in', good, '--rl', broken, '--out', out), out, 'model.layers.0.mlp.down_proj.weight', /overlaps/);
  });

  it('fails cleanly on a shape/byte-size mismatch', () => {
    const good = craftedCheckpoint(join(root, 'good-size'), GOOD_HEADER, 128);
    const broken = craftedCheckpoint(join(root, 'size'), {
      'model.layers.0.mlp.up_proj.weight': { dtype: 'F32', shape: [4, 5], data_offsets: [0, 64] },
      'model.layers.0.mlp.down_proj.weight': { dtype: 'F32', shape: [4, 4], data_offsets: [64, 128] },
    }, 128);
    const out = join(root, 'never-3');
    assertCleanFailure(frankenlens('diff', '--in', good, '--rl', broken, '--out', out), out, 'model.layers.0.mlp.up_proj.weight', /needs 80 bytes/);
  });

  it('fails cleanly on a missing shard', () => {
    const broken = join(root, 'rl-missing');
    writeSyntheticCheckpoint(broken, { shape: TINY_SHAPE, seed: 3, dtype: 'BF16', maxShardBytes: 100_000 });
    const shard = readdirSync(broken).filter((name) => name.endsWith('.safetensors')).sort()[0]!;
    rmSync(join(broken, shard));
    const out = join(root, 'never-4');
    assertCleanFailure(frankenlens('diff', '--in', inDir, '--rl', broken, '--out', out), out, shard, /missing/, /tensor|holds "/);
  });

  it('fails cleanly on a pair whose shapes disagree', () => {
    const wide = join(root, 'rl-wide');
    writeSyntheticCheckpoint(wide, { shape: { ...TINY_SHAPE, intermediateSize: 96 }, seed: 3, dtype: 'BF16' });
    const out = join(root, 'never-5');
    assertCleanFailure(frankenlens('diff', '--in', inDir, '--rl', wide, '--out', out), out, 'model.layers.0.mlp', /has shape \[96,64\]|has shape \[64,96\]/);
  });

  it('inspect describes a checkpoint from its headers', () => {
    const run = frankenlens('inspect', rlDir, '--json');
    assert.equal(run.status, 0, run.stderr);
    const summary = JSON.parse(run.stdout);
    assert.equal(summary.architecture, 'Qwen2_5_VLForConditionalGeneration');
    assert.equal(summary.llmLayers, TINY_SHAPE.llmLayers);
    assert.ok(summary.files.length > 1);
  });
});

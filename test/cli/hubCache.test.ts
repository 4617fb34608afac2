/**
 * Every command on checkpoints straight from a Hugging Face hub cache: IN and RL are two revisions
 * of one repo, laid out as huggingface_hub leaves them (models--org--name/snapshots/<rev>/<file>, each
 * file a relative symlink to ../../blobs/<etag>; blobs shared between revisions stored once), once
 * with the tiny fixture's single model.safetensors and once re-sharded with an index. inspect, diff,
 * spectral, merge, generate and probe ablation read through the links and give the same numbers and
 * answers as on plain folders; the cache is left untouched; an index naming a path outside the
 * snapshot (../../blobs/<sha>, or an absolute path) is still refused.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { before, describe, it } from 'node:test';
import { openCheckpoint } from '../../src/core/checkpoint/checkpoint';
import { FileReader } from '../../src/core/checkpoint/fileReader';
import { writeCheckpointFolder } from '../../src/core/checkpoint/safetensorsWriter';
import { assertAllClose } from '../helpers/allClose';
import { perturbedTinyModel } from '../helpers/perturbedTinyModel';
import { tempDir } from '../helpers/tempDir';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const TINY = join(ROOT, 'test', 'fixtures', 'qwen2_5_vl_tiny');
const IMAGE = join(ROOT, 'test', 'fixtures', 'qwen_vl_processor', 'keyed_50x40.png');
const INDEX_FILE = 'model.safetensors.index.json';

function frankenlens(...args: string[]) {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function ok(run: ReturnType<typeof frankenlens>, what: string): string {
  assert.equal(run.status, 0, `${what}: exit status ${run.status}\n${run.stderr}`);
  return run.stdout;
}

/**
 * `actual` has `expected`'s entries (keys in any order) and every number within 1e-12 relative of
 * it: a sharded checkpoint lists its tensors in another order, so a layer's sums may differ in the
 * last bit and its components come in another order.
 */
function assertSameNumbers(actual: unknown, expected: unknown, label: string): void {
  const split = (value: unknown) => {
    const numbers: number[] = [];
    const shape = JSON.stringify(value, (_key, item: unknown) => {
      if (typeof item === 'number') return numbers.push(item), 0;
      if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
      return Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    });
    return { shape, numbers };
  };
  const [got, want] = [split(actual), split(expected)];
  assert.equal(got.shape, want.shape, `${label}: the same entries`);
  assertAllClose(got.numbers, want.numbers, { rtol: 1e-12, atol: 1e-12 }, label);
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** huggingface_hub names a blob by its etag: the sha256 of an LFS file (weights), git's blob sha1 for the rest. */
function etag(name: string, bytes: Buffer): string {
  if (name.endsWith('.safetensors')) return sha256(bytes);
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/**
 * Adds the regular files of `source` (dot files left out) to `cache` as revision `rev` of model repo
 * `repo`: blobs/<etag> once per content, snapshots/<rev>/<name> → ../../blobs/<etag>, refs/main.
 */
function addSnapshot(cache: string, repo: string, rev: string, source: string): string {
  const repoDir = join(cache, `models--${repo.replace('/', '--')}`);
  const snapshot = join(repoDir, 'snapshots', rev);
  mkdirSync(join(repoDir, 'blobs'), { recursive: true });
  mkdirSync(join(repoDir, 'refs'), { recursive: true });
  mkdirSync(snapshot, { recursive: true });
  for (const name of readdirSync(source).sort()) {
    if (name.startsWith('.') || !statSync(join(source, name)).isFile()) continue;
    const bytes = readFileSync(join(source, name));
    const blob = etag(name, bytes);
    if (!existsSync(join(repoDir, 'blobs', blob))) writeFileSync(join(repoDir, 'blobs', blob), bytes);
    symlinkSync(join('..', '..', 'blobs', blob), join(snapshot, name));
  }
  writeFileSync(join(repoDir, 'refs', 'main'), rev);
  return snapshot;
}

/** A commit hash for a revision (40 hex digits, as the hub's are). */
const revision = (label: string) => createHash('sha1').update(label).digest('hex');

/** `source`'s tensors byte for byte in shards of at most `maxShardBytes`, with its other files. */
function reshard(source: string, dir: string, maxShardBytes: number): string {
  const files: Record<string, Uint8Array> = {};
  for (const name of readdirSync(source)) if (!name.endsWith('.safetensors') && !name.startsWith('.')) files[name] = readFileSync(join(source, name));
  const reader = new FileReader();
  try {
    writeCheckpointFolder(dir, openCheckpoint(source).tensors.map((tensor) => ({
      name: tensor.name,
      dtype: tensor.dtype,
      shape: tensor.shape,
      produce(write: (bytes: Uint8Array) => void) {
        const bytes = new Uint8Array(tensor.byteLength);
        reader.read(tensor.file, tensor.byteOffset, bytes);
        write(bytes);
      },
    })), { maxShardBytes, files });
  } finally {
    reader.close();
  }
  return dir;
}

/** Every entry under `dir` with what it is: a link's target, a file's sha256. */
function tree(dir: string): Record<string, string> {
  const entries: Record<string, string> = {};
  const walk = (folder: string) => {
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      const stats = lstatSync(path);
      const key = relative(dir, path);
      if (stats.isSymbolicLink()) entries[key] = `-> ${readlinkSync(path)}`;
      else if (stats.isDirectory()) walk(path);
      else entries[key] = sha256(readFileSync(path));
    }
  };
  walk(dir);
  return entries;
}

describe('Hugging Face hub cache snapshots, every command', () => {
  const root = tempDir();
  const cache = join(root, 'hub');
  const graphs = join(root, 'graphs');
  const perturbed = perturbedTinyModel(TINY);
  const layouts = {
    'single-file': {
      in: addSnapshot(cache, 'frankenlens-test/tiny-vl', revision('in'), TINY),
      rl: addSnapshot(cache, 'frankenlens-test/tiny-vl', revision('rl'), perturbed),
    },
    sharded: {
      in: addSnapshot(cache, 'frankenlens-test/tiny-vl-sharded', revision('in'), reshard(TINY, join(root, 'sharded-in'), 300_000)),
      rl: addSnapshot(cache, 'frankenlens-test/tiny-vl-sharded', revision('rl'), reshard(perturbed, join(root, 'sharded-rl'), 300_000)),
    },
  };
  const items = join(root, 'items', 'items.jsonl');
  mkdirSync(join(root, 'items', 'images'), { recursive: true });
  copyFileSync(IMAGE, join(root, 'items', 'images', 'keyed.png'));
  writeFileSync(items, `${JSON.stringify({ id: 'vqa-1', images: ['images/keyed.png'], question: 'How many colours does the image show?', answer: '2', answerType: 'number' })}\n`);
  const cacheBefore = tree(cache);

  const spectral = (inDir: string, rlDir: string, out: string) => frankenlens('spectral', '--in', inDir, '--rl', rlDir, '--out', out, '--mode', 'exact', '--quiet', '--no-report', '--threads', '1');
  const ablation = (inDir: string, rlDir: string, out: string) => frankenlens('probe', 'ablation', '--in', inDir, '--rl', rlDir, '--items', items, '--layers', '0', '--max-new-tokens', '2', '--batch', '2', '--threads', '1', '--cache-dir', graphs, '--out', out, '--quiet');

  // What the same commands give on the plain folders.
  let plainLayers: unknown;
  let plainSpectra: unknown;
  let plainTokens: number[];
  let plainAblation: string;
  before(() => {
    const out = join(root, 'plain-diff');
    ok(frankenlens('diff', '--in', TINY, '--rl', perturbed, '--out', out, '--quiet', '--no-report'), 'plain diff');
    plainLayers = JSON.parse(readFileSync(join(out, 'diff.json'), 'utf8')).layers;
    ok(spectral(TINY, perturbed, join(root, 'plain-spectral')), 'plain spectral');
    plainSpectra = JSON.parse(readFileSync(join(root, 'plain-spectral', 'spectral.json'), 'utf8')).layers;
    const generated = JSON.parse(ok(frankenlens('generate', '--model', TINY, '--prompt', 'Hi', '--max-new-tokens', '2', '--threads', '1', '--cache-dir', graphs, '--json'), 'plain generate'));
    plainTokens = generated.tokens;
    ok(ablation(TINY, perturbed, join(root, 'plain-ablation')), 'plain probe ablation');
    plainAblation = readFileSync(join(root, 'plain-ablation', 'ablation.jsonl'), 'utf8');
  });

  it('is laid out as huggingface_hub leaves it: every snapshot file a relative link into blobs/, shared blobs stored once', () => {
    const sharded = readdirSync(layouts.sharded.in).filter((name) => name.endsWith('.safetensors'));
    assert.ok(sharded.length >= 3 && readdirSync(layouts.sharded.in).includes(INDEX_FILE), `shards: ${sharded.join(', ')}`);
    for (const snapshot of [layouts['single-file'].in, layouts['single-file'].rl, layouts.sharded.in, layouts.sharded.rl]) {
      for (const name of readdirSync(snapshot)) assert.match(readlinkSync(join(snapshot, name)), /^\.\.\/\.\.\/blobs\/[0-9a-f]{40}([0-9a-f]{24})?$/, name);
    }
    const blobs = readdirSync(join(cache, 'models--frankenlens-test--tiny-vl', 'blobs'));
    assert.equal(blobs.length, readdirSync(TINY).length + 1, 'IN and RL share every blob but the weights');
  });

  for (const [layout, { in: inDir, rl: rlDir }] of Object.entries(layouts)) {
    describe(`${layout} snapshots`, () => {
      it('inspect reads every tensor through the links', () => {
        const info = JSON.parse(ok(frankenlens('inspect', inDir, '--json'), 'inspect'));
        assert.equal(info.tensorCount, 105);
        assert.equal(info.totalBytes, 1_166_976);
        assert.equal(info.llmLayers, 4);
        assert.equal(info.files.length, layout === 'sharded' ? readdirSync(inDir).filter((name) => name.endsWith('.safetensors')).length : 1);
      });

      it('diff gives the same per-layer numbers as on the plain folders', () => {
        const out = join(root, `${layout}-diff`);
        ok(frankenlens('diff', '--in', inDir, '--rl', rlDir, '--out', out, '--quiet', '--no-report'), 'diff');
        const result = JSON.parse(readFileSync(join(out, 'diff.json'), 'utf8'));
        assertSameNumbers(result.layers, plainLayers, 'diff.json layers');
        assert.ok(result.layers.some((layer: { hfLayer: number | null; rlDeltaRelMean: number }) => layer.hfLayer !== null && layer.rlDeltaRelMean > 0), 'RL changed the decoder');
      });

      it('spectral gives the same singular values as on the plain folders', () => {
        const out = join(root, `${layout}-spectral`);
        ok(spectral(inDir, rlDir, out), 'spectral');
        const result = JSON.parse(readFileSync(join(out, 'spectral.json'), 'utf8'));
        assert.equal(result.schema, 'frankenlens.spectral/1');
        assertSameNumbers(result.layers, plainSpectra, 'spectral.json layers');
      });

      it('merge --thirds writes six plain checkpoint folders that open', () => {
        const out = join(root, `${layout}-thirds`);
        ok(frankenlens('merge', '--in', inDir, '--rl', rlDir, '--thirds', '--out', out, '--quiet'), 'merge');
        const folders = readdirSync(out).filter((name) => !name.startsWith('.'));
        assert.equal(folders.length, 6, folders.join(', '));
        for (const folder of folders) {
          const weights = join(out, folder, 'model.safetensors');
          assert.ok(lstatSync(weights).isFile(), `${folder}/model.safetensors is a file of its own, not a link into the cache`);
          assert.equal(JSON.parse(ok(frankenlens('inspect', join(out, folder), '--json'), `inspect ${folder}`)).tensorCount, 105);
        }
      });

      it('generate answers as from the plain folder', () => {
        const result = JSON.parse(ok(frankenlens('generate', '--model', inDir, '--prompt', 'Hi', '--max-new-tokens', '2', '--threads', '1', '--cache-dir', graphs, '--json'), 'generate'));
        assert.deepEqual(result.tokens, plainTokens);
      });

      it('probe ablation runs IN and RL on an item with an image', () => {
        const out = join(root, `${layout}-ablation`);
        ok(ablation(inDir, rlDir, out), 'probe ablation');
        const results = readFileSync(join(out, 'ablation.jsonl'), 'utf8');
        assert.deepEqual(results.trim().split('\n').map((line) => JSON.parse(line).key), ['in:vqa-1', 'rl:vqa-1']);
        assert.equal(results, plainAblation, 'the same answers as from the plain folders');
        assert.ok(readdirSync(out).includes('ablation.summary.json'), readdirSync(out).join(', '));
      });
    });
  }

  describe('an index that names a file outside the snapshot', () => {
    // A repo of its own (so the check below sees the main cache exactly as it was): the sharded IN
    // snapshot, but its index sends one tensor to the blob its shard links to, by a path.
    const escapeCache = join(root, 'hub-escape');
    const source = join(root, 'sharded-in');
    const index = JSON.parse(readFileSync(join(source, INDEX_FILE), 'utf8')) as { weight_map: Record<string, string> };
    const [tensor, shard] = Object.entries(index.weight_map)[0]!;
    const blob = etag(shard, readFileSync(join(source, shard)));
    const cases = {
      'a relative path into blobs/': `../../blobs/${blob}`,
      'an absolute path': join(escapeCache, 'models--frankenlens-test--escape', 'blobs', blob),
    };
    for (const [what, target] of Object.entries(cases)) {
      it(`refuses ${what} (inspect and diff exit 3 with one line, nothing written)`, () => {
        const edited = join(root, `escape-source-${revision(what)}`);
        mkdirSync(edited);
        for (const name of readdirSync(source)) if (!name.startsWith('.')) copyFileSync(join(source, name), join(edited, name));
        writeFileSync(join(edited, INDEX_FILE), JSON.stringify({ ...index, weight_map: { ...index.weight_map, [tensor]: target } }, null, 2));
        const snapshot = addSnapshot(escapeCache, 'frankenlens-test/escape', revision(what), edited);
        assert.ok(existsSync(join(escapeCache, 'models--frankenlens-test--escape', 'blobs', blob)), 'the file the index names exists');
        const out = join(root, `escape-diff-${revision(what)}`);
        for (const run of [frankenlens('inspect', snapshot), frankenlens('diff', '--in', snapshot, '--rl', layouts.sharded.rl, '--out', out, '--quiet')]) {
          assert.equal(run.status, 3, run.stderr);
          assert.match(run.stderr.trim(), /^frankenlens: error: \S*model\.safetensors\.index\.json: shard name .* points outside the checkpoint folder$/);
        }
        assert.ok(!existsSync(out), 'no output folder');
      });
    }
  });

  it('leaves the cache as it was (every blob still matches its name, nothing added, moved or written)', () => {
    const now = tree(cache);
    assert.deepEqual(now, cacheBefore);
    for (const [path, hash] of Object.entries(now)) {
      const sha = /blobs\/([0-9a-f]{64})$/.exec(path)?.[1];
      if (sha) assert.equal(hash, sha, `${path} holds the bytes it is named by`);
    }
  });
});

/**
 * FIFOs, character devices and folders where a reader expects a regular file: every reader in
 * src/core fails at once with a FrankenlensError naming the file and saying what it is, instead of
 * blocking on the FIFO or reading /dev/zero forever; over-large files fail at their size limit.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readBenchmarkItems } from '../../../src/core/bench/benchmarkItems';
import { importLmmsEvalLog } from '../../../src/core/bench/lmmsEvalLog';
import { readModelResponses } from '../../../src/core/bench/modelResponses';
import { importVlmEvalKitTsv } from '../../../src/core/bench/vlmEvalKitTsv';
import { openCheckpoint, openCheckpointAsync } from '../../../src/core/checkpoint/checkpoint';
import { FrankenlensError } from '../../../src/core/errors';
import { readMergekitFile, readPlanFile } from '../../../src/core/merge/planFile';
import { readVisionPairs } from '../../../src/core/probes/visionPairs';
import { CONFIG_FILE_BYTES, readJsonFileAsync, readRegularFile, readRegularFileAsync } from '../../../src/core/regularFile';
import { TINY_SHAPE, writeSyntheticCheckpoint } from '../../../src/core/synthetic/syntheticQwenVl';
import { loadChatTemplate } from '../../../src/core/text/chatTemplate';
import { loadGenerationSettings } from '../../../src/core/text/generationConfig';
import { loadTokenizer } from '../../../src/core/text/tokenizer';
import { isCheckpointFolder, isCheckpointFolderAsync } from '../../../src/core/workspace/checkpointPaths';
import { tempDir } from '../../helpers/tempDir';

const TOKENIZER_FIXTURE = join('test', 'fixtures', 'qwen2_5_vl_tiny');

/** Replaces `path` by a FIFO, a link to /dev/zero or a folder. */
const SPECIALS = {
  fifo: (path: string) => execFileSync('mkfifo', [path]),
  device: (path: string) => symlinkSync('/dev/zero', path),
  folder: (path: string) => mkdirSync(path),
} as const;
const KIND_WORDS = { fifo: /it is a FIFO/, device: /it is a character device/, folder: /it is a folder/ } as const;

function replaceWith(kind: keyof typeof SPECIALS, path: string): void {
  rmSync(path, { recursive: true, force: true });
  SPECIALS[kind](path);
}

/** The call fails fast with a FrankenlensError that names `file` first and says what it is. */
function assertRefused(call: () => unknown, file: string, kind: keyof typeof SPECIALS): void {
  const started = Date.now();
  assert.throws(call, (error: unknown) => {
    assert.ok(error instanceof FrankenlensError, `a FrankenlensError, got ${String(error)}`);
    assert.ok(error.message.startsWith(`${file}:`), `names ${file} first: ${error.message}`);
    assert.match(error.message, KIND_WORDS[kind]);
    assert.equal(error.code, 'NotARegularFile');
    return true;
  });
  assert.ok(Date.now() - started < 5000, 'fails within seconds');
}

describe('special files where a regular file belongs', () => {
  const root = tempDir();
  const kinds = Object.keys(SPECIALS) as (keyof typeof SPECIALS)[];

  for (const kind of kinds) {
    it(`checkpoint files: ${kind}`, async () => {
      const dir = join(root, `ckpt-${kind}`);
      writeSyntheticCheckpoint(dir, { shape: TINY_SHAPE, seed: 1, dtype: 'BF16' });
      const config = join(dir, 'config.json');
      replaceWith(kind, config);
      assertRefused(() => openCheckpoint(dir), config, kind);
      await assert.rejects(openCheckpointAsync(dir), (error: FrankenlensError) => error.code === 'NotARegularFile' && error.message.startsWith(`${config}:`));

      const shardDir = join(root, `shard-${kind}`);
      writeSyntheticCheckpoint(shardDir, { shape: TINY_SHAPE, seed: 1, dtype: 'BF16' });
      const shard = join(shardDir, readdirSync(shardDir).find((name) => name.endsWith('.safetensors'))!);
      replaceWith(kind, shard);
      assertRefused(() => openCheckpoint(shardDir), shard, kind);
      await assert.rejects(openCheckpointAsync(shardDir), (error: FrankenlensError) => error instanceof FrankenlensError && error.message.startsWith(`${shard}:`));
    });

    it(`a sharded checkpoint's index and shards: ${kind}`, () => {
      const dir = join(root, `sharded-${kind}`);
      writeSyntheticCheckpoint(dir, { shape: TINY_SHAPE, seed: 1, dtype: 'BF16', maxShardBytes: 100_000 });
      const shard = join(dir, readdirSync(dir).find((name) => /-00001-of-/.test(name))!);
      replaceWith(kind, shard);
      assert.throws(() => openCheckpoint(dir), (error: FrankenlensError) => error.code === 'UnsafeShardPath' && error.message.startsWith(`${shard}:`) && KIND_WORDS[kind].test(error.message));
      const index = join(dir, 'model.safetensors.index.json');
      replaceWith(kind, index);
      assertRefused(() => openCheckpoint(dir), index, kind);
    });

    it(`tokenizer, chat template and generation files: ${kind}`, () => {
      for (const name of ['tokenizer.json', 'tokenizer_config.json', 'chat_template.jinja', 'generation_config.json']) {
        const dir = join(root, `text-${kind}-${name}`);
        mkdirSync(dir);
        for (const file of ['tokenizer.json', 'tokenizer_config.json', 'config.json']) copyFileSync(join(TOKENIZER_FIXTURE, file), join(dir, file));
        replaceWith(kind, join(dir, name));
        const load = name === 'generation_config.json' ? () => loadGenerationSettings(dir) : name === 'chat_template.jinja' ? () => loadChatTemplate(dir, loadTokenizer(dir)) : () => loadTokenizer(dir);
        assertRefused(load, join(dir, name), kind);
      }
    });

    it(`benchmark items, responses, logs, TSVs and vision pairs: ${kind}`, () => {
      const file = join(root, `items-${kind}.jsonl`);
      SPECIALS[kind](file);
      assertRefused(() => readBenchmarkItems(file), file, kind);
      assertRefused(() => readModelResponses(file), file, kind);
      assertRefused(() => importLmmsEvalLog(file), file, kind);
      assertRefused(() => importVlmEvalKitTsv(file, join(root, `images-${kind}`)), file, kind);
      const pairs = join(root, `pairs-${kind}`);
      mkdirSync(join(pairs, 'ocr'), { recursive: true });
      SPECIALS[kind](join(pairs, 'ocr', 'data.jsonl'));
      assertRefused(() => readVisionPairs(pairs, { tasks: ['ocr'] }), join(pairs, 'ocr', 'data.jsonl'), kind);
    });

    it(`merge plans and mergekit configs: ${kind}`, () => {
      for (const name of [`plan-${kind}.json`, `plan-${kind}.yaml`]) {
        const file = join(root, name);
        SPECIALS[kind](file);
        assertRefused(() => readPlanFile(file), file, kind);
      }
      const mergekit = join(root, `mergekit-${kind}.yml`);
      SPECIALS[kind](mergekit);
      assertRefused(() => readMergekitFile(mergekit), mergekit, kind);
    });
  }

  it('refuses a checkpoint path that is itself a FIFO', () => {
    const fifo = join(root, 'fifo-checkpoint');
    SPECIALS.fifo(fifo);
    assert.throws(() => openCheckpoint(fifo), (error: FrankenlensError) => error.code === 'NotARegularFile' && error.message.startsWith(`${fifo}: `) && /it is a FIFO/.test(error.message));
    assert.equal(isCheckpointFolder(fifo), false);
  });
});

describe('bounded reads', () => {
  const root = tempDir();

  it('stops at the limit, by size and whatever fstat says', async () => {
    const big = join(root, 'config.json');
    writeFileSync(big, Buffer.alloc(CONFIG_FILE_BYTES + 1, 0x20));
    for (const read of [() => readRegularFile(big, { code: 'InvalidConfig', maxBytes: CONFIG_FILE_BYTES }), () => readRegularFileAsync(big, { code: 'InvalidConfig', maxBytes: CONFIG_FILE_BYTES })]) {
      await assert.rejects(async () => read(), (error: FrankenlensError) => error.code === 'FileTooLarge' && error.message.startsWith(`${big}: too large`) && /16 MiB/.test(error.message));
    }
    // /proc files report size 0 but have content: read to the end, still within the limit.
    if (process.platform === 'linux') {
      assert.ok(readRegularFile('/proc/self/status', { code: 'InvalidConfig', maxBytes: 1 << 20 }).length > 0);
      assert.throws(() => readRegularFile('/proc/self/status', { code: 'InvalidConfig', maxBytes: 16 }), { code: 'FileTooLarge' });
    }
  });

  it('follows symlinks to regular files (a hub cache) and reads them whole', async () => {
    const target = join(root, 'blob');
    writeFileSync(target, '{"a": [1, 2]}');
    const link = join(root, 'linked.json');
    symlinkSync(target, link);
    assert.deepEqual(await readJsonFileAsync(link, { code: 'InvalidConfig', maxBytes: 100 }), { a: [1, 2] });
    assert.equal(readRegularFile(link, { code: 'InvalidConfig', maxBytes: 13 }).toString(), '{"a": [1, 2]}');
  });

  it('names missing and unreadable files', () => {
    const missing = join(root, 'absent.json');
    assert.throws(() => readRegularFile(missing, { code: 'InvalidConfig', maxBytes: 10 }), (error: FrankenlensError) => error.code === 'InvalidConfig' && error.message === `${missing}: cannot read (ENOENT): the file is missing`);
  });

  it('finds checkpoint folders the same way with and without blocking', async () => {
    const dir = join(root, 'ckpt');
    writeSyntheticCheckpoint(dir, { shape: TINY_SHAPE, seed: 1, dtype: 'BF16' });
    assert.equal(isCheckpointFolder(dir), true);
    assert.equal(await isCheckpointFolderAsync(dir), true);
    assert.equal(await isCheckpointFolderAsync(join(dir, 'config.json')), false);
    assert.deepEqual((await openCheckpointAsync(dir)).info, openCheckpoint(dir).info);
  });
});

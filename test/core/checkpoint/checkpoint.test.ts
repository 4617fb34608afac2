import assert from 'node:assert/strict';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openCheckpoint, INDEX_FILE } from '../../../src/core/checkpoint/checkpoint';
import { FileReader } from '../../../src/core/checkpoint/fileReader';
import { openSafetensorsFile } from '../../../src/core/checkpoint/safetensorsFile';
import { writeCheckpointFolder, writeSafetensorsFile, type TensorToWrite } from '../../../src/core/checkpoint/safetensorsWriter';
import type { Dtype } from '../../../src/core/checkpoint/dtypes';
import { FrankenlensError } from '../../../src/core/errors';
import { tempDir } from '../../helpers/tempDir';

const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures');

function bytesTensor(name: string, dtype: Dtype, shape: number[], fill: (i: number) => number): TensorToWrite & { bytes: Uint8Array } {
  const size = { U8: 1, BF16: 2, F16: 2, F32: 4, I64: 8 }[dtype as 'U8'] ?? 1;
  const bytes = new Uint8Array(shape.reduce((a, b) => a * b, 1) * size);
  for (let i = 0; i < bytes.length; i++) bytes[i] = fill(i) & 0xff;
  return { name, dtype, shape, bytes, produce: (write) => write(bytes) };
}

describe('safetensors writer and reader', () => {
  it('round-trips random valid tensor sets with 8-byte aligned data', () => {
    const dir = tempDir();
    let state = 99;
    const random = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const dtypes: Dtype[] = ['U8', 'BF16', 'F16', 'F32', 'I64'];
    for (let trial = 0; trial < 25; trial++) {
      const tensors = Array.from({ length: 1 + Math.floor(random() * 6) }, (_, i) => {
        const shape = Array.from({ length: Math.floor(random() * 3) }, () => Math.floor(random() * 5));
        return bytesTensor(`t${trial}.${i}`, dtypes[Math.floor(random() * dtypes.length)]!, shape, () => Math.floor(random() * 256));
      });
      const path = join(dir, `rt${trial}.safetensors`);
      writeSafetensorsFile(path, tensors, { trial: String(trial) });
      const reader = new FileReader();
      const file = openSafetensorsFile(reader, path);
      assert.equal(file.metadata.trial, String(trial));
      assert.equal((8 + Number(readFileSync(path).readBigUInt64LE(0))) % 8, 0, 'data area is 8-byte aligned');
      for (const tensor of tensors) {
        const location = file.tensors.find((entry) => entry.name === tensor.name)!;
        assert.deepEqual(location.shape, tensor.shape);
        assert.equal(location.dtype, tensor.dtype);
        const read = new Uint8Array(location.byteLength);
        reader.read(path, location.byteOffset, read);
        assert.deepEqual(read, tensor.bytes);
      }
      reader.close();
    }
  });

  it('reads a checkpoint written by Hugging Face transformers (tiny Qwen2.5-VL)', () => {
    const checkpoint = openCheckpoint(join(FIXTURES, 'qwen2_5_vl_tiny'));
    assert.equal(checkpoint.tensors.length, 105);
    assert.equal(checkpoint.info.parameterCount, 291_744);
    assert.equal(checkpoint.info.architecture, null, 'the goldens config has no architectures field');
    assert.equal(checkpoint.info.modelType, 'qwen2_5_vl');
    assert.equal(checkpoint.info.llmLayers, 4);
    assert.equal(checkpoint.info.visionDepth, 4);
    assert.equal(checkpoint.info.configDtype, 'float32');
    assert.deepEqual(checkpoint.info.dtypes, { F32: 105 });
    assert.equal(checkpoint.info.namingScheme, 'qwen2_5_vl-legacy');
    const patch = checkpoint.tensors.find((tensor) => tensor.name === 'visual.patch_embed.proj.weight')!;
    assert.deepEqual(patch.shape, [32, 3, 2, 14, 14]);
  });

  it('reads tensors stored beyond 4 GiB in one file', () => {
    const dir = tempDir();
    const path = join(dir, 'big.safetensors');
    const bigBytes = 2 ** 32 + 16;
    const header = JSON.stringify({ big: { dtype: 'U8', shape: [bigBytes], data_offsets: [0, bigBytes] }, tail: { dtype: 'F32', shape: [2], data_offsets: [bigBytes, bigBytes + 8] } });
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(header.length));
    const fd = openSync(path, 'w');
    writeSync(fd, prefix);
    writeSync(fd, Buffer.from(header));
    const tailOffset = 8 + header.length + bigBytes;
    writeSync(fd, Buffer.from(new Float32Array([1.5, -2.25]).buffer), 0, 8, tailOffset);
    closeSync(fd);
    truncateSync(path, tailOffset + 8); // sparse: the 4 GiB of zeros take no disk space
    const checkpoint = openCheckpoint(path);
    const tail = checkpoint.tensors.find((tensor) => tensor.name === 'tail')!;
    assert.equal(tail.byteOffset, tailOffset);
    const bytes = new Uint8Array(8);
    const reader = new FileReader();
    reader.read(path, tail.byteOffset, bytes);
    reader.close();
    assert.deepEqual([...new Float32Array(bytes.buffer)], [1.5, -2.25]);
  });
});

describe('checkpoint folders', () => {
  function writeSharded(dir: string) {
    const tensors = [0, 1, 2, 3].map((i) => bytesTensor(`model.layers.${i}.mlp.up_proj.weight`, 'F32', [4, 4], (k) => k + i));
    writeCheckpointFolder(dir, tensors, { maxShardBytes: 100, files: { 'config.json': JSON.stringify({ architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', num_hidden_layers: 4, torch_dtype: 'float32' }) } });
  }

  it('opens shards through the index and describes the model', () => {
    const dir = join(tempDir(), 'ckpt');
    writeSharded(dir);
    const index = JSON.parse(readFileSync(join(dir, INDEX_FILE), 'utf8'));
    assert.equal(Object.keys(index.weight_map).length, 4);
    assert.equal(index.metadata.total_size, 4 * 64);
    const checkpoint = openCheckpoint(dir);
    assert.equal(checkpoint.files.length, 4);
    assert.equal(checkpoint.info.architecture, 'Qwen2ForCausalLM');
    assert.equal(checkpoint.info.parameterCount, 64);
    assert.equal(checkpoint.info.namingScheme, 'decoder-only');
    assert.match(checkpoint.configSha256!, /^[0-9a-f]{64}$/);
  });

  it('refuses to overwrite an existing folder unless asked', () => {
    const dir = join(tempDir(), 'ckpt');
    writeSharded(dir);
    assert.throws(() => writeSharded(dir), { code: 'FileExists' });
  });

  it('names the missing shard and a tensor it holds', () => {
    const dir = join(tempDir(), 'ckpt');
    writeSharded(dir);
    const shard = 'model-00002-of-00004.safetensors';
    rmSync(join(dir, shard));
    assert.throws(() => openCheckpoint(dir), (error: FrankenlensError) => error.code === 'MissingShard' && error.file!.endsWith(shard) && error.tensor === 'model.layers.1.mlp.up_proj.weight');
  });

  it('refuses shard names that leave the folder', () => {
    for (const shard of ['../outside.safetensors', '/etc/passwd', 'sub/../../x.safetensors', '..']) {
      const dir = join(tempDir(), 'ckpt');
      writeSharded(dir);
      const index = JSON.parse(readFileSync(join(dir, INDEX_FILE), 'utf8'));
      index.weight_map['model.layers.0.mlp.up_proj.weight'] = shard;
      writeFileSync(join(dir, INDEX_FILE), JSON.stringify(index));
      assert.throws(() => openCheckpoint(dir), { code: 'UnsafeShardPath' }, shard);
    }
  });

  it('follows shards that are symlinks to regular files elsewhere (a Hugging Face hub cache), but not to a folder', () => {
    const root = tempDir();
    const dir = join(root, 'ckpt');
    writeSharded(dir);
    const plain = openCheckpoint(dir);
    // snapshots/<rev>/<shard> → ../../blobs/<hash>, as huggingface-cli download leaves them.
    const snapshot = join(root, 'models--org--name', 'snapshots', 'abc123');
    const blobs = join(root, 'models--org--name', 'blobs');
    mkdirSync(snapshot, { recursive: true });
    mkdirSync(blobs, { recursive: true });
    for (const name of readdirSync(dir)) {
      writeFileSync(join(blobs, `blob-${name}`), readFileSync(join(dir, name)));
      symlinkSync(join('..', '..', 'blobs', `blob-${name}`), join(snapshot, name));
    }
    const linked = openCheckpoint(snapshot);
    assert.deepEqual(linked.tensors.map((tensor) => [tensor.name, tensor.byteOffset, tensor.byteLength]), plain.tensors.map((tensor) => [tensor.name, tensor.byteOffset, tensor.byteLength]));
    const folderLink = join(snapshot, 'model-00001-of-00004.safetensors');
    rmSync(folderLink);
    symlinkSync(blobs, folderLink);
    assert.throws(() => openCheckpoint(snapshot), (error: FrankenlensError) => error.code === 'UnsafeShardPath' && /is not a regular file/.test(error.message));
  });

  it('reports a tensor the index lists but the shard lacks', () => {
    const dir = join(tempDir(), 'ckpt');
    writeSharded(dir);
    const index = JSON.parse(readFileSync(join(dir, INDEX_FILE), 'utf8'));
    index.weight_map['model.layers.9.mlp.up_proj.weight'] = 'model-00001-of-00004.safetensors';
    writeFileSync(join(dir, INDEX_FILE), JSON.stringify(index));
    assert.throws(() => openCheckpoint(dir), (error: FrankenlensError) => error.code === 'TensorNotFound' && error.tensor === 'model.layers.9.mlp.up_proj.weight');
  });

  it('rejects a folder without weights and a broken config.json', () => {
    const dir = tempDir();
    assert.throws(() => openCheckpoint(dir), { code: 'NotACheckpoint' });
    mkdirSync(join(dir, 'x'));
    writeFileSync(join(dir, 'x', 'config.json'), '{oops');
    assert.throws(() => openCheckpoint(join(dir, 'x')), { code: 'InvalidConfig' });
  });
});

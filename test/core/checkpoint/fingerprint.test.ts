import assert from 'node:assert/strict';
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openCheckpoint } from '../../../src/core/checkpoint/checkpoint';
import { fingerprintChange, fingerprintFiles } from '../../../src/core/checkpoint/fingerprint';
import { TINY_SHAPE, writeSyntheticCheckpoint } from '../../../src/core/synthetic/syntheticQwenVl';
import { tempDir } from '../../helpers/tempDir';

function snapshot(dir: string) {
  const checkpoint = openCheckpoint(dir);
  return { configSha256: checkpoint.configSha256, files: fingerprintFiles(checkpoint) };
}

describe('checkpoint fingerprints', () => {
  const root = tempDir();
  const make = (name: string) => {
    const dir = join(root, name);
    writeSyntheticCheckpoint(dir, { shape: TINY_SHAPE, seed: 1, dtype: 'BF16', maxShardBytes: 150_000 });
    return dir;
  };

  it('agree for an untouched checkpoint', () => {
    const dir = make('same');
    assert.equal(fingerprintChange(snapshot(dir), snapshot(dir)), null);
  });

  it('notice a touched weight file and a rewritten config.json', () => {
    const dir = make('changing');
    const saved = snapshot(dir);
    const shard = saved.files[0]!.name;
    utimesSync(join(dir, shard), new Date(2001, 0, 1), new Date(2001, 0, 1));
    assert.match(fingerprintChange(saved, snapshot(dir))!, new RegExp(`^${shard} was modified`));
    const touched = snapshot(dir);
    writeFileSync(join(dir, 'config.json'), '{"architectures": ["Other"], "num_hidden_layers": 4}');
    assert.equal(fingerprintChange(touched, snapshot(dir)), 'config.json changed');
  });

  it('name size, header, missing and new files in that order of precedence', () => {
    const file = { name: 'a.safetensors', bytes: 10, modified: '2026-01-01T00:00:00.000Z', headerSha256: 'x' };
    const saved = { configSha256: 'c', files: [file] };
    assert.match(fingerprintChange(saved, { configSha256: 'c', files: [{ ...file, bytes: 12, headerSha256: 'y' }] })!, /changed size \(10 → 12 bytes\)/);
    assert.match(fingerprintChange(saved, { configSha256: 'c', files: [{ ...file, headerSha256: 'y' }] })!, /holds different tensors/);
    assert.equal(fingerprintChange(saved, { configSha256: 'c', files: [] }), 'a.safetensors is gone');
    assert.equal(fingerprintChange(saved, { configSha256: 'c', files: [file, { ...file, name: 'b.safetensors' }] }), 'b.safetensors is new');
    assert.equal(fingerprintChange(saved, { configSha256: 'c', files: [{ ...file }] }), null);
  });
});

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { findPathMentions, isCheckpointFolder, resolveMention } from '../../../src/core/workspace/checkpointPaths';
import { tempDir } from '../../helpers/tempDir';

const mentioned = (text: string) => findPathMentions(text).map((mention) => mention.text);

describe('checkpoint path mentions', () => {
  it('finds quoted and bare paths in Python, YAML, shell, JSON and TOML', () => {
    assert.deepEqual(mentioned(`model = load("/data/ckpt/rl-step-500")`), ['/data/ckpt/rl-step-500']);
    assert.deepEqual(mentioned(`model_name_or_path: ./outputs/cold-start\nref: ../base/Qwen2.5-VL-7B`), ['./outputs/cold-start', '../base/Qwen2.5-VL-7B']);
    assert.deepEqual(mentioned(`python train.py --model ~/models/in --out runs/rl/`), ['~/models/in', 'runs/rl/']);
    assert.deepEqual(mentioned(`{"sft_model": "checkpoints/sft", "n": 3}`), ['checkpoints/sft']);
    assert.deepEqual(mentioned(`init = 'OpenMMReasoner/OpenMMReasoner-RL'`), ['OpenMMReasoner/OpenMMReasoner-RL']);
  });

  it('gives exact offsets and skips URLs and lone names', () => {
    const text = `x = "/a/b"  # see https://huggingface.co/Qwen/Qwen2.5-VL-7B-Instruct and model.safetensors`;
    const [mention, ...rest] = findPathMentions(text);
    assert.equal(text.slice(mention!.start, mention!.end), '/a/b');
    assert.deepEqual(rest, []);
  });

  it('resolves relative mentions against each base folder and recognizes checkpoint folders', () => {
    const root = tempDir();
    const folder = join(root, 'ckpt', 'rl');
    mkdirSync(folder, { recursive: true });
    assert.equal(isCheckpointFolder(folder), false, 'no config.json yet');
    writeFileSync(join(folder, 'config.json'), '{}');
    assert.equal(isCheckpointFolder(folder), false, 'no weights yet');
    writeFileSync(join(folder, 'model.safetensors'), '');
    assert.equal(isCheckpointFolder(folder), true);
    assert.equal(isCheckpointFolder(join(folder, 'config.json')), false, 'a file is not a folder');
    assert.deepEqual(resolveMention('ckpt/rl/', [root, '/elsewhere']), [folder, '/elsewhere/ckpt/rl']);
    assert.deepEqual(resolveMention('/abs/x', [root]), ['/abs/x']);
  });
});

import assert from 'node:assert/strict';
import { utimesSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runDiff } from '../../../src/core/diff/runDiff';
import { savedDiffStaleness } from '../../../src/core/diff/savedDiff';
import { TINY_SHAPE, writeSyntheticCheckpoint } from '../../../src/core/synthetic/syntheticQwenVl';
import { tempDir } from '../../helpers/tempDir';

describe('saved diff reuse', () => {
  const root = tempDir();
  const inDir = join(root, 'in');
  const rlDir = join(root, 'rl');
  writeSyntheticCheckpoint(inDir, { shape: TINY_SHAPE, seed: 4, dtype: 'BF16' });
  writeSyntheticCheckpoint(rlDir, { shape: TINY_SHAPE, seed: 4, dtype: 'BF16', update: { llmLayers: [2], scale: 0.1 } });

  it('reuses a result while the checkpoints are untouched, and says why not once one changes', async () => {
    const saved = JSON.parse(JSON.stringify(await runDiff({ inDir, rlDir, inline: true })));
    assert.equal(savedDiffStaleness(saved, { inDir, rlDir }), null);
    assert.match(savedDiffStaleness(saved, { inDir, rlDir, baseDir: inDir })!, /has no Base checkpoint/);
    assert.match(savedDiffStaleness(saved, { inDir: rlDir, rlDir })!, /used IN /);
    const weights = readdirSync(rlDir).find((name) => name.endsWith('.safetensors'))!;
    utimesSync(join(rlDir, weights), new Date(2002, 1, 2), new Date(2002, 1, 2));
    assert.match(savedDiffStaleness(saved, { inDir, rlDir })!, new RegExp(`^RL changed since it was compared: ${weights} was modified`));
  });
});

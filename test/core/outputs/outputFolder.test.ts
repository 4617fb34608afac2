/**
 * The output-folder rule (src/core/outputFolder.ts) through the writers that use it: a folder the
 * tool did not write is never written into, replaced or deleted; a marked folder is written into
 * and replaced (when asked) by renaming aside first; output inside a source checkpoint is refused;
 * links are never followed out of a folder being deleted.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writeCheckpointFolder, type TensorToWrite } from '../../../src/core/checkpoint/safetensorsWriter';
import { writeDiffJson } from '../../../src/core/diff/writeDiffJson';
import { FrankenlensError } from '../../../src/core/errors';
import { thirdsVariants } from '../../../src/core/merge/presets';
import { resolveMerge } from '../../../src/core/merge/resolveMerge';
import { writeMerge } from '../../../src/core/merge/writeMerge';
import { OUTPUT_MARKER, prepareOutputFolder, readOutputMarker, removeOutputFolder } from '../../../src/core/outputFolder';
import { outputLockPath } from '../../../src/core/outputLock';
import { writeSpectralJson } from '../../../src/core/spectral/writeSpectralJson';
import type { SpectralResult } from '../../../src/core/spectral/spectralResult';
import { TINY_SHAPE, writeSyntheticCheckpoint } from '../../../src/core/synthetic/syntheticQwenVl';
import { tempDir } from '../../helpers/tempDir';
import { sampleDiffResult } from '../report/sampleDiffResult';

const root = tempDir();
const paths = { in: join(root, 'in'), rl: join(root, 'rl') };
writeSyntheticCheckpoint(paths.in, { shape: TINY_SHAPE, seed: 5, dtype: 'BF16' });
writeSyntheticCheckpoint(paths.rl, { shape: TINY_SHAPE, seed: 5, dtype: 'BF16', update: { llmLayers: [1], scale: 0.1 } });
const plan = thirdsVariants(paths, TINY_SHAPE.llmLayers)[0]!;

const tensor: TensorToWrite = { name: 'model.layers.0.mlp.up_proj.weight', dtype: 'F32', shape: [4, 4], produce: (write) => write(new Uint8Array(64)) };

/** A folder of the user's: a file and a subfolder with a file. */
function userFolder(dir: string): void {
  mkdirSync(join(dir, 'notes'), { recursive: true });
  writeFileSync(join(dir, 'thesis.tex'), 'precious');
  writeFileSync(join(dir, 'notes', 'todo.md'), 'also precious');
}

function assertUntouched(dir: string): void {
  assert.equal(readFileSync(join(dir, 'thesis.tex'), 'utf8'), 'precious');
  assert.equal(readFileSync(join(dir, 'notes', 'todo.md'), 'utf8'), 'also precious');
  assert.deepEqual(readdirSync(dir).sort(), ['notes', 'thesis.tex'], 'nothing added');
}

const notOurs = (dir: string) => (error: unknown) => error instanceof FrankenlensError && error.code === 'FileExists' && error.message === `${dir}: exists and was not written by frankenlens; choose another folder`;

/** Nothing of the tool's left beside a folder: no staging, no renamed-aside folder, no lock. */
function assertNoLeftovers(dir: string): void {
  const parent = join(dir, '..');
  const name = dir.slice(parent.length + 1);
  assert.deepEqual(readdirSync(parent).filter((entry) => entry !== name && entry.startsWith(`.${name}.`)), [], 'no staging, aside folder or lock');
}

describe('output folders', () => {
  it('creates a missing folder with the marker, adopts an empty one, and lets one folder hold several kinds', () => {
    const created = join(root, 'new', 'deeper');
    prepareOutputFolder(created, { kind: 'diff' }).release();
    assert.deepEqual(readOutputMarker(created)?.kinds, ['diff']);
    assert.equal(readOutputMarker(created)?.tool, 'frankenlens');
    const empty = join(root, 'empty');
    mkdirSync(empty);
    writeDiffJson(sampleDiffResult(), empty);
    writeSpectralJson({ inputs: sampleDiffResult().inputs } as unknown as SpectralResult, empty);
    assert.deepEqual(readOutputMarker(empty)?.kinds, ['diff', 'spectral']);
    assert.deepEqual(readdirSync(empty).sort(), [OUTPUT_MARKER, 'diff.json', 'spectral.json'].sort());
    assert.ok(!existsSync(outputLockPath(empty)), 'the lock is released');
  });

  it('never writes results into a folder it did not write', () => {
    const dir = join(root, 'user-results');
    userFolder(dir);
    assert.throws(() => writeDiffJson(sampleDiffResult(), dir), notOurs(dir));
    assertUntouched(dir);
    assertNoLeftovers(dir);
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    assert.throws(() => prepareOutputFolder(file, { kind: 'diff' }), /exists and is not a folder/);
  });

  it('never replaces or deletes a folder it did not write, even when asked to overwrite', async () => {
    const dir = join(root, 'user-merge');
    userFolder(dir);
    await assert.rejects(writeMerge(resolveMerge(plan), { outDir: dir, overwrite: true }), notOurs(dir));
    assert.throws(() => writeCheckpointFolder(dir, [tensor], { overwrite: true }), notOurs(dir));
    assertUntouched(dir);
    assertNoLeftovers(dir);
  });

  it('replaces its own folder only when asked, renaming it aside first, and leaves nothing beside it', async () => {
    const dir = join(root, 'merged');
    const resolved = resolveMerge(plan);
    await writeMerge(resolved, { outDir: dir });
    assert.deepEqual(readOutputMarker(dir)?.kinds, ['merge']);
    await assert.rejects(writeMerge(resolved, { outDir: dir }), (error: FrankenlensError) => error.code === 'FileExists' && /already exists/.test(error.message));
    writeFileSync(join(dir, 'stale-extra.txt'), 'from the earlier merge');
    await writeMerge(resolved, { outDir: dir, overwrite: true });
    assert.ok(!existsSync(join(dir, 'stale-extra.txt')), 'the earlier folder was replaced, not merged into');
    assert.ok(existsSync(join(dir, 'frankenlens-merge.json')));
    assertNoLeftovers(dir);
  });

  it('adopts an empty folder as a checkpoint output', () => {
    const dir = join(root, 'empty-checkpoint');
    mkdirSync(dir);
    writeCheckpointFolder(dir, [tensor]);
    assert.ok(existsSync(join(dir, 'model.safetensors')));
    assert.deepEqual(readOutputMarker(dir)?.kinds, ['checkpoint']);
  });

  it('deletes links inside a folder it replaces, never what they point to', () => {
    const dir = join(root, 'linked');
    writeCheckpointFolder(dir, [tensor]);
    const outside = join(root, 'outside');
    userFolder(outside);
    symlinkSync(outside, join(dir, 'link-to-outside'));
    symlinkSync(join(outside, 'thesis.tex'), join(dir, 'link-to-file'));
    writeCheckpointFolder(dir, [tensor], { overwrite: true });
    assertUntouched(outside);
    assert.ok(!existsSync(join(dir, 'link-to-outside')));
  });

  it('does not replace a link to a folder, and does not take a linked marker for its own', () => {
    const target = join(root, 'link-target');
    writeCheckpointFolder(target, [tensor]);
    const link = join(root, 'link');
    symlinkSync(target, link);
    assert.throws(() => writeCheckpointFolder(link, [tensor], { overwrite: true }), /is a symbolic link/);
    const fake = join(root, 'fake-marker');
    userFolder(fake);
    symlinkSync(join(target, OUTPUT_MARKER), join(fake, OUTPUT_MARKER));
    assert.equal(readOutputMarker(fake), null);
  });

  it('refuses output inside or equal to a source checkpoint, comparing real paths', async () => {
    const resolved = resolveMerge(plan);
    await assert.rejects(writeMerge(resolved, { outDir: paths.in, overwrite: true }), (error: FrankenlensError) => error.code === 'InvalidArgument' && error.message === `${paths.in}: the output folder is the "in" checkpoint ${paths.in}; choose an output folder outside every checkpoint`);
    const inside = join(paths.rl, 'merged');
    await assert.rejects(writeMerge(resolved, { outDir: inside }), (error: FrankenlensError) => error.message.includes(`is inside the "rl" checkpoint ${paths.rl}`));
    assert.ok(!existsSync(inside));
    const alias = join(root, 'alias-of-rl');
    symlinkSync(paths.rl, alias);
    await assert.rejects(writeMerge(resolved, { outDir: join(alias, 'merged') }), /is inside the "rl" checkpoint/);
    const result = sampleDiffResult();
    result.inputs.rl.path = paths.rl;
    assert.throws(() => writeDiffJson(result, join(paths.rl, 'diff')), (error: FrankenlensError) => error.message.includes(`is inside the RL checkpoint ${paths.rl}`));
    assert.ok(!existsSync(join(paths.rl, 'diff')));
  });

  it('refuses to replace a folder that holds a source checkpoint', async () => {
    const holder = join(root, 'holder');
    writeCheckpointFolder(holder, [tensor]);
    const nested = { in: join(holder, 'in'), rl: paths.rl };
    writeSyntheticCheckpoint(nested.in, { shape: TINY_SHAPE, seed: 5, dtype: 'BF16' });
    const nestedPlan = thirdsVariants(nested, TINY_SHAPE.llmLayers)[0]!;
    await assert.rejects(writeMerge(resolveMerge(nestedPlan), { outDir: holder, overwrite: true }), /holds the "in" checkpoint .*which replacing it would delete/);
    assert.ok(existsSync(join(nested.in, 'config.json')));
  });

  it('cleans up after writers that died: marked staging folders go, a folder renamed aside comes back, unmarked ones stay', () => {
    const dir = join(root, 'after-crash');
    const deadPid = 2 ** 22 + 12345;
    const staging = join(root, `.after-crash.partial-${deadPid}`);
    writeCheckpointFolder(staging, [tensor]);
    const userLookalike = join(root, `.after-crash.partial-${deadPid + 1}`);
    userFolder(userLookalike);
    const aside = join(root, `.after-crash.replaced-${deadPid}`);
    writeCheckpointFolder(aside, [tensor]);
    writeFileSync(join(aside, 'from-before.txt'), 'the earlier output');
    // The next writer first restores the earlier output (the crash came between the two renames), then refuses to replace it without overwrite.
    assert.throws(() => writeCheckpointFolder(dir, [tensor]), /already exists/);
    assert.ok(existsSync(join(dir, 'from-before.txt')), 'the folder renamed aside is back');
    assert.ok(!existsSync(staging), 'the dead writer\'s staging folder is gone');
    assertUntouched(userLookalike);
  });
});

describe('removing an output folder', () => {
  it('removes a folder the tool wrote, and refuses one it did not', () => {
    const ours = join(root, 'to-remove');
    writeDiffJson(sampleDiffResult(), ours);
    removeOutputFolder(ours);
    assert.ok(!existsSync(ours));
    removeOutputFolder(ours);
    const theirs = join(root, 'not-to-remove');
    userFolder(theirs);
    assert.throws(() => removeOutputFolder(theirs), notOurs(theirs));
    assertUntouched(theirs);
    assertNoLeftovers(theirs);
  });
});

/**
 * A resumed run (probes, variant sweeps: openResumableRun) checks the fingerprints of what it
 * reads: a changed checkpoint, items file, image or item refuses the resume naming what changed;
 * so does another weight precision (float32 / int8); an unchanged run resumes; a run file without fingerprints (an earlier Frankenlens) is refused
 * clearly. End to end on the tiny model: a swap run resumed after its checkpoint changed, and an
 * int8 swap run resumed in float32.
 */
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FrankenlensError } from '../../../src/core/errors';
import { openProbeModel } from '../../../src/core/probes/probeModel';
import { openResumableRun, type ResumableRunFiles } from '../../../src/core/probes/probeRun';
import { readVisionPairs } from '../../../src/core/probes/visionPairs';
import { runSwapProbe } from '../../../src/core/probes/visualSwap';
import { TINY_SHAPE, writeSyntheticCheckpoint } from '../../../src/core/synthetic/syntheticQwenVl';
import { tempDir } from '../../helpers/tempDir';

const root = tempDir();
const inDir = join(root, 'in');
const rlDir = join(root, 'rl');
writeSyntheticCheckpoint(inDir, { shape: TINY_SHAPE, seed: 4, dtype: 'BF16' });
writeSyntheticCheckpoint(rlDir, { shape: TINY_SHAPE, seed: 4, dtype: 'BF16', maxShardBytes: 150_000, update: { llmLayers: [1], scale: 0.1 } });
const itemsPath = join(root, 'items.jsonl');
const image = join(root, 'cat.png');
writeFileSync(itemsPath, '{"id": "a", "question": "2+2?", "answer": "4"}\n');
writeFileSync(image, 'not really a png');

type Item = { key: string };
const items = [{ id: 'a', question: '2+2?', answer: '4', images: [image] }];

function runFiles(outDir: string, extra: Partial<ResumableRunFiles<Item>> = {}): ResumableRunFiles<Item> {
  return {
    outDir, outputKind: 'probes', recordsFile: join(outDir, 'p.jsonl'), runFile: join(outDir, 'p.run.json'), kind: 'a test run', mismatch: 'other settings',
    settings: { maxNewTokens: 3 }, resume: true, inputs: { checkpoints: { IN: inDir, RL: rlDir }, files: [itemsPath], images: [image], items }, ...extra,
  };
}

/** A run with one finished record, its lock released. */
function startedRun(name: string): string {
  const outDir = join(root, name);
  const run = openResumableRun(runFiles(outDir, { resume: false }));
  run.append({ key: 'a' });
  run.release();
  return outDir;
}

const refused = (outDir: string, pattern: RegExp) => (error: unknown) =>
  error instanceof FrankenlensError && error.code === 'PlanMismatch' && error.message.startsWith(`${join(outDir, 'p.run.json')}: `) && pattern.test(error.message) && error.message.endsWith(`; start a new run (another output folder) or delete ${outDir}`);

describe('resumed runs check their inputs', () => {
  it('resume an unchanged run with its records', () => {
    const outDir = startedRun('unchanged');
    const run = openResumableRun(runFiles(outDir));
    assert.deepEqual(run.earlier, [{ key: 'a' }]);
    run.release();
    const saved = JSON.parse(readFileSync(join(outDir, 'p.run.json'), 'utf8'));
    assert.deepEqual(Object.keys(saved.inputs.checkpoints), ['IN', 'RL']);
    assert.match(saved.inputs.files[0].sha256, /^[0-9a-f]{64}$/);
  });

  it('refuse after a weight file of a checkpoint was modified, naming the checkpoint and the file', () => {
    const outDir = startedRun('touched-weights');
    const name = readdirSync(rlDir).filter((file) => file.endsWith('.safetensors')).sort()[0]!;
    const shard = join(rlDir, name);
    const later = new Date(Date.now() + 60_000);
    utimesSync(shard, later, later);
    assert.throws(() => openResumableRun(runFiles(outDir)), refused(outDir, new RegExp(`: the RL checkpoint changed \\(${name.replaceAll('.', '\\.')} was modified \\(.* → .*\\)\\) since this run started`)));
  });

  it('refuse after config.json changed', () => {
    const outDir = startedRun('config');
    const config = join(inDir, 'config.json');
    const original = readFileSync(config, 'utf8');
    writeFileSync(config, original.replace('{', '{"edited": true, '));
    try {
      assert.throws(() => openResumableRun(runFiles(outDir)), refused(outDir, /the IN checkpoint changed \(config\.json changed\)/));
    } finally {
      writeFileSync(config, original);
    }
  });

  it('refuse after the items file, an image or an item changed; a touched items file with the same content is fine', () => {
    const outDir = startedRun('items');
    const later = new Date(Date.now() + 120_000);
    utimesSync(itemsPath, later, later);
    openResumableRun(runFiles(outDir)).release();
    appendFileSync(itemsPath, '{"id": "b", "question": "3+3?", "answer": "6"}\n');
    assert.throws(() => openResumableRun(runFiles(outDir)), refused(outDir, new RegExp(`an items file changed \\(${itemsPath}: its content changed`)));
    const second = startedRun('image');
    writeFileSync(image, 'another picture, bigger');
    assert.throws(() => openResumableRun(runFiles(second)), refused(second, new RegExp(`an image changed \\(${image} changed size`)));
    const third = startedRun('item');
    assert.throws(() => openResumableRun(runFiles(third, { inputs: { ...runFiles(third).inputs, items: [{ ...items[0], answer: '5' }] } })), refused(third, /the items changed/));
  });

  it('refuse a run file without fingerprints (an earlier Frankenlens), and records without a run file', () => {
    const outDir = startedRun('old');
    const runFile = join(outDir, 'p.run.json');
    const { inputs: _dropped, ...old } = JSON.parse(readFileSync(runFile, 'utf8'));
    writeFileSync(runFile, JSON.stringify(old));
    assert.throws(() => openResumableRun(runFiles(outDir)), refused(outDir, /written by an earlier Frankenlens that kept no fingerprints/));
    writeFileSync(runFile, '');
    assert.throws(() => openResumableRun(runFiles(outDir)), /p\.run\.json: empty/);
  });

  it('refuse a resume in another weight precision, either way; a run file without one is float32', () => {
    const outDir = startedRun('precision');
    const runFile = join(outDir, 'p.run.json');
    assert.equal(JSON.parse(readFileSync(runFile, 'utf8')).precision, 'float32');
    const otherPrecision = (from: string, to: string, file = runFile) => (error: unknown) => error instanceof FrankenlensError && error.code === 'PlanMismatch'
      && error.message === `${file}: the saved run held its models' weights in ${from}, this one asks for ${to}; resume with --precision ${from} or choose another output folder`;
    assert.throws(() => openResumableRun(runFiles(outDir, { precision: 'int8' })), otherPrecision('float32', 'int8'));
    const { precision: _dropped, ...older } = JSON.parse(readFileSync(runFile, 'utf8'));
    writeFileSync(runFile, JSON.stringify(older));
    assert.throws(() => openResumableRun(runFiles(outDir, { precision: 'int8' })), otherPrecision('float32', 'int8'));
    openResumableRun(runFiles(outDir)).release();

    const int8 = join(root, 'precision-int8');
    const run = openResumableRun(runFiles(int8, { resume: false, precision: 'int8' }));
    run.append({ key: 'a' });
    run.release();
    assert.throws(() => openResumableRun(runFiles(int8)), otherPrecision('int8', 'float32', join(int8, 'p.run.json')));
    const resumed = openResumableRun(runFiles(int8, { precision: 'int8' }));
    assert.deepEqual(resumed.earlier, [{ key: 'a' }]);
    resumed.release();
    writeFileSync(join(int8, 'p.run.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(int8, 'p.run.json'), 'utf8')), precision: 'int4' }));
    assert.throws(() => openResumableRun(runFiles(int8, { precision: 'int8' })), /p\.run\.json: its "precision" is not one of float32, int8; the run's settings file was edited or damaged/);
  });
});

describe('a swap run resumed after its checkpoint changed (tiny model)', () => {
  const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures');
  const modelDir = join(root, 'tiny');
  cpSync(join(FIXTURES, 'qwen2_5_vl_tiny'), modelDir, { recursive: true });
  const model = openProbeModel('in', modelDir, { cacheDir: join(root, 'graphs'), intraOpThreads: 1 });
  after(() => model.runtime.unload());
  const pairs = readVisionPairs(join(FIXTURES, 'vision_functionality'), { tasks: ['ocr'] }).slice(0, 2);
  const settings = { layers: [1], modes: ['suffix' as const], decodings: ['corrected' as const], maxNewTokens: 2 };

  it('is refused, naming the IN checkpoint and the weight file', async () => {
    const outDir = join(root, 'swap');
    let cancelled = false;
    const cancel = { get isCancellationRequested() { return cancelled; }, onCancellationRequested: () => ({ dispose() {} }) };
    await assert.rejects(runSwapProbe({ models: [model], pairs, settings, outDir, cancel, progress: { report: ({ message }) => void (message?.includes('(2/2)') && (cancelled = true)) } }), { code: 'Cancelled' });
    const weights = model.runtime.checkpoint.files[0]!.path;
    const later = new Date(Date.now() + 60_000);
    utimesSync(weights, later, later);
    await assert.rejects(runSwapProbe({ models: [model], pairs, settings, outDir, resume: true }), (error: FrankenlensError) => error.code === 'PlanMismatch' && /swap\.run\.json: the IN checkpoint changed \(.*\.safetensors was modified/.test(error.message));
  });

  it('an int8 run resumed in float32 is refused; in int8 it resumes, and its summary records int8', async () => {
    const outDir = join(root, 'swap-int8');
    const int8 = openProbeModel('in', join(FIXTURES, 'qwen2_5_vl_tiny'), { cacheDir: join(root, 'graphs'), intraOpThreads: 1, precision: 'int8' });
    const float32 = openProbeModel('in', join(FIXTURES, 'qwen2_5_vl_tiny'), { cacheDir: join(root, 'graphs'), intraOpThreads: 1 });
    try {
      const { summaryPath } = await runSwapProbe({ models: [int8], pairs, settings, outDir });
      assert.deepEqual(JSON.parse(readFileSync(summaryPath, 'utf8')).models.map((entry: { precision: string }) => entry.precision), ['int8']);
      await assert.rejects(runSwapProbe({ models: [float32], pairs, settings, outDir, resume: true }), (error: FrankenlensError) => error.code === 'PlanMismatch' && /swap\.run\.json: the saved run held its models' weights in int8, this one asks for float32; resume with --precision int8/.test(error.message));
      assert.equal((await runSwapProbe({ models: [int8], pairs, settings, outDir, resume: true })).resumed, pairs.length);
    } finally {
      await Promise.all([int8.runtime.unload(), float32.runtime.unload()]);
    }
  });
});

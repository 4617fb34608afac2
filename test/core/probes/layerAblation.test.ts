/**
 * Layer ablation on the tiny model against brute force: greedy decoding through the float64
 * reference forward with the layer removed (identity), recomputing the whole sequence each step.
 * Scores are checked by counting the brute-force answers against the gold answers. The reused and
 * batched answers equal the plain path (one run per configuration, whole prefill, batch 1) token for
 * token, and an ablated prefill from layer L equals the whole decoder's (1e-5).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { BenchmarkItem } from '../../../src/core/bench/benchmarkItems';
import { conditionMessages } from '../../../src/core/probes/conditions';
import { generateGreedy } from '../../../src/core/model/generate';
import { ablationGates, ablationGenerations, BASELINE, runAblationProbe, type AblationItem } from '../../../src/core/probes/layerAblation';
import { answerText, greedySettings, openProbeModel, preparePrompt } from '../../../src/core/probes/probeModel';
import { readRecords, itemsFile } from '../../../src/core/probes/probeRun';
import { readFileSync } from 'node:fs';
import { loadReferenceModel } from '../../helpers/referenceForward';
import { referenceGreedy } from '../../helpers/referenceGreedy';
import { tempDir } from '../../helpers/tempDir';

const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures');
const MODEL_DIR = join(FIXTURES, 'qwen2_5_vl_tiny');
const CACHE_DIR = tempDir();
const model = openProbeModel('in', MODEL_DIR, { cacheDir: CACHE_DIR, intraOpThreads: 1 });
after(() => model.runtime.unload());
const reference = loadReferenceModel(MODEL_DIR);
const MAX_NEW = 5;
const LAYERS = [0, 1, 2, 3];
const style = { system: 'Think, then answer.' };

describe('layer ablation probe', () => {
  it('every ablated answer equals the brute force, and accuracy counts them', async () => {
    const base: BenchmarkItem[] = [
      { id: 'text', images: [], question: 'What is two plus two?', answer: '', answerType: 'text' },
      { id: 'image', images: [join(FIXTURES, 'vision_functionality', 'ocr', 'images', 'ocr_000000_t.png')], question: 'Read the word.', answer: '', answerType: 'text' },
    ];
    const greedy = greedySettings(model, MAX_NEW);
    const expected = new Map<string, number[][]>();
    const items: BenchmarkItem[] = [];
    for (const item of base) {
      const prepared = await preparePrompt(model, await conditionMessages(item, 'real', style));
      const runs = [BASELINE, ...LAYERS].map((layer) => referenceGreedy(reference, prepared.ids, prepared.images, greedy, () => (layer === BASELINE ? {} : { removedLayers: [layer] })).tokens);
      expected.set(item.id, runs);
      // Gold = the baseline's whole answer, so the baseline scores and changed answers do not.
      items.push({ ...item, answer: answerText(model, runs[0]!).trim() || 'none' });
    }
    const outDir = tempDir();
    const { rows } = await runAblationProbe({ models: [model], items, settings: { layers: LAYERS, maxNewTokens: MAX_NEW, condition: 'real', style }, outDir });
    const records = readRecords<AblationItem>(itemsFile(outDir, 'ablation'));
    for (const record of records) {
      const runs = expected.get(record.id)!;
      record.runs.forEach((run, index) => {
        assert.equal(run.layer, [BASELINE, ...LAYERS][index]);
        assert.equal(run.response, answerText(model, runs[index]!), `${record.id} layer ${run.layer}`);
      });
    }
    for (const row of rows) {
      const index = [BASELINE, ...LAYERS].indexOf(row.layer);
      const correct = items.filter((item) => answerText(model, expected.get(item.id)![index]!).trim() === item.answer).length;
      assert.equal(row.accuracy.successes, correct, `layer ${row.layer}`);
      assert.equal(row.accuracy.n, items.length);
    }
    assert.ok(rows.some((row) => row.delta < 0), 'some ablation should break the answers');
  });
});

describe('ablation reuse and batching', async () => {
  const { layers, vocabSize } = model.runtime.config.decoder;
  const item: BenchmarkItem = { id: 'image', images: [join(FIXTURES, 'vision_functionality', 'counting', 'images', 'counting_000000_t.jpg')], question: 'How many?', answer: '', answerType: 'text' };
  const prepared = await preparePrompt(model, await conditionMessages(item, 'real', style));
  const { embeds, positions } = prepared.embedded;
  const maxNewTokens = 8;
  /** Today's plain path: each configuration alone, the whole prompt through the whole decoder. */
  const plain = (layer: number, eosTokenIds: number[]) => {
    const taps = layer === BASELINE ? undefined : { gates: ablationGates(layers, layer) };
    return generateGreedy(model.runtime, prepared.ids, prepared.embedded, { ...greedySettings(model, maxNewTokens), eosTokenIds }, { prefillTaps: taps, stepTaps: () => taps });
  };

  it('an ablated prefill from layer L (clean stream entering L, clean K/V below L) equals the whole decoder (1e-5)', async () => {
    const clean = await model.runtime.decode({ embeds, positions, cache: model.runtime.emptyCache() }, { taps: { hiddenStates: true }, logits: 'all' });
    for (let layer = 1; layer < layers; layer++) {
      const taps = { gates: ablationGates(layers, layer) };
      const whole = await model.runtime.decode({ embeds, positions, cache: model.runtime.emptyCache(), taps }, { taps: {}, logits: 'all' });
      const stream = clean.hiddenStates!.subarray(layer * embeds.length, (layer + 1) * embeds.length);
      const slice = await model.runtime.decode({ embeds: stream, positions, cache: model.runtime.emptyCache(), taps, lowerLayers: clean.cache }, { taps: {}, logits: 'all', fromLayer: layer });
      assert.equal(slice.logits.length, prepared.ids.length * vocabSize);
      const worst = slice.logits.reduce((max, value, index) => Math.max(max, Math.abs(value - whole.logits[index]!)), 0);
      assert.ok(worst <= 1e-5, `layer ${layer}: logits differ by ${worst}`);
      const unablated = clean.logits.reduce((max, value, index) => Math.max(max, Math.abs(value - whole.logits[index]!)), 0);
      assert.ok(unablated > 1e-3, `layer ${layer}: the ablation changes the logits`);
    }
  });

  // Stop tokens taken from the plain runs, so the runs of one batch finish at different steps.
  const open = await Promise.all([BASELINE, ...Array.from({ length: layers }, (_, layer) => layer)].map((layer) => plain(layer, [])));
  const eosTokenIds = [open[1]!.tokens[2]!, open[layers]!.tokens[5]!];
  const layerSets = [[0], [layers - 1], [0, 1, 2, 3], [3, 0, 2]];
  for (const layerSet of layerSets) {
    it(`layers ${layerSet.join(',')}: every batch size and reuse level gives the plain path's tokens`, async () => {
      const expected = await Promise.all([BASELINE, ...layerSet].map((layer) => plain(layer, eosTokenIds)));
      const probeModel = { ...model, generation: { ...model.generation, eosTokenIds } };
      for (const batch of [1, 2, layerSet.length + 1]) {
        for (const reuse of ['layers', 'none'] as const) {
          const generations = await ablationGenerations(probeModel, prepared, { layers: layerSet, maxNewTokens, batch, reuse });
          generations.forEach((generation, index) => {
            const label = `batch ${batch}, reuse ${reuse}, run ${index}`;
            assert.deepEqual(generation.tokens, expected[index]!.tokens, label);
            assert.equal(generation.stoppedBy, expected[index]!.stoppedBy, label);
          });
        }
      }
    });
  }

  it('the runs finish at different steps, and EOS stops some', async () => {
    const runs = await Promise.all([BASELINE, 0, 1, 2, 3].map((layer) => plain(layer, eosTokenIds)));
    assert.ok(new Set(runs.map((run) => run.tokens.length)).size >= 3, `lengths ${runs.map((run) => run.tokens.length).join(', ')}`);
    assert.ok(runs.some((run) => run.stoppedBy === 'eos') && runs.some((run) => run.stoppedBy === 'max-new-tokens'));
  });

  it('batch and reuse are not part of the recorded settings, and a bad batch is refused', async () => {
    const outDir = tempDir();
    await runAblationProbe({ models: [model], items: [{ ...item, answer: '1' }], settings: { layers: [1], maxNewTokens: 2, condition: 'real', style, batch: 2, reuse: 'none' }, outDir });
    const saved = JSON.parse(readFileSync(join(outDir, 'ablation.run.json'), 'utf8')) as { settings: Record<string, unknown> };
    assert.deepEqual(Object.keys(saved.settings).sort(), ['condition', 'describer', 'items', 'layers', 'maxNewTokens', 'models', 'style']);
    await runAblationProbe({ models: [model], items: [{ ...item, answer: '1' }], settings: { layers: [1], maxNewTokens: 2, condition: 'real', style, batch: 1 }, outDir, resume: true });
    await assert.rejects(ablationGenerations(model, prepared, { layers: [1], maxNewTokens: 2, batch: 0 }), /ablation batch 0: must be a whole number of runs, at least 1/);
  });

  it('items in flight share the batch: a failing item stops the run with its error, and the items written before it stay', async () => {
    const outDir = tempDir();
    const good = [{ ...item, id: 'a', answer: '1' }, { ...item, id: 'b', answer: '2' }];
    const broken = { ...item, id: 'broken', images: [join(outDir, 'no-such-image.png')] };
    const settings = { layers: [0, 2], maxNewTokens: 3, condition: 'real' as const, style, batch: 4 };
    await assert.rejects(runAblationProbe({ models: [model], items: [...good, broken, { ...item, id: 'c', answer: '3' }], settings, outDir }), /no-such-image\.png/);
    const written = readRecords<AblationItem>(itemsFile(outDir, 'ablation'));
    assert.ok(written.every((record) => record.id !== 'broken' && record.id !== 'c'), `written: ${written.map((record) => record.id).join(', ')}`);
    // A clean run of the good items after it gives the same answers as each item alone.
    const again = tempDir();
    await runAblationProbe({ models: [model], items: good, settings, outDir: again });
    const alone = tempDir();
    await runAblationProbe({ models: [model], items: [good[1]!], settings: { ...settings, batch: 1 }, outDir: alone });
    const runsOf = (dir: string, id: string) => readRecords<AblationItem>(itemsFile(dir, 'ablation')).find((record) => record.id === id)!.runs.map((run) => run.response);
    assert.deepEqual(runsOf(again, 'b'), runsOf(alone, 'b'));
  });
});

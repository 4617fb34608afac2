/**
 * Layer ablation on the tiny model against brute force: greedy decoding through the float64
 * reference forward with the layer removed (identity), recomputing the whole sequence each step.
 * Scores are checked by counting the brute-force answers against the gold answers.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { BenchmarkItem } from '../../../src/core/bench/benchmarkItems';
import { conditionMessages } from '../../../src/core/probes/conditions';
import { BASELINE, runAblationProbe, type AblationItem } from '../../../src/core/probes/layerAblation';
import { answerText, greedySettings, openProbeModel, preparePrompt } from '../../../src/core/probes/probeModel';
import { readRecords, itemsFile } from '../../../src/core/probes/probeRun';
import { loadReferenceModel } from '../../helpers/referenceForward';
import { referenceGreedy } from '../../helpers/referenceGreedy';
import { tempDir } from '../../helpers/tempDir';

const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures');
const MODEL_DIR = join(FIXTURES, 'qwen2_5_vl_tiny');
const model = openProbeModel('in', MODEL_DIR, { cacheDir: tempDir(), intraOpThreads: 1 });
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

/**
 * Attention to vision on the tiny model (IN) and a perturbed copy (RL), against brute force: the
 * greedy responses through the reference forward, then the reference's attention probabilities on
 * prompt + response, summed over image tokens, averaged over heads and over the response rows.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { BenchmarkItem } from '../../../src/core/bench/benchmarkItems';
import { runAttentionProbe, reasoningTokens, type AttentionItem } from '../../../src/core/probes/attentionToVision';
import { conditionMessages } from '../../../src/core/probes/conditions';
import { greedySettings, openProbeModel, preparePrompt, type ProbeModel } from '../../../src/core/probes/probeModel';
import { itemsFile, readRecords } from '../../../src/core/probes/probeRun';
import { imageTokenPositions, loadReferenceModel, referenceForward, type ReferenceModel } from '../../helpers/referenceForward';
import { referenceGreedy } from '../../helpers/referenceGreedy';
import { perturbedTinyModel } from '../../helpers/perturbedTinyModel';
import { tempDir } from '../../helpers/tempDir';

const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures');
const IN_DIR = join(FIXTURES, 'qwen2_5_vl_tiny');
const RL_DIR = perturbedTinyModel(IN_DIR);
const cacheDir = tempDir();
const models = { in: openProbeModel('in', IN_DIR, { cacheDir, intraOpThreads: 1 }), rl: openProbeModel('rl', RL_DIR, { cacheDir, intraOpThreads: 1 }) };
after(async () => {
  await models.in.runtime.unload();
  await models.rl.runtime.unload();
});
const references = { in: loadReferenceModel(IN_DIR), rl: loadReferenceModel(RL_DIR) };
const MAX_NEW = 5;
const image = (task: string, id: string) => join(FIXTURES, 'vision_functionality', task, 'images', `${id}_t.png`);
const items: BenchmarkItem[] = [
  { id: 'a', images: [image('ocr', 'ocr_000000')], question: 'Read the word.', answer: 'x', answerType: 'text' },
  { id: 'b', images: [image('grounding', 'grounding_000001')], question: 'Where is the shape?', answer: 'x', answerType: 'text' },
  { id: 'c', images: [image('ocr', 'ocr_000001')], question: 'What is written?', answer: 'x', answerType: 'text' },
];

/** The reference's per-layer mass: response rows → image keys, head-averaged, row-averaged. */
function referenceMass(reference: ReferenceModel, ids: number[], images: Parameters<typeof referenceForward>[2], responseLength: number): number[] {
  const queries = Array.from({ length: responseLength }, (_, index) => ids.length - responseLength + index);
  const run = referenceForward(reference, ids, { ...images, attentionMass: { queries, keys: imageTokenPositions(ids, reference.config.imageTokenId) } });
  return run.layers.map((layer) => layer!.attentionMass!.reduce((a, b) => a + b, 0) / responseLength);
}

describe('attention to vision probe', () => {
  it('per-layer masses (own and shared responses) equal the brute force; RL − IN rows are their paired means', async () => {
    const outDir = tempDir();
    const { rows } = await runAttentionProbe({ models, items, settings: { maxNewTokens: MAX_NEW, condition: 'real', style: {}, scope: 'response', sharedFrom: 'in' }, outDir });
    const records = readRecords<AttentionItem>(itemsFile(outDir, 'attention'));
    const expected: Record<string, Record<'own' | 'shared', Record<'in' | 'rl', number[]>>> = {};
    for (const item of items) {
      const record = records.find((entry) => entry.id === item.id)!;
      const messages = await conditionMessages(item, 'real', {});
      const responses = {} as Record<'in' | 'rl', number[]>;
      for (const role of ['in', 'rl'] as const) {
        const model: ProbeModel = models[role];
        const prepared = await preparePrompt(model, messages);
        const tokens = referenceGreedy(references[role], prepared.ids, prepared.images, greedySettings(model, MAX_NEW)).tokens;
        responses[role] = model.generation.eosTokenIds.includes(tokens.at(-1)!) ? tokens.slice(0, -1) : tokens;
        assert.equal(record.responses[role], model.processor.tokenizer.decode(tokens, { skipSpecialTokens: true }), `${item.id} ${role} response`);
      }
      const mass = async (role: 'in' | 'rl', response: number[]) => {
        const prepared = await preparePrompt(models[role], messages, response);
        return referenceMass(references[role], prepared.ids, prepared.images, response.length);
      };
      expected[item.id] = { own: { in: await mass('in', responses.in), rl: await mass('rl', responses.rl) }, shared: { in: await mass('in', responses.in), rl: await mass('rl', responses.in) } };
      for (const kind of ['own', 'shared'] as const) {
        for (const role of ['in', 'rl'] as const) {
          const actual = record.measurements[kind][role].perLayer!;
          expected[item.id]![kind][role].forEach((value, layer) => assert.ok(Math.abs(actual[layer]! - value) <= 1e-5, `${item.id} ${kind} ${role} layer ${layer}: ${actual[layer]} vs ${value}`));
        }
      }
    }
    for (const row of rows.filter((entry) => entry.layer !== null)) {
      const differences = items.map((item) => expected[item.id]![row.response].rl[row.layer!]! - expected[item.id]![row.response].in[row.layer!]!);
      const mean = differences.reduce((a, b) => a + b, 0) / differences.length;
      assert.ok(Math.abs(row.difference - mean) <= 1e-5, `${row.response} layer ${row.layer}`);
      assert.ok(row.lower <= row.difference + 1e-12 && row.difference <= row.upper + 1e-12);
    }
    assert.ok(rows.some((row) => Math.abs(row.difference) > 1e-4), 'the perturbed model should attend differently');
    assert.deepEqual(rows.filter((row) => row.block !== null).map((row) => `${row.response}:${row.block}`), ['own:early', 'own:mid', 'own:late', 'shared:early', 'shared:mid', 'shared:late']);
  });

  it('think scope keeps the tokens inside <think>…</think>', () => {
    const tokenizer = models.in.processor.tokenizer;
    const response = tokenizer.encode('ok <think>look at it</think> done');
    const { rows, scope } = reasoningTokens(tokenizer, response, 'think');
    assert.equal(scope, 'think');
    assert.equal(tokenizer.decode(rows.map((row) => response[row]!)), 'look at it');
    assert.equal(reasoningTokens(tokenizer, tokenizer.encode('no block'), 'think').scope, 'response');
  });
});

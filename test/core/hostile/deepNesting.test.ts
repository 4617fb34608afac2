/**
 * Input nested 100,000 levels deep (JSON, JSONL lines, YAML, Python literals, LaTeX answers, Jinja):
 * a clear FrankenlensError naming the file, never "Maximum call stack size exceeded" or a crash.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cleanAnswer } from '../../../src/core/bench/answerNormalization';
import { readBenchmarkItems } from '../../../src/core/bench/benchmarkItems';
import { importLmmsEvalLog } from '../../../src/core/bench/lmmsEvalLog';
import { mathEquivalent } from '../../../src/core/bench/mathEquivalence';
import { readModelResponses } from '../../../src/core/bench/modelResponses';
import { parsePythonStringList } from '../../../src/core/bench/pythonLiteral';
import { openCheckpoint } from '../../../src/core/checkpoint/checkpoint';
import { parseHeader } from '../../../src/core/checkpoint/safetensorsHeader';
import { FrankenlensError } from '../../../src/core/errors';
import { fromMergekitYaml } from '../../../src/core/merge/mergekitYaml';
import { validatePlan } from '../../../src/core/merge/mergePlan';
import { readPlanFile } from '../../../src/core/merge/planFile';
import { readVisionPairs } from '../../../src/core/probes/visionPairs';
import { MAX_NESTING, nestingExceeds, parseJson, previewValue, yamlNestingExceeds } from '../../../src/core/regularFile';
import { TINY_SHAPE, writeSyntheticCheckpoint } from '../../../src/core/synthetic/syntheticQwenVl';
import { loadChatTemplate } from '../../../src/core/text/chatTemplate';
import { loadTokenizer } from '../../../src/core/text/tokenizer';
import { tempDir } from '../../helpers/tempDir';

const DEEP = 100_000;
const deepArray = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** A clean FrankenlensError whose message starts with `where` and says it is nested too deeply. */
function assertTooDeep(call: () => unknown, where: string): void {
  assert.throws(call, (error: unknown) => {
    assert.ok(error instanceof FrankenlensError, `a FrankenlensError, got ${String(error)}`);
    assert.equal(error.code, 'TooDeeplyNested', error.message);
    assert.ok(error.message.startsWith(`${where}: nested too deeply`), error.message);
    assert.doesNotMatch(error.message, /Maximum call stack|RangeError|\n/);
    return true;
  });
}

describe('deeply nested input', () => {
  const root = tempDir();

  it('parseJson refuses nesting past MAX_NESTING and accepts it up to there', () => {
    assert.doesNotThrow(() => parseJson(deepArray(MAX_NESTING), 'f.json', 'InvalidConfig'));
    assertTooDeep(() => parseJson(deepArray(MAX_NESTING + 1), 'f.json', 'InvalidConfig'), 'f.json');
    assertTooDeep(() => parseJson(deepObject(DEEP), 'f.json', 'InvalidConfig'), 'f.json');
    assert.equal(nestingExceeds('x'.repeat(1000), 1), false);
  });

  it('config.json and the shard index', () => {
    const dir = join(root, 'ckpt');
    writeSyntheticCheckpoint(dir, { shape: TINY_SHAPE, seed: 1, dtype: 'BF16' });
    const config = join(dir, 'config.json');
    writeFileSync(config, `{"model_type": "qwen2", "text_config": ${deepObject(DEEP)}}`);
    assertTooDeep(() => openCheckpoint(dir), config);
    writeFileSync(config, '{"model_type": "qwen2"}');
    const index = join(dir, 'model.safetensors.index.json');
    writeFileSync(index, `{"weight_map": {}, "metadata": ${deepArray(DEEP)}}`);
    assertTooDeep(() => openCheckpoint(dir), index);
  });

  it('tokenizer files', () => {
    const dir = join(root, 'tokenizer');
    mkdirSync(dir);
    copyFileSync(join('test', 'fixtures', 'qwen2_5_vl_tiny', 'tokenizer.json'), join(dir, 'tokenizer.json'));
    writeFileSync(join(dir, 'tokenizer_config.json'), `{"added_tokens_decoder": ${deepObject(DEEP)}}`);
    assertTooDeep(() => loadTokenizer(dir), join(dir, 'tokenizer_config.json'));
  });

  it('a chat template nested past what the Jinja parser follows', () => {
    const dir = join(root, 'template');
    mkdirSync(dir);
    for (const file of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join('test', 'fixtures', 'qwen2_5_vl_tiny', file), join(dir, file));
    const jinja = join(dir, 'chat_template.jinja');
    writeFileSync(jinja, `${'{% if true %}'.repeat(DEEP)}x${'{% endif %}'.repeat(DEEP)}`);
    assert.throws(
      () => loadChatTemplate(dir, loadTokenizer(dir)),
      (error: unknown) => error instanceof FrankenlensError && error.message.startsWith(`${jinja}: `) && !/Maximum call stack/.test(error.message),
    );
  });

  it('benchmark item, response, lmms-eval and vision pair lines name the line', () => {
    const items = join(root, 'items.jsonl');
    writeFileSync(items, `{"id": "a", "question": "q", "answer": "1", "answerType": "number", "images": []}\n{"id": ${deepArray(DEEP)}}\n`);
    assertTooDeep(() => readBenchmarkItems(items), `${items}, line 2`);
    assertTooDeep(() => readModelResponses(items), `${items}, line 2`);
    assertTooDeep(() => importLmmsEvalLog(items), `${items}, line 2`);
    const pairs = join(root, 'pairs');
    mkdirSync(join(pairs, 'ocr'), { recursive: true });
    writeFileSync(join(pairs, 'ocr', 'data.jsonl'), `{"meta": ${deepObject(DEEP)}}\n`);
    assertTooDeep(() => readVisionPairs(pairs, { tasks: ['ocr'] }), `${join(pairs, 'ocr', 'data.jsonl')}:1`);
  });

  it('a response nested as deep as the limit allows is still found', () => {
    const log = join(root, 'lmms.jsonl');
    const nested = `${'['.repeat(MAX_NESTING - 2)}"B"${']'.repeat(MAX_NESTING - 2)}`;
    writeFileSync(log, `${JSON.stringify({ doc_id: 0, doc: { id: 'x', question: 'Which?', choices: ['a', 'b'], answer: 'B' } }).slice(0, -1)}, "filtered_resps": ${nested}}\n`);
    assert.equal(importLmmsEvalLog(log).responses[0]!.response, 'B');
  });

  it('merge plans: JSON, YAML in flow and block style, mergekit configs', () => {
    const json = join(root, 'plan.json');
    writeFileSync(json, `{"models": ${deepObject(DEEP)}}`);
    assertTooDeep(() => readPlanFile(json), json);
    const flow = join(root, 'plan.yaml');
    writeFileSync(flow, `models: ${deepArray(DEEP)}\n`);
    assertTooDeep(() => readPlanFile(flow), flow);
    const block = join(root, 'block.yaml');
    writeFileSync(block, `models:\n${Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i + 1)}- `).join('\n')}x\n`);
    assertTooDeep(() => readPlanFile(block), block);
    assertTooDeep(() => fromMergekitYaml(`merge_method: passthrough\nslices: ${deepArray(DEEP)}\n`, 'mk.yml'), 'mk.yml');
    // Told from the text before the parser recurses (a stack that runs out inside the parser's regular expressions can kill the process).
    assert.equal(yamlNestingExceeds(`a: ${deepArray(MAX_NESTING + 1)}`, MAX_NESTING), true);
    assert.equal(yamlNestingExceeds(`a: ${deepArray(MAX_NESTING)}`, MAX_NESTING), false);
    assert.equal(yamlNestingExceeds(`models: {a: "/x${'['.repeat(2000)}", b: '${'{'.repeat(2000)}'} # ${'['.repeat(2000)}\nslices: [[0, 4]]\n`, MAX_NESTING), false, 'brackets in quotes and comments do not count');
  });

  it('plan and header messages preview nested values instead of printing them', () => {
    const nested = JSON.parse(deepArray(MAX_NESTING));
    assert.throws(
      () => validatePlan({ models: { a: '/a' }, slices: [{ start: nested, end: 1, source: 'a' }] }, 'p.json'),
      (error: FrankenlensError) => error.message.startsWith('p.json: slice 1 has range [[[[') && error.message.length < 300,
    );
    assert.ok(previewValue(nested).length <= 80);
    const header = Buffer.from(`{"t": {"dtype": "F32", "shape": ${deepArray(MAX_NESTING - 2)}, "data_offsets": [0, 4]}}`);
    assert.throws(() => parseHeader(header, 8 + header.length + 4, 'm.safetensors'), (error: FrankenlensError) => error.code === 'InvalidShape' && error.message.startsWith('m.safetensors: tensor "t": shape [[[['));
  });

  it('Python literals and LaTeX answers: not parsed, never a crash', () => {
    assert.equal(parsePythonStringList(deepArray(DEEP)), undefined);
    assert.equal(parsePythonStringList(`[${"'a', ".repeat(DEEP)}'b']`)?.length, DEEP + 1);
    assert.equal(mathEquivalent(`${'('.repeat(DEEP)}1${')'.repeat(DEEP)}`, '1'), undefined);
    assert.equal(mathEquivalent(`${'-'.repeat(DEEP)}1`, '1'), undefined);
    assert.equal(mathEquivalent('1+'.repeat(DEEP) + '1', '2'), undefined);
    assert.doesNotThrow(() => cleanAnswer(`${'\\boxed{'.repeat(5000)}1${'}'.repeat(5000)}`));
  });
});

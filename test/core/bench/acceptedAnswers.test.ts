import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkAnswer } from '../../../src/core/bench/answerCheck';
import { extractAnswer } from '../../../src/core/bench/answerExtraction';

const check = (response: string, gold: Parameters<typeof checkAnswer>[1]) => checkAnswer(extractAnswer(response, { choices: gold.choices }), gold, response);

describe('several accepted answers (MMMU-style list answers)', () => {
  it('accepts any listed choice and says which one matched', () => {
    const gold = { answer: 'A', answers: ['A', 'C'], answerType: 'choice' as const, choices: ['red', 'green', 'blue'] };
    assert.equal(check('The answer is (A).', gold).correct, true);
    const third = check('The answer is (C).', gold);
    assert.equal(third.correct, true);
    assert.match(third.detail, /accepted answer "C", one of 2/);
    assert.equal(check('The answer is (B).', gold).correct, false);
  });

  it('accepts any listed value of a free-form answer, and nothing else', () => {
    const gold = { answer: '1', answers: ['1', '2'], answerType: 'number' as const };
    assert.equal(check('So the answer is \\boxed{2}.', gold).correct, true);
    assert.equal(check('So the answer is \\boxed{1}.', gold).correct, true);
    assert.equal(check('So the answer is \\boxed{3}.', gold).correct, false);
  });

  it('is the single answer when the list has one entry', () => {
    assert.equal(check('\\boxed{7}', { answer: '7', answers: ['7'], answerType: 'number' }).correct, true);
  });
});

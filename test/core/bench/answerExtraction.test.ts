/**
 * The extraction and rule-check table: tricky answer strings, each with the answer we expect to be
 * extracted (and by which rule) and whether it is right against a gold answer. Cases marked "paper
 * bug" are ones the paper's code gets wrong (reference §3.6, §8); the comment says what it did.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkAnswer, PAPER_TOLERANCE, type CheckRule } from '../../../src/core/bench/answerCheck';
import { extractAnswer, type ExtractionRule, type ScoringProtocol } from '../../../src/core/bench/answerExtraction';
import type { AnswerType } from '../../../src/core/bench/answerCheck';
import { mathEquivalent } from '../../../src/core/bench/mathEquivalence';

interface Case {
  response: string;
  /** The extracted answer; undefined when none. */
  extracted: string | undefined;
  rule: ExtractionRule;
  gold: string;
  type: AnswerType;
  correct: boolean;
  /** The check rule that decided, where the case is about it. */
  check?: CheckRule;
  choices?: string[];
  protocol?: ScoringProtocol;
  /** For choice items: the letter the extracted answer names. */
  letter?: string;
  /** Check with the paper's extra 1% numeric rule (PAPER_TOLERANCE) instead of Math-Verify's comparison only. */
  paperTolerance?: boolean;
}

const ABCD = ['3', '4', '5', '6'];
const NUMBERS = ['140', '145', '150'];
const TAG = '<answer> tag';
const BOXED = 'last \\boxed{}';

const CASES: Case[] = [
  // <answer> tags
  { response: '<answer>42</answer>', extracted: '42', rule: TAG, gold: '42', type: 'number', correct: true, check: 'exact match' },
  { response: 'Reasoning...\n<answer>\n   42 \n</answer>', extracted: '42', rule: TAG, gold: '42', type: 'number', correct: true },
  { response: '<ANSWER>7</ANSWER>', extracted: '7', rule: TAG, gold: '7', type: 'number', correct: true },
  { response: '<answer>4</answer> and later <answer>5</answer>', extracted: '4', rule: TAG, gold: '4', type: 'number', correct: true }, // the first tag, as the paper
  { response: '<answer></answer> The answer is 4.', extracted: '4', rule: 'the answer is', gold: '4', type: 'number', correct: true },
  { response: '<answer>\\boxed{\\frac{1}{2}}</answer>', extracted: '\\frac{1}{2}', rule: TAG, gold: '0.5', type: 'expression', correct: true, check: 'math equivalence' },
  { response: '<answer>0.5</answer>', extracted: '0.5', rule: TAG, gold: '0.5', type: 'number', correct: true }, // paper bug: 0.5 → 5
  { response: '<answer>0.5</answer>', extracted: '0.5', rule: TAG, gold: '5', type: 'number', correct: false, check: 'no rule matched' }, // paper bug: right by accident
  { response: '<answer>2.5</answer>', extracted: '2.5', rule: TAG, gold: '2.5', type: 'number', correct: true }, // paper bug: 2.5 → 5
  { response: '<answer>3.75</answer>', extracted: '3.75', rule: TAG, gold: '3.75', type: 'number', correct: true }, // paper bug: → 75
  { response: '<answer>1-\\sqrt{2}</answer>', extracted: '1-\\sqrt{2}', rule: TAG, gold: '1-\\sqrt{2}', type: 'expression', correct: true, check: 'exact match' }, // paper bug: → \sqrt{2}
  { response: '<answer>3:2</answer>', extracted: '3:2', rule: TAG, gold: '3:2', type: 'text', correct: true }, // paper bug: → 2
  { response: '<answer>a-b</answer>', extracted: 'a-b', rule: TAG, gold: 'a - b', type: 'expression', correct: true }, // paper bug: → b
  { response: '<answer>12.5</answer>', extracted: '12.5', rule: TAG, gold: '12.5', type: 'number', correct: true },
  { response: '<answer>B</answer>', extracted: 'B', rule: TAG, gold: 'B', type: 'choice', choices: ABCD, correct: true, letter: 'B', check: 'choice letter' },
  { response: '<answer>b</answer>', extracted: 'b', rule: TAG, gold: '4', type: 'choice', choices: ABCD, correct: true, letter: 'B' },
  { response: '<answer>B. 145</answer>', extracted: 'B. 145', rule: TAG, gold: '145', type: 'choice', choices: NUMBERS, correct: true, letter: 'B' },
  { response: '<answer>(C)</answer>', extracted: '(C)', rule: TAG, gold: 'C', type: 'choice', choices: NUMBERS, correct: true, letter: 'C' },
  { response: '<answer>145</answer>', extracted: '145', rule: TAG, gold: 'B', type: 'choice', choices: NUMBERS, correct: true, check: 'choice text' },
  { response: '<answer>150</answer>', extracted: '150', rule: TAG, gold: 'B', type: 'choice', choices: NUMBERS, correct: false, check: 'choice text' },
  { response: '<answer> 3.5 </answer>', extracted: '3.5', rule: TAG, gold: '3.50', type: 'number', correct: true },

  // <think>: a draft answer inside the thinking loses to the final one
  { response: '<think>maybe <answer>3</answer></think><answer>5</answer>', extracted: '5', rule: TAG, gold: '5', type: 'number', correct: true },
  { response: '<think>the answer is 3</think>\n<answer>5</answer>', extracted: '5', rule: TAG, gold: '5', type: 'number', correct: true },
  { response: '<think>Let me guess \\boxed{2}</think>The final result is \\boxed{3}', extracted: '3', rule: BOXED, gold: '3', type: 'number', correct: true },
  { response: '<think>\\boxed{2} is likely</think>', extracted: '2', rule: BOXED, gold: '2', type: 'number', correct: true },
  { response: '<think>The answer is 9.</think>\nAnswer: 10', extracted: '10', rule: 'the answer is', gold: '10', type: 'number', correct: true },
  { response: '<think>\nreasoning\n</think>\n<answer>\n 3.5 \n</answer>', extracted: '3.5', rule: TAG, gold: '3.50', type: 'number', correct: true },
  { response: '<think>it is B</think>\n<answer>C</answer>', extracted: 'C', rule: TAG, gold: 'B', type: 'choice', choices: ABCD, correct: false, letter: 'C' },

  // \boxed{}: the last one, braces matched
  { response: 'So x = \\boxed{5}.', extracted: '5', rule: BOXED, gold: '5', type: 'number', correct: true },
  { response: 'First \\boxed{3}, wait, actually \\boxed{4}', extracted: '4', rule: BOXED, gold: '4', type: 'number', correct: true }, // a correction: not joined (Math-Verify joins them)
  { response: 'The roots are \\boxed{2} and \\boxed{-3}.', extracted: '2, -3', rule: BOXED, gold: '-3, 2', type: 'expression', correct: true, check: 'math equivalence' }, // several boxes, one answer
  { response: '\\boxed{1}, \\boxed{2}', extracted: '1, 2', rule: BOXED, gold: '\\{1,2\\}', type: 'expression', correct: true },
  { response: 'So $x = \\boxed{5}$.\n\nFinal answer: 7', extracted: '7', rule: 'final answer', gold: '7', type: 'number', correct: true }, // a later final-answer sentence wins
  { response: 'We get \\boxed{\\frac{a}{b}}.', extracted: '\\frac{a}{b}', rule: BOXED, gold: '\\frac{a}{b}', type: 'expression', correct: true, check: 'exact match' },
  { response: '\\boxed{\\frac{1}{2}}', extracted: '\\frac{1}{2}', rule: BOXED, gold: '0.5', type: 'expression', correct: true, check: 'math equivalence' },
  { response: '\\boxed{\\dfrac{1}{2}}', extracted: '\\dfrac{1}{2}', rule: BOXED, gold: '\\frac{1}{2}', type: 'expression', correct: true, check: 'exact match' },
  { response: '\\boxed{\\dfrac{3}{4}}', extracted: '\\dfrac{3}{4}', rule: BOXED, gold: '0.75', type: 'number', correct: true, check: 'math equivalence' },
  { response: '\\boxed{\\tfrac{5}{2}}', extracted: '\\tfrac{5}{2}', rule: BOXED, gold: '2.5', type: 'number', correct: true },
  { response: '\\boxed{\\frac{\\sqrt{3}}{2}}', extracted: '\\frac{\\sqrt{3}}{2}', rule: BOXED, gold: '\\frac{\\sqrt3}{2}', type: 'expression', correct: true, check: 'math equivalence' },
  { response: '\\boxed{\\frac12}', extracted: '\\frac12', rule: BOXED, gold: '0.5', type: 'expression', correct: true },
  { response: '\\boxed{\\frac{2}{4}}', extracted: '\\frac{2}{4}', rule: BOXED, gold: '\\frac{1}{2}', type: 'expression', correct: true, check: 'math equivalence' },
  { response: '\\boxed{1/2}', extracted: '1/2', rule: BOXED, gold: '\\frac{1}{2}', type: 'expression', correct: true },
  { response: '\\boxed{½}', extracted: '½', rule: BOXED, gold: '0.5', type: 'number', correct: true },
  { response: '\\boxed{\\frac{1}{3}}', extracted: '\\frac{1}{3}', rule: BOXED, gold: '0.33', type: 'number', correct: false },
  { response: '\\boxed{0.333}', extracted: '0.333', rule: BOXED, gold: '\\frac{1}{3}', type: 'expression', correct: false },
  { response: '\\boxed{-\\frac{3}{2}}', extracted: '-\\frac{3}{2}', rule: BOXED, gold: '-1.5', type: 'number', correct: true },
  { response: '\\boxed{\\frac{-3}{2}}', extracted: '\\frac{-3}{2}', rule: BOXED, gold: '-\\frac{3}{2}', type: 'expression', correct: true },
  { response: '\\boxed{\\left(\\frac{1}{2}\\right)}', extracted: '\\left(\\frac{1}{2}\\right)', rule: BOXED, gold: '\\frac12', type: 'expression', correct: true },
  { response: '\\boxed{\\boxed{7}}', extracted: '7', rule: BOXED, gold: '7', type: 'number', correct: true },
  { response: 'Area: \\boxed{x^{2}+1}', extracted: 'x^{2}+1', rule: BOXED, gold: 'x^2+1', type: 'expression', correct: true, check: 'math equivalence' },
  { response: '\\boxed{(x+1)^2}', extracted: '(x+1)^2', rule: BOXED, gold: 'x^2+2x+1', type: 'expression', correct: true, check: 'math equivalence' },
  { response: '\\boxed{(x+1)^2}', extracted: '(x+1)^2', rule: BOXED, gold: 'x^2+1', type: 'expression', correct: false },
  { response: '\\boxed{a+b}', extracted: 'a+b', rule: BOXED, gold: 'b+a', type: 'expression', correct: true },
  { response: '\\boxed{\\frac{x}{2}}', extracted: '\\frac{x}{2}', rule: BOXED, gold: '0.5x', type: 'expression', correct: true },
  { response: '\\boxed{2\\sqrt{3}}', extracted: '2\\sqrt{3}', rule: BOXED, gold: '\\sqrt{12}', type: 'expression', correct: true, check: 'math equivalence' },
  { response: '\\boxed{3\\pi/2}', extracted: '3\\pi/2', rule: BOXED, gold: '\\frac{3\\pi}{2}', type: 'expression', correct: true },
  { response: '\\boxed{\\sqrt[3]{8}}', extracted: '\\sqrt[3]{8}', rule: BOXED, gold: '2', type: 'expression', correct: true },
  { response: '\\boxed{2^{-1}}', extracted: '2^{-1}', rule: BOXED, gold: '0.5', type: 'expression', correct: true },
  { response: '\\boxed{(3, \\frac{\\pi}{2})}', extracted: '(3, \\frac{\\pi}{2})', rule: BOXED, gold: '(3,\\frac{\\pi}{2})', type: 'expression', correct: true, check: 'exact match' },
  { response: '\\boxed{(3, 1.5)}', extracted: '(3, 1.5)', rule: BOXED, gold: '(3,\\frac{3}{2})', type: 'expression', correct: true, check: 'math equivalence' },
  { response: '\\boxed{[-2, 7)}', extracted: '[-2, 7)', rule: BOXED, gold: '[-2,7]', type: 'expression', correct: false },
  { response: '\\boxed{(-\\infty, 3]}', extracted: '(-\\infty, 3]', rule: BOXED, gold: '(-\\infty,3]', type: 'expression', correct: true },
  { response: '\\boxed{\\{1,2\\}}', extracted: '\\{1,2\\}', rule: BOXED, gold: '\\{1, 2\\}', type: 'expression', correct: true },
  { response: '\\boxed{x = 5}', extracted: 'x = 5', rule: BOXED, gold: '5', type: 'expression', correct: true, check: 'math equivalence' },
  { response: '\\boxed{\\text{Evelyn}}', extracted: '\\text{Evelyn}', rule: BOXED, gold: 'Evelyn', type: 'text', correct: true, check: 'exact match' },
  { response: '\\boxed{\\pi}', extracted: '\\pi', rule: BOXED, gold: '3.14', type: 'number', correct: false },
  { response: '\\boxed{5', extracted: '\\boxed{5', rule: 'last 50 characters', gold: '5', type: 'number', correct: false }, // an unclosed box is not a box, nor a number (Math-Verify reads nothing)
  { response: '\\boxed{\\text{(B)}}', extracted: '\\text{(B)}', rule: BOXED, gold: 'B', type: 'choice', choices: ABCD, correct: true, letter: 'B' },
  { response: '\\boxed{B}', extracted: 'B', rule: BOXED, gold: '4', type: 'choice', choices: ABCD, correct: true, letter: 'B' },

  // negative numbers and decimals
  { response: '\\boxed{-3}', extracted: '-3', rule: BOXED, gold: '-3', type: 'number', correct: true },
  { response: '\\boxed{−3}', extracted: '−3', rule: BOXED, gold: '-3', type: 'number', correct: true, check: 'exact match' }, // unicode minus
  { response: '\\boxed{3}', extracted: '3', rule: BOXED, gold: '-3', type: 'number', correct: false },
  { response: '\\boxed{-0.5}', extracted: '-0.5', rule: BOXED, gold: '0.5', type: 'number', correct: false },
  { response: '\\boxed{.5}', extracted: '.5', rule: BOXED, gold: '0.5', type: 'number', correct: true },
  { response: '\\boxed{-.75}', extracted: '-.75', rule: BOXED, gold: '-0.75', type: 'number', correct: true },
  { response: '\\boxed{+4}', extracted: '+4', rule: BOXED, gold: '4', type: 'number', correct: true },
  { response: '\\boxed{007}', extracted: '007', rule: BOXED, gold: '7', type: 'number', correct: true },
  { response: '\\boxed{3.50}', extracted: '3.50', rule: BOXED, gold: '3.5', type: 'number', correct: true, check: 'math equivalence' },
  { response: '\\boxed{2,5}', extracted: '2,5', rule: BOXED, gold: '2.5', type: 'number', correct: false }, // no decimal commas
  { response: '\\boxed{3,4}', extracted: '3,4', rule: BOXED, gold: '34', type: 'number', correct: false }, // paper bug: commas removed everywhere
  { response: '\\boxed{1,000}', extracted: '1,000', rule: BOXED, gold: '1000', type: 'number', correct: true, check: 'math equivalence' },
  { response: '\\boxed{1{,}000}', extracted: '1{,}000', rule: BOXED, gold: '1000', type: 'number', correct: true },
  { response: '\\boxed{-1234567890}', extracted: '-1234567890', rule: BOXED, gold: '1234567890', type: 'number', correct: false }, // paper bug: containment
  { response: '\\boxed{3.14}', extracted: '3.14', rule: BOXED, gold: '3.1416', type: 'number', correct: true, check: 'numeric tolerance', paperTolerance: true }, // the paper's 1%
  { response: '\\boxed{3.14}', extracted: '3.14', rule: BOXED, gold: '3.1416', type: 'number', correct: false }, // Math-Verify: 6 decimals
  { response: '\\boxed{0.333333}', extracted: '0.333333', rule: BOXED, gold: '\\frac{1}{3}', type: 'expression', correct: true, check: 'math equivalence' },
  { response: '\\boxed{100.5}', extracted: '100.5', rule: BOXED, gold: '100', type: 'number', correct: true, check: 'numeric tolerance', paperTolerance: true },
  { response: '\\boxed{101}', extracted: '101', rule: BOXED, gold: '100', type: 'number', correct: false, paperTolerance: true }, // exactly 1% is outside
  { response: '\\boxed{0.0000001}', extracted: '0.0000001', rule: BOXED, gold: '0', type: 'number', correct: true },
  { response: '\\boxed{0.001}', extracted: '0.001', rule: BOXED, gold: '0', type: 'number', correct: false },

  // percentages, degrees, units, currency
  { response: '\\boxed{50\\%}', extracted: '50\\%', rule: BOXED, gold: '50', type: 'number', correct: true, check: 'math equivalence' }, // the percentage the gold names
  { response: '\\boxed{50\\%}', extracted: '50\\%', rule: BOXED, gold: '\\frac{1}{2}', type: 'expression', correct: true }, // Math-Verify: 50% is 1/2
  { response: '\\boxed{50}', extracted: '50', rule: BOXED, gold: '50\\%', type: 'number', correct: false }, // Math-Verify: 50 is not 50%
  { response: '\\boxed{25\\%}', extracted: '25\\%', rule: BOXED, gold: '25%', type: 'number', correct: true, check: 'exact match' },
  { response: '\\boxed{0.25}', extracted: '0.25', rule: BOXED, gold: '25%', type: 'number', correct: true }, // Math-Verify: 25% is 0.25
  { response: '\\boxed{45^\\circ}', extracted: '45^\\circ', rule: BOXED, gold: '45', type: 'number', correct: true },
  { response: '\\boxed{45^{\\circ}}', extracted: '45^{\\circ}', rule: BOXED, gold: '45°', type: 'number', correct: true, check: 'exact match' },
  { response: 'The angle is 45°', extracted: '45', rule: 'last number', gold: '45°', type: 'number', correct: true, protocol: 'ablation' },
  { response: '\\boxed{45°}', extracted: '45°', rule: BOXED, gold: '45', type: 'number', correct: true },
  { response: '\\boxed{12 \\text{ cm}}', extracted: '12 \\text{ cm}', rule: BOXED, gold: '12', type: 'number', correct: true, check: 'math equivalence' },
  { response: '\\boxed{12\\text{cm}}', extracted: '12\\text{cm}', rule: BOXED, gold: '12 cm', type: 'number', correct: true },
  { response: '\\boxed{5\\,\\text{m}}', extracted: '5\\,\\text{m}', rule: BOXED, gold: '5', type: 'number', correct: true },
  { response: '\\boxed{3 \\mathrm{kg}}', extracted: '3 \\mathrm{kg}', rule: BOXED, gold: '3', type: 'number', correct: true },
  { response: '\\boxed{12\\text{ cm}^2}', extracted: '12\\text{ cm}^2', rule: BOXED, gold: '12', type: 'number', correct: true },
  { response: '\\boxed{60 \\text{ km/h}}', extracted: '60 \\text{ km/h}', rule: BOXED, gold: '60', type: 'number', correct: true },
  { response: '\\boxed{\\$15}', extracted: '\\$15', rule: BOXED, gold: '15', type: 'number', correct: true },
  { response: '\\boxed{2x}', extracted: '2x', rule: BOXED, gold: '2', type: 'expression', correct: false }, // x is a variable, not a unit

  // trailing number of the last line (transfer protocol)
  { response: 'Adding them gives\n\n42\n', extracted: '42', rule: 'last number', gold: '42', type: 'number', correct: true },
  { response: 'Each share is 3/4', extracted: '3/4', rule: 'last number', gold: '0.75', type: 'number', correct: true, check: 'math equivalence' },
  { response: 'Final: $x = 3.5$', extracted: 'x = 3.5', rule: 'last math', gold: '3.5', type: 'number', correct: true },
  { response: 'The answer is 0.5.', extracted: '0.5', rule: 'the answer is', gold: '0.5', type: 'number', correct: true },
  { response: 'The side is 2√3', extracted: '2√3', rule: 'last number', gold: '2\\sqrt{3}', type: 'expression', correct: true }, // the √ is kept
  { response: 'It travels 3e8 m/s', extracted: '3e8', rule: 'last number', gold: '3 \\times 10^{8}', type: 'expression', correct: true },
  { response: 'Soucis : 2,74 $ a..', extracted: '2,74', rule: 'last number', gold: '2.74', type: 'number', correct: true }, // a decimal comma in plain text
  { response: 'The answer is not 42; it is 24.', extracted: '24', rule: 'last number', gold: '24', type: 'number', correct: true },
  { response: 'We get 7 apples.\nDone', extracted: '7', rule: 'last number', gold: '7', type: 'number', correct: true },
  { response: 'x2 is what we want', extracted: 'x2 is what we want', rule: 'last 50 characters', gold: '2', type: 'number', correct: false },

  // "the answer is" / "therefore" (ablation protocol, §2.4 order)
  { response: 'The answer is 0.5.', extracted: '0.5', rule: 'the answer is', gold: '0.5', type: 'number', correct: true, protocol: 'ablation' }, // paper: stopped at the first period
  { response: 'Final answer: 12 apples', extracted: '12', rule: 'final answer', gold: '12', type: 'number', correct: true, protocol: 'ablation' },
  { response: 'The answer is: **7**', extracted: '7', rule: 'the answer is', gold: '7', type: 'number', correct: true, protocol: 'ablation', check: 'exact match' },
  { response: 'I think the answer is 3. But wait, the answer is 4.', extracted: '4', rule: 'the answer is', gold: '4', type: 'number', correct: true, protocol: 'ablation' },
  { response: 'The answer is -2.5', extracted: '-2.5', rule: 'the answer is', gold: '-2.5', type: 'number', correct: true, protocol: 'ablation' },
  { response: 'The answer is 1,000 people.', extracted: '1,000', rule: 'the answer is', gold: '1000', type: 'number', correct: true, protocol: 'ablation' },
  { response: 'The answer is 0.5 meters.', extracted: '0.5', rule: 'the answer is', gold: '0.5', type: 'number', correct: true },
  { response: 'Hence the answer is 6', extracted: '6', rule: 'the answer is', gold: '6', type: 'number', correct: true, protocol: 'ablation' },
  { response: 'Therefore, x = 5.', extracted: '5', rule: 'therefore', gold: '5', type: 'number', correct: true, protocol: 'ablation' },
  { response: 'Thus the area is 12 cm^2.', extracted: '12', rule: 'last number', gold: '12', type: 'number', correct: true },
  { response: 'So the total is 1,234.', extracted: '1,234', rule: 'therefore', gold: '1234', type: 'number', correct: true, protocol: 'ablation' },
  { response: 'The answer is 25 percent', extracted: '25 percent', rule: 'the answer is', gold: '25%', type: 'number', correct: true, protocol: 'ablation', check: 'math equivalence' },
  { response: `The answer is ${'a very long phrase that goes on and on '.repeat(4)}`, extracted: 'on and on a very long phrase that goes on and on', rule: 'last 50 characters', gold: '1', type: 'number', correct: false, protocol: 'ablation' },

  // last number, tail, nothing
  { response: 'There are 3 cats and 4 dogs, 7 animals in all', extracted: '7', rule: 'last number', gold: '7', type: 'number', correct: true },
  { response: 'The temperature dropped to -5 degrees overnight', extracted: '-5', rule: 'last number', gold: '-5', type: 'number', correct: true },
  { response: 'It costs $1,250 in total', extracted: '1,250', rule: 'last number', gold: '1250', type: 'number', correct: true },
  { response: 'The value is 3.14159 approximately', extracted: '3.14159', rule: 'last number', gold: '3.14', type: 'number', correct: true, paperTolerance: true },
  { response: 'The value is 3.14159 approximately', extracted: '3.14159', rule: 'last number', gold: '3.14', type: 'number', correct: false }, // Math-Verify: rounded to 6 decimals
  { response: 'I cannot determine it.', extracted: 'I cannot determine it.', rule: 'last 50 characters', gold: 'yes', type: 'text', correct: false },
  { response: '', extracted: undefined, rule: 'no answer', gold: '1', type: 'number', correct: false, check: 'no answer' },
  { response: '   \n  ', extracted: undefined, rule: 'no answer', gold: '1', type: 'number', correct: false, check: 'no answer' },

  // choice letters
  { response: 'Answer: b', extracted: 'B', rule: 'choice letter', gold: 'B', type: 'choice', choices: ABCD, correct: true, letter: 'B' },
  { response: 'The answer is (B).', extracted: 'B', rule: 'choice letter', gold: 'B', type: 'choice', choices: ABCD, correct: true },
  { response: 'B.', extracted: 'B', rule: 'choice letter', gold: 'B', type: 'choice', choices: ABCD, correct: true },
  { response: '(B)', extracted: 'B', rule: 'choice letter', gold: '4', type: 'choice', choices: ABCD, correct: true },
  { response: 'The correct option is D because it is largest.', extracted: 'D', rule: 'choice letter', gold: 'D', type: 'choice', choices: ABCD, correct: true },
  { response: 'A triangle has three sides, so the answer is C', extracted: 'C', rule: 'choice letter', gold: 'C', type: 'choice', choices: ABCD, correct: true },
  { response: 'Option (D) is correct.', extracted: 'D', rule: 'choice letter', gold: '6', type: 'choice', choices: ABCD, correct: true },
  { response: '**Answer:** C', extracted: 'C', rule: 'choice letter', gold: 'C', type: 'choice', choices: ABCD, correct: true },
  { response: 'I choose A', extracted: 'A', rule: 'choice letter', gold: 'A', type: 'choice', choices: ABCD, correct: true },
  { response: 'The answer is **C**. A is wrong, and B is wrong too.', extracted: 'C', rule: 'choice letter', gold: 'C', type: 'choice', choices: ABCD, correct: true },
  { response: 'A or B', extracted: 'A or B', rule: 'last 50 characters', gold: 'A', type: 'choice', choices: ABCD, correct: false }, // two letters: no choice
  { response: 'A bird is flying over the trees.', extracted: 'A bird is flying over the trees.', rule: 'last 50 characters', gold: 'C', type: 'choice', choices: ['The cat is sleeping', 'The dog is running', 'A bird is flying'], correct: true, check: 'choice text' }, // "A" is an article
  { response: 'The car is blue.', extracted: 'The car is blue.', rule: 'last 50 characters', gold: 'B', type: 'choice', choices: ['red', 'blue', 'green'], correct: true, check: 'choice text' },
  { response: 'It is not red; it is bored.', extracted: 'It is not red; it is bored.', rule: 'last 50 characters', gold: 'A', type: 'choice', choices: ['red', 'blue', 'green'], correct: false, check: 'no rule matched' },
  { response: 'the answer is a triangle', extracted: 'a triangle', rule: 'the answer is', gold: 'B', type: 'choice', choices: ['square', 'circle'], correct: false }, // "a" is not choice A
  { response: 'Therefore, circle.', extracted: 'circle', rule: 'therefore', gold: 'circle', type: 'choice', choices: ['square', 'circle'], correct: true, check: 'choice text' },
  { response: 'The answer is E', extracted: 'E', rule: 'the answer is', gold: 'A', type: 'choice', choices: ABCD, correct: false, check: 'no rule matched' }, // only A–D exist
  { response: 'Looking at the options, B is wrong; the answer is \\boxed{C}', extracted: 'C', rule: BOXED, gold: 'B', type: 'choice', choices: ABCD, correct: false, letter: 'C' }, // paper bug: B found in the full response
  { response: 'The largest value is 150.', extracted: '150', rule: 'last number', gold: 'C', type: 'choice', choices: NUMBERS, correct: true, check: 'choice text' },
  { response: 'One of four: \\boxed{\\frac{1}{4}}', extracted: '\\frac{1}{4}', rule: BOXED, gold: 'B', type: 'choice', choices: ['1/2', '1/4', '3/4'], correct: true, check: 'choice text' },
  { response: '\\boxed{146}', extracted: '146', rule: BOXED, gold: '145', type: 'choice', choices: ['145', '146', '147'], correct: false }, // paper: within 1% of 145
  { response: '\\boxed{145.0}', extracted: '145.0', rule: BOXED, gold: '145', type: 'choice', choices: NUMBERS, correct: true, check: 'choice text' },
  { response: 'Hmm, hard to say.\nMy pick: option C', extracted: 'C', rule: 'choice letter', gold: '150', type: 'choice', choices: NUMBERS, correct: true },

  // free text
  { response: '\\boxed{Yes}', extracted: 'Yes', rule: BOXED, gold: 'yes', type: 'text', correct: true, check: 'exact match' },
  { response: '\\boxed{No}', extracted: 'No', rule: BOXED, gold: 'yes', type: 'text', correct: false },
  { response: '\\boxed{sey}', extracted: 'sey', rule: BOXED, gold: 'yes', type: 'expression', correct: false }, // words are not products of letters
  { response: '\\boxed{Eiffel Towers}', extracted: 'Eiffel Towers', rule: BOXED, gold: 'Eiffel Tower', type: 'text', correct: true, check: 'containment' },
  { response: '\\boxed{the Eiffel Tower}', extracted: 'the Eiffel Tower', rule: BOXED, gold: 'Eiffel Tower', type: 'text', correct: false }, // ratio 0.79 < 0.9
  { response: `\\boxed{${'9'.repeat(400)}}`, extracted: '9'.repeat(400), rule: BOXED, gold: '42', type: 'number', correct: false },
  { response: '\\boxed{\\infty}', extracted: '\\infty', rule: BOXED, gold: '\\infty', type: 'expression', correct: true },
];

describe('answer extraction and rule check: the table', () => {
  it(`has at least 100 cases (${CASES.length})`, () => assert.ok(CASES.length >= 100));
  CASES.forEach((testCase, index) => {
    const label = `#${index} ${JSON.stringify(testCase.response).slice(0, 70)} vs ${JSON.stringify(testCase.gold)}`;
    it(label, () => {
      const extraction = extractAnswer(testCase.response, { choices: testCase.choices, protocol: testCase.protocol });
      assert.equal(extraction.extracted, testCase.extracted, 'extracted');
      assert.equal(extraction.rule, testCase.rule, 'extraction rule');
      if (extraction.span) {
        // The span shows the answer where it was written; a choice letter may have been written in lowercase.
        const written = testCase.response.slice(...extraction.span);
        assert.equal(extraction.rule === 'choice letter' ? written.toUpperCase() : written, extraction.extracted, 'span');
      }
      if (testCase.letter) assert.equal(extraction.choiceLetter, testCase.letter, 'choice letter');
      const result = checkAnswer(extraction, { answer: testCase.gold, answerType: testCase.type, choices: testCase.choices }, testCase.response, testCase.paperTolerance ? PAPER_TOLERANCE : null);
      assert.equal(result.correct, testCase.correct, `correct (${result.rule}: ${result.detail})`);
      if (testCase.check) assert.equal(result.rule, testCase.check, 'check rule');
      assert.ok(result.detail.length > 0);
    });
  });
});

describe('math equivalence: what it refuses to judge', () => {
  it('returns undefined, not false or true, for text it cannot parse', () => {
    for (const text of ['yes', 'a square', '\\unknown{3}', '(1, 2', '']) assert.equal(mathEquivalent(text, '1'), undefined, text);
  });

  it('never calls an overflowing number equal to a finite one, and survives deep nesting', () => {
    assert.equal(mathEquivalent('9'.repeat(400), '42'), false);
    assert.equal(mathEquivalent('\\infty', '\\infty'), true);
    assert.equal(mathEquivalent('-\\infty', '\\infty'), false);
    assert.equal(mathEquivalent(`${'('.repeat(5000)}1${')'.repeat(5000)}`, '1'), undefined);
    assert.equal(mathEquivalent('\\sqrt{-1}', '\\sqrt{-4}'), false, 'no sample point where both are defined');
  });

  it('compares tuples in order and intervals by their brackets', () => {
    assert.equal(mathEquivalent('(1, 2)', '(2, 1)'), false);
    assert.equal(mathEquivalent('[0, \\frac{1}{2})', '[0, 0.5)'), true);
    assert.equal(mathEquivalent('[0, 1]', '(0, 1)'), false);
    assert.equal(mathEquivalent('y = 2x + 1', '1 + 2x'), true);
  });
});

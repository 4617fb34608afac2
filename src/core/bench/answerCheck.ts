/**
 * The rule check: is an extracted answer right? The paper's rules (reference §3.6, §2.4) in its
 * order; the first rule that succeeds decides, and the result says which rule and why.
 *
 * Deliberate deviations from the paper's code:
 * - Multiple choice is decided by the choice the answer names (its letter, or its text matching a
 *   choice's text), compared with the gold choice (a letter or a choice text). The paper accepts a
 *   letter gold when parse_mcq finds it in the extracted answer OR anywhere in the full response, so
 *   "B is wrong, the answer is \boxed{C}" counted as B; here the full response is read only when the
 *   extracted answer names no choice. Its numeric 1% tolerance never picks a neighbouring choice.
 * - Containment (either string inside the other, length ratio ≥ 0.9) is not applied when both
 *   answers are numbers: in the paper "-1234567890" contained "1234567890" and counted as right.
 * - Thousands commas are removed only as thousands separators ("1,000"), not everywhere ("3,4" is not 34).
 * - math_verify is replaced by a local numeric equivalence check (mathEquivalence.ts); it is not a
 *   full symbolic checker.
 */
import type { Extraction } from './answerExtraction';
import { comparisonText, plainNumber } from './answerNormalization';
import { CHOICE_LETTERS, findChoiceLetter } from './choiceLetters';
import { mathEquivalent } from './mathEquivalence';

export type CheckRule =
  | 'choice letter'
  | 'choice text'
  | 'exact match'
  | 'containment'
  | 'math equivalence'
  | 'numeric tolerance'
  | 'no answer'
  | 'no rule matched';

export interface CheckResult {
  correct: boolean;
  rule: CheckRule;
  /** One sentence a person can check: what was compared with what. */
  detail: string;
}

/**
 * How an item's answer is checked, by its type:
 * - choice: multiple choice; `choices` lists the texts (letters A, B, … in order) and the answer is a
 *   letter or one of the texts;
 * - number: a plain number (units, %, ° allowed), checked with the numeric tolerance;
 * - expression: a math answer (LaTeX), checked by exact match and math equivalence too;
 * - text: free text, checked by exact match and containment only.
 */
export const ANSWER_TYPES = ['choice', 'number', 'expression', 'text'] as const;
export type AnswerType = (typeof ANSWER_TYPES)[number];

export interface GoldAnswer {
  answer: string;
  answerType: AnswerType;
  choices?: readonly string[];
}

/** The paper's numeric rule: |Δ| < 1e-6 or relative error < 1%. */
export interface NumericTolerance {
  absolute: number;
  relative: number;
}

export const PAPER_TOLERANCE: NumericTolerance = { absolute: 1e-6, relative: 0.01 };

/** Containment counts only when the shorter string is at least this share of the longer one. */
const CONTAINMENT_RATIO = 0.9;

export function checkAnswer(extraction: Extraction, gold: GoldAnswer, response: string, tolerance: NumericTolerance = PAPER_TOLERANCE): CheckResult {
  if (gold.answerType === 'choice') return checkChoice(extraction, gold, response);
  if (extraction.extracted === undefined) return { correct: false, rule: 'no answer', detail: 'no answer was found in the response' };
  return checkFreeForm(extraction.extracted, gold, tolerance);
}

function checkFreeForm(predicted: string, gold: GoldAnswer, tolerance: NumericTolerance): CheckResult {
  const predictedText = comparisonText(predicted);
  const goldText = comparisonText(gold.answer);
  const shown = `"${predicted}" vs gold "${gold.answer}"`;
  if (predictedText === goldText) return { correct: true, rule: 'exact match', detail: `${shown}: equal as "${goldText}"` };

  const predictedNumber = plainNumber(predicted);
  const goldNumber = plainNumber(gold.answer);
  const bothNumbers = predictedNumber !== undefined && goldNumber !== undefined;
  if (!bothNumbers && predictedText && goldText) {
    const [shorter, longer] = predictedText.length <= goldText.length ? [predictedText, goldText] : [goldText, predictedText];
    if (longer.includes(shorter) && shorter.length / longer.length >= CONTAINMENT_RATIO) {
      return { correct: true, rule: 'containment', detail: `${shown}: "${shorter}" is inside "${longer}" (length ratio ${(shorter.length / longer.length).toFixed(2)})` };
    }
  }
  if (gold.answerType !== 'text' && mathEquivalent(predicted, gold.answer)) {
    return { correct: true, rule: 'math equivalence', detail: `${shown}: the same value (relative tolerance 1e-6)` };
  }
  if (bothNumbers) {
    const difference = Math.abs(predictedNumber - goldNumber);
    const relative = goldNumber === 0 ? Infinity : difference / Math.abs(goldNumber);
    const within = difference < tolerance.absolute || relative < tolerance.relative;
    return {
      correct: within,
      rule: within ? 'numeric tolerance' : 'no rule matched',
      detail: `${predictedNumber} vs gold ${goldNumber}: |Δ| = ${formatNumber(difference)}, relative ${formatNumber(relative)} (${within ? 'within' : 'outside'} ${tolerance.absolute} absolute / ${tolerance.relative * 100}% relative)`,
    };
  }
  return { correct: false, rule: 'no rule matched', detail: `${shown}: not equal, not contained, not the same value` };
}

function formatNumber(value: number): string {
  return Number.isFinite(value) ? Number(value.toPrecision(4)).toString() : String(value);
}

/**
 * The index of the choice `text` names by its text: equal after normalization, else the same plain
 * number ("145.0" for "145"), else the same math value ("\frac{1}{4}" for "1/4"); -1 when none.
 */
export function choiceIndexByText(text: string, choices: readonly string[]): number {
  const wanted = comparisonText(text);
  const byText = choices.findIndex((choice) => comparisonText(choice) === wanted);
  if (byText >= 0) return byText;
  const value = plainNumber(text);
  const byNumber = value === undefined ? -1 : choices.findIndex((choice) => plainNumber(choice) === value);
  return byNumber >= 0 ? byNumber : choices.findIndex((choice) => mathEquivalent(text, choice) === true);
}

/** The gold choice: a letter naming a choice, or one of the choice texts (validated when items are read). */
export function goldChoiceIndex(gold: GoldAnswer): number {
  const choices = gold.choices ?? [];
  const letter = gold.answer.trim().toUpperCase();
  if (/^[A-Z]$/.test(letter) && CHOICE_LETTERS.indexOf(letter) < choices.length) return CHOICE_LETTERS.indexOf(letter);
  return choiceIndexByText(gold.answer, choices);
}

function checkChoice(extraction: Extraction, gold: GoldAnswer, response: string): CheckResult {
  const choices = gold.choices ?? [];
  const goldIndex = goldChoiceIndex(gold);
  const describe = (index: number) => `${CHOICE_LETTERS[index]} ("${choices[index]}")`;
  let predicted: { index: number; rule: CheckRule; how: string } | undefined;
  if (extraction.choiceLetter) {
    predicted = { index: CHOICE_LETTERS.indexOf(extraction.choiceLetter), rule: 'choice letter', how: `the answer "${extraction.extracted}" names` };
  } else if (extraction.extracted !== undefined && choiceIndexByText(extraction.extracted, choices) >= 0) {
    predicted = { index: choiceIndexByText(extraction.extracted, choices), rule: 'choice text', how: `the answer "${extraction.extracted}" is the text of` };
  } else {
    const letter = findChoiceLetter(response, choices.length);
    if (letter) predicted = { index: CHOICE_LETTERS.indexOf(letter.letter), rule: 'choice letter', how: `the full response (${letter.pattern}) names` };
  }
  if (!predicted) {
    const what = extraction.extracted === undefined ? 'no answer was found' : `"${extraction.extracted}" names no choice`;
    return { correct: false, rule: extraction.extracted === undefined ? 'no answer' : 'no rule matched', detail: `${what}; gold is ${describe(goldIndex)}` };
  }
  const correct = predicted.index === goldIndex;
  return { correct, rule: predicted.rule, detail: `${predicted.how} ${describe(predicted.index)}; gold is ${describe(goldIndex)}` };
}

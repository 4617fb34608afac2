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
 * - math_verify is replaced by a local reimplementation of its comparison (mathEquivalence.ts): sets,
 *   tuples, intervals, relations, matrices, units, percentages as Math-Verify decides them; where both
 *   answers parse as math, its verdict is final. docs/answer-checking.md lists where it differs.
 * - The paper's extra numeric rule (1% relative) is off by default, as Math-Verify has none; pass
 *   PAPER_TOLERANCE to score as the paper's code did.
 */
import { extractAnswer, type Extraction, type ExtractionRule } from './answerExtraction';
import { comparisonText, plainNumber } from './answerNormalization';
import { CHOICE_LETTERS, findChoiceLetter } from './choiceLetters';
import { mathEquivalent, parseMathValue } from './mathEquivalence';

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
  /** For choice items: the letter of the choice the answer names, when it names one. */
  predictedChoice?: string;
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
  /** Several accepted answers (MMMU-style lists), `answer` among them; any one is correct. */
  answers?: readonly string[];
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

/**
 * `tolerance`: the paper's extra numeric rule (both answers plain numbers, % and commas removed,
 * within 1e-6 or 1%), or null (the default) for Math-Verify's own comparison only.
 */
export function checkAnswer(extraction: Extraction, gold: GoldAnswer, response: string, tolerance: NumericTolerance | null = null): CheckResult {
  const accepted = gold.answers && gold.answers.length > 1 ? gold.answers : [gold.answer];
  if (accepted.length === 1) return checkAgainst(extraction, gold, response, tolerance);
  const results = accepted.map((answer) => ({ answer, result: checkAgainst(extraction, { ...gold, answer }, response, tolerance) }));
  const match = results.find(({ result }) => result.correct);
  if (!match) return results[0]!.result;
  return { ...match.result, detail: `${match.result.detail} (accepted answer "${match.answer}", one of ${accepted.length})` };
}

function checkAgainst(extraction: Extraction, gold: GoldAnswer, response: string, tolerance: NumericTolerance | null): CheckResult {
  if (gold.answerType === 'choice') return checkChoice(extraction, gold, response);
  if (extraction.extracted === undefined) return { correct: false, rule: 'no answer', detail: 'no answer was found in the response' };
  const fromPlainText = extraction.plainNumber === true;
  return checkFreeForm(fromPlainText ? plainScientificAsLatex(extraction.extracted) : extraction.extracted, gold, tolerance, fromPlainText);
}

/**
 * The gold as an answer: itself when it parses as math, else (a gold written as a solution, as in
 * Math-Verify's tests, "… so the answer is \boxed{5}") what extraction reads from it.
 */
export function goldAnswerText(gold: string): string {
  if (gold.length < 200 && parseMathValue(gold)) return gold;
  const extraction = extractAnswer(gold);
  const usable: readonly ExtractionRule[] = ['last \\boxed{}', 'final answer', 'the answer is', 'last math'];
  return extraction.extracted !== undefined && usable.includes(extraction.rule) ? extraction.extracted : gold;
}

function checkFreeForm(predicted: string, gold: GoldAnswer, tolerance: NumericTolerance | null, fromPlainText: boolean): CheckResult {
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
  if (gold.answerType !== 'text') {
    const goldMath = goldAnswerText(gold.answer);
    const equivalent = mathEquivalent(predicted, goldMath, { predictedOptions: { decimalComma: fromPlainText }, goldOptions: { decimalComma: !/[$\\]/.test(goldMath) } });
    const read = goldMath === gold.answer ? '' : ` (gold read as "${goldMath}")`;
    if (equivalent === true) return { correct: true, rule: 'math equivalence', detail: `${shown}${read}: the same value as Math-Verify compares them` };
    if (equivalent === false && !bothNumbers) return { correct: false, rule: 'no rule matched', detail: `${shown}${read}: both parse as math, and they differ as Math-Verify compares them` };
  }
  if (bothNumbers && tolerance) {
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

function textAfterThinking(response: string): string {
  const end = response.toLowerCase().lastIndexOf('</think>');
  return end >= 0 && response.slice(end + 8).trim() ? response.slice(end + 8) : response;
}

/**
 * VLMEvalKit's can_infer_text, stricter: the one choice whose text the response contains, where a
 * match must start a word ("reddish" names red, "bored" does not), short texts (under 3 characters,
 * numbers) must be whole words ("no" is not in "not", "4" is not in "14"), and a text right after
 * "not" does not count ("not red"). No length limit (VLMEvalKit gives up past twice the choices' length).
 */
export function choiceNamedInText(response: string, choices: readonly string[]): number {
  const words = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve'];
  // "four wheels" names the choice "4"
  const text = response.toLowerCase().replace(/\b(zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b/g, (word) => String(words.indexOf(word)));
  const found: number[] = [];
  choices.forEach((choice, index) => {
    const wanted = choice.trim().toLowerCase();
    if (!wanted) return;
    const escaped = wanted.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const end = wanted.length < 3 || /\d$/.test(wanted) ? '(?![\\p{L}\\p{N}])' : '(?!\\p{N})';
    const pattern = new RegExp(`(?<![\\p{L}\\p{N}])${escaped}${end}`, 'gu');
    for (const match of text.matchAll(pattern)) {
      if (/\b(?:not|isn't|no)\s+$/.test(text.slice(Math.max(0, match.index! - 8), match.index!))) continue;
      found.push(index);
      break;
    }
  });
  return found.length === 1 ? found[0]! : -1;
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
    const answerPart = textAfterThinking(response);
    const letter = findChoiceLetter(answerPart, choices.length);
    const named = letter ? -1 : choiceNamedInText(answerPart, choices);
    if (letter) predicted = { index: CHOICE_LETTERS.indexOf(letter.letter), rule: 'choice letter', how: `the full response (${letter.pattern}) names` };
    // A numeric choice named on the way does not stand when the answer read is another number ("3 times 4 is 12, … 124").
    else if (named >= 0 && !(extraction.plainNumber && numbersDiffer(extraction.extracted, choices[named]))) predicted = { index: named, rule: 'choice text', how: `the response names the text of exactly one choice,` };
  }
  if (!predicted) {
    const what = extraction.extracted === undefined ? 'no answer was found' : `"${extraction.extracted}" names no choice`;
    return { correct: false, rule: extraction.extracted === undefined ? 'no answer' : 'no rule matched', detail: `${what}; gold is ${describe(goldIndex)}` };
  }
  const correct = predicted.index === goldIndex;
  return { correct, rule: predicted.rule, detail: `${predicted.how} ${describe(predicted.index)}; gold is ${describe(goldIndex)}`, predictedChoice: CHOICE_LETTERS[predicted.index]! };
}

/** Whether both texts are plain numbers of different values. */
function numbersDiffer(first: string | undefined, second: string | undefined): boolean {
  const value = (text: string | undefined) => (text !== undefined && /^-?\d+(?:\.\d+)?$/.test(text.trim()) ? Number(text) : Number.NaN);
  const [a, b] = [value(first), value(second)];
  return Number.isFinite(a) && Number.isFinite(b) && a !== b;
}

/** A power of ten written in plain text ("6.02 × 10^23", "3 x 10^5") as LaTeX reads it: `^23` is the whole exponent there. */
function plainScientificAsLatex(text: string): string {
  return text.replace(/\s?[×x*·]\s?10\^\{?(-?\d+)\}?/, ' \\times 10^{$1}');
}

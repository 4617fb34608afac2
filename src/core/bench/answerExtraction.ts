/**
 * Final-answer extraction from a model response, following the paper's rule-based extractors
 * (reference §3.6 for the transfer test, §2.4 for reasoning localization) with their bugs fixed.
 * Every result says which rule fired and where the answer sits in the response.
 *
 * Deliberate deviations from the paper's code (each one a bug there):
 * - No answer is ever cut. The paper strips a leading "X." / "X)" / "X:" / "X-" (X a digit or a
 *   letter a–h) from every extracted answer, which turns 0.5 into 5, 3.75 into 75, 1-\sqrt{2} into
 *   \sqrt{2} and 3:2 into 2. Here a leading choice letter ("B. 145") is only read, as the choice
 *   letter, and only for items with choices; the answer text stays whole.
 * - "The answer is 0.5." ends at a period followed by a space or the end, not at any period
 *   (which made it "0"); the last such phrase counts, not the first.
 * - Text after the last </think> is searched first: a draft <answer> or \boxed{} inside the thinking
 *   does not win over the final one. Only when nothing but the 50-character tail is found there is
 *   the whole response searched.
 */
import { braceGroup, comparisonText } from './answerNormalization';
import { findChoiceLetter } from './choiceLetters';

export type ExtractionRule =
  | '<answer> tag'
  | 'last \\boxed{}'
  | 'trailing number'
  | 'choice letter'
  | 'the answer is'
  | 'therefore'
  | 'last number'
  | 'last 50 characters'
  | 'no answer';

/** Which of the paper's two extractors to follow: the transfer test's (§3.6) or the ablation's (§2.4). */
export type ScoringProtocol = 'transfer' | 'ablation';

export interface Extraction {
  /** The answer as written in the response, or undefined when the response has none. */
  extracted: string | undefined;
  /** What exact matching compares: LaTeX wrappers and whitespace removed, lowercase. */
  normalized: string | undefined;
  rule: ExtractionRule;
  /** [start, end) of `extracted` in the response. */
  span?: [number, number];
  /** For items with choices: the choice letter the answer names ("B", "(b)", "B. 145"). */
  choiceLetter?: string;
  /** Why this answer and not another: the steps a reader needs to follow the decision. */
  notes: string[];
}

export interface ExtractionOptions {
  /** The item's choice texts; letters A, B, … are read only when there are choices. */
  choices?: readonly string[];
  protocol?: ScoringProtocol;
}

interface Found {
  text: string;
  span: [number, number];
}

type RuleFunction = (text: string, choiceCount: number) => Found | undefined;

/** Trims `raw` found at `start`, keeping the span on the trimmed text. */
function found(raw: string, start: number): Found | undefined {
  const leading = raw.length - raw.trimStart().length;
  const text = raw.trim();
  return text ? { text, span: [start + leading, start + leading + text.length] } : undefined;
}

function lastMatch(text: string, regex: RegExp): RegExpExecArray | undefined {
  let last: RegExpExecArray | undefined;
  for (const match of text.matchAll(regex)) last = match;
  return last;
}

/** [start, end) of capture group 1 of a match (its first occurrence inside the match). */
function groupStart(match: RegExpExecArray): number {
  return match.index! + match[0].indexOf(match[1]!);
}

/** A number as written: sign, thousands commas, decimals, or a simple fraction ("3/4"); not an exponent ("^2"). */
const NUMBER = String.raw`(?<![\w.^])[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:/\d+)?(?![\d])`;
/** "up to a period": a period that ends a sentence (followed by a space or the end), a newline, or the end. */
const SENTENCE_END = String.raw`(?=\.(?:\s|$)|\n|$)`;
const PHRASE_LIMIT = 100;
const TAIL_LENGTH = 50;

const RULES: Record<Exclude<ExtractionRule, 'no answer'>, RuleFunction> = {
  '<answer> tag': (text) => {
    const match = /<answer>([\s\S]*?)<\/answer>/i.exec(text);
    return match ? found(match[1]!, match.index + match[0].indexOf('>') + 1) : undefined;
  },
  'last \\boxed{}': (text) => {
    let last: Found | undefined;
    for (const match of text.matchAll(/\\boxed\s*\{/g)) {
      const group = braceGroup(text, match.index! + match[0].length - 1);
      if (group) last = found(group.content, match.index! + match[0].length) ?? last;
    }
    return last;
  },
  'trailing number': (text) => {
    const lines = text.split('\n');
    let offset = text.length;
    for (let i = lines.length - 1; i >= 0; i--) {
      const line = lines[i]!;
      offset -= line.length + (i < lines.length - 1 ? 1 : 0);
      if (!line.trim()) continue;
      const match = new RegExp(`(${NUMBER})\\s*[.$]?\\s*$`).exec(line);
      return match ? found(match[1]!, offset + groupStart(match)) : undefined;
    }
    return undefined;
  },
  'choice letter': (text, choiceCount) => {
    const match = findChoiceLetter(text, choiceCount);
    return match && { text: match.letter, span: match.span };
  },
  'the answer is': (text) => {
    const match = lastMatch(text, new RegExp(String.raw`(?:final\s+)?answer\s*(?:is|:)\s*:?\s*(.+?)${SENTENCE_END}`, 'gi'));
    const result = match && found(match[1]!, groupStart(match));
    return result && result.text.length < PHRASE_LIMIT ? result : undefined;
  },
  therefore: (text) => {
    const match = lastMatch(text, new RegExp(String.raw`\b(?:therefore|thus|hence|so)\b[,:]?\s+(.+?)${SENTENCE_END}`, 'gi'));
    const result = match && found(match[1]!, groupStart(match));
    return result && result.text.length < PHRASE_LIMIT ? result : undefined;
  },
  'last number': (text) => {
    const match = lastMatch(text, new RegExp(NUMBER, 'g'));
    return match && { text: match[0], span: [match.index!, match.index! + match[0].length] };
  },
  'last 50 characters': (text) => found(text.slice(-TAIL_LENGTH), Math.max(0, text.length - TAIL_LENGTH)),
};

/**
 * Rule order per protocol. Transfer (§3.6): tag, last boxed, trailing number of the last line, then
 * (items with choices) a choice letter, then the phrases, the last number, the tail. Ablation (§2.4):
 * tag, last boxed, the phrases, the last number, the tail.
 */
function ruleOrder(protocol: ScoringProtocol, hasChoices: boolean): Exclude<ExtractionRule, 'no answer'>[] {
  if (protocol === 'ablation') return ['<answer> tag', 'last \\boxed{}', 'the answer is', 'therefore', 'last number', 'last 50 characters'];
  return ['<answer> tag', 'last \\boxed{}', 'trailing number', ...(hasChoices ? (['choice letter'] as const) : []), 'the answer is', 'therefore', 'last number', 'last 50 characters'];
}

function runRules(text: string, rules: readonly Exclude<ExtractionRule, 'no answer'>[], choiceCount: number): { rule: Exclude<ExtractionRule, 'no answer'>; found: Found } | undefined {
  for (const rule of rules) {
    const result = RULES[rule](text, choiceCount);
    if (result) return { rule, found: result };
  }
  return undefined;
}

export function extractAnswer(response: string, options: ExtractionOptions = {}): Extraction {
  const choiceCount = options.choices?.length ?? 0;
  const rules = ruleOrder(options.protocol ?? 'transfer', choiceCount > 0);
  const notes: string[] = [];
  let result: ReturnType<typeof runRules>;
  let offset = 0;
  const thinkEnd = lastMatch(response, /<\/think>/gi);
  if (thinkEnd) {
    const after = thinkEnd.index! + thinkEnd[0].length;
    result = runRules(response.slice(after), rules.filter((rule) => rule !== 'last 50 characters'), choiceCount);
    if (result) {
      offset = after;
      notes.push('searched the text after </think> first');
    } else {
      notes.push('nothing after </think>: searched the whole response');
    }
  }
  result ??= runRules(response, rules, choiceCount);
  if (!result) return { extracted: undefined, normalized: undefined, rule: 'no answer', notes: [...notes, 'the response is empty'] };

  let { text, span } = result.found;
  span = [span[0] + offset, span[1] + offset];
  if (result.rule === '<answer> tag') {
    // <answer>\boxed{5}</answer>: the box is formatting, its content is the answer.
    const boxed = RULES['last \\boxed{}'](text, choiceCount);
    if (boxed) {
      notes.push('took the \\boxed{} inside the <answer> tag');
      span = [span[0] + boxed.span[0], span[0] + boxed.span[1]];
      text = boxed.text;
    }
  }
  if (result.rule === 'the answer is' || result.rule === 'therefore') {
    // "so the total is 12 cm" or "therefore x = 5": the value is what follows the last "is" or "=".
    const statement = /^(.*(?:\s(?:is|was|equals|are)\s+|=\s*))(\S.*)$/s.exec(text);
    if (statement) {
      notes.push(`kept what follows "${statement[1]!.trim().split(/\s+/).at(-1)}"`);
      span = [span[0] + statement[1]!.length, span[1]];
      text = statement[2]!;
    }
  }
  const extraction: Extraction = { extracted: text, normalized: comparisonText(text), rule: result.rule, span, notes };
  if (choiceCount > 0) {
    const letter = result.rule === 'choice letter' ? { letter: text } : findChoiceLetter(text, choiceCount, { fallback: false });
    if (letter) {
      extraction.choiceLetter = letter.letter;
      if (result.rule !== 'choice letter') notes.push(`the answer names choice ${letter.letter}`);
    }
  }
  return extraction;
}

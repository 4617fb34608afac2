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
 * - Where the paper's rules overlap Math-Verify's extraction, Math-Verify's priorities decide (see
 *   ruleOrder): a "final answer … is" sentence written after the last \boxed{} wins; boxes written
 *   together ("\boxed{1} and \boxed{2}") are one answer; the word "answer" followed by a math span or
 *   a number comes before the last number; a number is read only as a whole token (not the 3 of
 *   "2√3" or "x3"), with thousands separators, a decimal comma, E notation and a √ kept.
 */
import { braceGroup, comparisonText } from './answerNormalization';
import { findChoiceLetter } from './choiceLetters';
import { parseMathValue } from './mathEquivalence';

export type ExtractionRule =
  | '<answer> tag'
  | 'last \\boxed{}'
  | 'final answer'
  | 'trailing number'
  | 'choice letter'
  | 'the answer is'
  | 'therefore'
  | 'last math'
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
  /** [start, end) of `extracted` in the response (absent when the answer joins several boxes). */
  span?: [number, number];
  /** When the answer joins several \boxed{} (or math spans joined by "and"/","), where each part is. */
  parts?: [number, number][];
  /** For items with choices: the choice letter the answer names ("B", "(b)", "B. 145"). */
  choiceLetter?: string;
  /** A number read from plain text (not LaTeX), where "2,74" is 2.74 as Math-Verify reads it. */
  plainNumber?: boolean;
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
  parts?: [number, number][];
  plainNumber?: boolean;
  note?: string;
  /** From the paper's "answer is … ." phrase (the value follows its last "is" or "="). */
  phrase?: boolean;
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

/**
 * A number as Math-Verify's plain-number reading writes it: after the start, a space, "=", "**" or a
 * currency sign (so "x2" and "√3" are not numbers); thousands separated by commas or spaces
 * ("1,000", "1 000"), a decimal point or comma ("2,74"), a leading-dot decimal, an optional percent.
 */
const NUMBER_BODY = String.raw`-?[1-9]\d{0,2}(?:(?:,\d{3})+|(?: \d{3})+)(?:\.\d+)?(?![\d,]\d)|-?\d+[.,]\d+(?![,.]\d)|\.\d+|-?\d+(?:/\d+)?(?![,]\d)`;
/** Also read: E notation ("3e8") and a square root written with √ ("2√3"); Math-Verify reads neither (a documented deviation). */
const NUMBER = String.raw`(?<=^|[\s=(:]|\*\*|[$€£¥₹])(?:(?:${NUMBER_BODY})(?:[eE][-+]?\d+(?![\w.])|\s?[×x*·]\s?10\^\{?-?\d+\}?)?(?:\s?√\s?\d+(?:\.\d+)?)?|√\s?\d+(?:\.\d+)?)(?![\d.]\d)(?:\s*(?:%|percent\b|pct\b))?`;
/** "up to a period": a period that ends a sentence (followed by a space or the end), a newline, or the end. */
const SENTENCE_END = String.raw`(?=\.(?:\s|$)|\n|$)`;
const PHRASE_LIMIT = 100;
const TAIL_LENGTH = 50;
/** How far after the word "answer" a math span or number may start, as Math-Verify's 50 characters. */
const ANSWER_WINDOW = 50;

interface Boxed {
  content: [number, number];
  command: [number, number];
  text: string;
}

/** A percent sign or an angle unit right after a math span or a box: "$28$ %", "$\boxed{28}$ pct", "$90$ radians". */
const SUFFIX = /^\$*\s*(\\?%|percent(?:age)?\b|pct\b|radians?\b|degrees?\b)/i;

/** Adds a percent or unit written after the answer's last part as one more part. */
function withSuffix(text: string, result: Found, after: number): Found {
  const match = SUFFIX.exec(text.slice(after));
  if (!match) return result;
  const start = after + match[0].length - match[1]!.length;
  const parts = result.parts ?? [result.span];
  return { ...result, text: `${result.text} ${match[1]}`, span: [result.span[0], start + match[1]!.length], parts: [...parts, [start, start + match[1]!.length]], note: `${result.note ? `${result.note}; ` : ''}kept the "${match[1]}" written after it` };
}

/** Every \boxed{…} and \fbox{…} with a closing brace, in order. */
function boxes(text: string): Boxed[] {
  const result: Boxed[] = [];
  for (const match of text.matchAll(/\\(?:boxed|fbox)\s*\{/g)) {
    const group = braceGroup(text, match.index! + match[0].length - 1);
    if (!group) continue;
    const start = match.index! + match[0].length;
    let inner = found(group.content, start);
    // \boxed{\boxed{7}}: the inner box is formatting
    for (let depth = 0; inner && depth < 10; depth++) {
      const nested = /^\\(?:boxed|fbox)\s*\{/.exec(inner.text);
      const innerGroup = nested && braceGroup(inner.text, nested[0].length - 1);
      if (!nested || !innerGroup || innerGroup.end !== inner.text.length) break;
      inner = found(innerGroup.content, inner.span[0] + nested[0].length);
    }
    if (!inner) continue;
    // a box inside another box is part of it
    if (result.length > 0 && result.at(-1)!.command[1] > match.index!) continue;
    result.push({ content: inner.span, command: [match.index!, group.end], text: inner.text });
  }
  return result;
}

/**
 * The last \boxed{}, joined with the boxes just before it when they are one answer (Math-Verify's rule:
 * under 10 characters apart, or under 70 apart with "and", "or", "," or ";" between and a different content).
 */
function lastBoxedGroup(text: string): Found | undefined {
  const all = boxes(text);
  if (all.length === 0) return undefined;
  const group = [all.at(-1)!];
  for (let i = all.length - 2; i >= 0; i--) {
    const box = all[i]!;
    const next = group[0]!;
    const between = text.slice(box.command[1], next.command[0]);
    // a correction between them ("\\boxed{3}, wait, actually \\boxed{4}") keeps only the last (Math-Verify would join them)
    const correction = /\b(?:wait|actually|no|not|instead|but|however|mistake|wrong|recheck|correct(?:ion|ed)?|hmm|oops|so)\b/i.test(between);
    const close = !correction && (between.length < 10 || (box.text !== next.text && between.length < 70 && /\b(?:and|or)\b|,|;/.test(between)));
    if (!close) break;
    if (box.text !== next.text) group.unshift(box);
  }
  if (group.length === 1) return withSuffix(text, { text: group[0]!.text, span: group[0]!.content }, group[0]!.command[1]);
  return {
    text: group.map((box) => box.text).join(', '),
    span: [group[0]!.content[0], group.at(-1)!.content[1]],
    parts: group.map((box) => box.content),
    note: `joined ${group.length} \\boxed{} written together as one answer`,
  };
}

interface MathSpan {
  content: [number, number];
  /** Where its opening delimiter starts. */
  open: number;
  end: number;
}

/** Math spans: $$…$$, \[…\], $…$ (one line), \(…\) (one line), in order of their start. */
function mathSpans(text: string): MathSpan[] {
  const spans: MathSpan[] = [];
  const pattern = /(?<!\\)\$\$([\s\S]+?)(?<!\\)\$\$|(?<!\\)\\\[([\s\S]+?)(?<!\\)\\\]|(?<![\\\d])\$((?:\\\$|[^\n$])+?)(?<!\\)\$|(?<!\\)\\\(((?:[^\\\n]|\\(?!\)))+?)(?<!\\)\\\)/g;
  for (const match of text.matchAll(pattern)) {
    const index = [1, 2, 3, 4].find((i) => match[i] !== undefined)!;
    const inner = found(match[index]!, match.index! + match[0].indexOf(match[index]!));
    if (inner) spans.push({ content: inner.span, open: match.index!, end: match.index! + match[0].length });
  }
  return spans;
}

/** The math span ending last (and those joined to it by "and", "or", ","), with a following percent sign. */
function lastMathGroup(text: string, spans: readonly MathSpan[], index: number): Found {
  const group = [spans[index]!];
  for (let i = index - 1; i >= 0 && group.length < 6; i--) {
    const between = text.slice(spans[i]!.end, group[0]!.open);
    if (!/^\s*(?:,?\s*and|,?\s*or|,)\s*$/.test(between)) break;
    group.unshift(spans[i]!);
  }
  const last = group.at(-1)!;
  if (group.length === 1) return withSuffix(text, { text: text.slice(...last.content), span: last.content }, last.end);
  return {
    text: group.map((span) => text.slice(...span.content)).join(', '),
    span: [group[0]!.content[0], last.content[1]],
    parts: group.map((span) => span.content),
    note: `joined ${group.length} math spans written as one list`,
  };
}

/** Candidates of Math-Verify's last resort: math spans and plain numbers, the one ending last first. */
function lastMathOrNumber(text: string): Found | undefined {
  const spans = mathSpans(text);
  const numbers = [...text.matchAll(new RegExp(NUMBER, 'g'))].filter((match) => !insideAny(match.index!, spans));
  const candidates: { end: number; make: () => Found }[] = [
    ...spans.map((span, i) => ({ end: span.end, make: () => lastMathGroup(text, spans, i) })),
    ...numbers.map((match) => ({ end: match.index! + match[0].length, make: () => ({ text: match[0], span: [match.index!, match.index! + match[0].length] as [number, number], plainNumber: true }) })),
  ];
  candidates.sort((a, b) => b.end - a.end);
  for (const candidate of candidates) {
    const result = candidate.make();
    if (result.plainNumber || parseMathValue(result.text)) return result;
  }
  return undefined;
}

function insideAny(position: number, spans: readonly MathSpan[]): boolean {
  return spans.some((span) => position >= span.content[0] - 2 && position < span.end);
}

/** The first math span or number that starts within `window` characters after `from`. */
function mathOrNumberAfter(text: string, from: number, window: number): Found | undefined {
  const all = mathSpans(text);
  const spans = all.filter((span) => span.open >= from && span.open <= from + window);
  const spanFound = spans[0];
  const numberPattern = new RegExp(NUMBER, 'g');
  numberPattern.lastIndex = from;
  let number: RegExpExecArray | null = null;
  for (let match = numberPattern.exec(text); match && match.index <= from + window; match = numberPattern.exec(text)) {
    if (!insideAny(match.index, all)) {
      number = match;
      break;
    }
  }
  if (spanFound && (!number || spanFound.open <= number.index)) return lastMathGroupForward(text, all, all.indexOf(spanFound));
  if (number) return { text: number[0], span: [number.index, number.index + number[0].length], plainNumber: true };
  return undefined;
}

/** A math span and the spans joined after it by "and", "or", ",". */
function lastMathGroupForward(text: string, spans: readonly MathSpan[], index: number): Found {
  let last = index;
  while (last + 1 < spans.length && /^\s*(?:,?\s*and|,?\s*or|,)\s*$/.test(text.slice(spans[last]!.end, spans[last + 1]!.open))) last++;
  return lastMathGroup(text, spans, last);
}

const RULES: Record<Exclude<ExtractionRule, 'no answer'>, RuleFunction> = {
  '<answer> tag': (text) => {
    const match = /<answer>([\s\S]*?)<\/answer>/i.exec(text);
    return match ? found(match[1]!, match.index + match[0].indexOf('>') + 1) : undefined;
  },
  'last \\boxed{}': (text) => lastBoxedGroup(text),
  'final answer': (text) => {
    // Math-Verify's "final answer … is"; also "Final answer: 7" (it ranks that below \boxed{}, we do not)
    const match = lastMatch(text, /final answer(?:[\s\S]{0,100}?\s+is:?|\s*:)\s*(?:\*\*)?\s*/gi);
    if (!match) return undefined;
    const from = match.index! + match[0].length;
    return mathOrNumberAfter(text, from, 2);
  },
  'trailing number': (text) => {
    const lines = text.split('\n');
    let offset = text.length;
    for (let i = lines.length - 1; i >= 0; i--) {
      const line = lines[i]!;
      offset -= line.length + (i < lines.length - 1 ? 1 : 0);
      if (!line.trim()) continue;
      const match = new RegExp(`(${NUMBER})\\s*[.$]?\\s*$`).exec(line);
      return match ? { ...found(match[1]!, offset + groupStart(match))!, plainNumber: true } : undefined;
    }
    return undefined;
  },
  'choice letter': (text, choiceCount) => {
    const match = findChoiceLetter(text, choiceCount);
    return match && { text: match.letter, span: match.span };
  },
  'the answer is': (text) => {
    // Math-Verify: the word "answer", then within 50 characters a math span or a number; the last such
    for (const match of [...text.matchAll(/answer/gi)].reverse()) {
      const after = mathOrNumberAfter(text, match.index! + match[0].length, ANSWER_WINDOW);
      // "the answer is not 42; it is 24": a negated candidate is not the answer
      if (after && /\bnot\b|n't\b/i.test(text.slice(match.index! + match[0].length, after.span[0]))) continue;
      if (after) return after;
      const phrase = answerPhrase(text, match.index!);
      if (phrase) return phrase;
    }
    return undefined;
  },
  therefore: (text) => {
    const match = lastMatch(text, new RegExp(String.raw`\b(?:therefore|thus|hence|so)\b[,:]?\s+(.+?)${SENTENCE_END}`, 'gi'));
    const result = match && found(match[1]!, groupStart(match));
    return result && result.text.length < PHRASE_LIMIT ? result : undefined;
  },
  'last math': (text) => {
    const result = lastMathOrNumber(text);
    return result && !result.plainNumber ? result : undefined;
  },
  'last number': (text) => {
    const match = lastMatch(text, new RegExp(NUMBER, 'g'));
    return match && { text: match[0], span: [match.index!, match.index! + match[0].length], plainNumber: true };
  },
  'last 50 characters': (text) => found(text.slice(-TAIL_LENGTH), Math.max(0, text.length - TAIL_LENGTH)),
};

/** "answer is X" / "answer: X" up to the end of the sentence (the paper's phrase), under 100 characters. */
function answerPhrase(text: string, at: number): Found | undefined {
  const match = new RegExp(String.raw`answer\s*(?:is|:)\s*:?\s*(.+?)${SENTENCE_END}`, 'iy');
  match.lastIndex = at;
  const result = match.exec(text);
  const phrase = result && found(result[1]!, groupStart(result));
  return phrase && phrase.text.length < PHRASE_LIMIT ? { ...phrase, phrase: true } : undefined;
}

/**
 * Rule order per protocol, following Math-Verify's priorities where the paper's rules overlap them:
 * the <answer> tag; then the last \boxed{} or a later "final answer … is" sentence, whichever is
 * written last; then (items with choices, transfer) a choice letter, as VLMEvalKit reads letters
 * first; then the word "answer" followed by a math span or a number; then the last math span or
 * number; "therefore …"; the tail. Ablation (§2.4) puts "therefore …" before the last math span or
 * number, as the paper does.
 */
function ruleOrder(protocol: ScoringProtocol, hasChoices: boolean): Exclude<ExtractionRule, 'no answer'>[] {
  if (protocol === 'ablation') return ['<answer> tag', 'last \\boxed{}', 'the answer is', 'therefore', 'last math', 'last number', 'last 50 characters'];
  return ['<answer> tag', 'last \\boxed{}', ...(hasChoices ? (['choice letter'] as const) : []), 'the answer is', 'last math', 'last number', 'therefore', 'last 50 characters'];
}

function runRules(text: string, rules: readonly Exclude<ExtractionRule, 'no answer'>[], choiceCount: number): { rule: Exclude<ExtractionRule, 'no answer'>; found: Found } | undefined {
  for (const rule of rules) {
    let result = RULES[rule](text, choiceCount);
    let fired: Exclude<ExtractionRule, 'no answer'> = rule;
    if (rule === 'last \\boxed{}') {
      // Math-Verify ranks a "final answer … is" sentence with \boxed{}: the one written last wins.
      const sentence = RULES['final answer'](text, choiceCount);
      if (sentence && (!result || sentence.span[1] > result.span[1] + 1)) {
        result = { ...sentence, note: result ? 'a "final answer … is" sentence after the last \\boxed{} wins, as in Math-Verify' : sentence.note };
        fired = 'final answer';
      }
    }
    if (result) return { rule: fired, found: result };
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
  if (result.found.note) notes.push(result.found.note);
  if (result.rule === '<answer> tag') {
    // <answer>\boxed{5}</answer>: the box is formatting, its content is the answer.
    const boxed = RULES['last \\boxed{}'](text, choiceCount);
    if (boxed && !boxed.parts) {
      notes.push('took the \\boxed{} inside the <answer> tag');
      span = [span[0] + boxed.span[0], span[0] + boxed.span[1]];
      text = boxed.text;
    }
  }
  if ((result.rule === 'the answer is' && result.found.phrase) || result.rule === 'therefore') {
    // "so the total is 12 cm" or "therefore x = 5": the value is what follows the last "is" or "=".
    const statement = /^(.*(?:\s(?:is|was|equals|are)\s+|=\s*))(\S.*)$/s.exec(text);
    if (statement) {
      notes.push(`kept what follows "${statement[1]!.trim().split(/\s+/).at(-1)}"`);
      span = [span[0] + statement[1]!.length, span[1]];
      text = statement[2]!;
    }
  }
  const extraction: Extraction = { extracted: text, normalized: comparisonText(text), rule: result.rule, notes };
  if (result.found.parts) extraction.parts = result.found.parts.map(([start, end]) => [start + offset, end + offset]);
  else extraction.span = span;
  if (result.found.plainNumber) extraction.plainNumber = true;
  if (choiceCount > 0) {
    const letter = result.rule === 'choice letter' ? { letter: text } : findChoiceLetter(text, choiceCount, { fallback: false });
    if (letter) {
      extraction.choiceLetter = letter.letter;
      if (result.rule !== 'choice letter') notes.push(`the answer names choice ${letter.letter}`);
    }
  }
  return extraction;
}

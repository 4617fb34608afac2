/**
 * Finding a multiple-choice letter in text (the paper's parse_mcq): explicit patterns first, then a
 * lone capital letter near the end. Only letters that name one of the item's choices count.
 */

export const CHOICE_LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

export interface ChoiceLetterMatch {
  letter: string;
  /** [start, end) of the letter in the searched text. */
  span: [number, number];
  pattern: string;
}

/** Letter patterns, most explicit first; the last match of the first pattern that matches wins. */
function patterns(letters: string): { name: string; regex: RegExp }[] {
  const upper = `[${letters}]`;
  const lower = upper.toLowerCase();
  const any = `[${letters}${letters.toLowerCase()}]`;
  const keyword = '(?:[Aa]nswer|ANSWER|[Oo]ption|OPTION|[Cc]hoice|CHOICE)';
  // A capital may be followed by more text ("answer is B because"); a small letter only ends the
  // line ("Answer: b"), so that "the answer is a triangle" is not read as A.
  const letter = String.raw`(?:(${upper})(?![A-Za-z0-9'’])|(${lower})(?=[)\]]?[.:;!]?\s*(?:$|\n)))`;
  return [
    // the whole text is the letter: "B", "(b)", "B.", "[C]", "Option B"
    { name: 'lone letter', regex: new RegExp(String.raw`^\s*(?:option|choice)?\s*[([]?(${any})[)\]]?[.:]?\s*$`, 'gi') },
    // "the answer is (C)", "Answer: b", "correct option is D", "choice: B"
    { name: 'answer is <letter>', regex: new RegExp(String.raw`${keyword}\s*(?:is|IS|:|=)?\s*(?:option|choice)?\s*:?\s*[([]?${letter}`, 'g') },
    // "B. 145", "(B) 145", "c) circle" at the start of the text
    { name: 'letter before choice text', regex: new RegExp(String.raw`^\s*[([]?(${any})[).:\]]\s`, 'g') },
    // "(C)" anywhere
    { name: '(<letter>)', regex: new RegExp(String.raw`\((${upper})\)`, 'g') },
  ];
}

/** How far from the end the lone-capital fallback looks, as the paper's parse_mcq. */
const FALLBACK_WINDOW = 100;

/**
 * The choice letter `text` names. With `fallback` (the default) a lone capital letter in the last
 * 100 characters counts too, as in the paper; without it only the explicit patterns do.
 */
export function findChoiceLetter(text: string, choiceCount: number, options: { fallback?: boolean } = {}): ChoiceLetterMatch | undefined {
  if (choiceCount < 1) return undefined;
  const letters = CHOICE_LETTERS.slice(0, Math.min(choiceCount, CHOICE_LETTERS.length));
  for (const { name, regex } of patterns(letters)) {
    let last: RegExpExecArray | undefined;
    for (const match of text.matchAll(regex)) last = match;
    if (last) return fromMatch(last, name);
  }
  if (options.fallback === false) return undefined;
  const windowStart = Math.max(0, text.length - FALLBACK_WINDOW);
  const fallback = new RegExp(String.raw`(?<![A-Za-z0-9'’])([${letters}])(?![A-Za-z0-9'’])`, 'g');
  let last: RegExpExecArray | undefined;
  for (const match of text.slice(windowStart).matchAll(fallback)) last = match;
  if (!last) return undefined;
  const start = windowStart + last.index! + last[0].indexOf(last[1]!);
  return { letter: last[1]!, span: [start, start + 1], pattern: 'capital letter near the end' };
}

function fromMatch(match: RegExpExecArray, pattern: string): ChoiceLetterMatch {
  const letter = match[1] ?? match[2]!;
  const start = match.index! + match[0].lastIndexOf(letter);
  return { letter: letter.toUpperCase(), span: [start, start + 1], pattern };
}

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
  const keyword = '(?:[Aa]nswer|ANSWER|[Oo]ption|OPTION|[Cc]hoice|CHOICE|答案|选项)';
  // A capital may be followed by more text ("answer is B because"); a small letter only ends the
  // line ("Answer: b"), so that "the answer is a triangle" is not read as A.
  const letter = String.raw`(?:(${upper})(?![A-Za-z0-9'’])|(${lower})(?=[)\]]?[.:;!]?\s*(?:$|\n)))`;
  return [
    // the whole text is the letter: "B", "(b)", "B.", "[C]", "Option B"
    { name: 'lone letter', regex: new RegExp(String.raw`^\s*(?:option|choice)?\s*[([]?(${any})[)\]]?[.:]?\s*$`, 'gi') },
    // "the answer is (C)", "Answer: b", "correct option is D", "choice: B"
    { name: 'answer is <letter>', regex: new RegExp(String.raw`${keyword}\s*(?:\*\*)?\s*(?:is|IS|:|=|：|是|为)?\s*(?:\*\*)?\s*(?:option|choice)?\s*:?\s*(?:\*\*)?[([]?${letter}`, 'g') },
    // "B. 145", "(B) 145", "c) circle" at the start of the text
    { name: 'letter before choice text', regex: new RegExp(String.raw`^\s*[([]?(${any})[).:\]]\s`, 'g') },
    // "(C)" anywhere
    { name: '(<letter>)', regex: new RegExp(String.raw`\((${upper})\)`, 'g') },
  ];
}

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
  return loneCapital(text, letters);
}

/**
 * VLMEvalKit's can_infer_option: the words of the text (split at spaces and . ( ) [ ] , : ; ! * # { });
 * exactly one choice letter among them, first written within the last four words. The article "A"
 * ("A bird is flying") is not a letter.
 */
function loneCapital(text: string, letters: string): ChoiceLetterMatch | undefined {
  const words: { word: string; start: number }[] = [];
  for (const match of text.matchAll(/[^\s.()[\],:;!*#{}]+/g)) words.push({ word: match[0], start: match.index! });
  const isArticle = (index: number) => words[index]!.word === 'A' && /^[a-z]/.test(words[index + 1]?.word ?? '') && !/^(?:or|and|nor|is|was|are|but|then)$/.test(words[index + 1]!.word) && text[words[index]!.start + 1] === ' ';
  // "Not A, it's B": a letter right after "not" is ruled out, not named
  const negated = (index: number) => /^(?:not|isn't|no)$/i.test(words[index - 1]?.word ?? '');
  const named = new Set<string>();
  let first: { index: number; letter: string } | undefined;
  words.forEach(({ word }, index) => {
    if (word.length !== 1 || !letters.includes(word) || isArticle(index) || negated(index)) return;
    named.add(word);
    first ??= { index, letter: word };
  });
  if (named.size !== 1 || !first || first.index <= words.length - 5) return undefined;
  const start = words[first.index]!.start;
  return { letter: first.letter, span: [start, start + 1], pattern: 'the only letter named, near the end' };
}

function fromMatch(match: RegExpExecArray, pattern: string): ChoiceLetterMatch {
  const letter = match[1] ?? match[2]!;
  const start = match.index! + match[0].lastIndexOf(letter);
  return { letter: letter.toUpperCase(), span: [start, start + 1], pattern };
}

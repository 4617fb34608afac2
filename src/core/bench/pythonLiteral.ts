/**
 * Reads a Python list of strings as `repr` writes it (['a', "b's"]): how VLMEvalKit TSVs and some
 * lmms-eval docs store choices, several images, or several accepted answers (MMMU's ['A', 'C']).
 * Never evaluates anything; undefined for anything else. Strings are copied a slice at a time (a
 * cell may hold several megabytes of base64 images).
 */
export function parsePythonStringList(text: string): string[] | undefined {
  return parseList(text, false);
}

/**
 * A Python list of strings and plain numbers (['1', 2, 3.5] → ['1', '2', '3.5']): the answer cells
 * of MMMU-style benchmarks; numbers keep the text they were written with.
 */
export function parsePythonScalarList(text: string): string[] | undefined {
  return parseList(text, true);
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/;

function parseList(text: string, numbers: boolean): string[] | undefined {
  const source = text.trim();
  if (!source.startsWith('[') || !source.endsWith(']')) return undefined;
  const values: string[] = [];
  let i = 1;
  const skipSpace = () => {
    while (i < source.length && /\s/.test(source[i]!)) i++;
  };
  skipSpace();
  if (source[i] === ']') return i === source.length - 1 ? values : undefined;
  for (;;) {
    skipSpace();
    const quote = source[i];
    if (quote === "'" || quote === '"') {
      const value = readString(source, i + 1, quote);
      if (!value) return undefined;
      values.push(value.text);
      i = value.end + 1;
    } else {
      const number = numbers ? NUMBER.exec(source.slice(i, i + 64)) : null;
      if (!number) return undefined;
      values.push(number[0]);
      i += number[0].length;
    }
    skipSpace();
    if (source[i] === ']') return i === source.length - 1 ? values : undefined;
    if (source[i] !== ',') return undefined;
    i++;
    skipSpace();
    if (source[i] === ']') return i === source.length - 1 ? values : undefined; // trailing comma
  }
}

/** The string whose text starts at `from`, up to its closing `quote` (at `end`); undefined when it never closes or holds a bad escape. */
function readString(source: string, from: number, quote: string): { text: string; end: number } | undefined {
  const parts: string[] = [];
  let i = from;
  for (;;) {
    const close = source.indexOf(quote, i);
    if (close < 0) return undefined;
    const backslash = source.indexOf('\\', i);
    if (backslash < 0 || backslash > close) {
      parts.push(source.slice(i, close));
      return { text: parts.join(''), end: close };
    }
    parts.push(source.slice(i, backslash));
    const next = source[backslash + 1];
    i = backslash + 2;
    if (next === 'n') parts.push('\n');
    else if (next === 't') parts.push('\t');
    else if (next === 'r') parts.push('\r');
    else if (next === 'u' || next === 'x') {
      const digits = source.slice(i, i + (next === 'u' ? 4 : 2));
      if (!/^[0-9a-fA-F]+$/.test(digits)) return undefined;
      parts.push(String.fromCharCode(parseInt(digits, 16)));
      i += digits.length;
    } else if (next === undefined) return undefined;
    else parts.push(next);
  }
}

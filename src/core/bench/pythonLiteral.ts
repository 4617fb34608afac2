/**
 * Reads a Python list of strings as `repr` writes it (['a', "b's"]): how VLMEvalKit TSVs and some
 * lmms-eval docs store choices. Never evaluates anything; undefined for anything else.
 */
export function parsePythonStringList(text: string): string[] | undefined {
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
    if (quote !== "'" && quote !== '"') return undefined;
    let value = '';
    for (i++; i < source.length && source[i] !== quote; i++) {
      if (source[i] !== '\\') {
        value += source[i];
        continue;
      }
      const next = source[++i];
      if (next === 'n') value += '\n';
      else if (next === 't') value += '\t';
      else if (next === 'u' || next === 'x') {
        const digits = source.slice(i + 1, i + (next === 'u' ? 5 : 3));
        if (!/^[0-9a-fA-F]+$/.test(digits)) return undefined;
        value += String.fromCharCode(parseInt(digits, 16));
        i += digits.length;
      } else value += next ?? '';
    }
    if (i >= source.length) return undefined;
    values.push(value);
    i++;
    skipSpace();
    if (source[i] === ']') return i === source.length - 1 ? values : undefined;
    if (source[i] !== ',') return undefined;
    i++;
    skipSpace();
    if (source[i] === ']') return i === source.length - 1 ? values : undefined; // trailing comma
  }
}

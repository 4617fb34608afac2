/**
 * The line of the first syntax error in a JSON text, for messages: JSON.parse on Node 20 names no
 * position for most errors ("Unexpected token '}', ... is not valid JSON").
 */
export function jsonErrorLine(text: string): number {
  return text.slice(0, jsonErrorOffset(text)).split('\n').length;
}

/** Offset of the first character that cannot continue a JSON value (text.length when it ends early). */
function jsonErrorOffset(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw new SyntaxError();
  };
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const string = () => {
    for (i++; text[i] !== '"'; i++) {
      if (i >= text.length || text.charCodeAt(i) < 0x20) fail();
      if (text[i] === '\\') i++;
    }
    i++;
  };
  const sequence = (close: string, item: () => void) => {
    i++;
    space();
    if (text[i] === close) return void i++;
    for (;;) {
      item();
      space();
      if (text[i] === close) return void i++;
      if (text[i] !== ',') fail();
      i++;
    }
  };
  const value = (): void => {
    space();
    if (text[i] === '{') {
      sequence('}', () => {
        space();
        if (text[i] !== '"') fail();
        string();
        space();
        if (text[i] !== ':') fail();
        i++;
        value();
      });
    } else if (text[i] === '[') sequence(']', value);
    else if (text[i] === '"') string();
    else {
      const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
      if (!literal) fail();
      i += literal![0].length;
    }
  };
  try {
    value();
    space();
    return i < text.length ? i : text.length;
  } catch {
    // A syntax error, or nesting too deep for the stack: either way the text breaks here.
    return Math.min(i, text.length);
  }
}

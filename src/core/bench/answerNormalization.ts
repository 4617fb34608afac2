/**
 * Answer normalization shared by extraction and checking: the comparison text of an answer, and its
 * value when it is a plain number (with thousands commas, a unit, a percent or degree sign).
 */

/** The content of the brace group that opens at `open` (a "{"), or undefined when it never closes. */
export function braceGroup(text: string, open: number): { content: string; end: number } | undefined {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const char = text[i];
    if (char === '\\') {
      i++; // an escaped brace \{ or \} does not count
      continue;
    }
    if (char === '{') depth++;
    else if (char === '}' && --depth === 0) return { content: text.slice(open + 1, i), end: i + 1 };
  }
  return undefined;
}

/** Replaces every `\command{X}` by X, with brace matching (nested groups stay intact). */
function unwrapCommands(text: string, commands: readonly string[]): string {
  const pattern = new RegExp(`\\\\(?:${commands.join('|')})\\s*\\{`, 'g');
  let result = text;
  for (let match = pattern.exec(result); match; match = pattern.exec(result)) {
    const group = braceGroup(result, match.index + match[0].length - 1);
    if (!group) break;
    result = result.slice(0, match.index) + group.content + result.slice(group.end);
    pattern.lastIndex = match.index;
  }
  return result;
}

const TEXT_COMMANDS = ['boxed', 'fbox', 'text', 'textbf', 'textit', 'textrm', 'mathrm', 'mathbf', 'mathit', 'mbox', 'operatorname'];

/**
 * Readable LaTeX- and Unicode-free form, whitespace kept: minus signs unified, \boxed{}, \text{} and
 * math delimiters removed, \dfrac → \frac, degree marks → °, markdown emphasis and a final period
 * dropped.
 */
export function cleanAnswer(text: string): string {
  let result = text
    .normalize('NFKC')
    .replace(/[\u2212\u2012\u2013\ufe63\uff0d]/g, '-') // unicode minus and dashes used as minus
    .replace(/\u2044/g, '/') // NFKC turns ½ into 1⁄2
    .replace(/\u00a0/g, ' ');
  result = unwrapCommands(result, TEXT_COMMANDS)
    .replace(/\\[dt]frac/g, '\\frac')
    .replace(/\\left\.?|\\right\.?/g, '')
    .replace(/\\[!,;:> ]|~/g, ' ')
    .replace(/\{,\}/g, ',')
    .replace(/\\%/g, '%')
    .replace(/\^\s*\{?\s*\\circ\s*\}?|\\circ|\\degree/g, '°')
    .replace(/\\\$/g, '')
    .replace(/\\\(|\\\)|\\\[|\\\]|\$/g, '')
    .replace(/\*\*|__|`/g, '')
    .trim();
  // Trailing sentence punctuation is not part of an answer ("42." is 42).
  result = result.replace(/[\s.,;!。]+$/u, '');
  return result;
}

/** What exact matching compares: the cleaned answer, lowercase, without any whitespace. */
export function comparisonText(text: string): string {
  return cleanAnswer(text).toLowerCase().replace(/\s+/g, '');
}

/**
 * Units that may follow a number directly ("12cm", "3m^2"). Single letters (m, g, s, h, l) need a
 * space ("5 m"), so that "2n" or "3x" stay expressions; other words too ("12 apples").
 */
const UNITS = 'mm|cm|dm|km|in|inch|inches|ft|feet|yd|mi|mg|kg|lb|lbs|oz|sec|min|hr|hrs|ml|rad|deg|°[cf]|[kmg]?hz|[kmg]w|kpa';
const POWER = String.raw`(?:\^?\{?[23]\}?)?`;
const UNIT = String.raw`(?:(?:${UNITS})${POWER}|\s[mgshl]${POWER}(?![a-z]))`;
const PLAIN_NUMBER = new RegExp(
  String.raw`^([+-])?\s*(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d*)?|\.\d+)` +
    String.raw`(?:\s*(?:%|°)|\s?${UNIT}(?:/${UNIT.replace('\\s', '')})?|\s[a-z]{3,}(?:\s[a-z]{3,})?)?$`,
);

/**
 * The value of a plain number answer: optional sign, digits with optional thousands commas
 * ("1,000") and decimals, then optionally a percent sign (dropped, as the paper does: "45%" is 45),
 * a degree sign, a unit ("12 cm", "3 m^2", "5 km/h") or a word after a space ("12 apples").
 * Anything else, such as "3,4", "2x", "\frac{1}{2}" or "2\pi", is not a plain number.
 */
export function plainNumber(text: string): number | undefined {
  const match = PLAIN_NUMBER.exec(cleanAnswer(text).toLowerCase().replace(/\s+/g, ' '));
  if (!match) return undefined;
  const value = Number(match[2]!.replace(/,/g, ''));
  return match[1] === '-' ? -value : value;
}

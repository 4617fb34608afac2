/**
 * A local stand-in for Math-Verify (huggingface/Math-Verify, which the paper's rule check calls):
 * parses a LaTeX or plain answer into a value (a number or expression, a set, a tuple, an interval
 * or a union of them, a relation, a matrix, a text) and decides whether a prediction equals a gold
 * answer the way Math-Verify's `verify(gold, pred)` does:
 *
 * - assignments: "x = 3" matches "3" (and "3" matches "x = 3"); "x = 1" does not match "y = 1";
 *   an equation that is not an assignment ("2x + z = 1") never matches a bare value;
 * - relations: the same relation after moving everything to one side, flipped (x ≤ 5 is 5 ≥ x),
 *   negated (x < 1 is −x > −1) or scaled (2x + 4y − 3 = 0 is y = −x/2 + 3/4);
 * - an inequality gold against an interval prediction: 1 < x < 2 matches (1, 2);
 * - sets are unordered, tuples ordered; a set prediction for a tuple gold is read in order; a
 *   bare value matches the one-element set; "(1, 2)" is an open interval and also the pair;
 * - intervals: same open/closed ends and equal endpoints; unions part by part;
 * - matrices element by element (pmatrix, bmatrix, array, …);
 * - numbers: when either side is a decimal literal, both are rounded to 6 decimals (Math-Verify's
 *   float_rounding = 6): 1/3 matches 0.333333 but not 0.333; otherwise equal values (relative
 *   1e-10), and expressions with variables equal at every sample point;
 * - units (\text{cm}, \mathrm{m}, "apples"), degree marks and \!, \, spacing are removed; "%" is
 *   a hundredth (50\% is 0.5 and 1/2, not 50), as Math-Verify reads it.
 *
 * Anything it cannot parse is "unknown" (undefined), never "equal".
 */
import { collectVariables, evaluate, isAtomicNumber, isFloatLiteral, isOnlySymbols, parseExpression, type Node } from './mathExpression';

export type MathValue =
  | { type: 'expr'; node: Node }
  | { type: 'text'; text: string }
  | { type: 'set'; elements: MathValue[] }
  | { type: 'tuple'; elements: MathValue[] }
  /** "(a, b)": an open interval or a pair, as the other side needs. */
  | { type: 'interval'; leftOpen: boolean; rightOpen: boolean; start: Node; end: Node; pair: boolean; /** written "x \in …" */ member?: boolean }
  | { type: 'union'; parts: MathValue[]; member?: boolean }
  | { type: 'relation'; operators: RelationOperator[]; sides: MathValue[] }
  | { type: 'and'; relations: MathValue[] }
  | { type: 'matrix'; rows: Node[][] };

export type RelationOperator = '=' | '<' | '<=' | '>' | '>=' | '!=';

const MAX_MATH_LENGTH = 1000;
const MAX_NESTING = 100;

/** Spacing and styling that never changes a value. */
function stripLayout(raw: string): string {
  // "\\frac" written with a doubled backslash is \frac (outside matrices, where \\ ends a row)
  const input = /matrix|array/.test(raw) ? raw : raw.replace(/\\\\(?=[a-zA-Z])/g, '\\');
  return input
    .replace(/\\\\/g, '\u0001')
    .replace(/,\\!\s*/g, ',')
    .normalize('NFKC')
    .replace(/[\u2212\u2012\u2013\ufe63\uff0d]/g, '-')
    .replace(/\u2044/g, '/')
    .replace(/\u00a0/g, ' ')
    .replace(/≤|⩽/g, '\\le ')
    .replace(/≥|⩾/g, '\\ge ')
    .replace(/≠/g, '\\ne ')
    .replace(/\\\$/g, '')
    .replace(/\$/g, '')
    .replace(/\\\(|\\\)/g, '')
    .replace(/\\\[|\\\]/g, ' ')
    .replace(/\\(?:displaystyle|textstyle|scriptstyle|limits|nolimits)\b/g, '')
    .replace(/\\[bB]igg?[lr]?(?![a-zA-Z])/g, '')
    .replace(/\\m?left\s*\./g, '')
    .replace(/\\m?right\s*\./g, '')
    .replace(/\\m?(?:left|right)(?![a-zA-Z])/g, '')
    .replace(/\\!/g, '')
    .replace(/\\[,;:> ]|~|\\q?quad\b/g, ' ')
    .replace(/(\d)\s*\{\s*,\s*\}\s*(\d+)/g, (_all, before: string, after: string) => `${before}${after.length === 3 ? ',' : '.'}${after}`)
    .replace(/\{\s*,\s*\}/g, ',')
    .replace(/\\[dtc]frac/g, '\\frac')
    .replace(/\\(?:mathrm|mathit|mathbf|mathsf|mathtt|textnormal|textbf|textit|textrm|texttt|textsf|mbox|hbox|operatorname)\s*\{/g, '\\text{')
    .replace(/\\text\s*\{\s*\}/g, '')
    .replace(/,?\s*\\text\s*\{\s*(?:and|or)\s*\}\s*/g, ', ')
    .replace(/(?<![a-zA-Z\\])(?:,?\s*\b(?:and|or)\b)(?![a-zA-Z])\s*/g, ', ')
    .replace(/\\(?:lvert|rvert|vert)/g, '|')
    .replace(/\\lbrace/g, '\\{')
    .replace(/\\rbrace/g, '\\}')
    .replace(/\\(?:leqslant|leq|le)(?![a-zA-Z])/g, '\\le ')
    .replace(/\\(?:geqslant|geq|ge)(?![a-zA-Z])/g, '\\ge ')
    .replace(/\\(?:neq|ne)(?![a-zA-Z])/g, '\\ne ')
    .replace(/\u0001/g, '\\\\')
    .trim();
}

/** The content of the brace group that opens at `open`, or undefined when it never closes. */
function braceEnd(text: string, open: number): number | undefined {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const char = text[i];
    if (char === '\\') {
      i++;
      continue;
    }
    if (char === '{') depth++;
    else if (char === '}' && --depth === 0) return i;
  }
  return undefined;
}

/** Replaces \boxed{X} and \fbox{X} by X. */
function unbox(text: string): string {
  let result = text;
  for (let guard = 0; guard < 50; guard++) {
    const match = /\\(?:boxed|fbox)\s*\{/.exec(result);
    if (!match) break;
    const open = match.index + match[0].length - 1;
    const end = braceEnd(result, open);
    if (end === undefined) break;
    const next = /^(\s*(?:,|\\quad|\\text\s*\{\s*(?:and|or)\s*\}|and|or|\\,|\\;|\s)*)\\(?:boxed|fbox)\s*\{/.exec(result.slice(end + 1));
    result = result.slice(0, match.index) + result.slice(open + 1, end) + (next ? ', ' : '') + result.slice(end + 1 + (next ? next[1]!.length : 0));
  }
  return result;
}

/**
 * Unit words Math-Verify drops after a number (its list, plus plurals): lengths, areas, masses,
 * times, money and counted things. Single letters count only after a space or a digit.
 */
const UNIT_WORDS = [
  'meters?', 'metres?', 'centimeters?', 'centimetres?', 'millimeters?', 'kilometers?', 'km', 'cm', 'mm', 'dm', 'm', 'mtr', 'mt',
  'inch(?:es)?', 'in', 'feet', 'foot', 'ft', 'yards?', 'yd', 'miles?', 'mi', 'mph', 'kmph', 'kmh', 'km/h', 'm/s',
  'square', 'sq', 'cubic', 'cu', 'acres?', 'hectares?', 'units?', 'sq\\.? ?units?',
  'grams?', 'gm', 'g', 'kg', 'kilograms?', 'mg', 'pounds?', 'lbs?', 'oz', 'ounces?', 'tons?',
  'liters?', 'litres?', 'ml', 'l', 'gallons?', 'gal', 'cc',
  'seconds?', 'secs?', 's', 'minutes?', 'mins?', 'hours?', 'hrs?', 'h', 'days?', 'weeks?', 'months?', 'years?', 'yrs?',
  'degrees?', 'deg', 'radians?', 'rad', 'ohms?', 'volts?', 'watts?', 'v', 'w', 'hz',
  'dollars?', 'cents?', 'euros?', 'rupees?', 'rs', 'yuan', 'pesos?',
  'people', 'persons?', 'students?', 'children', 'men', 'women', 'apples?', 'coins?', 'marks?', 'points?', 'ways?', 'tiles?', 'toys?', 'times', 'numbers?', 'digits?', 'integers?',
  'am', 'pm', 'a\\.m\\.', 'p\\.m\\.',
];
const UNIT_SUFFIX = new RegExp(String.raw`(\d|\}|\)|\s)\s*(?:(?:${UNIT_WORDS.join('|')})(?:\s*(?:\^\s*\{?\d\}?|²|³))?(?:\s*(?:\/|per)\s*(?:${UNIT_WORDS.join('|')}))?)\.?\s*$`, 'i');

/** Drops a trailing unit: \text{ cm}^2 (any trailing text after a value), "12 apples", "5 km/h". */
function stripUnits(text: string): string {
  let result = text;
  for (let round = 0; round < 2; round++) {
    const textSuffix = /\\text\s*\{[^{}]*\}\s*(?:\^\s*\{?\s*\d\s*\}?|²|³)?\s*$/.exec(result);
    if (textSuffix && textSuffix.index > 0) {
      const rest = result.slice(0, textSuffix.index).trim();
      if (rest && !/[=<>,(\[{]$|\\in$/.test(rest)) result = rest;
    }
    const word = UNIT_SUFFIX.exec(result);
    if (word && word.index + word[1]!.length > 0) {
      const rest = result.slice(0, word.index + word[1]!.length).trim();
      if (rest && /[\d})]$/.test(rest)) result = rest;
    }
  }
  return result;
}

/** Degree marks: 90^\circ is 90 (Math-Verify does not turn degrees into radians). */
function stripDegrees(text: string): string {
  return text.replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|°|\\degree/g, '');
}

/** Thousands separators between digit groups: 1,000 / 1\,000 / 1\!000 / 1 000 / 1{,}000. */
function joinThousands(text: string): string {
  return text.replace(/(?<![\d.,])[1-9]\d{0,2}(?:(?:,|\s)\d{3})+(?![\d,]|\.\d*,)/g, (match) => match.replace(/[,\s]/g, ''));
}

/** Splits at top-level occurrences of `separator` (outside brackets); undefined when they do not balance. */
function splitTopLevel(text: string, separator: RegExp): string[] | undefined {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === '\\') {
      const command = /^\\([a-zA-Z]+|.)/.exec(text.slice(i))!;
      if (command[1] === '{' || command[1] === 'langle') depth++;
      else if (command[1] === '}' || command[1] === 'rangle') depth--;
      if (depth === 0) {
        separator.lastIndex = 0;
        const match = new RegExp(`^(?:${separator.source})`).exec(text.slice(i));
        if (match && match[0].length > 0) {
          parts.push(text.slice(start, i));
          start = i + match[0].length;
          i = start - 1;
          continue;
        }
      }
      i += command[0].length - 1;
      continue;
    }
    if ('([{'.includes(char)) depth++;
    else if (')]}'.includes(char)) depth--;
    if (depth < 0) return undefined;
    if (depth === 0) {
      const match = new RegExp(`^(?:${separator.source})`).exec(text.slice(i));
      if (match && match[0].length > 0) {
        parts.push(text.slice(start, i));
        start = i + match[0].length;
        i = start - 1;
      }
    }
  }
  if (depth !== 0) return undefined;
  parts.push(text.slice(start));
  return parts;
}

const RELATION = /\\le |\\ge |\\ne |\\lt(?![a-zA-Z])|\\gt(?![a-zA-Z])|<=|>=|!=|=<|=>|(?<![<>!=])=(?!=)|==|<|>/;
const RELATION_OPERATORS: Record<string, RelationOperator> = { '\\le ': '<=', '\\ge ': '>=', '\\ne ': '!=', '\\lt': '<', '\\gt': '>', '<=': '<=', '>=': '>=', '=<': '<=', '=>': '>=', '!=': '!=', '=': '=', '==': '=', '<': '<', '>': '>' };

function operatorsBetween(text: string, parts: string[]): RelationOperator[] {
  const operators: RelationOperator[] = [];
  let offset = 0;
  for (let i = 0; i < parts.length - 1; i++) {
    offset += parts[i]!.length;
    const match = new RegExp(`^(?:${RELATION.source})`).exec(text.slice(offset))!;
    operators.push(RELATION_OPERATORS[match[0]]!);
    offset += match[0].length;
  }
  return operators;
}

const MATRIX = /^[([]?\s*\\begin\{([pbvBV]?matrix|array|smallmatrix)\}(?:\{[^{}]*\})?([\s\S]*?)\\end\{\1\}\s*[)\]]?$/;

export interface ParseOptions {
  /** A plain-text number (not LaTeX): "2,74" is 2.74, as Math-Verify's plain-number reading. */
  decimalComma?: boolean;
}

/** Parses an answer (LaTeX or plain) into a value; undefined when it is not math we can judge. */
export function parseMathValue(answer: string, options: ParseOptions = {}): MathValue | undefined {
  if (answer.length > MAX_MATH_LENGTH) return undefined;
  let text = stripLayout(unbox(answer));
  text = stripDegrees(text);
  text = stripUnits(text).replace(/[\s.;]+$/, '').replace(/^[\s:]+/, '');
  if (options.decimalComma && /^-?\d+,\d+$/.test(text) && !/^-?[1-9]\d{0,2}(,\d{3})+$/.test(text)) text = text.replace(',', '.');
  text = joinThousands(text);
  return parseValue(text, 0);
}

function parseValue(raw: string, depth: number): MathValue | undefined {
  if (depth > MAX_NESTING) return undefined;
  let text = raw.trim();
  if (!text) return undefined;
  // "x \in S" is S; "\therefore x = 2" is x = 2
  const member = /^(?:[a-zA-Z](?:_\{?\w+\}?)?|\\[a-zA-Z]+)\s*\\in\s+([\s\S]+)$/.exec(text) ?? /^[a-zA-Z]\s*\\in([\s\S]+)$/.exec(text);
  if (member) {
    const inner = parseValue(member[1]!, depth + 1);
    return inner && (inner.type === 'interval' || inner.type === 'union') ? { ...inner, member: true } : inner;
  }

  const commaParts = splitTopLevel(text, /,|;/);
  if (!commaParts) return undefined;
  if (commaParts.length > 1) {
    if (commaParts.some((part) => !part.trim())) {
      // "1, 2," trailing separator
      const kept = commaParts.filter((part) => part.trim());
      if (kept.length === 0) return undefined;
      if (kept.length === 1) return parseValue(kept[0]!, depth + 1);
      return parseList(kept, depth);
    }
    return parseList(commaParts, depth);
  }

  // \approx: "x = 1/3 \approx 0.33" is x = 1/3; "x \approx 11" is 11
  const approx = splitTopLevel(text, /\\approx|≈|\\sim(?![a-zA-Z])/);
  if (approx && approx.length > 1) {
    const first = parseValue(approx[0]!, depth + 1);
    if (first && !(first.type === 'expr' && isOnlySymbols(first.node))) return first;
    const rest = parseValue(approx[1]!, depth + 1);
    if (!rest) return undefined;
    if (first?.type === 'expr') return { type: 'relation', operators: ['='], sides: [first, rest.type === 'relation' ? rest.sides[0]! : rest] };
    return rest;
  }

  const relationParts = splitTopLevel(text, RELATION);
  if (!relationParts) return undefined;
  if (relationParts.length > 1) {
    const operators = operatorsBetween(text, relationParts);
    const sides: MathValue[] = [];
    for (const [index, part] of relationParts.entries()) {
      let side = parseValue(part, depth + 1);
      // \sum_{k=1}^n k = \frac{n(n+1)}{2}: a left side we cannot evaluate still names what the right side is
      if (!side && index < relationParts.length - 1 && operators.every((op) => op === '=') && part.trim()) side = { type: 'text', text: part.trim() };
      if (!side || side.type === 'relation' || side.type === 'and') return undefined;
      sides.push(side);
    }
    return { type: 'relation', operators, sides };
  }

  const unionParts = splitTopLevel(text, /\\cup(?![a-zA-Z])|∪/);
  if (unionParts && unionParts.length > 1) {
    const parts = unionParts.map((part) => parseValue(part, depth + 1));
    if (parts.some((part) => !part || (part.type !== 'interval' && part.type !== 'set'))) return undefined;
    return { type: 'union', parts: parts as MathValue[] };
  }

  const matrix = MATRIX.exec(text);
  if (matrix) return parseMatrix(matrix[2]!);

  const text1 = /^\\text\s*\{([^{}]*)\}$/.exec(text);
  if (text1) {
    const inner = parseValue(text1[1]!, depth + 1);
    if (inner && inner.type !== 'expr') return inner;
    if (inner && /^[\d\s.+-]+$/.test(text1[1]!)) return inner;
    return { type: 'text', text: text1[1]!.trim() };
  }

  // brackets: \{…\} sets, (…)/[…] intervals and tuples, \langle…\rangle tuples
  const set = /^\\\{([\s\S]*)\\\}$/.exec(text);
  if (set && splitTopLevel(set[1]!, /,|;/)) {
    if (!set[1]!.trim()) return { type: 'set', elements: [] };
    const elements = splitTopLevel(set[1]!, /,|;/)!.map((part) => parseValue(part, depth + 1));
    return elements.every(Boolean) ? { type: 'set', elements: flattenPlusMinus(elements as MathValue[]) } : undefined;
  }
  const braces = /^\{([\s\S]*)\}$/.exec(text);
  if (braces && (splitTopLevel(braces[1]!, /,|;/)?.length ?? 0) > 1) {
    const elements = splitTopLevel(braces[1]!, /,|;/)!.map((part) => parseValue(part, depth + 1));
    return elements.every(Boolean) ? { type: 'set', elements: flattenPlusMinus(elements as MathValue[]) } : undefined;
  }
  const angle = /^\\langle([\s\S]*)\\rangle$/.exec(text);
  if (angle) {
    const elements = splitTopLevel(angle[1]!, /,/)?.map((part) => parseValue(part, depth + 1));
    return elements && elements.every(Boolean) ? { type: 'tuple', elements: elements as MathValue[] } : undefined;
  }
  const bracketed = /^([([])([\s\S]*)([)\]])$/.exec(text);
  if (bracketed && splitTopLevel(bracketed[2]!, /,/)?.length === 2 && splitTopLevel(bracketed[2]!, /,/)) {
    const [open, inner, close] = [bracketed[1]!, bracketed[2]!, bracketed[3]!];
    const parts = splitTopLevel(inner, /,/)!;
    const start = parseValue(parts[0]!, depth + 1);
    const end = parseValue(parts[1]!, depth + 1);
    if (!start || !end) return undefined;
    if (start.type === 'expr' && end.type === 'expr') {
      return { type: 'interval', leftOpen: open === '(', rightOpen: close === ')', start: start.node, end: end.node, pair: open === '(' && close === ')' };
    }
    return open === '(' && close === ')' ? { type: 'tuple', elements: [start, end] } : undefined;
  }
  if (bracketed && bracketed[1] === '(' && bracketed[3] === ')') {
    const parts = splitTopLevel(bracketed[2]!, /,/);
    if (parts && parts.length > 2) {
      const elements = parts.map((part) => parseValue(part, depth + 1));
      return elements.every(Boolean) ? { type: 'tuple', elements: elements as MathValue[] } : undefined;
    }
    if (parts && parts.length === 1) {
      const inner = parseValue(bracketed[2]!, depth + 1);
      if (inner && inner.type !== 'expr') return inner;
    }
  }

  // ±: two values
  const plusMinus = splitTopLevel(text, /\\pm(?![a-zA-Z])|±/);
  if (plusMinus && plusMinus.length === 2) {
    const left = plusMinus[0]!.trim();
    const plus = parseExpressionValue(`${left}+(${plusMinus[1]})`);
    const minus = parseExpressionValue(`${left}-(${plusMinus[1]})`);
    return plus && minus ? { type: 'set', elements: [plus, minus] } : undefined;
  }
  if (/\\mp(?![a-zA-Z])|\\pm(?![a-zA-Z])|±/.test(text)) return undefined;

  return parseExpressionValue(text);
}

function flattenPlusMinus(elements: MathValue[]): MathValue[] {
  return elements.flatMap((element) => (element.type === 'set' ? element.elements : [element]));
}

/** A comma list: relations become "and" (x = 1, y = 2); "x = 1, 2" is x = {1, 2}; otherwise a set. */
function parseList(parts: string[], depth: number): MathValue | undefined {
  const values = parts.map((part) => parseValue(part, depth + 1));
  if (values.some((value) => !value)) return undefined;
  const list = values as MathValue[];
  const first = list[0]!;
  if (first.type === 'relation' && first.sides.length === 2 && list.slice(1).every((value) => value.type === 'expr')) {
    return { type: 'relation', operators: first.operators, sides: [first.sides[0]!, { type: 'set', elements: [first.sides[1]!, ...list.slice(1)] }] };
  }
  return { type: 'set', elements: flattenPlusMinus(list) };
}

function parseMatrix(body: string): MathValue | undefined {
  const rows = body.split(/\\\\(?:\[[^\]]*\])?/).map((row) => row.replace(/\\hline/g, '').trim()).filter((row) => row.length > 0);
  const parsed: Node[][] = [];
  for (const row of rows) {
    const cells: Node[] = [];
    for (const cell of row.split('&')) {
      const value = parseExpressionValue(cell.trim());
      if (!value || value.type !== 'expr') return undefined;
      cells.push(value.node);
    }
    parsed.push(cells);
  }
  if (parsed.length === 0 || parsed.some((row) => row.length !== parsed[0]!.length)) return undefined;
  return { type: 'matrix', rows: parsed };
}

/** A scalar expression, with an optional trailing percent sign or word. */
const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen', 'twenty'];

function parseExpressionValue(text: string): MathValue | undefined {
  let body = text.trim();
  // "eight": a number written as a word (Math-Verify reads none; a documented deviation)
  const word = NUMBER_WORDS.indexOf(body.toLowerCase());
  if (word >= 0) return { type: 'expr', node: { kind: 'number', value: word, float: false } };
  let percent = false;
  const percentMatch = /\s*(?:\\%|%|\bpercent(?:age)?\b|\bpct\b)\s*$/i.exec(body);
  if (percentMatch && percentMatch.index > 0) {
    percent = true;
    body = body.slice(0, percentMatch.index);
  }
  body = body.replace(/\\text\s*\{\s*([a-zA-Z]?)\s*\}/g, '$1');
  if (/\\text/.test(body)) return undefined;
  // three letters in a row outside a command are a word, not a product: "yes" is not y·e·s
  if (/[a-zA-Z]{3,}/.test(body.replace(/\\[a-zA-Z]+/g, ' ').replace(/\b(?:arcsin|arccos|arctan|sinh|cosh|tanh|sin|cos|tan|sec|csc|cot|ln|log|exp|sqrt)\b/g, ' '))) return undefined;
  const node = parseExpression(body);
  if (!node) return undefined;
  return { type: 'expr', node: percent ? { kind: 'percent', operand: node } : node };
}

// ---------------------------------------------------------------------------------------------
// Comparison

/** Sample points for variables: fixed, irrational-looking, distinct per variable. */
const SAMPLE_POINTS = [0.5371, 1.2879, 2.1103, 0.3317, 1.7723];

/** Math-Verify rounds to 6 decimals when a side is a float literal. */
function roundedEqual(a: number, b: number): boolean {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  const scale = 1e6;
  return Math.round(a * scale) === Math.round(b * scale) || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

function closeValues(a: number, b: number, relative: number): boolean {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= relative * Math.max(1, Math.abs(a), Math.abs(b));
}

function variableSets(a: Node, b: Node): string[] {
  return [...collectVariables(b, collectVariables(a))].sort();
}

function samples(names: readonly string[]): Map<string, number>[] {
  if (names.length === 0) return [new Map()];
  return SAMPLE_POINTS.map((point, index) => new Map(names.map((name, i) => [name, point + 0.6931 * i + 0.1 * index * i])));
}

/** Two scalar expressions: Math-Verify's numeric comparison, then equality at sample points. */
export function nodesEqual(gold: Node, pred: Node): boolean {
  const names = variableSets(gold, pred);
  if (names.length === 0) {
    const a = evaluate(gold, new Map());
    const b = evaluate(pred, new Map());
    if (Number.isNaN(a) || Number.isNaN(b)) return false;
    if ((isAtomicNumber(gold) || isAtomicNumber(pred)) && (isFloatLiteral(gold) || isFloatLiteral(pred))) return roundedEqual(a, b);
    return closeValues(a, b, 1e-10);
  }
  let compared = 0;
  for (const point of samples(names)) {
    const a = evaluate(gold, point);
    const b = evaluate(pred, point);
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    if (!closeValues(a, b, 1e-8)) return false;
    compared++;
  }
  return compared > 0;
}

/** lhs − rhs as one expression. */
function difference(left: Node, right: Node): Node {
  return { kind: 'binary', operator: '-', left, right };
}

/** Whether two expressions differ by a constant nonzero factor, and its sign. */
function proportional(a: Node, b: Node): 'positive' | 'negative' | undefined {
  const names = variableSets(a, b);
  let ratio: number | undefined;
  let compared = 0;
  for (const point of samples(names)) {
    const x = evaluate(a, point);
    const y = evaluate(b, point);
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    if (Math.abs(x) < 1e-12 && Math.abs(y) < 1e-12) continue;
    if (Math.abs(y) < 1e-12 || Math.abs(x) < 1e-12) return undefined;
    const r = x / y;
    if (ratio === undefined) ratio = r;
    else if (!closeValues(r, ratio, 1e-8)) return undefined;
    compared++;
  }
  if (ratio === undefined || compared === 0) return names.length === 0 ? undefined : undefined;
  return ratio > 0 ? 'positive' : 'negative';
}

const FLIPPED: Record<RelationOperator, RelationOperator> = { '=': '=', '!=': '!=', '<': '>', '>': '<', '<=': '>=', '>=': '<=' };

function isAssignment(value: MathValue): boolean {
  if (value.type === 'and') return value.relations.length > 0 && value.relations.every((relation) => relation.type === 'relation' && relation.operators.every((op) => op === '=')) && isAssignment(value.relations[0]!);
  if (value.type !== 'relation' || !value.operators.every((op) => op === '=')) return false;
  const left = value.sides[0]!;
  if (left.type === 'expr') return isOnlySymbols(left.node) || isFunctionOfSymbols(left.node);
  if (left.type === 'tuple' || left.type === 'interval') return tupleElements(left).every((element) => element.type === 'expr' && isOnlySymbols(element.node));
  return false;
}

/** f(x) parses as f·x: a product of symbols; this also covers f(x, y) written as a tuple product. */
function isFunctionOfSymbols(node: Node): boolean {
  return isOnlySymbols(node);
}

function isEquation(value: MathValue): boolean {
  if (value.type === 'and') return value.relations.every(isEquation);
  return value.type === 'relation' && value.operators.every((op) => op === '=');
}

function isRelation(value: MathValue): boolean {
  return value.type === 'relation' || value.type === 'and';
}

function lastRelation(value: MathValue): MathValue {
  return value.type === 'and' ? lastRelation(value.relations.at(-1)!) : value;
}

/** x = 5 + 5 + 1 = 11 becomes x = 11; chains of assignments keep the first left and the last right side. */
function truncateAssignment(value: MathValue): MathValue {
  if (value.type === 'and') {
    const first = value.relations[0]! as Extract<MathValue, { type: 'relation' }>;
    const last = lastRelation(value) as Extract<MathValue, { type: 'relation' }>;
    return { type: 'relation', operators: ['='], sides: [first.sides[0]!, last.sides.at(-1)!] };
  }
  const relation = value as Extract<MathValue, { type: 'relation' }>;
  return { type: 'relation', operators: ['='], sides: [relation.sides[0]!, relation.sides.at(-1)!] };
}

function lastRightSide(value: MathValue): MathValue {
  const relation = lastRelation(value) as Extract<MathValue, { type: 'relation' }>;
  return relation.sides.at(-1)!;
}

function tupleElements(value: MathValue): MathValue[] {
  if (value.type === 'tuple' || value.type === 'set') return value.elements;
  if (value.type === 'interval') return [{ type: 'expr', node: value.start }, { type: 'expr', node: value.end }];
  return [value];
}

/** A one-variable inequality (chain) as an interval: 1 < x ≤ 2 is (1, 2]. */
function relationAsSet(value: MathValue): MathValue | undefined {
  if (value.type !== 'relation') return undefined;
  const nodes = value.sides.map((side) => (side.type === 'expr' ? side.node : undefined));
  if (nodes.some((node) => !node)) return undefined;
  const variableIndex = nodes.findIndex((node) => node!.kind === 'variable');
  const infinity: Node = { kind: 'number', value: Infinity, float: false };
  const minusInfinity: Node = { kind: 'number', value: -Infinity, float: false };
  if (value.sides.length === 3 && variableIndex === 1) {
    const [op1, op2] = value.operators;
    if ((op1 === '<' || op1 === '<=') && (op2 === '<' || op2 === '<=')) return { type: 'interval', leftOpen: op1 === '<', rightOpen: op2 === '<', start: nodes[0]!, end: nodes[2]!, pair: false };
    if ((op1 === '>' || op1 === '>=') && (op2 === '>' || op2 === '>=')) return { type: 'interval', leftOpen: op2 === '>', rightOpen: op1 === '>', start: nodes[2]!, end: nodes[0]!, pair: false };
    return undefined;
  }
  if (value.sides.length !== 2 || variableIndex < 0) return undefined;
  let op = value.operators[0]!;
  const bound = nodes[1 - variableIndex]!;
  if (variableIndex === 1) op = FLIPPED[op];
  if (op === '<' || op === '<=') return { type: 'interval', leftOpen: true, rightOpen: op === '<', start: minusInfinity, end: bound, pair: false };
  if (op === '>' || op === '>=') return { type: 'interval', leftOpen: op === '>', rightOpen: true, start: bound, end: infinity, pair: false };
  return undefined;
}

function compareRelations(gold: MathValue, pred: MathValue): boolean {
  if (gold.type === 'and' || pred.type === 'and') {
    const goldList = gold.type === 'and' ? gold.relations : [gold];
    const predList = pred.type === 'and' ? pred.relations : [pred];
    return goldList.length === predList.length && goldList.every((relation, i) => compareRelations(relation, predList[i]!));
  }
  if (gold.type !== 'relation' || pred.type !== 'relation') return false;
  // chains a < x < b: compare link by link
  if (gold.sides.length > 2 || pred.sides.length > 2) {
    if (gold.sides.length !== pred.sides.length) {
      return false;
    }
    const direct = gold.operators.every((_op, i) => compareRelations(link(gold, i), link(pred, i)));
    if (direct) return true;
    const n = pred.operators.length;
    return gold.operators.every((_op, i) => compareRelations(link(gold, i), link(pred, n - 1 - i)));
  }
  const [gl, gr] = gold.sides as [MathValue, MathValue];
  const [pl, pr] = pred.sides as [MathValue, MathValue];
  const goldOp = gold.operators[0]!;
  const predOp = pred.operators[0]!;
  if (gl.type !== 'expr' || gr.type !== 'expr' || pl.type !== 'expr' || pr.type !== 'expr') {
    // tuples or sets on a side: compare sides directly
    if (goldOp === predOp) return valuesEqual(gl, pl) && valuesEqual(gr, pr);
    if (FLIPPED[goldOp] === predOp) return valuesEqual(gl, pr) && valuesEqual(gr, pl);
    return false;
  }
  const goldDiff = difference(gl.node, gr.node);
  const predDiff = difference(pl.node, pr.node);
  if (goldOp === predOp && nodesEqual(goldDiff, predDiff)) return true;
  if (FLIPPED[goldOp] === predOp && nodesEqual(goldDiff, difference(pr.node, pl.node))) return true;
  // the same solutions: one side is a nonzero multiple of the other
  const sign = proportional(goldDiff, predDiff);
  if (!sign) return false;
  if (goldOp === '=' || goldOp === '!=') return predOp === goldOp;
  return sign === 'positive' ? predOp === goldOp : predOp === FLIPPED[goldOp];
}

function link(relation: Extract<MathValue, { type: 'relation' }>, index: number): MathValue {
  return { type: 'relation', operators: [relation.operators[index]!], sides: [relation.sides[index]!, relation.sides[index + 1]!] };
}

function isSetLike(value: MathValue): boolean {
  return value.type === 'set' || value.type === 'tuple' || value.type === 'interval' || value.type === 'union';
}

function dedupe(elements: MathValue[]): MathValue[] {
  const kept: MathValue[] = [];
  for (const element of elements) if (!kept.some((other) => valuesEqual(other, element))) kept.push(element);
  return kept;
}

function unorderedEqual(gold: MathValue[], pred: MathValue[]): boolean {
  const goldSet = dedupe(gold);
  const predSet = dedupe(pred);
  if (goldSet.length !== predSet.length) return false;
  const used = new Set<number>();
  return goldSet.every((element) => {
    const index = predSet.findIndex((candidate, i) => !used.has(i) && valuesEqual(element, candidate));
    if (index < 0) return false;
    used.add(index);
    return true;
  });
}

function orderedEqual(gold: MathValue[], pred: MathValue[]): boolean {
  return gold.length === pred.length && gold.every((element, i) => valuesEqual(element, pred[i]!));
}

function intervalStart(value: MathValue): number {
  if (value.type === 'interval') return evaluate(value.start, new Map());
  if (value.type === 'set' && value.elements[0]?.type === 'expr') return evaluate(value.elements[0].node, new Map());
  return NaN;
}

function compareSets(gold: MathValue, pred: MathValue): boolean {
  const goldSet = isSetLike(gold) ? gold : { type: 'set' as const, elements: [gold] };
  const predSet = isSetLike(pred) ? pred : { type: 'set' as const, elements: [pred] };
  if (goldSet.type === 'interval' && predSet.type === 'interval') {
    return goldSet.leftOpen === predSet.leftOpen && goldSet.rightOpen === predSet.rightOpen && nodesEqual(goldSet.start, predSet.start) && nodesEqual(goldSet.end, predSet.end);
  }
  if (goldSet.type === 'union' || predSet.type === 'union') {
    if (goldSet.type !== 'union' || predSet.type !== 'union' || goldSet.parts.length !== predSet.parts.length) return false;
    const byStart = (parts: MathValue[]) => [...parts].sort((a, b) => intervalStart(a) - intervalStart(b));
    const goldParts = byStart(goldSet.parts);
    const predParts = byStart(predSet.parts);
    return goldParts.every((part, i) => compareSets(part, predParts[i]!));
  }
  if (goldSet.type === 'interval') {
    // (a, b) written as a pair against a two-element list: read as the pair
    return goldSet.pair && (predSet.type === 'set' || predSet.type === 'tuple') && orderedEqual(tupleElements(goldSet), tupleElements(predSet));
  }
  if (predSet.type === 'interval') {
    if (!predSet.pair) return false;
    if (goldSet.type === 'set') return unorderedEqual(goldSet.elements, tupleElements(predSet));
    return orderedEqual(tupleElements(goldSet), tupleElements(predSet));
  }
  if (goldSet.type === 'set') return unorderedEqual(goldSet.elements, tupleElements(predSet));
  // a tuple gold: the prediction in its written order
  return orderedEqual(tupleElements(goldSet), tupleElements(predSet));
}

function textOf(value: MathValue): string | undefined {
  if (value.type === 'text') return value.text.toLowerCase().replace(/\s+/g, '').replace(/^\((.*)\)$/, '$1');
  if (value.type === 'expr' && value.node.kind === 'variable') return value.node.name.toLowerCase();
  return undefined;
}

/** Math-Verify's verify(gold, pred) on parsed values (it is not symmetric: gold decides the format). */
export function valuesEqual(goldValue: MathValue, predValue: MathValue): boolean {
  let gold = goldValue;
  let pred = predValue;
  const goldAssignment = isAssignment(gold);
  const predAssignment = isAssignment(pred);
  if (goldAssignment) gold = truncateAssignment(gold);
  if (predAssignment) pred = truncateAssignment(pred);
  if (isEquation(pred) && !isEquation(gold)) pred = lastRightSide(pred);
  else if (goldAssignment && !isEquation(pred)) gold = lastRightSide(gold);

  if (isRelation(gold) && isSetLike(pred) && pred.type !== 'tuple') gold = relationAsSet(gold) ?? gold;
  // x < 3 for (−∞, 3): Math-Verify compares a relation with a set only when the prediction is the set
  // (allow_set_relation_comp=False); we read the inequality as its interval both ways (a documented deviation)
  else if (isRelation(pred) && (gold.type === 'interval' || gold.type === 'union') && !gold.member) pred = relationAsSet(pred) ?? pred;

  if (isRelation(gold) && isRelation(pred)) return compareRelations(gold, pred);
  if (isRelation(gold) || isRelation(pred)) return false;
  if (isSetLike(gold) || isSetLike(pred)) return compareSets(gold, pred);
  if (gold.type === 'text' || pred.type === 'text') {
    const a = textOf(gold);
    const b = textOf(pred);
    return a !== undefined && a === b;
  }
  if (gold.type === 'matrix' || pred.type === 'matrix') {
    if (gold.type !== 'matrix' || pred.type !== 'matrix') return false;
    if (gold.rows.length !== pred.rows.length || gold.rows[0]!.length !== pred.rows[0]!.length) return false;
    return gold.rows.every((row, i) => row.every((cell, j) => nodesEqual(cell, pred.rows[i]![j]!)));
  }
  const goldNode = (gold as Extract<MathValue, { type: 'expr' }>).node;
  const predNode = (pred as Extract<MathValue, { type: 'expr' }>).node;
  if (nodesEqual(goldNode, predNode)) return true;
  // "25%" for a gold of 25: the percentage of the number the gold names (Math-Verify accepts it in
  // plain text; for LaTeX \% it does not, which we treat as its bug)
  return predNode.kind === 'percent' && goldNode.kind !== 'percent' && nodesEqual(goldNode, predNode.operand);
}

/**
 * true / false when both answers parse as math, undefined otherwise. `predicted` is the model's
 * answer and `gold` the reference; the comparison follows Math-Verify's (see the file comment).
 */
export function mathEquivalent(predicted: string, gold: string, options: { predictedOptions?: ParseOptions; goldOptions?: ParseOptions } = {}): boolean | undefined {
  const pred = parseMathValue(predicted, options.predictedOptions);
  const goldValue = parseMathValue(gold, options.goldOptions);
  if (!pred || !goldValue) return undefined;
  const predAngle = angleUnit(predicted);
  const goldAngle = angleUnit(gold);
  // "90 radians" is not 90°
  if ((predAngle === 'degrees' && goldAngle === 'radians') || (predAngle === 'radians' && goldAngle === 'degrees')) return false;
  if (valuesEqual(goldValue, pred)) return true;
  // 90° against π/2: degrees read as radians when the other side is written with π
  if (goldAngle === 'degrees' && predAngle !== 'degrees' && /\\pi|π/.test(predicted)) return valuesEqual(toRadians(goldValue), pred);
  if (predAngle === 'degrees' && goldAngle !== 'degrees' && /\\pi|π/.test(gold)) return valuesEqual(goldValue, toRadians(pred));
  return false;
}

function angleUnit(text: string): 'degrees' | 'radians' | undefined {
  if (/\\circ|°|\\degree|\bdeg(?:rees?)?\b/.test(text)) return 'degrees';
  if (/\brad(?:ians?)?\b/.test(text)) return 'radians';
  return undefined;
}

function toRadians(value: MathValue): MathValue {
  if (value.type !== 'expr') return value;
  const factor: Node = { kind: 'binary', operator: '/', left: { kind: 'number', value: Math.PI, float: false }, right: { kind: 'number', value: 180, float: false } };
  return { type: 'expr', node: { kind: 'binary', operator: '*', left: value.node, right: factor } };
}

/** A short name for a parsed value's kind, for check details. */
export function describeValue(value: MathValue | undefined): string {
  if (!value) return 'not parsed';
  if (value.type === 'expr') return 'expression';
  return value.type;
}

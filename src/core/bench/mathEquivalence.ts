/**
 * A small, local stand-in for math_verify (which the paper's rule check calls): parses LaTeX or
 * plain arithmetic (\frac, \sqrt, \pi, ^, implicit products, variables), tuples and intervals, and
 * decides equivalence numerically. Expressions with variables are compared at fixed sample points,
 * so x^2+2x+1 equals (x+1)^2; anything it cannot parse is "unknown", never "equal".
 */
import { cleanAnswer } from './answerNormalization';

type Node =
  | { kind: 'number'; value: number }
  | { kind: 'variable'; name: string }
  | { kind: 'unary'; operand: Node }
  | { kind: 'binary'; operator: '+' | '-' | '*' | '/' | '^'; left: Node; right: Node }
  | { kind: 'sqrt'; operand: Node; index?: Node };

/** A scalar, or an ordered tuple / interval with its brackets ("[" and ")" differ). */
interface MathAnswer {
  open: string;
  close: string;
  elements: Node[];
}

type Token = { type: 'number'; text: string } | { type: 'letter'; text: string } | { type: 'command'; text: string } | { type: 'symbol'; text: string };

const CONSTANTS: Record<string, number> = { pi: Math.PI, infty: Infinity };
const GREEK = /^(alpha|beta|gamma|delta|theta|lambda|mu|phi|omega|sigma|tau)$/;
const OPERATOR_COMMANDS: Record<string, string> = { cdot: '*', times: '*', div: '/' };

function tokenize(text: string): Token[] | undefined {
  const tokens: Token[] = [];
  const pattern = /\s*(?:(\d+(?:\.\d+)?|\.\d+)|([a-zA-Z])|\\([a-zA-Z]+)|([-+*/^(){}[\]=]|\\[{}])|(×|÷|·))/y;
  let index = 0;
  while (index < text.length) {
    if (/^\s*$/.test(text.slice(index))) break;
    pattern.lastIndex = index;
    const match = pattern.exec(text);
    if (!match) return undefined;
    index = pattern.lastIndex;
    if (match[1] !== undefined) tokens.push({ type: 'number', text: match[1] });
    else if (match[2] !== undefined) tokens.push({ type: 'letter', text: match[2] });
    else if (match[3] !== undefined) {
      const operator = OPERATOR_COMMANDS[match[3]];
      tokens.push(operator ? { type: 'symbol', text: operator } : { type: 'command', text: match[3] });
    } else if (match[4] !== undefined) tokens.push({ type: 'symbol', text: match[4].replace('\\', '') });
    else tokens.push({ type: 'symbol', text: match[5] === '÷' ? '/' : '*' });
  }
  return tokens;
}

class Parser {
  private position = 0;
  constructor(private readonly tokens: Token[]) {}

  parseAll(): Node | undefined {
    const node = this.expression();
    return node && this.position === this.tokens.length ? node : undefined;
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private take(symbol: string): boolean {
    const token = this.peek();
    if (token?.type === 'symbol' && token.text === symbol) {
      this.position++;
      return true;
    }
    return false;
  }

  private expression(): Node | undefined {
    let left = this.unary();
    while (left) {
      const operator = this.take('+') ? '+' : this.take('-') ? '-' : undefined;
      if (!operator) return left;
      const right = this.unary();
      left = right && { kind: 'binary', operator, left, right };
    }
    return undefined;
  }

  /** A sign binds looser than a power: -2^2 is -4. */
  private unary(): Node | undefined {
    if (this.take('-')) {
      const operand = this.unary();
      return operand && { kind: 'unary', operand };
    }
    if (this.take('+')) return this.unary();
    return this.term();
  }

  private term(): Node | undefined {
    let left = this.power();
    while (left) {
      let right: Node | undefined;
      let operator: '*' | '/' = '*';
      if (this.take('*')) right = this.signedPower();
      else if (this.take('/')) {
        operator = '/';
        right = this.signedPower();
      } else if (this.startsImplicitProduct()) right = this.power();
      else return left;
      left = right && { kind: 'binary', operator, left, right };
    }
    return undefined;
  }

  /** 2\sqrt{3}, 3x, (a)(b) are products; two bare numbers in a row ("1 000") are not. */
  private startsImplicitProduct(): boolean {
    const next = this.peek();
    return next !== undefined && (next.type === 'letter' || next.type === 'command' || (next.type === 'symbol' && (next.text === '(' || next.text === '{')));
  }

  /** After an explicit * or /, a sign is allowed: 3*-2. */
  private signedPower(): Node | undefined {
    if (this.take('-')) {
      const operand = this.signedPower();
      return operand && { kind: 'unary', operand };
    }
    return this.power();
  }

  private power(): Node | undefined {
    const base = this.primary();
    if (!base || !this.take('^')) return base;
    const exponent = this.argument(true);
    return exponent && { kind: 'binary', operator: '^', left: base, right: exponent };
  }

  /** A braced group, or one token as LaTeX takes it (\frac12 is 1/2: one digit each). */
  private argument(allowSigned = false): Node | undefined {
    if (this.take('{')) {
      const inner = this.expression();
      return inner && this.take('}') ? inner : undefined;
    }
    if (allowSigned && this.take('-')) {
      const operand = this.argument();
      return operand && { kind: 'unary', operand };
    }
    const token = this.peek();
    if (token?.type === 'number') {
      this.position++;
      if (token.text.length > 1 && !allowSigned) {
        // \frac12: the first digit is the argument, the rest is put back as the next number.
        this.tokens.splice(this.position, 0, { type: 'number', text: token.text.slice(1) });
        return { kind: 'number', value: Number(token.text[0]) };
      }
      return { kind: 'number', value: Number(token.text) };
    }
    return this.primary();
  }

  private primary(): Node | undefined {
    const token = this.peek();
    if (!token) return undefined;
    if (token.type === 'number') {
      this.position++;
      return { kind: 'number', value: Number(token.text) };
    }
    if (token.type === 'letter') {
      this.position++;
      return { kind: 'variable', name: token.text };
    }
    if (token.type === 'command') {
      this.position++;
      if (token.text in CONSTANTS) return { kind: 'number', value: CONSTANTS[token.text]! };
      if (GREEK.test(token.text)) return { kind: 'variable', name: token.text };
      if (token.text === 'frac') {
        const numerator = this.argument();
        const denominator = numerator && this.argument();
        return denominator && { kind: 'binary', operator: '/', left: numerator!, right: denominator };
      }
      if (token.text === 'sqrt') {
        let index: Node | undefined;
        if (this.take('[')) {
          index = this.expression();
          if (!index || !this.take(']')) return undefined;
        }
        const operand = this.argument();
        return operand && { kind: 'sqrt', operand, index };
      }
      return undefined; // an unknown command: not arithmetic we can judge
    }
    for (const [open, close] of [['(', ')'], ['{', '}']] as const) {
      if (this.take(open)) {
        const inner = this.expression();
        return inner && this.take(close) ? inner : undefined;
      }
    }
    return undefined;
  }
}

function evaluate(node: Node, variables: ReadonlyMap<string, number>): number {
  switch (node.kind) {
    case 'number':
      return node.value;
    case 'variable':
      return variables.get(node.name) ?? NaN;
    case 'unary':
      return -evaluate(node.operand, variables);
    case 'sqrt': {
      const value = evaluate(node.operand, variables);
      return node.index ? value ** (1 / evaluate(node.index, variables)) : Math.sqrt(value);
    }
    case 'binary': {
      const left = evaluate(node.left, variables);
      const right = evaluate(node.right, variables);
      switch (node.operator) {
        case '+':
          return left + right;
        case '-':
          return left - right;
        case '*':
          return left * right;
        case '/':
          return left / right;
        case '^':
          return left ** right;
      }
    }
  }
}

function collectVariables(node: Node, into: Set<string>): Set<string> {
  if (node.kind === 'variable') into.add(node.name);
  else if (node.kind === 'unary') collectVariables(node.operand, into);
  else if (node.kind === 'sqrt') {
    collectVariables(node.operand, into);
    if (node.index) collectVariables(node.index, into);
  } else if (node.kind === 'binary') {
    collectVariables(node.left, into);
    collectVariables(node.right, into);
  }
  return into;
}

/** Splits at top-level commas; undefined when brackets do not balance. */
function splitTopLevel(text: string): string[] | undefined {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if ('([{'.includes(char)) depth++;
    else if (')]}'.includes(char)) depth--;
    if (depth < 0) return undefined;
    if (char === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) return undefined;
  parts.push(text.slice(start));
  return parts;
}

const MAX_MATH_LENGTH = 500;

/** Parses an answer into a scalar or a tuple/interval; a leading "x =" is dropped as math_verify does. */
export function parseMathAnswer(answer: string): MathAnswer | undefined {
  // Final answers are short; a long text is prose, and the recursive parser need not see it.
  if (answer.length > MAX_MATH_LENGTH) return undefined;
  let text = cleanAnswer(answer).replace(/\\\{/g, '{').replace(/\\\}/g, '}');
  text = text.replace(/^[a-zA-Z]\s*(?:\([a-zA-Z]\))?\s*=(?!=)\s*/, '');
  if (text.length === 0 || text.includes('=')) return undefined;
  // Three letters in a row outside a command are a word, not a product: "yes" is not y·e·s.
  if (/[a-zA-Z]{3,}/.test(text.replace(/\\[a-zA-Z]+/g, ' '))) return undefined;
  let open = '';
  let close = '';
  const bracketed = /^([([{])(.*)([)\]}])$/s.exec(text);
  const parts = bracketed ? splitTopLevel(bracketed[2]!) : undefined;
  let elements: string[] | undefined;
  if (bracketed && parts && parts.length > 1) {
    [open, close, elements] = [bracketed[1]!, bracketed[3]!, parts];
  } else {
    elements = splitTopLevel(text);
  }
  if (!elements) return undefined;
  const nodes: Node[] = [];
  for (const element of elements) {
    const tokens = tokenize(element);
    const node = tokens && tokens.length > 0 ? new Parser(tokens).parseAll() : undefined;
    if (!node) return undefined;
    nodes.push(node);
  }
  return { open, close, elements: nodes };
}

/** Sample points for variables: fixed, irrational-looking, distinct per variable. */
const SAMPLE_POINTS = [0.5371, 1.2879, 2.1103];

function valuesClose(a: number, b: number): boolean {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b; // equal infinities only
  return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));
}

function nodesEquivalent(a: Node, b: Node): boolean {
  const names = [...collectVariables(b, collectVariables(a, new Set()))].sort();
  let compared = 0;
  for (let point = 0; point < (names.length === 0 ? 1 : SAMPLE_POINTS.length); point++) {
    const variables = new Map(names.map((name, i) => [name, SAMPLE_POINTS[point]! + 0.6931 * i]));
    const left = evaluate(a, variables);
    const right = evaluate(b, variables);
    if (Number.isNaN(left) && Number.isNaN(right)) continue; // outside both domains, e.g. sqrt of a negative
    if (!valuesClose(left, right)) return false;
    compared++;
  }
  return compared > 0;
}

/**
 * true / false when both answers parse as math, undefined otherwise. Scalars are compared with a
 * relative tolerance of 1e-6; tuples and intervals element by element, in order, with the same brackets.
 */
export function mathEquivalent(predicted: string, gold: string): boolean | undefined {
  const a = parseMathAnswer(predicted);
  const b = parseMathAnswer(gold);
  if (!a || !b) return undefined;
  if (a.open !== b.open || a.close !== b.close || a.elements.length !== b.elements.length) return false;
  return a.elements.every((element, i) => nodesEquivalent(element, b.elements[i]!));
}

/**
 * Arithmetic expressions in LaTeX or plain notation: a tokenizer, a recursive-descent parser and a
 * numeric evaluator. The parser builds a small tree (numbers, variables, + − × ÷ ^, \frac, \sqrt,
 * functions, |x|, n!); anything it does not know (an unknown command, a word) makes the parse fail,
 * so that the caller says "unknown" rather than guess. Depth is bounded: deeply nested input fails
 * cleanly instead of overflowing the stack.
 */

export type Node =
  | { kind: 'number'; value: number; /** written with a decimal point ("0.5"), as a float literal */ float: boolean }
  | { kind: 'variable'; name: string }
  | { kind: 'negate'; operand: Node }
  | { kind: 'binary'; operator: '+' | '-' | '*' | '/' | '^'; left: Node; right: Node }
  | { kind: 'call'; name: string; args: Node[] }
  | { kind: 'percent'; operand: Node };

type Token =
  | { type: 'number'; text: string }
  | { type: 'letter'; text: string }
  | { type: 'command'; text: string }
  | { type: 'symbol'; text: string };

const CONSTANTS: Record<string, number> = { pi: Math.PI, infty: Infinity, infinity: Infinity, varpi: Math.PI };
const GREEK = new Set(['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'varepsilon', 'zeta', 'eta', 'theta', 'vartheta', 'iota', 'kappa', 'lambda', 'mu', 'nu', 'xi', 'rho', 'sigma', 'tau', 'upsilon', 'phi', 'varphi', 'chi', 'psi', 'omega', 'Gamma', 'Delta', 'Theta', 'Lambda', 'Xi', 'Sigma', 'Phi', 'Psi', 'Omega']);
const OPERATOR_COMMANDS: Record<string, string> = { cdot: '*', times: '*', div: '/', ast: '*' };
const FUNCTIONS = new Set(['sin', 'cos', 'tan', 'sec', 'csc', 'cot', 'arcsin', 'arccos', 'arctan', 'sinh', 'cosh', 'tanh', 'ln', 'log', 'exp', 'lg']);
/** Bare function names written without a backslash ("sin x", "log(2)"). */
const BARE_FUNCTIONS = /^(arcsin|arccos|arctan|sinh|cosh|tanh|sin|cos|tan|sec|csc|cot|ln|log|exp|sqrt)/;
const MAX_DEPTH = 200;
const MAX_TOKENS = 2000;

export function tokenize(text: string): Token[] | undefined {
  const tokens: Token[] = [];
  const pattern = /\s*(?:(\d+(?:\.\d*)?(?:[eE][-+]?\d+(?![a-zA-Z]))?|\.\d+)|([a-zA-Z])|\\([a-zA-Z]+)|(\\[{}|]|[-+*/^(){}[\]|!_':])|(×|÷|·|√|π|∞))/y;
  let index = 0;
  while (index < text.length) {
    if (/^\s*$/.test(text.slice(index))) break;
    pattern.lastIndex = index;
    const match = pattern.exec(text);
    if (!match) return undefined;
    index = pattern.lastIndex;
    if (tokens.length > MAX_TOKENS) return undefined;
    if (match[1] !== undefined) tokens.push({ type: 'number', text: match[1] });
    else if (match[2] !== undefined) {
      const rest = text.slice(index - 1);
      const bare = BARE_FUNCTIONS.exec(rest);
      if (bare) {
        tokens.push({ type: 'command', text: bare[1]! });
        index += bare[1]!.length - 1;
      } else tokens.push({ type: 'letter', text: match[2] });
    } else if (match[3] !== undefined) {
      const operator = OPERATOR_COMMANDS[match[3]];
      tokens.push(operator ? { type: 'symbol', text: operator } : { type: 'command', text: match[3] });
    } else if (match[4] !== undefined) tokens.push({ type: 'symbol', text: match[4] === '\\|' ? '|' : match[4] === ':' ? '/' : match[4].replace('\\', '') });
    else {
      const char = match[5]!;
      if (char === '√') tokens.push({ type: 'command', text: 'sqrt' });
      else if (char === 'π') tokens.push({ type: 'command', text: 'pi' });
      else if (char === '∞') tokens.push({ type: 'command', text: 'infty' });
      else tokens.push({ type: 'symbol', text: char === '÷' ? '/' : '*' });
    }
  }
  return tokens;
}

class TooDeep extends Error {}

class Parser {
  private position = 0;
  private depth = 0;
  /** Inside |…|: a "|" closes the group instead of opening a new one. */
  private absDepth = 0;
  constructor(private readonly tokens: Token[]) {}

  parseAll(): Node | undefined {
    try {
      const node = this.expression();
      return node && this.position === this.tokens.length ? node : undefined;
    } catch (error) {
      if (error instanceof TooDeep) return undefined;
      throw error;
    }
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) throw new TooDeep();
  }

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.position + offset];
  }

  private isSymbol(symbol: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token?.type === 'symbol' && token.text === symbol;
  }

  private take(symbol: string): boolean {
    if (!this.isSymbol(symbol)) return false;
    this.position++;
    return true;
  }

  private takeCommand(name: string): boolean {
    const token = this.peek();
    if (token?.type === 'command' && token.text === name) {
      this.position++;
      return true;
    }
    return false;
  }

  private expression(): Node | undefined {
    this.enter();
    let left = this.unary();
    while (left) {
      const operator = this.take('+') ? '+' : this.take('-') ? '-' : undefined;
      if (!operator) break;
      const right = this.unary();
      left = right && { kind: 'binary', operator, left, right };
    }
    this.depth--;
    return left;
  }

  /** A sign binds looser than a power: -2^2 is -4. */
  private unary(): Node | undefined {
    this.enter();
    let result: Node | undefined;
    if (this.take('-')) {
      const operand = this.unary();
      result = operand && { kind: 'negate', operand };
    } else if (this.take('+')) result = this.unary();
    else result = this.term();
    this.depth--;
    return result;
  }

  private term(): Node | undefined {
    let left = this.postfix();
    while (left) {
      let right: Node | undefined;
      let operator: '*' | '/' = '*';
      if (this.take('*')) right = this.signedPostfix();
      else if (this.take('/')) {
        operator = '/';
        right = this.signedPostfix();
      } else if (this.startsImplicitProduct()) right = this.postfix();
      else return left;
      left = right && { kind: 'binary', operator, left, right };
    }
    return undefined;
  }

  /** 2\sqrt{3}, 3x, (a)(b) are products; two bare numbers in a row ("1 000") are not. */
  private startsImplicitProduct(): boolean {
    const next = this.peek();
    if (!next) return false;
    if (next.type === 'letter' || next.type === 'command') return true;
    if (next.type === 'symbol') return next.text === '(' || next.text === '{' || (next.text === '|' && this.absDepth === 0);
    return false;
  }

  /** After an explicit * or /, a sign is allowed: 3*-2. */
  private signedPostfix(): Node | undefined {
    if (this.take('-')) {
      this.enter();
      const operand = this.signedPostfix();
      this.depth--;
      return operand && { kind: 'negate', operand };
    }
    return this.postfix();
  }

  /** Powers and factorials: x^2, n!, x_1 (a subscript names a variable). */
  private postfix(): Node | undefined {
    let base = this.primary();
    while (base) {
      if (this.take('^')) {
        const exponent = this.argument(true);
        base = exponent && { kind: 'binary', operator: '^', left: base, right: exponent };
      } else if (this.take('!')) {
        base = { kind: 'call', name: 'factorial', args: [base] };
      } else if (this.isSymbol("'")) {
        return undefined; // f'(x): a derivative, not arithmetic we judge
      } else return base;
    }
    return undefined;
  }

  /** A braced group, or one token as LaTeX takes it (\frac12 is 1/2: one digit each). */
  private argument(allowSigned = false): Node | undefined {
    this.enter();
    try {
      if (this.take('{')) {
        const inner = this.expression();
        return inner && this.take('}') ? inner : undefined;
      }
      if (allowSigned && this.take('-')) {
        const operand = this.argument();
        return operand && { kind: 'negate', operand };
      }
      const token = this.peek();
      if (token?.type === 'number') {
        this.position++;
        if (token.text.length > 1 && /^\d+$/.test(token.text)) {
          // \frac12, x^23: the first digit is the argument, the rest is put back as the next number.
          this.tokens.splice(this.position, 0, { type: 'number', text: token.text.slice(1) });
          return numberNode(token.text[0]!);
        }
        return numberNode(token.text);
      }
      if (token?.type === 'letter') {
        this.position++;
        return { kind: 'variable', name: token.text };
      }
      return this.primary();
    } finally {
      this.depth--;
    }
  }

  /** A subscript after a name: x_1, a_{n}, v_{max}; it becomes part of the variable name. */
  private subscript(name: string): string | undefined {
    if (!this.take('_')) return name;
    if (this.take('{')) {
      let text = '';
      while (this.peek() && !this.isSymbol('}')) {
        const token = this.peek()!;
        if (token.type === 'symbol' && token.text === '{') return undefined;
        text += token.text;
        this.position++;
      }
      return this.take('}') ? `${name}_${text}` : undefined;
    }
    const token = this.peek();
    if (!token || token.type === 'symbol') return undefined;
    this.position++;
    return `${name}_${token.type === 'number' ? token.text[0] : token.text}`;
  }

  private primary(): Node | undefined {
    const token = this.peek();
    if (!token) return undefined;
    this.enter();
    try {
      if (token.type === 'number') {
        this.position++;
        return numberNode(token.text);
      }
      if (token.type === 'letter') {
        this.position++;
        const name = this.subscript(token.text);
        return name === undefined ? undefined : { kind: 'variable', name };
      }
      if (token.type === 'command') return this.command(token.text);
      if (this.take('(')) {
        const inner = this.expression();
        return inner && this.take(')') ? inner : undefined;
      }
      if (this.take('{')) {
        const inner = this.expression();
        return inner && this.take('}') ? inner : undefined;
      }
      if (this.take('[')) {
        const inner = this.expression();
        return inner && this.take(']') ? inner : undefined;
      }
      if (this.absDepth === 0 && this.take('|')) {
        this.absDepth++;
        const inner = this.expression();
        this.absDepth--;
        return inner && this.take('|') ? { kind: 'call', name: 'abs', args: [inner] } : undefined;
      }
      return undefined;
    } finally {
      this.depth--;
    }
  }

  private command(name: string): Node | undefined {
    this.position++;
    if (name in CONSTANTS) return { kind: 'number', value: CONSTANTS[name]!, float: false };
    if (GREEK.has(name)) {
      const full = this.subscript(name);
      return full === undefined ? undefined : { kind: 'variable', name: full };
    }
    if (name === 'frac' || name === 'dfrac' || name === 'tfrac' || name === 'cfrac') {
      const numerator = this.argument();
      const denominator = numerator && this.argument();
      return denominator && { kind: 'binary', operator: '/', left: numerator!, right: denominator };
    }
    if (name === 'binom' || name === 'dbinom' || name === 'tbinom') {
      const n = this.argument();
      const k = n && this.argument();
      return k && { kind: 'call', name: 'binom', args: [n!, k] };
    }
    if (name === 'sqrt') {
      let index: Node | undefined;
      if (this.take('[')) {
        index = this.expression();
        if (!index || !this.take(']')) return undefined;
      }
      const operand = this.argument();
      if (!operand) return undefined;
      return index ? { kind: 'binary', operator: '^', left: operand, right: { kind: 'binary', operator: '/', left: numberNode('1'), right: index } } : { kind: 'call', name: 'sqrt', args: [operand] };
    }
    if (name === 'lvert' || name === 'vert') {
      const inner = this.expression();
      return inner && (this.takeCommand('rvert') || this.takeCommand('vert')) ? { kind: 'call', name: 'abs', args: [inner] } : undefined;
    }
    if (FUNCTIONS.has(name)) {
      let base: Node | undefined;
      if ((name === 'log') && this.take('_')) {
        base = this.argument();
        if (!base) return undefined;
      }
      // \sin^2 x is (\sin x)^2; \sin^{-1} x is arcsin
      let power: Node | undefined;
      if (this.take('^')) {
        power = this.argument(true);
        if (!power) return undefined;
      }
      const argument = this.isSymbol('(') || this.isSymbol('{') ? this.primary() : this.postfix();
      if (!argument) return undefined;
      let call: Node = { kind: 'call', name, args: base ? [argument, base] : [argument] };
      if (power) {
        if (power.kind === 'negate' && power.operand.kind === 'number' && power.operand.value === 1 && /^(sin|cos|tan)$/.test(name)) call = { kind: 'call', name: `arc${name}`, args: [argument] };
        else call = { kind: 'binary', operator: '^', left: call, right: power };
      }
      return call;
    }
    if (name === 'exp') return undefined;
    return undefined; // an unknown command: not arithmetic we can judge
  }
}

function numberNode(text: string): Node {
  return { kind: 'number', value: Number(text), float: /[.eE]/.test(text) };
}

export function parseExpression(text: string): Node | undefined {
  const tokens = tokenize(text);
  return tokens && tokens.length > 0 ? new Parser(tokens).parseAll() : undefined;
}

function factorial(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 170) return NaN;
  let result = 1;
  for (let i = 2; i <= n; i++) result *= i;
  return result;
}

const CALLS: Record<string, (args: number[]) => number> = {
  sqrt: ([x]) => Math.sqrt(x!),
  abs: ([x]) => Math.abs(x!),
  factorial: ([x]) => factorial(x!),
  binom: ([n, k]) => factorial(n!) / (factorial(k!) * factorial(n! - k!)),
  sin: ([x]) => Math.sin(x!),
  cos: ([x]) => Math.cos(x!),
  tan: ([x]) => Math.tan(x!),
  sec: ([x]) => 1 / Math.cos(x!),
  csc: ([x]) => 1 / Math.sin(x!),
  cot: ([x]) => 1 / Math.tan(x!),
  arcsin: ([x]) => Math.asin(x!),
  arccos: ([x]) => Math.acos(x!),
  arctan: ([x]) => Math.atan(x!),
  sinh: ([x]) => Math.sinh(x!),
  cosh: ([x]) => Math.cosh(x!),
  tanh: ([x]) => Math.tanh(x!),
  ln: ([x]) => Math.log(x!),
  log: ([x, base]) => (base === undefined ? Math.log(x!) : Math.log(x!) / Math.log(base)),
  lg: ([x]) => Math.log10(x!),
  exp: ([x]) => Math.exp(x!),
};

export function evaluate(node: Node, variables: ReadonlyMap<string, number>): number {
  switch (node.kind) {
    case 'number':
      return node.value;
    case 'variable':
      return variables.get(node.name) ?? NaN;
    case 'negate':
      return -evaluate(node.operand, variables);
    case 'percent':
      return evaluate(node.operand, variables) / 100;
    case 'call':
      return CALLS[node.name]!(node.args.map((arg) => evaluate(arg, variables)));
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
          return right === 0 ? NaN : left / right;
        case '^':
          // a negative base with an odd-denominator fraction: (-8)^(1/3) = -2
          if (left < 0 && !Number.isInteger(right)) {
            const inverse = 1 / right;
            if (Number.isInteger(Math.round(inverse)) && Math.abs(inverse - Math.round(inverse)) < 1e-9 && Math.round(inverse) % 2 !== 0) return -((-left) ** right);
          }
          return left ** right;
      }
    }
  }
}

export function collectVariables(node: Node, into: Set<string> = new Set()): Set<string> {
  switch (node.kind) {
    case 'variable':
      into.add(node.name);
      break;
    case 'negate':
    case 'percent':
      collectVariables(node.operand, into);
      break;
    case 'call':
      node.args.forEach((arg) => collectVariables(arg, into));
      break;
    case 'binary':
      collectVariables(node.left, into);
      collectVariables(node.right, into);
      break;
  }
  return into;
}

/** A number as Math-Verify's "atomic" number: a literal, a negated one, a fraction of integers, or a percentage of one. */
export function isAtomicNumber(node: Node): boolean {
  if (node.kind === 'number') return Number.isFinite(node.value);
  if (node.kind === 'negate' || node.kind === 'percent') return isAtomicNumber(node.operand);
  if (node.kind === 'binary' && node.operator === '/') return isInteger(node.left) && isInteger(node.right);
  return false;
}

function isInteger(node: Node): boolean {
  if (node.kind === 'negate') return isInteger(node.operand);
  return node.kind === 'number' && !node.float && Number.isInteger(node.value);
}

/** Whether an atomic number is written as a float ("0.5", "-2.50%"). */
export function isFloatLiteral(node: Node): boolean {
  if (node.kind === 'number') return node.float;
  if (node.kind === 'negate' || node.kind === 'percent') return isFloatLiteral(node.operand);
  return false;
}

/** Only variables: x, xy, f(x), a_1 (the left side of an assignment such as "x = 3"). */
export function isOnlySymbols(node: Node): boolean {
  if (node.kind === 'variable') return true;
  if (node.kind === 'binary' && (node.operator === '*' || node.operator === '/')) return isOnlySymbols(node.left) && isOnlySymbols(node.right);
  if (node.kind === 'call' && node.name === 'abs') return isOnlySymbols(node.args[0]!);
  return false;
}

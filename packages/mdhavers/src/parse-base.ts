/**
 * The parser's token cursor (see parser.ts): lookahead, consuming and expecting tokens, bracket matching,
 * the nesting limit and parse errors.
 */
import { parseError, syntaxError } from './errors.js';
import { OUT_OF_SCOPE, type Token } from './lexer.js';

export const STMT_START = new Set([
  'ken',
  'dae',
  'fetch',
  'gin',
  'whiles',
  'fer',
  'gie',
  'blether',
  'brak',
  'haud',
  'hae_a_bash',
  'hurl',
  'mak_siccar',
  'keek',
]);

/** Tokens after which prefix `nae` is the NOT operator (SPEC.md §3). */
export const NAE_OPERAND = new Set(['int', 'float', 'str', 'ident', '(', '[', '-', '!', 'aye', 'nae', 'naething', '|']);

export function describe(t: Token): string {
  if (t.t === 'nl') return 'newline';
  if (t.t === 'eof') return "end o' file";
  if (t.t === 'str') return `"${t.s}"`;
  return t.s;
}

/**
 * Deepest nesting of brackets, blocks and prefix/right-recursive operators the parser accepts. Deeper input
 * gets a parse error with its line instead of exhausting the JS stack; the reference has no limit (SPEC.md
 * §7.3 asks an SDK for an error rather than a native stack crash), and real programs stay far below it.
 */
export const MAX_NESTING = 256;

/**
 * For every opening bracket token, the index of its matching closer (-1 when it has none). One pass with a
 * stack, so lookahead can step over a whole bracketed group in O(1).
 */
export function matchBrackets(toks: Token[]): Int32Array {
  const match = new Int32Array(toks.length).fill(-1);
  const stack: number[] = [];
  const OPEN: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  for (let j = 0; j < toks.length; j++) {
    const t = (toks[j] as Token).t;
    if (t === '(' || t === '[' || t === '{') stack.push(j);
    else if (t === ')' || t === ']' || t === '}') {
      const top = stack[stack.length - 1];
      if (top !== undefined && (toks[top] as Token).t === OPEN[t]) {
        stack.pop();
        match[top] = j;
      }
    }
  }
  return match;
}

/**
 * The token cursor of one parse; `ExprParser` (parse-expr.ts) and the statement parser build on it.
 *
 * @internal
 */
export abstract class ParserBase {
  protected i = 0;
  /** Tokens examined so far (see `ParseStats` in parser.ts). */
  steps = 0;
  private match: Int32Array | null = null;
  constructor(
    protected readonly toks: Token[],
    /** Offset added to node positions (f-string interpolations). */
    protected readonly base: number,
    /** Current nesting depth (starts above 0 inside an f-string interpolation). */
    protected depth: number,
  ) {}

  /** Enters one nesting level; a parse error with the line once {@link MAX_NESTING} is passed. */
  protected enter(): void {
    if (++this.depth > MAX_NESTING) {
      throw syntaxError(`nested ower deep (mair than ${MAX_NESTING} levels)`, this.cur.line);
    }
  }

  /** Runs `f` one nesting level deeper. */
  protected nested<T>(f: () => T): T {
    this.enter();
    const v = f();
    this.depth--;
    return v;
  }

  /** Index of the closer matching the opening bracket at `j` (-1: unclosed). */
  protected closerOf(j: number): number {
    if (this.match === null) this.match = matchBrackets(this.toks);
    return this.match[j] as number;
  }

  protected get cur(): Token {
    return this.toks[this.i] as Token;
  }
  protected peek(k = 1): Token {
    return (this.toks[this.i + k] ?? this.toks[this.toks.length - 1]) as Token;
  }
  protected at(t: string): boolean {
    return this.cur.t === t;
  }
  protected next(): Token {
    const t = this.cur;
    this.steps++;
    if (t.t !== 'eof') this.i++;
    return t;
  }
  protected eat(t: string): boolean {
    if (this.cur.t === t) {
      this.steps++;
      this.i++;
      return true;
    }
    return false;
  }
  protected expect(t: string, what?: string): Token {
    if (this.cur.t !== t) {
      this.fail(what ?? `'${t}'`);
    }
    return this.next();
  }
  protected fail(expected: string): never {
    const c = this.cur;
    if (OUT_OF_SCOPE.has(c.s) && c.t === 'ident') {
      throw syntaxError(`'${c.s}' is no' supported by this interpreter (oot o' scope)`, c.line);
    }
    throw parseError(describe(c), expected, c.line, c.col);
  }
  protected skipNl(): void {
    while (this.cur.t === 'nl') {
      this.steps++;
      this.i++;
    }
  }
  protected pos(t: Token): number {
    return t.pos + this.base;
  }

  protected ident(what = 'a name'): string {
    const t = this.cur;
    if (t.t !== 'ident') this.fail(what);
    if (OUT_OF_SCOPE.has(t.s))
      throw syntaxError(`'${t.s}' is no' supported by this interpreter (oot o' scope)`, t.line);
    this.steps++;
    this.i++;
    return t.s;
  }
}

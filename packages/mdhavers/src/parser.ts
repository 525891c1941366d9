/**
 * The mdhavers parser (SPEC.md §2–3): recursive descent over the token list.
 */
import type { DPattern, Expr, Item, LitValue, Pattern, Stmt } from './ast.js';
import { parseError, syntaxError } from './errors.js';
import { lex, OUT_OF_SCOPE, splitFString, type Token } from './lexer.js';

const STMT_START = new Set([
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
const NAE_OPERAND = new Set(['int', 'float', 'str', 'ident', '(', '[', '-', '!', 'aye', 'nae', 'naething', '|']);

function describe(t: Token): string {
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

/** Work counters of one parse (tests use them to prove that parsing is linear). */
export interface ParseStats {
  /** Tokens examined: every advance of the cursor plus every token looked at ahead of it. */
  steps: number;
}

/**
 * Parses a whole program (SPEC.md §2.1). Throws an MdhError of kind lex or parse. Runs in time linear in
 * the number of tokens; `stats`, when given, receives the work done.
 */
export function parseProgram(src: string, stats?: ParseStats): Stmt[] {
  const p = new Parser(lex(src), 0, 0);
  try {
    return p.program();
  } finally {
    if (stats) stats.steps += p.steps;
  }
}

/**
 * For every opening bracket token, the index of its matching closer (-1 when it has none). One pass with a
 * stack, so lookahead can step over a whole bracketed group in O(1).
 */
function matchBrackets(toks: Token[]): Int32Array {
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

class Parser {
  private i = 0;
  /** Tokens examined so far (see {@link ParseStats}). */
  steps = 0;
  private match: Int32Array | null = null;
  constructor(
    private readonly toks: Token[],
    /** Offset added to node positions (f-string interpolations). */
    private readonly base: number,
    /** Current nesting depth (starts above 0 inside an f-string interpolation). */
    private depth: number,
  ) {}

  /** Enters one nesting level; a parse error with the line once {@link MAX_NESTING} is passed. */
  private enter(): void {
    if (++this.depth > MAX_NESTING) {
      throw syntaxError(`nested ower deep (mair than ${MAX_NESTING} levels)`, this.cur.line);
    }
  }

  /** Runs `f` one nesting level deeper. */
  private nested<T>(f: () => T): T {
    this.enter();
    const v = f();
    this.depth--;
    return v;
  }

  /** Index of the closer matching the opening bracket at `j` (-1: unclosed). */
  private closerOf(j: number): number {
    if (this.match === null) this.match = matchBrackets(this.toks);
    return this.match[j] as number;
  }

  private get cur(): Token {
    return this.toks[this.i] as Token;
  }
  private peek(k = 1): Token {
    return (this.toks[this.i + k] ?? this.toks[this.toks.length - 1]) as Token;
  }
  private at(t: string): boolean {
    return this.cur.t === t;
  }
  private next(): Token {
    const t = this.cur;
    this.steps++;
    if (t.t !== 'eof') this.i++;
    return t;
  }
  private eat(t: string): boolean {
    if (this.cur.t === t) {
      this.steps++;
      this.i++;
      return true;
    }
    return false;
  }
  private expect(t: string, what?: string): Token {
    if (this.cur.t !== t) {
      this.fail(what ?? `'${t}'`);
    }
    return this.next();
  }
  private fail(expected: string): never {
    const c = this.cur;
    if (OUT_OF_SCOPE.has(c.s) && c.t === 'ident') {
      throw syntaxError(`'${c.s}' is no' supported by this interpreter (oot o' scope)`, c.line);
    }
    throw parseError(describe(c), expected, c.line, c.col);
  }
  private skipNl(): void {
    while (this.cur.t === 'nl') {
      this.steps++;
      this.i++;
    }
  }
  private pos(t: Token): number {
    return t.pos + this.base;
  }

  program(): Stmt[] {
    const out: Stmt[] = [];
    this.skipNl();
    while (!this.at('eof')) {
      out.push(this.declaration());
      this.skipSeps();
    }
    return out;
  }

  private skipSeps(): void {
    while (this.cur.t === 'nl' || this.cur.t === ';') {
      this.steps++;
      this.i++;
    }
  }

  /** END := NEWLINE | ";" | before "}" | eof | before a statement keyword. */
  private end(): void {
    const t = this.cur.t;
    if (t === 'nl' || t === ';') {
      this.steps++;
      this.i++;
      return;
    }
    if (t === '}' || t === 'eof' || STMT_START.has(t)) return;
    this.fail('end o\' statement (newline or ";")');
  }

  private ident(what = 'a name'): string {
    const t = this.cur;
    if (t.t !== 'ident') this.fail(what);
    if (OUT_OF_SCOPE.has(t.s))
      throw syntaxError(`'${t.s}' is no' supported by this interpreter (oot o' scope)`, t.line);
    this.steps++;
    this.i++;
    return t.s;
  }

  private declaration(): Stmt {
    const t = this.cur;
    const base = { line: t.line, pos: this.pos(t) };
    if (t.t === 'ken') {
      this.next();
      if (this.at('[')) {
        this.next();
        const pats: DPattern[] = [];
        if (!this.at(']')) {
          for (;;) {
            if (this.eat('_')) pats.push({ k: 'dwild' });
            else if (this.eat('...')) {
              if (this.eat('_')) pats.push({ k: 'drest', name: null });
              else pats.push({ k: 'drest', name: this.ident() });
            } else pats.push({ k: 'dvar', name: this.ident() });
            if (!this.eat(',')) break;
          }
        }
        this.expect(']');
        this.expect('=');
        const e = this.expression();
        this.end();
        return { ...base, k: 'kendes', pats, e };
      }
      const name = this.ident();
      let e: Expr | null = null;
      if (this.eat('=')) e = this.expression();
      this.end();
      return { ...base, k: 'ken', name, e };
    }
    if (t.t === 'dae') {
      this.next();
      const name = this.ident('a function name');
      this.expect('(');
      const params: string[] = [];
      const defaults: (Expr | null)[] = [];
      if (!this.at(')')) {
        for (;;) {
          params.push(this.ident('a parameter name'));
          if (this.eat('=')) defaults.push(this.expression());
          else {
            if (defaults.some((d) => d !== null)) {
              throw syntaxError("a parameter wi'oot a default cannae follow one wi' a default", this.cur.line);
            }
            defaults.push(null);
          }
          if (!this.eat(',')) break;
        }
      }
      this.expect(')');
      this.skipNl();
      const body = this.block();
      const end = this.toks[this.i - 1] as Token;
      return { ...base, k: 'dae', name, params, defaults, body, end: this.pos(end) + 1 };
    }
    if (t.t === 'fetch') {
      this.next();
      const p = this.cur;
      if (p.t !== 'str') this.fail('a module path string');
      this.next();
      let alias: string | null = null;
      if (this.eat('tae')) alias = this.ident();
      this.end();
      return { ...base, k: 'fetch', path: p.s, alias };
    }
    return this.statement();
  }

  private block(): Stmt[] {
    return this.nested(() => this.blockBody());
  }

  private blockBody(): Stmt[] {
    this.expect('{');
    const out: Stmt[] = [];
    this.skipSeps();
    while (!this.at('}')) {
      if (this.at('eof')) this.fail("'}'");
      out.push(this.declaration());
      this.skipSeps();
    }
    this.next();
    return out;
  }

  private statement(): Stmt {
    const t = this.cur;
    const base = { line: t.line, pos: this.pos(t) };
    switch (t.t) {
      case 'gin': {
        // A `gin` at statement level is an if-statement unless it is a ternary expression statement.
        if (this.isTernaryAhead()) break;
        return this.ifStmt();
      }
      case 'whiles': {
        this.next();
        const c = this.expression();
        this.skipNl();
        const body = this.block();
        return { ...base, k: 'while', c, body };
      }
      case 'fer': {
        this.next();
        const v = this.ident('a loop variable');
        this.expect('in');
        const e = this.expression();
        this.skipNl();
        const body = this.block();
        return { ...base, k: 'for', v, e, body };
      }
      case 'gie': {
        this.next();
        let e: Expr | null = null;
        if (!this.at('nl') && !this.at('eof') && !this.at(';')) e = this.expression();
        this.end();
        return { ...base, k: 'gie', e };
      }
      case 'blether': {
        this.next();
        const e = this.expression();
        this.end();
        return { ...base, k: 'blether', e };
      }
      case 'brak':
      case 'haud': {
        this.next();
        this.end();
        return { ...base, k: t.t };
      }
      case 'hae_a_bash': {
        this.next();
        this.skipNl();
        const body = this.block();
        this.skipNl();
        this.expect('gin_it_gangs_wrang');
        const err = this.ident('an error variable name');
        this.skipNl();
        const handler = this.block();
        return { ...base, k: 'try', body, err, handler };
      }
      case 'hurl': {
        this.next();
        const e = this.expression();
        this.end();
        return { ...base, k: 'hurl', e };
      }
      case 'mak_siccar': {
        this.next();
        const c = this.expression();
        let msg: Expr | null = null;
        if (this.eat(',')) msg = this.expression();
        this.end();
        return { ...base, k: 'assert', c, msg };
      }
      case 'keek':
        return this.keek();
      case '{': {
        const body = this.block();
        return { ...base, k: 'block', body };
      }
      case 'ident':
        if (OUT_OF_SCOPE.has(t.s)) this.fail('a statement');
        break;
    }
    const e = this.expression();
    this.end();
    return { ...base, k: 'expr', e };
  }

  /**
   * Whether the `gin` at the cursor starts a ternary (`gin c than a ither b`) on this line: a `than` at the
   * same bracket level before the newline or the `{` of an if-body. Bracketed groups are stepped over whole,
   * so every token is looked at by the scans of its own level only (linear overall).
   */
  private isTernaryAhead(): boolean {
    for (let j = this.i + 1; j < this.toks.length; j++) {
      this.steps++;
      const t = (this.toks[j] as Token).t;
      if (t === 'eof' || t === 'nl' || t === '{' || t === ')' || t === ']' || t === '}') return false;
      if (t === 'than') return true;
      if (t === '(' || t === '[') {
        j = this.closerOf(j);
        if (j < 0) return false;
      }
    }
    return false;
  }

  private ifStmt(): Stmt {
    const t = this.expect('gin');
    const c = this.expression();
    this.skipNl();
    const then = this.block();
    let els: Stmt[] | null = null;
    if (this.at('ither')) {
      this.next();
      this.skipNl();
      if (this.at('gin')) els = [this.nested(() => this.ifStmt())];
      else els = this.block();
    }
    return { line: t.line, pos: this.pos(t), k: 'if', c, then, else: els };
  }

  private keek(): Stmt {
    const t = this.expect('keek');
    const e = this.expression();
    this.skipNl();
    this.expect('{');
    this.skipSeps();
    const arms: { pat: Pattern; body: Stmt[]; block: boolean }[] = [];
    while (!this.at('}')) {
      this.expect('whan', "'whan' or '}'");
      const pat = this.pattern();
      this.expect('->');
      this.skipNl();
      if (this.at('{')) {
        arms.push({ pat, body: this.block(), block: true });
      } else {
        const s = this.cur;
        const sb = { line: s.line, pos: this.pos(s) };
        let st: Stmt;
        if (s.t === 'blether' || s.t === 'gie' || s.t === 'brak' || s.t === 'haud') st = this.statement();
        else {
          const ex = this.expression();
          st = { ...sb, k: 'expr', e: ex };
          if (this.at(',')) this.next();
          else this.end();
        }
        arms.push({ pat, body: [st], block: false });
      }
      this.skipSeps();
      if (this.at(',')) {
        this.next();
        this.skipSeps();
      }
    }
    this.next();
    return { line: t.line, pos: this.pos(t), k: 'keek', e, arms };
  }

  private pattern(): Pattern {
    const t = this.cur;
    if (t.t === '_') {
      this.next();
      return { k: 'pwild' };
    }
    if (t.t === 'ident') {
      this.next();
      return { k: 'pvar', name: t.s };
    }
    const lit = this.patLit();
    if (this.at('..')) {
      this.next();
      const hi = this.patLit();
      if ((typeof lit !== 'number' && typeof lit !== 'bigint') || (typeof hi !== 'number' && typeof hi !== 'bigint')) {
        throw syntaxError('range patterns need integer bounds', t.line);
      }
      return { k: 'prange', a: lit, b: hi };
    }
    return { k: 'plit', v: lit };
  }

  private patLit(): LitValue {
    const t = this.cur;
    let neg = false;
    if (t.t === '-') {
      neg = true;
      this.next();
    }
    const u = this.next();
    switch (u.t) {
      case 'int': {
        const n = u.n as number | bigint;
        if (!neg) return n;
        return typeof n === 'number' ? -n : -n;
      }
      case 'float':
        return { float: neg ? -(u.n as number) : (u.n as number) };
      case 'str':
        if (neg) break;
        return u.s;
      case 'aye':
        if (neg) break;
        return true;
      case 'nae':
        if (neg) break;
        return false;
      case 'naething':
        if (neg) break;
        return null;
    }
    this.i--;
    return this.fail('a pattern');
  }

  // ---- expressions ----

  expression(): Expr {
    this.enter();
    const e = this.assignment();
    this.depth--;
    return e;
  }

  private assignment(): Expr {
    const t = this.cur;
    if (t.t === 'ident' && ['+=', '-=', '*=', '/='].includes(this.peek().t)) {
      this.next();
      const op = this.next().t;
      const e = this.nested(() => this.assignment());
      return { line: t.line, pos: this.pos(t), k: 'cassign', name: t.s, op: op.slice(0, 1), e };
    }
    const left = this.pipe();
    if (this.at('=')) {
      const eq = this.next();
      if (left.k !== 'var' && left.k !== 'index' && left.k !== 'prop') {
        throw syntaxError('ye cannae assign tae that', eq.line);
      }
      const e = this.nested(() => this.assignment());
      return { line: eq.line, pos: this.pos(eq), k: 'assign', target: left, e };
    }
    if (['+=', '-=', '*=', '/='].includes(this.cur.t)) {
      throw syntaxError('compound assignment only works on a plain variable', this.cur.line);
    }
    return left;
  }

  private pipe(): Expr {
    let l = this.ternary();
    while (this.at('|>')) {
      const t = this.next();
      const r = this.ternary();
      l = { line: t.line, pos: this.pos(t), k: 'pipe', l, r };
    }
    return l;
  }

  private ternary(): Expr {
    if (this.at('gin')) {
      const t = this.next();
      const c = this.or();
      this.expect('than');
      const a = this.or();
      this.expect('ither');
      const b = this.nested(() => this.ternary());
      return { line: t.line, pos: this.pos(t), k: 'tern', c, a, b };
    }
    return this.or();
  }

  private or(): Expr {
    let l = this.and();
    while (this.at('or')) {
      const t = this.next();
      const r = this.and();
      l = { line: t.line, pos: this.pos(t), k: 'or', l, r };
    }
    return l;
  }

  private and(): Expr {
    let l = this.binLevel(0);
    while (this.at('an')) {
      const t = this.next();
      const r = this.binLevel(0);
      l = { line: t.line, pos: this.pos(t), k: 'and', l, r };
    }
    return l;
  }

  private static readonly LEVELS = [
    ['==', '!='],
    ['<', '<=', '>', '>='],
    ['+', '-'],
    ['*', '/', '%'],
  ];

  private binLevel(level: number): Expr {
    if (level >= Parser.LEVELS.length) return this.unary();
    const ops = Parser.LEVELS[level] as string[];
    let l = this.binLevel(level + 1);
    while (ops.includes(this.cur.t)) {
      const t = this.next();
      const r = this.binLevel(level + 1);
      l = { line: t.line, pos: this.pos(t), k: 'bin', op: t.t, l, r };
    }
    return l;
  }

  private term(): Expr {
    return this.binLevel(2);
  }

  private unary(): Expr {
    const t = this.cur;
    if (t.t === '-') {
      this.next();
      return { line: t.line, pos: this.pos(t), k: 'neg', e: this.nested(() => this.unary()) };
    }
    if (t.t === '!' || (t.t === 'nae' && NAE_OPERAND.has(this.peek().t))) {
      this.next();
      return { line: t.line, pos: this.pos(t), k: 'not', e: this.nested(() => this.unary()) };
    }
    return this.postfix();
  }

  private postfix(): Expr {
    let e = this.primary();
    for (;;) {
      const t = this.cur;
      if (t.t === '(') {
        this.next();
        const args = this.args();
        e = { line: t.line, pos: this.pos(t), k: 'call', f: e, args };
      } else if (t.t === '.') {
        this.next();
        const name = this.cur;
        if (name.t !== 'ident' && !(name.t === name.s && /^[A-Za-z_]\w*$/.test(name.s))) this.fail('a property name');
        this.next();
        e = { line: t.line, pos: this.pos(t), k: 'prop', o: e, name: name.s };
      } else if (t.t === '[') {
        this.next();
        if (this.at(':')) {
          e = this.sliceRest(e, null, t);
          continue;
        }
        const idx = this.expression();
        if (this.at(':')) {
          e = this.sliceRest(e, idx, t);
          continue;
        }
        this.expect(']');
        e = { line: t.line, pos: this.pos(t), k: 'index', o: e, i: idx };
      } else return e;
    }
  }

  private sliceRest(o: Expr, a: Expr | null, t: Token): Expr {
    this.expect(':');
    let b: Expr | null = null;
    let s: Expr | null = null;
    if (!this.at(']') && !this.at(':')) b = this.expression();
    if (this.eat(':')) {
      if (!this.at(']')) s = this.expression();
    }
    this.expect(']');
    return { line: t.line, pos: this.pos(t), k: 'slice', o, a, b, s };
  }

  private args(): Item[] {
    const out: Item[] = [];
    if (this.eat(')')) return out;
    for (;;) {
      const spread = this.eat('...');
      out.push({ spread, e: this.expression() });
      if (this.eat(')')) return out;
      this.expect(',', "',' or ')'");
    }
  }

  private maybeRange(e: Expr): Expr {
    if (this.at('..') || this.at('..=')) {
      const t = this.next();
      const b = this.term();
      return { line: t.line, pos: this.pos(t), k: 'range', a: e, b, incl: t.t === '..=' };
    }
    return e;
  }

  private primary(): Expr {
    const t = this.cur;
    const base = { line: t.line, pos: this.pos(t) };
    switch (t.t) {
      case 'int':
        this.next();
        return this.maybeRange({ ...base, k: 'lit', v: t.n as number | bigint });
      case 'float':
        this.next();
        return { ...base, k: 'lit', v: { float: t.n as number } };
      case 'str':
        this.next();
        return { ...base, k: 'lit', v: t.s };
      case 'fstr': {
        this.next();
        const parts: (string | Expr)[] = [];
        for (const p of splitFString(t.s, t.line)) {
          if ('text' in p) parts.push(p.text);
          else {
            if (p.expr.trim() === '') throw syntaxError('empty {} in a format string', t.line);
            const ps = new Parser(lex(p.expr, t.line), this.pos(t), this.depth);
            parts.push(ps.expression());
            this.steps += ps.steps;
          }
        }
        return { ...base, k: 'fstr', parts };
      }
      case 'aye':
        this.next();
        return { ...base, k: 'lit', v: true };
      case 'nae':
        this.next();
        return { ...base, k: 'lit', v: false };
      case 'naething':
        this.next();
        return { ...base, k: 'lit', v: null };
      case 'ident':
        if (OUT_OF_SCOPE.has(t.s)) this.fail('an expression');
        this.next();
        return this.maybeRange({ ...base, k: 'var', name: t.s });
      case '(': {
        this.next();
        const e = this.expression();
        this.expect(')');
        return this.maybeRange(e.k === 'range' ? e : e);
      }
      case '[': {
        this.next();
        const items: Item[] = [];
        this.skipNl();
        while (!this.at(']')) {
          const spread = this.eat('...');
          items.push({ spread, e: this.expression() });
          this.skipNl();
          if (!this.eat(',')) break;
          this.skipNl();
        }
        this.skipNl();
        this.expect(']', "',' or ']'");
        return { ...base, k: 'list', items };
      }
      case '{':
        return this.dictOrBlock();
      case '|':
        return this.lambda();
    }
    return this.fail('an expression');
  }

  private lambda(): Expr {
    const t = this.expect('|');
    const params: string[] = [];
    if (!this.at('|')) {
      for (;;) {
        params.push(this.ident('a parameter name'));
        if (!this.eat(',')) break;
      }
    }
    this.expect('|');
    const base = { line: t.line, pos: this.pos(t) };
    if (this.at('{')) {
      const block = this.block();
      const end = this.toks[this.i - 1] as Token;
      return { ...base, k: 'lambda', params, body: null, block, end: this.pos(end) + 1 };
    }
    const body = this.expression();
    const end = this.toks[this.i - 1] as Token;
    return { ...base, k: 'lambda', params, body, block: null, end: this.pos(end) + end.s.length + 2 };
  }

  /**
   * Whether the `{` at `open` starts a dict (SPEC.md §2.3: its first element is followed by `:`). Decided by
   * scanning the tokens of the brace's own level up to the first newline after an element, `;` or the
   * closing brace, stepping over bracketed groups whole: a `:` can appear at that level only after a dict
   * key (slices and nested dicts sit inside their own brackets). Linear: each `{` looks at its own level.
   */
  private isDictAhead(open: number): boolean {
    const close = this.closerOf(open);
    let j = open + 1;
    while ((this.toks[j] as Token | undefined)?.t === 'nl') {
      this.steps++;
      j++;
    }
    const first = this.toks[j] as Token | undefined;
    // A statement keyword (other than `gin`, which may start a ternary key) makes a block.
    if (first === undefined || (STMT_START.has(first.t) && first.t !== 'gin')) return false;
    for (; j < this.toks.length; j++) {
      this.steps++;
      if (j === close) return false;
      const t = (this.toks[j] as Token).t;
      if (t === ':') return true;
      if (t === 'nl' || t === ';' || t === 'eof' || t === ')' || t === ']' || t === '}') return false;
      if (t === '(' || t === '[' || t === '{') {
        j = this.closerOf(j);
        if (j < 0) return false;
      }
    }
    return false;
  }

  private dictOrBlock(): Expr {
    const open = this.i;
    const t = this.expect('{');
    const base = { line: t.line, pos: this.pos(t) };
    this.skipNl();
    if (this.eat('}')) return { ...base, k: 'dict', entries: [] };
    if (!this.isDictAhead(open)) {
      this.i = open;
      const body = this.block();
      return { ...base, k: 'blockexpr', body };
    }
    this.skipNl();
    const entries: [Expr, Expr][] = [];
    while (!this.at('}')) {
      const k = this.expression();
      this.expect(':');
      const v = this.expression();
      entries.push([k, v]);
      this.skipNl();
      if (!this.eat(',')) break;
      this.skipNl();
    }
    this.skipNl();
    this.expect('}', "',' or '}'");
    return { ...base, k: 'dict', entries };
  }
}

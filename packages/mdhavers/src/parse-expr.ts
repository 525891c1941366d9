/**
 * The expression half of the mdhavers parser (SPEC.md §3): precedence climbing from assignment down to
 * primaries, lambdas, dicts and block expressions. Statements are in parser.ts.
 */
import type { Expr, Item, Stmt } from './ast.js';
import { syntaxError } from './errors.js';
import { lex, OUT_OF_SCOPE, splitFString, type Token } from './lexer.js';
import { NAE_OPERAND, ParserBase, STMT_START } from './parse-base.js';

/**
 * The expression parser; `Parser` (parser.ts) adds the statements.
 *
 * @internal
 */
export abstract class ExprParser extends ParserBase {
  /** Parses a braced block of statements (parser.ts). */
  protected abstract block(): Stmt[];
  /** A parser for the tokens of an f-string interpolation. */
  protected abstract subParser(toks: Token[], base: number, depth: number): ExprParser;

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
    if (level >= ExprParser.LEVELS.length) return this.unary();
    const ops = ExprParser.LEVELS[level] as string[];
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
            const ps = this.subParser(lex(p.expr, t.line), this.pos(t), this.depth);
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

/**
 * The mdhavers parser (SPEC.md §2–3): recursive descent over the token list.
 */
import type { DPattern, Expr, LitValue, Pattern, Stmt } from './ast.js';
import { syntaxError } from './errors.js';
import { lex, OUT_OF_SCOPE, type Token } from './lexer.js';
import { STMT_START } from './parse-base.js';
import { ExprParser } from './parse-expr.js';

export { MAX_NESTING } from './parse-base.js';

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

/** The statement parser (SPEC.md §2). */
class Parser extends ExprParser {
  protected subParser(toks: Token[], base: number, depth: number): ExprParser {
    return new Parser(toks, base, depth);
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

  protected block(): Stmt[] {
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
}

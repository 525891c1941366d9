/**
 * "May suspend" analysis. Pure computation is compiled to synchronous closures; only code that can
 * reach a blocking builtin (a socket read, a poll, a handshake, a channel wait) is compiled to async
 * closures. A call may suspend when its callee is a blocking builtin, a user function that may suspend
 * (computed as a fixpoint over every `dae` of every loaded file, by name), or anything the analysis
 * cannot pin down (a variable holding a function, a dict member, a module alias).
 */
import type { Expr, Item, Stmt } from './ast.js';

/** Analysis results shared by the compiler. */
export class SuspendInfo {
  /** Names bound by something other than `dae` anywhere (their call targets are unknown). */
  readonly varNames = new Set<string>();
  /** Names of `dae` functions anywhere. */
  readonly defNames = new Set<string>();
  /** `dae` names whose body may suspend. */
  readonly asyncDefs = new Set<string>();
  private readonly defs: { name: string; body: Stmt[]; defaults: (Expr | null)[] }[] = [];

  constructor(
    /** Builtins that only have an async implementation. */
    private readonly asyncBuiltins: ReadonlySet<string>,
    /** Builtins that call a function argument. */
    private readonly hofBuiltins: ReadonlySet<string>,
    /** Every builtin name. */
    private readonly builtins: ReadonlySet<string>,
    /** Treat every call as suspending (the REPL). */
    readonly allAsync = false,
  ) {}

  /** Adds a parsed file to the analysis (call {@link solve} afterwards). */
  addFile(prog: Stmt[]): void {
    const visitE = (e: Expr | null): void => {
      if (e === null) return;
      switch (e.k) {
        case 'lambda':
          for (const p of e.params) this.varNames.add(p);
          if (e.body) visitE(e.body);
          if (e.block) visitS(e.block);
          return;
        case 'assign':
          if (e.target.k === 'var') this.varNames.add(e.target.name);
          visitE(e.target);
          visitE(e.e);
          return;
        case 'cassign':
          this.varNames.add(e.name);
          visitE(e.e);
          return;
      }
      forEachChild(e, visitE, visitS);
    };
    const visitS = (ss: Stmt[]): void => {
      for (const s of ss) {
        switch (s.k) {
          case 'ken':
            this.varNames.add(s.name);
            break;
          case 'kendes':
            for (const p of s.pats) if (p.k !== 'dwild' && p.name) this.varNames.add(p.name);
            break;
          case 'dae':
            this.defNames.add(s.name);
            for (const p of s.params) this.varNames.add(p);
            this.defs.push({ name: s.name, body: s.body, defaults: s.defaults });
            break;
          case 'for':
            this.varNames.add(s.v);
            break;
          case 'try':
            this.varNames.add(s.err);
            break;
          case 'fetch':
            if (s.alias) this.varNames.add(s.alias);
            break;
          case 'keek':
            for (const a of s.arms) if (a.pat.k === 'pvar') this.varNames.add(a.pat.name);
            break;
        }
        stmtChildren(s, visitE, visitS);
      }
    };
    visitS(prog);
  }

  /** Computes the set of suspending `dae` names (fixpoint). */
  solve(): void {
    let changed = true;
    while (changed) {
      changed = false;
      for (const d of this.defs) {
        if (this.asyncDefs.has(d.name)) continue;
        if (this.stmtsSuspend(d.body) || d.defaults.some((x) => x !== null && this.exprSuspends(x))) {
          this.asyncDefs.add(d.name);
          changed = true;
        }
      }
    }
  }

  /** Whether calling the name `n` may suspend. */
  nameSuspends(n: string): boolean {
    if (this.allAsync) return true;
    if (this.varNames.has(n)) return true;
    if (this.defNames.has(n)) return this.asyncDefs.has(n) || this.asyncBuiltins.has(n);
    if (this.builtins.has(n)) return this.asyncBuiltins.has(n);
    return true;
  }

  /** Whether a value used as a callback argument may suspend when called. */
  private fnArgSuspends(e: Expr): boolean {
    if (e.k === 'lambda') return e.body ? this.exprSuspends(e.body) : this.stmtsSuspend(e.block ?? []);
    if (e.k === 'var') return this.nameSuspends(e.name);
    return this.exprSuspends(e) || true;
  }

  /** Whether a call of callee `f` with `args` may suspend (not counting argument evaluation). */
  callSuspends(f: Expr, args: Item[]): boolean {
    if (this.allAsync) return true;
    if (f.k === 'lambda') return this.fnArgSuspends(f);
    if (f.k !== 'var') return true;
    if (this.nameSuspends(f.name)) return true;
    if (this.hofBuiltins.has(f.name) && !this.defNames.has(f.name)) {
      for (const a of args) if (a.spread || this.fnArgSuspends(a.e)) return true;
    }
    return false;
  }

  /** Whether evaluating an expression may suspend. */
  exprSuspends(e: Expr): boolean {
    if (this.allAsync) return true;
    switch (e.k) {
      case 'lambda':
        return false;
      case 'call':
        if (this.callSuspends(e.f, e.args)) return true;
        break;
      case 'pipe':
        if (this.callSuspends(e.r, [{ spread: false, e: e.l }])) return true;
        break;
      case 'blockexpr':
        return this.stmtsSuspend(e.body);
    }
    let s = false;
    forEachChild(
      e,
      (c) => {
        if (!s && c && this.exprSuspends(c)) s = true;
      },
      (b) => {
        if (!s && this.stmtsSuspend(b)) s = true;
      },
    );
    return s;
  }

  /** Whether running statements may suspend (`fetch` is judged by the compiler). */
  stmtsSuspend(ss: Stmt[]): boolean {
    if (this.allAsync) return true;
    for (const s of ss) {
      if (s.k === 'dae') {
        if (s.defaults.some((x) => x !== null && this.exprSuspends(x))) return true;
        continue;
      }
      let r = false;
      stmtChildren(
        s,
        (e) => {
          if (!r && e && this.exprSuspends(e)) r = true;
        },
        (b) => {
          if (!r && this.stmtsSuspend(b)) r = true;
        },
      );
      if (r) return true;
    }
    return false;
  }
}

/** Visits the direct children of an expression. Lambda bodies are visited too. */
export function forEachChild(e: Expr, fe: (e: Expr | null) => void, fs: (s: Stmt[]) => void): void {
  switch (e.k) {
    case 'lit':
    case 'var':
      return;
    case 'fstr':
      for (const p of e.parts) if (typeof p !== 'string') fe(p);
      return;
    case 'list':
      for (const it of e.items) fe(it.e);
      return;
    case 'dict':
      for (const [k, v] of e.entries) {
        fe(k);
        fe(v);
      }
      return;
    case 'blockexpr':
      fs(e.body);
      return;
    case 'lambda':
      return;
    case 'range':
      fe(e.a);
      fe(e.b);
      return;
    case 'neg':
    case 'not':
      fe(e.e);
      return;
    case 'bin':
    case 'and':
    case 'or':
    case 'pipe':
      fe(e.l);
      fe(e.r);
      return;
    case 'tern':
      fe(e.c);
      fe(e.a);
      fe(e.b);
      return;
    case 'call':
      fe(e.f);
      for (const a of e.args) fe(a.e);
      return;
    case 'index':
      fe(e.o);
      fe(e.i);
      return;
    case 'slice':
      fe(e.o);
      fe(e.a);
      fe(e.b);
      fe(e.s);
      return;
    case 'prop':
      fe(e.o);
      return;
    case 'assign':
      if (e.target.k !== 'var') forEachChild(e.target, fe, fs);
      fe(e.e);
      return;
    case 'cassign':
      fe(e.e);
      return;
  }
}

/** Visits the direct child expressions and blocks of a statement (a `dae` body is not visited). */
export function stmtChildren(s: Stmt, fe: (e: Expr | null) => void, fs: (s: Stmt[]) => void): void {
  switch (s.k) {
    case 'ken':
      fe(s.e);
      return;
    case 'kendes':
    case 'blether':
    case 'hurl':
    case 'expr':
      fe(s.e);
      return;
    case 'dae':
      for (const d of s.defaults) fe(d);
      fs(s.body);
      return;
    case 'if':
      fe(s.c);
      fs(s.then);
      if (s.else) fs(s.else);
      return;
    case 'while':
      fe(s.c);
      fs(s.body);
      return;
    case 'for':
      fe(s.e);
      fs(s.body);
      return;
    case 'gie':
      fe(s.e);
      return;
    case 'try':
      fs(s.body);
      fs(s.handler);
      return;
    case 'assert':
      fe(s.c);
      fe(s.msg);
      return;
    case 'keek':
      fe(s.e);
      for (const a of s.arms) fs(a.body);
      return;
    case 'block':
      fs(s.body);
      return;
  }
}

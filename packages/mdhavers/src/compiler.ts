/**
 * Compiles the syntax tree to JavaScript closures. Every node gets a synchronous closure; nodes that may
 * suspend (see analysis.ts) also get an async closure, and only those are ever awaited, so pure code runs
 * with no promise per node. Statements return a completion code: 0 normal, 1 `brak`, 2 `haud`, 3 `gie`
 * (the value is in `rt.rv`). Every statement leaves its value in `rt.last` for the implicit result of a
 * `dae` body (SPEC.md §6).
 */
import { forEachChild, type SuspendInfo, stmtChildren } from './analysis.js';
import type { DPattern, Expr, Item, LitValue, Pattern, Stmt } from './ast.js';
import { arityError, callableError, indexError, keyError, MdhError, typeError, undefinedError } from './errors.js';
import { add, binop, div, eq, ge, gt, le, lt, mod, mul, neg, sub } from './ops.js';
import {
  chars,
  display,
  type FuncCode,
  isBmp,
  isInt,
  kindOf,
  MDict,
  MFloat,
  MFunc,
  MNative,
  Scope,
  truthy,
  type Value,
} from './values.js';

type SFn = (env: Scope) => Value;
type AFn = (env: Scope) => Promise<Value>;
/** A compiled expression. */
export interface CE {
  s: SFn;
  a: AFn | null;
}
type SSt = (env: Scope) => number;
type ASt = (env: Scope) => Promise<number>;
/** A compiled statement (or statement list). */
export interface CS {
  s: SSt;
  a: ASt | null;
}

/** What compiled code needs from the interpreter. */
export interface Runtime {
  /** Return-value register (code 3). */
  rv: Value;
  /** Value of the last statement executed (implicit function result). */
  last: Value;
  /** Line of the last `brak`/`haud` (for the top-level error). */
  ctlLine: number;
  /** Current call depth. */
  depth: number;
  /** Maximum call depth. */
  maxDepth: number;
  /** Steps (calls and loop iterations) left before a `limit` error; Infinity when unbounded. */
  fuel: number;
  /** Writes program output (blether). */
  write(s: string): void;
  /** Runs a `fetch` statement synchronously and returns the exports. */
  fetchSync(canon: string | null, path: string, line: number): Map<string, Value>;
  /** Runs a `fetch` statement that may suspend. */
  fetchAsync(canon: string | null, path: string, line: number): Promise<Map<string, Value>>;
  /** The global scope (builtins and the main program's top level). */
  readonly globals: Scope;
  /** Resolves a module at compile time: canonical path and whether running it may suspend. */
  resolveModule(path: string, fromDir: string): { canon: string; suspends: boolean } | null;
}

const NOT_SYNC = 'this call needs the async evaluator (internal error)';

/** Thrown when a program has used up its step budget ({@link Runtime.fuel}). */
function outOfSteps(line: number): never {
  const at = line > 0 ? ` at line ${line}` : '';
  throw new MdhError('limit', `Haud on! The program's run oot o' steps${at} - its step limit is spent`, line || null);
}

function internal(line: number): MdhError {
  return new MdhError('type', `Jings! ${NOT_SYNC} at line ${line}`, line);
}

/** The arity error for a call of a script function with `got` arguments (cold path, kept out of the callers). */
function funcArityError(f: MFunc, got: number, line: number): MdhError {
  const c = f.code;
  return arityError(
    f.name,
    c.required === c.params.length ? `${c.required}` : `${c.required} tae ${c.params.length}`,
    got,
    line,
  );
}

/** Calls a callable value synchronously (arity checked). */
export function callSync(f: Value, args: Value[], line: number): Value {
  if (f instanceof MFunc) {
    const c = f.code;
    if (args.length < c.required || args.length > c.params.length) throw funcArityError(f, args.length, line);
    if (c.callSync === null) throw internal(line);
    return c.callSync(f, args);
  }
  if (f instanceof MNative) {
    if (f.arity >= 0 && args.length !== f.arity) throw arityError(f.name, `${f.arity}`, args.length, line);
    if (f.fn === null) throw internal(line);
    return f.fn(args);
  }
  throw callableError(display(f), line);
}

/** Calls a callable value, awaiting when it may suspend (arity checked). */
export function callAsync(f: Value, args: Value[], line: number): Value | Promise<Value> {
  if (f instanceof MFunc) {
    const c = f.code;
    if (args.length < c.required || args.length > c.params.length) throw funcArityError(f, args.length, line);
    if (c.callSync !== null) return c.callSync(f, args);
    return c.callAsync(f, args);
  }
  if (f instanceof MNative) {
    if (f.arity >= 0 && args.length !== f.arity) throw arityError(f.name, `${f.arity}`, args.length, line);
    if (f.afn !== null) return f.afn(args);
    return (f.fn as (a: Value[]) => Value)(args);
  }
  throw callableError(display(f), line);
}

function litValue(v: LitValue): Value {
  if (v !== null && typeof v === 'object') return new MFloat(v.float);
  return v;
}

function lookupFail(name: string, line: number): never {
  throw undefinedError(name, line);
}

/** Normalises a list/string index (negative from the end); throws when out of range. */
function normIndex(i: Value, size: number, line: number): number {
  if (typeof i !== 'number') {
    if (typeof i === 'bigint') throw indexError(String(i), size, line);
    throw typeError(`an index must be an integer, no' a ${kindOf(i)}`, line);
  }
  const j = i < 0 ? i + size : i;
  if (j < 0 || j >= size) throw indexError(String(i), size, line);
  return j;
}

/** `o[i]` (SPEC.md §7.5). */
export function indexGet(o: Value, i: Value, line: number): Value {
  if (Array.isArray(o)) return o[normIndex(i, o.length, line)] as Value;
  if (o instanceof MDict) {
    const v = o.get(i);
    if (v === undefined) throw keyError(display(i), line);
    return v;
  }
  if (typeof o === 'string') {
    if (isBmp(o)) return o[normIndex(i, o.length, line)] as string;
    const cs = Array.from(o);
    return cs[normIndex(i, cs.length, line)] as string;
  }
  throw typeError(`cannae index intae a ${kindOf(o)}`, line);
}

function indexSet(o: Value, i: Value, v: Value, line: number): void {
  if (Array.isArray(o)) {
    o[normIndex(i, o.length, line)] = v;
    return;
  }
  if (o instanceof MDict) {
    o.set(i, v);
    return;
  }
  throw typeError(`cannae set an index on a ${kindOf(o)}`, line);
}

function propGet(o: Value, name: string, line: number): Value {
  if (o instanceof MDict) {
    const v = o.get(name);
    if (v === undefined) throw undefinedError(name, line);
    return v;
  }
  throw typeError(`'${name}' doesnae exist on a ${kindOf(o)}`, line);
}

function sliceOf(o: Value, a: Value, b: Value, s: Value, line: number): Value {
  const items: Value[] | string[] | null = Array.isArray(o) ? o : typeof o === 'string' ? chars(o) : null;
  if (items === null) throw typeError(`cannae slice a ${kindOf(o)}`, line);
  for (const x of [a, b, s])
    if (x !== null && typeof x !== 'number') throw typeError('slice bounds must be integers', line);
  const n = items.length;
  const step = s === null ? 1 : (s as number);
  if (step === 0) throw typeError('a slice step cannae be zero', line);
  const out: Value[] = [];
  const clampIdx = (x: number, lo: number, hi: number): number => {
    const y = x < 0 ? x + n : x;
    return y < lo ? lo : Math.min(y, hi);
  };
  if (step > 0) {
    const st = a === null ? 0 : clampIdx(a as number, 0, n);
    const en = b === null ? n : clampIdx(b as number, 0, n);
    for (let i = st; i < en; i += step) out.push(items[i] as Value);
  } else {
    const st = a === null ? n - 1 : clampIdx(a as number, -1, n - 1);
    const en = b === null ? -1 : clampIdx(b as number, -1, n - 1);
    for (let i = st; i > en; i += step) out.push(items[i] as Value);
  }
  return typeof o === 'string' ? (out as string[]).join('') : out;
}

function makeRange(a: Value, b: Value, incl: boolean, line: number): Value[] {
  const toI = (v: Value): number => {
    if (typeof v === 'number') return v;
    if (v instanceof MFloat) return Math.trunc(v.v);
    if (typeof v === 'bigint') return Number(v);
    throw typeError(`range bounds must be numbers, no' ${kindOf(v)}`, line);
  };
  const lo = toI(a);
  const hi = toI(b) + (incl ? 1 : 0);
  if (hi - lo > 50_000_000) throw typeError('that range is faur too muckle', line);
  const out: Value[] = [];
  for (let i = lo; i < hi; i++) out.push(i);
  return out;
}

function spreadInto(out: Value[], v: Value, line: number): void {
  if (Array.isArray(v)) {
    for (const x of v) out.push(x);
  } else if (typeof v === 'string') {
    for (const c of chars(v)) out.push(c);
  } else throw typeError(`cannae spread a ${kindOf(v)}`, line);
}

function iterList(v: Value, line: number): Value[] {
  if (Array.isArray(v)) return v.slice();
  if (typeof v === 'string') return chars(v);
  throw typeError(`Haud on! Cannae iterate ower a ${kindOf(v)} - need a list or range`, line);
}

function matchPat(p: Pattern, v: Value, env: Scope): boolean {
  switch (p.k) {
    case 'pwild':
      return true;
    case 'pvar':
      env.def(p.name, v);
      return true;
    case 'plit':
      return eq(litValue(p.v), v);
    case 'prange':
      return isInt(v) && v >= p.a && v < p.b;
  }
}

function assignVar(env: Scope, name: string, v: Value, line: number): void {
  for (let s: Scope | null = env; s !== null; s = s.p) {
    const m = s.v;
    if (m?.has(name)) {
      m.set(name, v);
      return;
    }
  }
  throw undefinedError(name, line);
}

function lookup(env: Scope, name: string, line: number): Value {
  for (let s: Scope | null = env; s !== null; s = s.p) {
    const m = s.v;
    if (m !== null) {
      const x = m.get(name);
      if (x !== undefined) return x;
    }
  }
  return lookupFail(name, line);
}

/** Names bound directly in a scope by these statements (null: unknowable, a `fetch` injects names). */
export function bindingsOf(ss: Stmt[], into: Set<string> = new Set()): Set<string> | null {
  let dynamic = false;
  const inExpr = (e: Expr | null): void => {
    if (e === null || dynamic) return;
    if (e.k === 'blockexpr') {
      if (bindingsOf(e.body, into) === null) dynamic = true;
      return;
    }
    if (e.k === 'lambda') return;
    forEachChild(e, inExpr, () => undefined);
  };
  for (const s of ss) {
    switch (s.k) {
      case 'ken':
      case 'dae':
        into.add(s.name);
        break;
      case 'kendes':
        for (const p of s.pats) if (p.k !== 'dwild' && p.name) into.add(p.name);
        break;
      case 'for':
        into.add(s.v);
        break;
      case 'try':
        into.add(s.err);
        break;
      case 'fetch':
        if (s.alias) into.add(s.alias);
        else return null;
        break;
      case 'keek':
        for (const a of s.arms) {
          if (a.pat.k === 'pvar') into.add(a.pat.name);
          if (!a.block && bindingsOf(a.body, into) === null) return null;
        }
        break;
    }
    if (s.k !== 'dae') stmtChildren(s, inExpr, () => undefined);
    if (dynamic) return null;
  }
  return into;
}

/** Compiles the statements of one file. */
export class Compiler {
  /** Static scopes between the code being compiled and the file's top scope (null: dynamic). */
  private readonly stack: (Set<string> | null)[] = [];

  constructor(
    private readonly rt: Runtime,
    private readonly info: SuspendInfo,
    /** Absolute path of the file being compiled (for function origins and fetch resolution). */
    private readonly file: string,
    private readonly dir: string,
    /** The file's top scope at run time (the global scope, or the module's scope). */
    private readonly topRef: { scope: Scope } = { scope: rt.globals },
  ) {}

  /** Whether no scope between here and the file's top scope can bind `name`. */
  private topLevelName(name: string): boolean {
    for (const s of this.stack) if (s === null || s.has(name)) return false;
    return true;
  }

  private within<T>(names: Set<string> | null, f: () => T): T {
    this.stack.push(names);
    try {
      return f();
    } finally {
      this.stack.pop();
    }
  }

  // ---------------- expressions ----------------

  expr(e: Expr): CE {
    const line = e.line;
    const rt = this.rt;
    switch (e.k) {
      case 'lit': {
        const v = litValue(e.v);
        if (v instanceof MFloat) {
          return { s: () => v, a: null };
        }
        return { s: () => v, a: null };
      }
      case 'var':
        return this.exprVar(e, line);
      case 'fstr':
        return this.exprFstr(e);
      case 'list':
        return this.exprList(e, line);
      case 'dict':
        return this.exprDict(e);
      case 'blockexpr': {
        const body = this.stmts(e.body);
        return {
          s: (env) => (body.s(env) === 3 ? rt.rv : null),
          a: body.a ? async (env) => ((await (body.a as ASt)(env)) === 3 ? rt.rv : null) : null,
        };
      }
      case 'lambda': {
        const code = this.func(
          e.params,
          e.params.map(() => null),
          e.block,
          e.body,
          e.block ? 'block' : 'expr',
        );
        const origin = { file: this.file, offset: e.pos, topLevel: false };
        return { s: (env) => new MFunc('<lambda>', true, code, env, origin), a: null };
      }
      case 'range': {
        const incl = e.incl;
        return this.combine2(this.expr(e.a), this.expr(e.b), (a, b) => makeRange(a, b, incl, line));
      }
      case 'neg':
        return this.combine1(this.expr(e.e), (v) => neg(v, line));
      case 'not':
        return this.combine1(this.expr(e.e), (v) => !truthy(v));
      case 'bin':
        return this.exprBin(e, line);
      case 'and':
      case 'or':
        return this.exprAndOr(e);
      case 'tern':
        return this.exprTern(e);
      case 'pipe':
        return this.call(e.r, [{ spread: false, e: e.l }], line, true);
      case 'call':
        return this.call(e.f, e.args, line, false);
      case 'index':
        return this.combine2(this.expr(e.o), this.expr(e.i), (o, i) => indexGet(o, i, line));
      case 'slice':
        return this.exprSlice(e, line);
      case 'prop': {
        const name = e.name;
        return this.combine1(this.expr(e.o), (o) => propGet(o, name, line));
      }
      case 'assign':
        return this.assign(e.target, this.expr(e.e), line);
      case 'cassign':
        return this.exprCassign(e, line);
    }
  }

  private exprVar(e: Extract<Expr, { k: 'var' }>, line: number): CE {
    const name = e.name;
    if (this.topLevelName(name)) {
      const tr = this.topRef;
      const g = this.rt.globals;
      return {
        s: () => {
          const t = tr.scope;
          let x = (t.v as Map<string, Value>).get(name);
          if (x === undefined && t !== g) x = (g.v as Map<string, Value>).get(name);
          return x === undefined ? lookupFail(name, line) : x;
        },
        a: null,
      };
    }
    return {
      s: (env) => {
        for (let s: Scope | null = env; s !== null; s = s.p) {
          const m = s.v;
          if (m !== null) {
            const x = m.get(name);
            if (x !== undefined) return x;
          }
        }
        return lookupFail(name, line);
      },
      a: null,
    };
  }

  private exprFstr(e: Extract<Expr, { k: 'fstr' }>): CE {
    const parts = e.parts.map((p) => (typeof p === 'string' ? p : this.expr(p)));
    const anyA = parts.some((p) => typeof p !== 'string' && p.a !== null);
    const s: SFn = (env) => {
      let out = '';
      for (const p of parts) out += typeof p === 'string' ? p : display(p.s(env));
      return out;
    };
    return {
      s,
      a: anyA
        ? async (env) => {
            let out = '';
            for (const p of parts) {
              if (typeof p === 'string') out += p;
              else out += display(p.a ? await p.a(env) : p.s(env));
            }
            return out;
          }
        : null,
    };
  }

  private exprList(e: Extract<Expr, { k: 'list' }>, line: number): CE {
    const items = e.items.map((it) => ({ spread: it.spread, c: this.expr(it.e) }));
    const anyA = items.some((i) => i.c.a !== null);
    const hasSpread = items.some((i) => i.spread);
    const s: SFn = hasSpread
      ? (env) => {
          const out: Value[] = [];
          for (const it of items) {
            const v = it.c.s(env);
            if (it.spread) spreadInto(out, v, line);
            else out.push(v);
          }
          return out;
        }
      : (env) => {
          const out: Value[] = new Array(items.length);
          for (let i = 0; i < items.length; i++) out[i] = (items[i] as { c: CE }).c.s(env);
          return out;
        };
    return {
      s,
      a: anyA
        ? async (env) => {
            const out: Value[] = [];
            for (const it of items) {
              const v = it.c.a ? await it.c.a(env) : it.c.s(env);
              if (it.spread) spreadInto(out, v, line);
              else out.push(v);
            }
            return out;
          }
        : null,
    };
  }

  private exprDict(e: Extract<Expr, { k: 'dict' }>): CE {
    const ents = e.entries.map(([k, v]) => [this.expr(k), this.expr(v)] as const);
    const anyA = ents.some(([k, v]) => k.a !== null || v.a !== null);
    return {
      s: (env) => {
        const d = new MDict();
        for (const [k, v] of ents) {
          const kv = k.s(env);
          d.set(kv, v.s(env));
        }
        return d;
      },
      a: anyA
        ? async (env) => {
            const d = new MDict();
            for (const [k, v] of ents) {
              const kv = k.a ? await k.a(env) : k.s(env);
              d.set(kv, v.a ? await v.a(env) : v.s(env));
            }
            return d;
          }
        : null,
    };
  }

  private exprBin(e: Extract<Expr, { k: 'bin' }>, line: number): CE {
    const l = this.expr(e.l);
    const r = this.expr(e.r);
    const ls = l.s;
    const rs = r.s;
    let s: SFn;
    switch (e.op) {
      case '+':
        s = (env) => {
          const a = ls(env);
          const b = rs(env);
          if (typeof a === 'number' && typeof b === 'number') {
            const x = a + b;
            if (Number.isSafeInteger(x)) return x;
          }
          return add(a, b, line);
        };
        break;
      case '-':
        s = (env) => {
          const a = ls(env);
          const b = rs(env);
          if (typeof a === 'number' && typeof b === 'number') {
            const x = a - b;
            if (Number.isSafeInteger(x)) return x;
          }
          return sub(a, b, line);
        };
        break;
      case '*':
        s = (env) => mul(ls(env), rs(env), line);
        break;
      case '/':
        s = (env) => div(ls(env), rs(env), line);
        break;
      case '%':
        s = (env) => {
          const a = ls(env);
          const b = rs(env);
          if (typeof a === 'number' && typeof b === 'number' && b !== 0) {
            const x = a % b;
            return x === 0 ? 0 : x;
          }
          return mod(a, b, line);
        };
        break;
      case '<':
        s = (env) => {
          const a = ls(env);
          const b = rs(env);
          return typeof a === 'number' && typeof b === 'number' ? a < b : lt(a, b, line);
        };
        break;
      case '<=':
        s = (env) => {
          const a = ls(env);
          const b = rs(env);
          return typeof a === 'number' && typeof b === 'number' ? a <= b : le(a, b, line);
        };
        break;
      case '>':
        s = (env) => {
          const a = ls(env);
          const b = rs(env);
          return typeof a === 'number' && typeof b === 'number' ? a > b : gt(a, b, line);
        };
        break;
      case '>=':
        s = (env) => {
          const a = ls(env);
          const b = rs(env);
          return typeof a === 'number' && typeof b === 'number' ? a >= b : ge(a, b, line);
        };
        break;
      case '==':
        s = (env) => eq(ls(env), rs(env));
        break;
      case '!=':
        s = (env) => !eq(ls(env), rs(env));
        break;
      default: {
        const op = e.op;
        s = (env) => binop(op, ls(env), rs(env), line);
      }
    }
    if (l.a === null && r.a === null) return { s, a: null };
    const op = e.op;
    return {
      s,
      a: async (env) => {
        const a = l.a ? await l.a(env) : l.s(env);
        const b = r.a ? await r.a(env) : r.s(env);
        return binop(op, a, b, line);
      },
    };
  }

  private exprAndOr(e: Extract<Expr, { k: 'and' | 'or' }>): CE {
    const l = this.expr(e.l);
    const r = this.expr(e.r);
    const isAnd = e.k === 'and';
    const s: SFn = isAnd
      ? (env) => {
          const a = l.s(env);
          return truthy(a) ? r.s(env) : a;
        }
      : (env) => {
          const a = l.s(env);
          return truthy(a) ? a : r.s(env);
        };
    if (l.a === null && r.a === null) return { s, a: null };
    return {
      s,
      a: async (env) => {
        const a = l.a ? await l.a(env) : l.s(env);
        if (truthy(a) !== isAnd) return a;
        return r.a ? await r.a(env) : r.s(env);
      },
    };
  }

  private exprTern(e: Extract<Expr, { k: 'tern' }>): CE {
    const c = this.expr(e.c);
    const a = this.expr(e.a);
    const b = this.expr(e.b);
    const s: SFn = (env) => (truthy(c.s(env)) ? a.s(env) : b.s(env));
    if (c.a === null && a.a === null && b.a === null) return { s, a: null };
    return {
      s,
      a: async (env) => {
        const cv = c.a ? await c.a(env) : c.s(env);
        const br = truthy(cv) ? a : b;
        return br.a ? await br.a(env) : br.s(env);
      },
    };
  }

  private exprSlice(e: Extract<Expr, { k: 'slice' }>, line: number): CE {
    const o = this.expr(e.o);
    const none: CE = { s: () => null, a: null };
    const a = e.a ? this.expr(e.a) : none;
    const b = e.b ? this.expr(e.b) : none;
    const st = e.s ? this.expr(e.s) : none;
    const s: SFn = (env) => sliceOf(o.s(env), a.s(env), b.s(env), st.s(env), line);
    if (o.a === null && a.a === null && b.a === null && st.a === null) return { s, a: null };
    return {
      s,
      a: async (env) => {
        const ov = o.a ? await o.a(env) : o.s(env);
        const av = a.a ? await a.a(env) : a.s(env);
        const bv = b.a ? await b.a(env) : b.s(env);
        const sv = st.a ? await st.a(env) : st.s(env);
        return sliceOf(ov, av, bv, sv, line);
      },
    };
  }

  private exprCassign(e: Extract<Expr, { k: 'cassign' }>, line: number): CE {
    const name = e.name;
    const op = e.op;
    const r = this.expr(e.e);
    const apply = (env: Scope, rv: Value): Value => {
      const cur = lookup(env, name, line);
      let nv: Value;
      switch (op) {
        case '+':
          nv = add(cur, rv, line);
          break;
        case '-':
          nv = sub(cur, rv, line);
          break;
        case '*':
          nv = mul(cur, rv, line);
          break;
        default:
          nv = div(cur, rv, line);
      }
      assignVar(env, name, nv, line);
      return nv;
    };
    return {
      s: (env) => apply(env, r.s(env)),
      a: r.a ? async (env) => apply(env, await (r.a as AFn)(env)) : null,
    };
  }

  private combine1(c: CE, f: (v: Value) => Value): CE {
    const cs = c.s;
    return { s: (env) => f(cs(env)), a: c.a ? async (env) => f(await (c.a as AFn)(env)) : null };
  }

  private combine2(x: CE, y: CE, f: (a: Value, b: Value) => Value): CE {
    const xs = x.s;
    const ys = y.s;
    const s: SFn = (env) => f(xs(env), ys(env));
    if (x.a === null && y.a === null) return { s, a: null };
    return {
      s,
      a: async (env) => {
        const a = x.a ? await x.a(env) : x.s(env);
        const b = y.a ? await y.a(env) : y.s(env);
        return f(a, b);
      },
    };
  }

  private assign(target: Expr, r: CE, line: number): CE {
    if (target.k === 'var') {
      const name = target.name;
      const top = this.topLevelName(name) ? this.topRef : null;
      const g = this.rt.globals;
      const set = (env: Scope, v: Value): Value => {
        if (top !== null) {
          const t = top.scope;
          const tm = t.v as Map<string, Value>;
          if (tm.has(name)) tm.set(name, v);
          else if (t !== g && (g.v as Map<string, Value>).has(name)) (g.v as Map<string, Value>).set(name, v);
          else throw undefinedError(name, line);
          return v;
        }
        assignVar(env, name, v, line);
        return v;
      };
      return { s: (env) => set(env, r.s(env)), a: r.a ? async (env) => set(env, await (r.a as AFn)(env)) : null };
    }
    if (target.k === 'index') {
      const o = this.expr(target.o);
      const i = this.expr(target.i);
      const s: SFn = (env) => {
        const ov = o.s(env);
        const iv = i.s(env);
        const v = r.s(env);
        indexSet(ov, iv, v, line);
        return v;
      };
      if (o.a === null && i.a === null && r.a === null) return { s, a: null };
      return {
        s,
        a: async (env) => {
          const ov = o.a ? await o.a(env) : o.s(env);
          const iv = i.a ? await i.a(env) : i.s(env);
          const v = r.a ? await r.a(env) : r.s(env);
          indexSet(ov, iv, v, line);
          return v;
        },
      };
    }
    if (target.k === 'prop') {
      const name = target.name;
      const o = this.expr(target.o);
      const set = (ov: Value, v: Value): Value => {
        if (!(ov instanceof MDict)) throw typeError(`cannae set '${name}' on a ${kindOf(ov)}`, line);
        ov.set(name, v);
        return v;
      };
      const s: SFn = (env) => {
        const ov = o.s(env);
        return set(ov, r.s(env));
      };
      if (o.a === null && r.a === null) return { s, a: null };
      return {
        s,
        a: async (env) => {
          const ov = o.a ? await o.a(env) : o.s(env);
          return set(ov, r.a ? await r.a(env) : r.s(env));
        },
      };
    }
    throw typeError('ye cannae assign tae that', line);
  }

  private call(fe: Expr, items: Item[], line: number, pipe: boolean): CE {
    const f = this.expr(fe);
    const args = items.map((it) => ({ spread: it.spread, c: this.expr(it.e) }));
    const suspends = this.info.callSuspends(fe, items) || f.a !== null || args.some((x) => x.c.a !== null);
    const hasSpread = args.some((a) => a.spread);
    const evalArgsSync = (env: Scope): Value[] => {
      if (!hasSpread) {
        const out: Value[] = new Array(args.length);
        for (let i = 0; i < args.length; i++) out[i] = (args[i] as { c: CE }).c.s(env);
        return out;
      }
      const out: Value[] = [];
      for (const a of args) {
        const v = a.c.s(env);
        if (a.spread) spreadInto(out, v, line);
        else out.push(v);
      }
      return out;
    };
    const fs = f.s;
    let s: SFn;
    if (pipe) {
      // `x |> f`: the left side is evaluated first.
      s = (env) => {
        const a = evalArgsSync(env);
        return callSync(fs(env), a, line);
      };
    } else if (!hasSpread && args.length === 1) {
      const a0 = (args[0] as { c: CE }).c.s;
      s = (env) => {
        const fv = fs(env);
        if (fv instanceof MFunc) {
          const one = fv.code.call1;
          if (one !== null) return one(fv, a0(env));
        }
        return callSync(fv, [a0(env)], line);
      };
    } else if (!hasSpread && args.length === 2) {
      const a0 = (args[0] as { c: CE }).c.s;
      const a1 = (args[1] as { c: CE }).c.s;
      s = (env) => {
        const fv = fs(env);
        return callSync(fv, [a0(env), a1(env)], line);
      };
    } else {
      s = (env) => {
        const fv = fs(env);
        return callSync(fv, evalArgsSync(env), line);
      };
    }
    if (!suspends) return { s, a: null };
    const a: AFn = async (env) => {
      let fv: Value = null;
      if (!pipe) fv = f.a ? await f.a(env) : f.s(env);
      const out: Value[] = [];
      for (const x of args) {
        const v = x.c.a ? await x.c.a(env) : x.c.s(env);
        if (x.spread) spreadInto(out, v, line);
        else out.push(v);
      }
      if (pipe) fv = f.a ? await f.a(env) : f.s(env);
      return callAsync(fv, out, line);
    };
    return {
      s: () => {
        throw internal(line);
      },
      a,
    };
  }

  /** Compiles a function body into a FuncCode. */
  func(
    params: string[],
    defaults: (Expr | null)[],
    block: Stmt[] | null,
    body: Expr | null,
    kind: 'dae' | 'block' | 'expr',
  ): FuncCode {
    const rt = this.rt;
    const names = new Set(params);
    let bound: Set<string> | null = names;
    if (block) bound = bindingsOf(block, names);
    else if (body) bound = bindingsOf([{ k: 'expr', e: body, line: body.line, pos: body.pos }], names);
    for (const d of defaults)
      if (d && bound && bindingsOf([{ k: 'expr', e: d, line: d.line, pos: d.pos }], bound) === null) bound = null;
    const { defs, bodyS, bodyE } = this.within(bound, () => ({
      defs: defaults.map((d) => (d ? this.expr(d) : null)),
      bodyS: block ? this.stmts(block) : null,
      bodyE: body ? this.expr(body) : null,
    }));
    const required = defaults.filter((d) => d === null).length;
    const np = params.length;
    const defaultsSuspend = defs.some((d) => d !== null && d.a !== null);
    const bodySuspends = (bodyS !== null && bodyS.a !== null) || (bodyE !== null && bodyE.a !== null);
    const maxDepth = rt.maxDepth;
    const bindSync = (fn: MFunc, args: Value[]): Scope => {
      const env = new Scope(fn.scope);
      const m = new Map<string, Value>();
      env.v = m;
      const n = args.length;
      for (let i = 0; i < np; i++) {
        if (i < n) m.set(params[i] as string, args[i] as Value);
        else m.set(params[i] as string, (defs[i] as CE).s(env));
      }
      return env;
    };
    const bindAsync = async (fn: MFunc, args: Value[]): Promise<Scope> => {
      const env = new Scope(fn.scope);
      const m = new Map<string, Value>();
      env.v = m;
      for (let i = 0; i < np; i++) {
        if (i < args.length) m.set(params[i] as string, args[i] as Value);
        else {
          const d = defs[i] as CE;
          m.set(params[i] as string, d.a ? await d.a(env) : d.s(env));
        }
      }
      return env;
    };
    const enter = (): void => {
      if (++rt.depth > maxDepth) {
        rt.depth = 0;
        throw new MdhError('recursion', "Stack's fair puggled! Too many nested calls - yer recursion's gone radge!");
      }
      if (--rt.fuel < 0) outOfSteps(0);
    };
    let callSyncFn: ((fn: MFunc, args: Value[]) => Value) | null = null;
    if (!defaultsSuspend && !bodySuspends) {
      if (bodyE !== null) {
        const es = bodyE.s;
        callSyncFn = (fn, args) => {
          const env = bindSync(fn, args);
          enter();
          const v = es(env);
          rt.depth--;
          return v;
        };
      } else {
        const ss = (bodyS as CS).s;
        const isDae = kind === 'dae';
        callSyncFn = (fn, args) => {
          const env = bindSync(fn, args);
          enter();
          rt.last = null;
          const code = ss(env);
          rt.depth--;
          if (code === 3) return rt.rv;
          return isDae && code === 0 ? rt.last : null;
        };
      }
    }
    const callAsyncFn = async (fn: MFunc, args: Value[]): Promise<Value> => {
      if (callSyncFn !== null) return callSyncFn(fn, args);
      const env = defaultsSuspend ? await bindAsync(fn, args) : bindSync(fn, args);
      enter();
      try {
        if (bodyE !== null) return bodyE.a ? await bodyE.a(env) : bodyE.s(env);
        const b = bodyS as CS;
        rt.last = null;
        const code = b.a ? await b.a(env) : b.s(env);
        if (code === 3) return rt.rv;
        return kind === 'dae' && code === 0 ? rt.last : null;
      } finally {
        rt.depth--;
      }
    };
    // Fast path for the commonest shape: one parameter, no default, synchronous body.
    let call1: ((fn: MFunc, a: Value) => Value) | null = null;
    if (callSyncFn !== null && np === 1 && required === 1) {
      const p0 = params[0] as string;
      if (bodyE !== null) {
        const es = bodyE.s;
        call1 = (fn, a) => {
          const env = new Scope(fn.scope);
          env.v = new Map([[p0, a]]);
          if (++rt.depth > maxDepth) enter();
          if (--rt.fuel < 0) outOfSteps(0);
          const v = es(env);
          rt.depth--;
          return v;
        };
      } else {
        const ss = (bodyS as CS).s;
        const isDae = kind === 'dae';
        call1 = (fn, a) => {
          const env = new Scope(fn.scope);
          env.v = new Map([[p0, a]]);
          if (++rt.depth > maxDepth) enter();
          if (--rt.fuel < 0) outOfSteps(0);
          rt.last = null;
          const code = ss(env);
          rt.depth--;
          if (code === 3) return rt.rv;
          return isDae && code === 0 ? rt.last : null;
        };
      }
    }
    return { params, required, callSync: callSyncFn, callAsync: callAsyncFn, call1 };
  }

  // ---------------- statements ----------------

  /** Compiles a statement list that runs in the given scope. */
  stmts(ss: Stmt[]): CS {
    const cs = ss.map((s) => this.stmt(s));
    const n = cs.length;
    const fns = cs.map((c) => c.s);
    let s: SSt;
    if (n === 0) s = () => 0;
    else if (n === 1) s = fns[0] as SSt;
    else if (n === 2) {
      const f0 = fns[0] as SSt;
      const f1 = fns[1] as SSt;
      s = (env) => {
        const c = f0(env);
        return c !== 0 ? c : f1(env);
      };
    } else
      s = (env) => {
        for (let i = 0; i < n; i++) {
          const c = (fns[i] as SSt)(env);
          if (c !== 0) return c;
        }
        return 0;
      };
    if (!cs.some((c) => c.a !== null)) return { s, a: null };
    return {
      s,
      a: async (env) => {
        for (const c of cs) {
          const code = c.a ? await c.a(env) : c.s(env);
          if (code !== 0) return code;
        }
        return 0;
      },
    };
  }

  /** Compiles a block that opens a new scope. */
  private scoped(ss: Stmt[]): CS {
    const names = bindingsOf(ss);
    const rt = this.rt;
    if (names !== null && names.size === 0) {
      // Nothing can ever be defined in this block's scope, so it runs in the enclosing one.
      const b = this.stmts(ss);
      const bs = b.s;
      return {
        s: (env) => {
          rt.last = null;
          return bs(env);
        },
        a: b.a
          ? (env) => {
              rt.last = null;
              return (b.a as ASt)(env);
            }
          : null,
      };
    }
    const b = this.within(names, () => this.stmts(ss));
    const bs = b.s;
    return {
      s: (env) => {
        rt.last = null;
        return bs(new Scope(env));
      },
      a: b.a
        ? (env) => {
            rt.last = null;
            return (b.a as ASt)(new Scope(env));
          }
        : null,
    };
  }

  stmt(st: Stmt): CS {
    const rt = this.rt;
    const line = st.line;
    switch (st.k) {
      case 'expr':
        return this.stmtExpr(st);
      case 'ken':
        return this.stmtKen(st);
      case 'kendes': {
        const e = this.expr(st.e);
        const pats = st.pats;
        const bind = (env: Scope, v: Value): number => {
          destructure(env, pats, v, line);
          rt.last = null;
          return 0;
        };
        return {
          s: (env) => bind(env, e.s(env)),
          a: e.a ? async (env) => bind(env, await (e.a as AFn)(env)) : null,
        };
      }
      case 'dae':
        return this.stmtDae(st);
      case 'fetch':
        return this.stmtFetch(st, line);
      case 'if':
        return this.stmtIf(st);
      case 'while':
        return this.stmtWhile(st, line);
      case 'for':
        return this.stmtFor(st, line);
      case 'gie':
        return this.stmtGie(st);
      case 'blether':
        return this.stmtBlether(st);
      case 'brak':
      case 'haud': {
        const code = st.k === 'brak' ? 1 : 2;
        return {
          s: () => {
            rt.ctlLine = line;
            return code;
          },
          a: null,
        };
      }
      case 'try':
        return this.stmtTry(st, line);
      case 'hurl': {
        const e = this.expr(st.e);
        const thr = (v: Value): never => {
          throw new MdhError('user', `Hurled at line ${line}: ${display(v)}`, line);
        };
        return { s: (env) => thr(e.s(env)), a: e.a ? async (env) => thr(await (e.a as AFn)(env)) : null };
      }
      case 'assert':
        return this.stmtAssert(st, line);
      case 'keek':
        return this.stmtKeek(st, line);
      case 'block':
        return this.scoped(st.body);
    }
  }

  private stmtExpr(st: Extract<Stmt, { k: 'expr' }>): CS {
    const rt = this.rt;
    const e = this.expr(st.e);
    const es = e.s;
    return {
      s: (env) => {
        rt.last = es(env);
        return 0;
      },
      a: e.a
        ? async (env) => {
            rt.last = await (e.a as AFn)(env);
            return 0;
          }
        : null,
    };
  }

  private stmtKen(st: Extract<Stmt, { k: 'ken' }>): CS {
    const rt = this.rt;
    const name = st.name;
    const e = st.e ? this.expr(st.e) : null;
    if (e === null)
      return {
        s: (env) => {
          env.def(name, null);
          rt.last = null;
          return 0;
        },
        a: null,
      };
    const es = e.s;
    return {
      s: (env) => {
        const v = es(env);
        (env.v ??= new Map()).set(name, v);
        rt.last = null;
        return 0;
      },
      a: e.a
        ? async (env) => {
            const v = await (e.a as AFn)(env);
            env.def(name, v);
            rt.last = null;
            return 0;
          }
        : null,
    };
  }

  private stmtDae(st: Extract<Stmt, { k: 'dae' }>): CS {
    const rt = this.rt;
    const code = this.func(st.params, st.defaults, st.body, null, 'dae');
    const name = st.name;
    const origin = { file: this.file, offset: st.pos, topLevel: false };
    return {
      s: (env) => {
        env.def(name, new MFunc(name, false, code, env, { ...origin, topLevel: env.p === null || isModuleTop(env) }));
        rt.last = null;
        return 0;
      },
      a: null,
    };
  }

  private stmtFetch(st: Extract<Stmt, { k: 'fetch' }>, line: number): CS {
    const rt = this.rt;
    const mod = this.rt.resolveModule(st.path, this.dir);
    const canon = mod ? mod.canon : null;
    const path = st.path;
    const alias = st.alias;
    const inject = (env: Scope, ex: Map<string, Value>): number => {
      if (alias !== null) {
        const d = new MDict();
        for (const [k, v] of ex) d.set(k, v);
        env.def(alias, d);
      } else for (const [k, v] of ex) env.def(k, v);
      rt.last = null;
      return 0;
    };
    return {
      s: (env) => inject(env, rt.fetchSync(canon, path, line)),
      a: mod?.suspends ? async (env) => inject(env, await rt.fetchAsync(canon, path, line)) : null,
    };
  }

  private stmtIf(st: Extract<Stmt, { k: 'if' }>): CS {
    const rt = this.rt;
    const c = this.expr(st.c);
    const th = this.scoped(st.then);
    const el = st.else ? this.scoped(st.else) : null;
    const cs = c.s;
    const ts = th.s;
    const s: SSt = el
      ? (env) => (truthy(cs(env)) ? ts(env) : el.s(env))
      : (env) => {
          if (truthy(cs(env))) return ts(env);
          rt.last = null;
          return 0;
        };
    if (c.a === null && th.a === null && (el === null || el.a === null)) return { s, a: null };
    return {
      s,
      a: async (env) => {
        const cv = c.a ? await c.a(env) : c.s(env);
        const br = truthy(cv) ? th : el;
        if (br === null) {
          rt.last = null;
          return 0;
        }
        return br.a ? br.a(env) : br.s(env);
      },
    };
  }

  private stmtWhile(st: Extract<Stmt, { k: 'while' }>, line: number): CS {
    const rt = this.rt;
    const c = this.expr(st.c);
    const body = st.body;
    const names = bindingsOf(body);
    const fresh = names === null || names.size > 0;
    const b = fresh ? this.within(names, () => this.stmts(body)) : this.stmts(body);
    const cs = c.s;
    const bs = b.s;
    const s: SSt = (env) => {
      while (truthy(cs(env))) {
        if (--rt.fuel < 0) outOfSteps(line);
        const code = bs(fresh ? new Scope(env) : env);
        if (code === 1) break;
        if (code === 3) return 3;
      }
      rt.last = null;
      return 0;
    };
    if (c.a === null && b.a === null) return { s, a: null };
    return {
      s,
      a: async (env) => {
        for (;;) {
          const cv = c.a ? await c.a(env) : c.s(env);
          if (!truthy(cv)) break;
          if (--rt.fuel < 0) outOfSteps(line);
          const scope = fresh ? new Scope(env) : env;
          const code = b.a ? await b.a(scope) : b.s(scope);
          if (code === 1) break;
          if (code === 3) return 3;
        }
        rt.last = null;
        return 0;
      },
    };
  }

  private stmtFor(st: Extract<Stmt, { k: 'for' }>, line: number): CS {
    const rt = this.rt;
    const e = this.expr(st.e);
    const body = st.body;
    const names = bindingsOf(body);
    const fresh = names === null || names.size > 0;
    const b = fresh ? this.within(names, () => this.stmts(body)) : this.stmts(body);
    const v = st.v;
    const bs = b.s;
    const s: SSt = (env) => {
      const items = iterList(e.s(env), line);
      for (let i = 0; i < items.length; i++) {
        if (--rt.fuel < 0) outOfSteps(line);
        env.def(v, items[i] as Value);
        const code = bs(fresh ? new Scope(env) : env);
        if (code === 1) break;
        if (code === 3) return 3;
      }
      rt.last = null;
      return 0;
    };
    if (e.a === null && b.a === null) return { s, a: null };
    return {
      s,
      a: async (env) => {
        const items = iterList(e.a ? await e.a(env) : e.s(env), line);
        for (const it of items) {
          if (--rt.fuel < 0) outOfSteps(line);
          env.def(v, it);
          const scope = fresh ? new Scope(env) : env;
          const code = b.a ? await b.a(scope) : b.s(scope);
          if (code === 1) break;
          if (code === 3) return 3;
        }
        rt.last = null;
        return 0;
      },
    };
  }

  private stmtGie(st: Extract<Stmt, { k: 'gie' }>): CS {
    const rt = this.rt;
    if (st.e === null)
      return {
        s: () => {
          rt.rv = null;
          return 3;
        },
        a: null,
      };
    const e = this.expr(st.e);
    const es = e.s;
    return {
      s: (env) => {
        rt.rv = es(env);
        return 3;
      },
      a: e.a
        ? async (env) => {
            rt.rv = await (e.a as AFn)(env);
            return 3;
          }
        : null,
    };
  }

  private stmtBlether(st: Extract<Stmt, { k: 'blether' }>): CS {
    const rt = this.rt;
    const e = this.expr(st.e);
    const es = e.s;
    return {
      s: (env) => {
        rt.write(`${display(es(env))}\n`);
        rt.last = null;
        return 0;
      },
      a: e.a
        ? async (env) => {
            rt.write(`${display(await (e.a as AFn)(env))}\n`);
            rt.last = null;
            return 0;
          }
        : null,
    };
  }

  private stmtTry(st: Extract<Stmt, { k: 'try' }>, line: number): CS {
    const rt = this.rt;
    const body = this.scoped(st.body);
    const handler = this.scoped(st.handler);
    const err = st.err;
    const caught = (env: Scope, e: unknown): void => {
      const me = toMdhError(e, line);
      env.def(err, me.message);
    };
    const s: SSt = (env) => {
      const depth = rt.depth;
      try {
        return body.s(env);
      } catch (e) {
        rt.depth = depth;
        caught(env, e);
        return handler.s(env);
      }
    };
    if (body.a === null && handler.a === null) return { s, a: null };
    return {
      s,
      a: async (env) => {
        const depth = rt.depth;
        try {
          return body.a ? await body.a(env) : body.s(env);
        } catch (e) {
          rt.depth = depth;
          caught(env, e);
        }
        return handler.a ? handler.a(env) : handler.s(env);
      },
    };
  }

  private stmtAssert(st: Extract<Stmt, { k: 'assert' }>, line: number): CS {
    const rt = this.rt;
    const c = this.expr(st.c);
    const m = st.msg ? this.expr(st.msg) : null;
    const fail = (mv: Value): never => {
      const msg = mv === undefined ? 'the condition wisnae true' : display(mv);
      throw new MdhError('assert', `Mak siccar failed at line ${line}! ${msg}`, line);
    };
    const s: SSt = (env) => {
      if (!truthy(c.s(env))) fail(m ? m.s(env) : (undefined as unknown as Value));
      rt.last = null;
      return 0;
    };
    if (c.a === null && (m === null || m.a === null)) return { s, a: null };
    return {
      s,
      a: async (env) => {
        const cv = c.a ? await c.a(env) : c.s(env);
        if (!truthy(cv)) fail(m ? (m.a ? await m.a(env) : m.s(env)) : (undefined as unknown as Value));
        rt.last = null;
        return 0;
      },
    };
  }

  private stmtKeek(st: Extract<Stmt, { k: 'keek' }>, line: number): CS {
    const e = this.expr(st.e);
    const arms = st.arms.map((a) => ({ pat: a.pat, body: a.block ? this.scoped(a.body) : this.stmts(a.body) }));
    const noMatch = (): never => {
      throw typeError('yer keek hasnae covered aw the cases - nae arm matched', line);
    };
    const s: SSt = (env) => {
      const v = e.s(env);
      for (const arm of arms) if (matchPat(arm.pat, v, env)) return arm.body.s(env);
      return noMatch();
    };
    if (e.a === null && arms.every((a) => a.body.a === null)) return { s, a: null };
    return {
      s,
      a: async (env) => {
        const v = e.a ? await e.a(env) : e.s(env);
        for (const arm of arms) {
          if (matchPat(arm.pat, v, env)) return arm.body.a ? arm.body.a(env) : arm.body.s(env);
        }
        return noMatch();
      },
    };
  }
}

/** Marker set on module top-level scopes (their parent is the global scope). */
function isModuleTop(env: Scope): boolean {
  return env.p !== null && env.p.p === null;
}

function destructure(env: Scope, pats: DPattern[], v: Value, line: number): void {
  const items = Array.isArray(v) ? v : typeof v === 'string' ? chars(v) : null;
  if (items === null) throw typeError(`cannae destructure a ${kindOf(v)}`, line);
  const restAt = pats.findIndex((p) => p.k === 'drest');
  const fixed = restAt < 0 ? pats.length : pats.length - 1;
  if (items.length < fixed) throw indexError(String(fixed - 1), items.length, line);
  let i = 0;
  for (let p = 0; p < pats.length; p++) {
    const pat = pats[p] as DPattern;
    if (pat.k === 'drest') {
      const after = pats.length - p - 1;
      const take = items.slice(i, items.length - after);
      if (pat.name) env.def(pat.name, take);
      i = items.length - after;
    } else {
      if (pat.k === 'dvar') env.def(pat.name, items[i] as Value);
      i++;
    }
  }
}

/** Converts anything thrown while running a program into an MdhError (JS stack overflow included). */
export function toMdhError(e: unknown, line: number): MdhError {
  if (e instanceof MdhError) return e;
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    const at = line > 0 ? ` at line ${line}` : '';
    return new MdhError(
      'recursion',
      `Stack's fair puggled! Too many nested calls${at} - yer recursion's gone radge!`,
      line || null,
    );
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new MdhError('builtin', `Jings! Something went awfy wrang: ${msg}`);
}

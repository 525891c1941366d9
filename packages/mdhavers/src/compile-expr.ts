/**
 * The expression half of the compiler (see compiler.ts): every expression construct compiles to a
 * synchronous closure, plus an async one when it may suspend, and function bodies compile to a FuncCode.
 */
import type { SuspendInfo } from './analysis.js';
import type { Expr, Item, Stmt } from './ast.js';
import { callClosure } from './compile-call.js';
import { funcCode } from './compile-func.js';
import {
  type AFn,
  type ASt,
  assignVar,
  bindingsOf,
  type CE,
  type CS,
  indexGet,
  indexSet,
  litValue,
  lookup,
  lookupFail,
  makeRange,
  propGet,
  type Runtime,
  type SFn,
  sliceOf,
  spreadInto,
} from './compile-runtime.js';
import { typeError, undefinedError } from './errors.js';
import { add, binop, div, eq, ge, gt, le, lt, mod, mul, neg, sub } from './ops.js';
import { display, type FuncCode, kindOf, MDict, MFloat, MFunc, type Scope, truthy, type Value } from './values.js';

/**
 * The compiler's state and its expression methods; `Compiler` (compiler.ts) adds the statements.
 *
 * @internal
 */
export abstract class ExprCompiler {
  /** Static scopes between the code being compiled and the file's top scope (null: dynamic). */
  private readonly stack: (Set<string> | null)[] = [];

  constructor(
    protected readonly rt: Runtime,
    protected readonly info: SuspendInfo,
    /** Absolute path of the file being compiled (for function origins and fetch resolution). */
    protected readonly file: string,
    protected readonly dir: string,
    /** The file's top scope at run time (the global scope, or the module's scope). */
    protected readonly topRef: { scope: Scope } = { scope: rt.globals },
  ) {}

  /** Compiles a statement list that runs in the given scope (statements: see compiler.ts). */
  abstract stmts(ss: Stmt[]): CS;

  /** Whether no scope between here and the file's top scope can bind `name`. */
  protected topLevelName(name: string): boolean {
    for (const s of this.stack) if (s === null || s.has(name)) return false;
    return true;
  }

  protected within<T>(names: Set<string> | null, f: () => T): T {
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

  protected combine1(c: CE, f: (v: Value) => Value): CE {
    const cs = c.s;
    return { s: (env) => f(cs(env)), a: c.a ? async (env) => f(await (c.a as AFn)(env)) : null };
  }

  protected combine2(x: CE, y: CE, f: (a: Value, b: Value) => Value): CE {
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
    return callClosure(f, args, suspends, line, pipe);
  }

  /** Compiles a function body into a FuncCode. */
  func(
    params: string[],
    defaults: (Expr | null)[],
    block: Stmt[] | null,
    body: Expr | null,
    kind: 'dae' | 'block' | 'expr',
  ): FuncCode {
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
    return funcCode(this.rt, { params, defs, bodyS, bodyE, kind });
  }
}

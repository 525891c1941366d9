/**
 * Compiles the syntax tree to JavaScript closures. Every node gets a synchronous closure; nodes that may
 * suspend (see analysis.ts) also get an async closure, and only those are ever awaited, so pure code runs
 * with no promise per node. Statements return a completion code: 0 normal, 1 `brak`, 2 `haud`, 3 `gie`
 * (the value is in `rt.rv`). Every statement leaves its value in `rt.last` for the implicit result of a
 * `dae` body (SPEC.md §6).
 */
import type { Stmt } from './ast.js';
import { ExprCompiler } from './compile-expr.js';
import {
  type AFn,
  type ASt,
  bindingsOf,
  type CS,
  destructure,
  isModuleTop,
  iterList,
  matchPat,
  outOfSteps,
  type SSt,
  toMdhError,
} from './compile-runtime.js';
import { MdhError, typeError } from './errors.js';
import { display, MDict, MFunc, Scope, truthy, type Value } from './values.js';

export { callAsync, callSync } from './compile-call.js';
export {
  bindingsOf,
  type CE,
  type CS,
  indexGet,
  type Runtime,
  toMdhError,
} from './compile-runtime.js';

/** Compiles the statements of one file. */
export class Compiler extends ExprCompiler {
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

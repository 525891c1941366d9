/**
 * Builds a function's {@link FuncCode} from its compiled parts (see ExprCompiler.func in compile-expr.ts):
 * argument binding (defaults evaluated in the new scope), the call-depth and step checks on entry, the
 * synchronous caller when nothing in the function may suspend, the async caller, and a one-argument fast path.
 */
import { type CE, type CS, outOfSteps, type Runtime } from './compile-runtime.js';
import { MdhError } from './errors.js';
import { type FuncCode, type MFunc, Scope, type Value } from './values.js';

/** The compiled parts of one function. */
export interface FuncParts {
  params: string[];
  /** Compiled default of each parameter (null: required). */
  defs: (CE | null)[];
  /** The body when it is a block, else null. */
  bodyS: CS | null;
  /** The body when it is an expression, else null. */
  bodyE: CE | null;
  /** `dae` bodies return their last statement's value; lambda blocks return naething without `gie`. */
  kind: 'dae' | 'block' | 'expr';
}

type Caller = (fn: MFunc, args: Value[]) => Value;
type Binder = (fn: MFunc, args: Value[]) => Scope;

/** Binds arguments (and synchronous defaults) in a new scope under the function's closure scope. */
function binderSync(p: FuncParts): Binder {
  const { params, defs } = p;
  const np = params.length;
  return (fn, args) => {
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
}

/** Binds arguments in a new scope, awaiting defaults that may suspend. */
function binderAsync(p: FuncParts): (fn: MFunc, args: Value[]) => Promise<Scope> {
  const { params, defs } = p;
  const np = params.length;
  return async (fn, args) => {
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
}

/** The entry check: call depth and the step budget. */
function enterer(rt: Runtime): () => void {
  const maxDepth = rt.maxDepth;
  return () => {
    if (++rt.depth > maxDepth) {
      rt.depth = 0;
      throw new MdhError('recursion', "Stack's fair puggled! Too many nested calls - yer recursion's gone radge!");
    }
    if (--rt.fuel < 0) outOfSteps(0);
  };
}

/** The synchronous caller (only for functions whose defaults and body never suspend). */
function syncCaller(rt: Runtime, p: FuncParts, bindSync: Binder, enter: () => void): Caller {
  if (p.bodyE !== null) {
    const es = p.bodyE.s;
    return (fn, args) => {
      const env = bindSync(fn, args);
      enter();
      const v = es(env);
      rt.depth--;
      return v;
    };
  }
  const ss = (p.bodyS as CS).s;
  const isDae = p.kind === 'dae';
  return (fn, args) => {
    const env = bindSync(fn, args);
    enter();
    rt.last = null;
    const code = ss(env);
    rt.depth--;
    if (code === 3) return rt.rv;
    return isDae && code === 0 ? rt.last : null;
  };
}

/** Fast path for the commonest shape: one parameter, no default, synchronous body. */
function oneArgCaller(rt: Runtime, p: FuncParts, enter: () => void): (fn: MFunc, a: Value) => Value {
  const maxDepth = rt.maxDepth;
  const p0 = p.params[0] as string;
  if (p.bodyE !== null) {
    const es = p.bodyE.s;
    return (fn, a) => {
      const env = new Scope(fn.scope);
      env.v = new Map([[p0, a]]);
      if (++rt.depth > maxDepth) enter();
      if (--rt.fuel < 0) outOfSteps(0);
      const v = es(env);
      rt.depth--;
      return v;
    };
  }
  const ss = (p.bodyS as CS).s;
  const isDae = p.kind === 'dae';
  return (fn, a) => {
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

/** Builds the callers of a function from its compiled parts. */
export function funcCode(rt: Runtime, p: FuncParts): FuncCode {
  const { params, defs, bodyS, bodyE, kind } = p;
  const required = defs.filter((d) => d === null).length;
  const np = params.length;
  const defaultsSuspend = defs.some((d) => d !== null && d.a !== null);
  const bodySuspends = (bodyS !== null && bodyS.a !== null) || (bodyE !== null && bodyE.a !== null);
  const bindSync = binderSync(p);
  const bindAsync = binderAsync(p);
  const enter = enterer(rt);
  const callSyncFn = !defaultsSuspend && !bodySuspends ? syncCaller(rt, p, bindSync, enter) : null;
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
  const call1 = callSyncFn !== null && np === 1 && required === 1 ? oneArgCaller(rt, p, enter) : null;
  return { params, required, callSync: callSyncFn, callAsync: callAsyncFn, call1 };
}

/**
 * Calls in compiled mdhavers code: calling a value with its arity checked (synchronously, or awaiting
 * when it may suspend), and the closures a call expression compiles to (see ExprCompiler in compile-expr.ts).
 */
import { type AFn, type CE, internal, type SFn, spreadInto } from './compile-runtime.js';
import { arityError, callableError, type MdhError } from './errors.js';
import { display, MFunc, MNative, type Scope, type Value } from './values.js';

/** The arity error for a call of a script function with `got` arguments (cold path, kept out of the callers). */
export function funcArityError(f: MFunc, got: number, line: number): MdhError {
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

/** One compiled argument of a call (`...x` spreads a list or string). */
export interface CompiledArg {
  spread: boolean;
  c: CE;
}

/**
 * The closures of a call `f(args)` (or a pipe `x |> f`, whose left side is evaluated first); `suspends`
 * says whether it may suspend, in which case only the async closure may run.
 */
export function callClosure(f: CE, args: CompiledArg[], suspends: boolean, line: number, pipe: boolean): CE {
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

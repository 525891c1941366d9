/**
 * What compiled mdhavers code runs on: the compiled-closure types, the {@link Runtime} the interpreter
 * provides, and the helpers the closures call (calls with arity checks, indexing, slicing, ranges,
 * variable lookup and assignment, patterns, destructuring). See compiler.ts for the compiler itself.
 */
import { forEachChild, stmtChildren } from './analysis.js';
import type { DPattern, Expr, LitValue, Pattern, Stmt } from './ast.js';
import { indexError, keyError, MdhError, typeError, undefinedError } from './errors.js';
import { eq } from './ops.js';
import { chars, display, isBmp, isInt, kindOf, MDict, MFloat, type Scope, type Value } from './values.js';

export type SFn = (env: Scope) => Value;
export type AFn = (env: Scope) => Promise<Value>;
/** A compiled expression. */
export interface CE {
  s: SFn;
  a: AFn | null;
}
export type SSt = (env: Scope) => number;
export type ASt = (env: Scope) => Promise<number>;
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

export const NOT_SYNC = 'this call needs the async evaluator (internal error)';

/** Thrown when a program has used up its step budget ({@link Runtime.fuel}). */
export function outOfSteps(line: number): never {
  const at = line > 0 ? ` at line ${line}` : '';
  throw new MdhError('limit', `Haud on! The program's run oot o' steps${at} - its step limit is spent`, line || null);
}

export function internal(line: number): MdhError {
  return new MdhError('type', `Jings! ${NOT_SYNC} at line ${line}`, line);
}

export function litValue(v: LitValue): Value {
  if (v !== null && typeof v === 'object') return new MFloat(v.float);
  return v;
}

export function lookupFail(name: string, line: number): never {
  throw undefinedError(name, line);
}

/** Normalises a list/string index (negative from the end); throws when out of range. */
export function normIndex(i: Value, size: number, line: number): number {
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

export function indexSet(o: Value, i: Value, v: Value, line: number): void {
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

export function propGet(o: Value, name: string, line: number): Value {
  if (o instanceof MDict) {
    const v = o.get(name);
    if (v === undefined) throw undefinedError(name, line);
    return v;
  }
  throw typeError(`'${name}' doesnae exist on a ${kindOf(o)}`, line);
}

export function sliceOf(o: Value, a: Value, b: Value, s: Value, line: number): Value {
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

export function makeRange(a: Value, b: Value, incl: boolean, line: number): Value[] {
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

export function spreadInto(out: Value[], v: Value, line: number): void {
  if (Array.isArray(v)) {
    for (const x of v) out.push(x);
  } else if (typeof v === 'string') {
    for (const c of chars(v)) out.push(c);
  } else throw typeError(`cannae spread a ${kindOf(v)}`, line);
}

export function iterList(v: Value, line: number): Value[] {
  if (Array.isArray(v)) return v.slice();
  if (typeof v === 'string') return chars(v);
  throw typeError(`Haud on! Cannae iterate ower a ${kindOf(v)} - need a list or range`, line);
}

export function matchPat(p: Pattern, v: Value, env: Scope): boolean {
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

export function assignVar(env: Scope, name: string, v: Value, line: number): void {
  for (let s: Scope | null = env; s !== null; s = s.p) {
    const m = s.v;
    if (m?.has(name)) {
      m.set(name, v);
      return;
    }
  }
  throw undefinedError(name, line);
}

export function lookup(env: Scope, name: string, line: number): Value {
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

/** Marker set on module top-level scopes (their parent is the global scope). */
export function isModuleTop(env: Scope): boolean {
  return env.p !== null && env.p.p === null;
}

export function destructure(env: Scope, pats: DPattern[], v: Value, line: number): void {
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

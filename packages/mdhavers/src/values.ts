/**
 * mdhavers runtime values (SPEC.md §4): representation, display, truthiness, equality and dict keys.
 *
 * Representation (SPEC.md §17): an integer is a JS `number` when it is a safe integer and a `bigint`
 * otherwise (always within i64); a float is boxed in {@link MFloat} so that the int/float tag is kept
 * apart from the value; lists are JS arrays; dicts, bytes and functions are classes.
 */

/** A float value (boxed, so that `1` and `1.0` stay distinct). */
export class MFloat {
  constructor(readonly v: number) {}
}

/** A mutable byte buffer with reference semantics (SPEC.md §12.2). */
export class MBytes {
  /** Backing store; only `[0, len)` is meaningful. */
  buf: Uint8Array;
  /** Current length. */
  len: number;
  constructor(data: Uint8Array | number) {
    if (typeof data === 'number') {
      this.buf = new Uint8Array(data);
      this.len = data;
    } else {
      this.buf = data;
      this.len = data.length;
    }
  }
  /** A view of the current contents (no copy). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
  /** Appends bytes in place (doubles the backing store as needed). */
  append(src: Uint8Array): void {
    const need = this.len + src.length;
    if (need > this.buf.length) {
      const nb = new Uint8Array(Math.max(need, this.buf.length * 2, 16));
      nb.set(this.buf.subarray(0, this.len));
      this.buf = nb;
    }
    this.buf.set(src, this.len);
    this.len = need;
  }
}

const floatKeys = new Map<string, symbol>();
const keyFloats = new Map<symbol, number>();
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** Hash key for a float: by bit pattern (SPEC.md §4.5). */
function floatKey(v: number): symbol {
  f64[0] = v;
  const bits = `${u32[0]}:${u32[1]}`;
  let s = floatKeys.get(bits);
  if (s === undefined) {
    s = Symbol(bits);
    floatKeys.set(bits, s);
    keyFloats.set(s, v);
  }
  return s;
}

/** An insertion-ordered dict with reference semantics; keys hashed as in SPEC.md §4.5. */
export class MDict {
  /** Normalised key → value. */
  readonly m = new Map<unknown, Value>();
  /** Normalises a key: floats by bit pattern, everything else as is (objects by identity). */
  static norm(k: Value): unknown {
    return k instanceof MFloat ? floatKey(k.v) : k;
  }
  /** Denormalises a stored key. */
  static denorm(k: unknown): Value {
    if (typeof k === 'symbol') return new MFloat(keyFloats.get(k) as number);
    return k as Value;
  }
  /** The value stored under `k` (dict key rules: ints/floats by value, lists/dicts by identity). */
  get(k: Value): Value | undefined {
    return this.m.get(k instanceof MFloat ? floatKey(k.v) : k);
  }
  /** Stores `v` under `k`; an existing key keeps its position. */
  set(k: Value, v: Value): void {
    this.m.set(k instanceof MFloat ? floatKey(k.v) : k, v);
  }
  /** Whether `k` is a key. */
  has(k: Value): boolean {
    return this.m.has(k instanceof MFloat ? floatKey(k.v) : k);
  }
  /** Removes `k`; whether it was there. */
  delete(k: Value): boolean {
    return this.m.delete(k instanceof MFloat ? floatKey(k.v) : k);
  }
  get size(): number {
    return this.m.size;
  }
  /** The keys in insertion order. */
  keys(): Value[] {
    const out: Value[] = [];
    for (const k of this.m.keys()) out.push(MDict.denorm(k));
    return out;
  }
  /** The values in insertion order. */
  values(): Value[] {
    return [...this.m.values()];
  }
  /** Builds a dict from string-keyed entries (in order). */
  static from(entries: [string, Value][]): MDict {
    const d = new MDict();
    for (const [k, v] of entries) d.m.set(k, v);
    return d;
  }
}

/** Where a user function came from (used to rebuild it inside a worker thread). */
export interface FuncOrigin {
  /** Absolute path of the file (or a pseudo path for REPL/eval source). */
  file: string;
  /** Offset of the declaration in the source. */
  offset: number;
  /** Whether it was a top-level `dae` of its file. */
  topLevel: boolean;
}

/** A user function (`dae`) or a lambda: a closure over its defining scope. */
export class MFunc {
  constructor(
    readonly name: string,
    readonly isLambda: boolean,
    /** Compiled body bundle (see compiler.ts). */
    readonly code: FuncCode,
    /** The defining scope. */
    readonly scope: Scope,
    readonly origin: FuncOrigin | null,
  ) {}
}

/** A builtin function. */
export class MNative {
  constructor(
    readonly name: string,
    /** Exact arity, or -1 for variadic (checked by the builtin itself). */
    readonly arity: number,
    /** Synchronous implementation, or null when the builtin can only run asynchronously. */
    readonly fn: ((args: Value[]) => Value) | null,
    /** Asynchronous implementation (blocking builtins, higher-order builtins calling async closures). */
    readonly afn: ((args: Value[]) => Promise<Value>) | null,
  ) {}
}

/** A runtime value. */
export type Value = number | bigint | MFloat | string | boolean | null | Value[] | MDict | MBytes | MFunc | MNative;

/** A lexical scope (SPEC.md §5). `v` is created lazily on the first definition. */
export class Scope {
  v: Map<string, Value> | null = null;
  constructor(readonly p: Scope | null) {}
  /** Defines (or replaces) a name in this scope (`ken`). */
  def(name: string, val: Value): void {
    if (this.v === null) this.v = new Map();
    this.v.set(name, val);
  }
}

/** The compiled form of a function body (filled in by the compiler). */
export interface FuncCode {
  params: string[];
  /** Number of parameters without a default. */
  required: number;
  /** Binds arguments and runs the body synchronously, or null if the body may suspend. */
  callSync: ((fn: MFunc, args: Value[]) => Value) | null;
  /** Binds arguments and runs the body (always available). */
  callAsync: (fn: MFunc, args: Value[]) => Promise<Value>;
  /** Fast path for exactly one argument (one required parameter, synchronous body), or null. */
  call1: ((fn: MFunc, a: Value) => Value) | null;
}

/** `whit_kind` names (SPEC.md §4.1). */
export function kindOf(v: Value): string {
  if (v === null) return 'naething';
  switch (typeof v) {
    case 'number':
    case 'bigint':
      return 'integer';
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
  }
  if (v instanceof MFloat) return 'float';
  if (Array.isArray(v)) return 'list';
  if (v instanceof MDict) return 'dict';
  if (v instanceof MBytes) return 'bytes';
  if (v instanceof MFunc) return 'function';
  return 'native function';
}

/** Whether a value is an integer. */
export function isInt(v: Value): v is number | bigint {
  return typeof v === 'number' || typeof v === 'bigint';
}

/** Normalises a bigint to a number when it is a safe integer. */
export function normBig(b: bigint): number | bigint {
  return b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b;
}

/** Formats a float like Rust's `{}` for f64 (SPEC.md §4.2). */
export function formatFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Number.POSITIVE_INFINITY) return 'inf';
  if (x === Number.NEGATIVE_INFINITY) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const s = String(x);
  const e = s.indexOf('e');
  if (e < 0) return s;
  let mant = s.slice(0, e);
  const exp = Number(s.slice(e + 1));
  let neg = '';
  if (mant.startsWith('-')) {
    neg = '-';
    mant = mant.slice(1);
  }
  const dot = mant.indexOf('.');
  const digits = dot < 0 ? mant : mant.slice(0, dot) + mant.slice(dot + 1);
  const intLen = (dot < 0 ? mant.length : dot) + exp;
  if (intLen <= 0) return `${neg}0.${'0'.repeat(-intLen)}${digits}`;
  if (intLen >= digits.length) return neg + digits + '0'.repeat(intLen - digits.length);
  return `${neg}${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
}

/** The display form of a value (SPEC.md §4.2). */
export function display(v: Value): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (v === null) return 'naething';
  if (v === true) return 'aye';
  if (v === false) return 'nae';
  if (v instanceof MFloat) return formatFloat(v.v);
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) {
      if (i > 0) s += ', ';
      s += display(v[i] as Value);
    }
    return `${s}]`;
  }
  if (v instanceof MDict) {
    let s = '{';
    let first = true;
    for (const [k, val] of v.m) {
      if (!first) s += ', ';
      first = false;
      s += `"${display(MDict.denorm(k))}": ${display(val)}`;
    }
    return `${s}}`;
  }
  if (v instanceof MBytes) return `bytes[${v.len}]`;
  if (v instanceof MFunc) return v.isLambda ? '<dae <lambda>>' : `<dae ${v.name}>`;
  return `<native dae ${(v as MNative).name}>`;
}

/** Truthiness (SPEC.md §4.3). */
export function truthy(v: Value): boolean {
  if (v === true) return true;
  if (v === false || v === null) return false;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (typeof v === 'bigint') return true;
  if (v instanceof MFloat) return v.v !== 0;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof MBytes) return v.len > 0;
  return true;
}

/** Equality (SPEC.md §4.4). */
export function equals(a: Value, b: Value): boolean {
  if (a === b) return !(a instanceof MFloat) || !Number.isNaN(a.v);
  const ta = typeof a;
  const tb = typeof b;
  if (ta === 'number' || ta === 'bigint') {
    if (tb === 'number' || tb === 'bigint') return a === b;
    if (b instanceof MFloat) return ta === 'number' ? (a as number) === b.v : Number(a) === b.v;
    return false;
  }
  if (a instanceof MFloat) {
    if (b instanceof MFloat) return a.v === b.v;
    if (tb === 'number') return a.v === b;
    if (tb === 'bigint') return a.v === Number(b);
    return false;
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equals(a[i] as Value, b[i] as Value)) return false;
    return true;
  }
  if (a instanceof MBytes) {
    if (!(b instanceof MBytes) || a.len !== b.len) return false;
    for (let i = 0; i < a.len; i++) if (a.buf[i] !== b.buf[i]) return false;
    return true;
  }
  return false;
}

const ASCII = /^[\x00-\x7f]*$/;
const SURR = /[\uD800-\uDFFF]/;

/** Number of UTF-8 bytes of a string (`len`, SPEC.md §11.3). */
export function utf8Len(s: string): number {
  if (ASCII.test(s)) return s.length;
  return Buffer.byteLength(s, 'utf8');
}

/** Whether the string has no surrogate pairs (so UTF-16 indices are code-point indices). */
export function isBmp(s: string): boolean {
  return !SURR.test(s);
}

/** The characters (code points) of a string. */
export function chars(s: string): string[] {
  return isBmp(s) ? s.split('') : Array.from(s);
}

/**
 * Core builtins (SPEC.md §11): types and conversion, numbers, strings, lists and dicts, higher-order
 * builtins, time.
 */
import { callAsync, callSync } from '../compiler.js';
import { fail } from '../errors.js';
import { monoMs, monoNs } from '../loop-lazy.js';
import { eq } from '../ops.js';
import {
  chars,
  display,
  isInt,
  kindOf,
  MBytes,
  MDict,
  MFloat,
  MFunc,
  MNative,
  normBig,
  truthy,
  utf8Len,
  type Value,
} from '../values.js';
import type { Registry } from './registry.js';

const I64_MIN = -9223372036854775808n;
const I64_MAX = 9223372036854775807n;

/**
 * Converts a float to an integer value like Rust's `f as i64`: truncated toward zero, saturating at
 * the i64 bounds, NaN giving 0 (SPEC.md §11.1: a float is always accepted).
 */
export function floatToInt(_name: string, x: number): number | bigint {
  if (Number.isNaN(x)) return 0;
  const t = Math.trunc(x);
  if (Number.isSafeInteger(t)) return t === 0 ? 0 : t;
  if (t >= 2 ** 63) return I64_MAX;
  if (t <= -(2 ** 63)) return I64_MIN;
  return normBig(BigInt(t));
}

/** Reads an int argument (floats truncated when `truncate`). */
export function argInt(name: string, v: Value, truncate = false): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (truncate && v instanceof MFloat) {
    if (!Number.isFinite(v.v)) fail(`${name}() needs a finite number`);
    return Math.trunc(v.v);
  }
  return fail(`${name}() needs an integer, no' a ${kindOf(v)}`);
}

/** Reads a string argument. */
export function argStr(name: string, v: Value): string {
  if (typeof v !== 'string') fail(`${name}() needs a string, no' a ${kindOf(v)}`);
  return v;
}

/** Reads a list argument. */
export function argList(name: string, v: Value): Value[] {
  if (!Array.isArray(v)) fail(`${name}() needs a list, no' a ${kindOf(v)}`);
  return v;
}

/** Reads a dict argument. */
export function argDict(name: string, v: Value): MDict {
  if (!(v instanceof MDict)) fail(`${name}() needs a dict, no' a ${kindOf(v)}`);
  return v;
}

function num(name: string, v: Value): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof MFloat) return v.v;
  return fail(`${name}() needs a number, no' a ${kindOf(v)}`);
}

const FLOAT_RE = /^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf|infinity|nan)$/i;

function sortCmp(a: Value, b: Value): number {
  const an = typeof a === 'number' || typeof a === 'bigint' || a instanceof MFloat;
  const bn = typeof b === 'number' || typeof b === 'bigint' || b instanceof MFloat;
  if (an && bn) {
    if (isInt(a) && isInt(b)) return a < b ? -1 : a > b ? 1 : 0;
    const x = a instanceof MFloat ? a.v : Number(a);
    const y = b instanceof MFloat ? b.v : Number(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') {
    if (a === b) return 0;
    const A = Array.from(a);
    const B = Array.from(b);
    for (let i = 0; i < Math.min(A.length, B.length); i++) {
      const x = (A[i] as string).codePointAt(0) as number;
      const y = (B[i] as string).codePointAt(0) as number;
      if (x !== y) return x - y;
    }
    return A.length - B.length;
  }
  return 0;
}

function fnArg(name: string, f: Value): Value {
  if (!(f instanceof MFunc) && !(f instanceof MNative)) fail(`${name}() needs a function, no' a ${kindOf(f)}`);
  return f;
}

/** Registers the core builtins. */
export function registerCore(r: Registry): void {
  registerTypes(r);
  registerNumbers(r);
  registerStrings(r);
  registerStringsMore(r);
  registerLists(r);
  registerHigherOrder(r);
  registerTime(r);
}

/** SPEC.md §11.1: types and conversion. */
function registerTypes(r: Registry): void {
  const d = r.def.bind(r);
  // ---- 11.1 types and conversion ----
  d('whit_kind', 1, ([x]) => kindOf(x as Value));
  d('tae_string', 1, ([x]) => display(x as Value));
  d('tae_int', 1, ([x]) => {
    const v = x as Value;
    if (isInt(v)) return v;
    if (v instanceof MFloat) return floatToInt('tae_int', v.v);
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v === 'string') {
      if (!/^[+-]?\d+$/.test(v)) fail(`tae_int() cannae turn '${v}' intae an integer`);
      const b = BigInt(v);
      if (b < I64_MIN || b > I64_MAX) fail(`tae_int() '${v}' is too muckle for an integer`);
      return normBig(b);
    }
    return fail(`tae_int() cannae turn a ${kindOf(v)} intae an integer`);
  });
  d('tae_float', 1, ([x]) => {
    const v = x as Value;
    if (isInt(v)) return new MFloat(Number(v));
    if (v instanceof MFloat) return v;
    if (typeof v === 'string') {
      if (!FLOAT_RE.test(v)) fail(`tae_float() cannae turn '${v}' intae a float`);
      const l = v.toLowerCase().replace(/^\+/, '');
      if (l === 'inf' || l === 'infinity') return new MFloat(Number.POSITIVE_INFINITY);
      if (l === '-inf' || l === '-infinity') return new MFloat(Number.NEGATIVE_INFINITY);
      if (l === 'nan' || l === '-nan') return new MFloat(Number.NaN);
      return new MFloat(Number(v));
    }
    return fail(`tae_float() cannae turn a ${kindOf(v)} intae a float`);
  });
  d('tae_bool', 1, ([x]) => truthy(x as Value));
  d('is_a', 2, ([x, n]) => {
    const k = kindOf(x as Value);
    switch (n) {
      case 'integer':
      case 'int':
        return k === 'integer';
      case 'float':
        return k === 'float';
      case 'string':
      case 'str':
        return k === 'string';
      case 'bool':
        return k === 'bool';
      case 'list':
        return k === 'list';
      case 'dict':
        return k === 'dict';
      case 'bytes':
      case 'byte':
        return k === 'bytes';
      case 'function':
      case 'dae':
        return k === 'function' || k === 'native function';
      case 'naething':
      case 'nil':
        return k === 'naething';
    }
    return false;
  });
}

/** SPEC.md §11.2: numbers. */
function registerNumbers(r: Registry): void {
  const d = r.def.bind(r);
  // ---- 11.2 numbers ----
  const rounding = (name: string, f: (x: number) => number) =>
    d(name, 1, ([x]) => {
      const v = x as Value;
      if (isInt(v)) return v;
      if (v instanceof MFloat) return floatToInt(name, f(v.v));
      return fail(`${name}() needs a number, no' a ${kindOf(v)}`);
    });
  rounding('floor', Math.floor);
  rounding('ceil', Math.ceil);
  rounding('round', (x) => Math.sign(x) * Math.round(Math.abs(x)));
  d('pooer', 2, ([a, b]) => {
    const x = a as Value;
    const y = b as Value;
    if (isInt(x) && isInt(y)) {
      if (y >= 0) {
        if (y > 100000 && !(Number(x) === 0 || Number(x) === 1 || Number(x) === -1))
          fail('pooer() result is too muckle');
        const r = BigInt(x) ** BigInt(y);
        if (r < I64_MIN || r > I64_MAX) fail('pooer() result is too muckle for an integer');
        return normBig(r);
      }
      return new MFloat(Number(x) ** Number(y));
    }
    return new MFloat(num('pooer', x) ** num('pooer', y));
  });
  d('abs', 1, ([x]) => {
    const v = x as Value;
    if (typeof v === 'number') return Math.abs(v);
    if (typeof v === 'bigint') {
      if (v === I64_MIN) fail('abs() integer overflow');
      return normBig(v < 0n ? -v : v);
    }
    if (v instanceof MFloat) return new MFloat(Math.abs(v.v));
    return fail(`abs() needs a number, no' a ${kindOf(v)}`);
  });
  const minmax = (name: string, pickFirst: (a: number | bigint, b: number | bigint) => boolean) =>
    d(name, 2, ([a, b]) => {
      const x = a as Value;
      const y = b as Value;
      if (isInt(x) && isInt(y)) return pickFirst(x, y) ? x : y;
      if (x instanceof MFloat && y instanceof MFloat) {
        if (Number.isNaN(x.v)) return y;
        if (Number.isNaN(y.v)) return x;
        return pickFirst(x.v, y.v) ? x : y;
      }
      return fail(`${name}() needs twa integers or twa floats, no' ${kindOf(x)} an' ${kindOf(y)}`);
    });
  minmax('min', (a, b) => a <= b);
  minmax('max', (a, b) => a >= b);
  d('sqrt', 1, ([x]) => new MFloat(Math.sqrt(num('sqrt', x as Value))));
  const bits = (name: string, f: (a: bigint, b: bigint) => bigint, shift = false) =>
    d(name, 2, ([a, b]) => {
      const x = a as Value;
      const y = b as Value;
      if (!isInt(x) || !isInt(y)) fail(`${name}() needs integers`);
      if (shift && (y < 0 || y > 63)) fail(`${name}() shift must be 0 tae 63`);
      return normBig(BigInt.asIntN(64, f(BigInt(x), BigInt(y))));
    });
  bits('bit_an', (a, b) => a & b);
  bits('bit_or', (a, b) => a | b);
  bits('bit_xor', (a, b) => a ^ b);
  bits('bit_shove_left', (a, b) => a << b, true);
  bits('bit_shove_right', (a, b) => a >> b, true);
  d('tae_hex', 1, ([x]) => {
    const v = x as Value;
    if (!isInt(v)) fail(`tae_hex() needs an integer, no' a ${kindOf(v)}`);
    return v < 0 ? (BigInt(v) + (1n << 64n)).toString(16) : v.toString(16);
  });
}

/** SPEC.md §11.3: strings (length, case, splitting and joining, searching). */
function registerStrings(r: Registry): void {
  const d = r.def.bind(r);
  // ---- 11.3 strings ----
  d('len', 1, ([x]) => {
    const v = x as Value;
    if (typeof v === 'string') return utf8Len(v);
    if (Array.isArray(v)) return v.length;
    if (v instanceof MDict) return v.size;
    if (v instanceof MBytes) return v.len;
    return fail(`len() cannae measure a ${kindOf(v)}`);
  });
  d('lower', 1, ([s]) => argStr('lower', s as Value).toLowerCase());
  d('upper', 1, ([s]) => argStr('upper', s as Value).toUpperCase());
  d('trim', 1, ([s]) => argStr('trim', s as Value).trim());
  d('wheesht', 1, ([s]) => argStr('wheesht', s as Value).trim());
  d('split', 2, ([s, sep]) => {
    const str = argStr('split', s as Value);
    const p = argStr('split', sep as Value);
    if (p === '') return ['', ...chars(str), ''];
    return str.split(p);
  });
  d('join', 2, ([l, sep]) => {
    const list = argList('join', l as Value);
    const p = argStr('join', sep as Value);
    return list.map((v) => display(v)).join(p);
  });
  d('contains', 2, ([x, v]) => {
    const c = x as Value;
    if (typeof c === 'string') return c.includes(argStr('contains', v as Value));
    if (Array.isArray(c)) return c.some((e) => eq(e, v as Value));
    if (c instanceof MDict) return c.has(v as Value);
    return fail(`contains() cannae look inside a ${kindOf(c)}`);
  });
  d('index_of', 2, ([x, v]) => {
    const c = x as Value;
    if (typeof c === 'string') {
      const i = c.indexOf(argStr('index_of', v as Value));
      return i < 0 ? -1 : utf8Len(c.slice(0, i));
    }
    if (Array.isArray(c)) return c.findIndex((e) => eq(e, v as Value));
    return fail(`index_of() cannae look inside a ${kindOf(c)}`);
  });
  for (const [name, f] of [
    ['starts_with', (a: string, b: string) => a.startsWith(b)],
    ['starts_wi', (a: string, b: string) => a.startsWith(b)],
    ['ends_with', (a: string, b: string) => a.endsWith(b)],
    ['ends_wi', (a: string, b: string) => a.endsWith(b)],
  ] as const) {
    d(name, 2, ([a, b]) => f(argStr(name, a as Value), argStr(name, b as Value)));
  }
  d('replace', 3, ([s, a, b]) => {
    const str = argStr('replace', s as Value);
    const from = argStr('replace', a as Value);
    const to = argStr('replace', b as Value);
    if (from === '') return to + chars(str).join(to) + (str === '' ? '' : to);
    return str.split(from).join(to);
  });
}

/** SPEC.md §11.3: strings (characters, slicing, repetition, words and lines). */
function registerStringsMore(r: Registry): void {
  const d = r.def.bind(r);
  d('chr', 1, ([n]) => {
    const v = n as Value;
    if (typeof v !== 'number') fail(`chr() needs an integer code point, no' a ${kindOf(v)}`);
    if (v < 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) fail(`chr() ${v} isnae a valid character`);
    return String.fromCodePoint(v);
  });
  d('ord', 1, ([s]) => {
    const str = argStr('ord', s as Value);
    if (str === '') fail('ord() needs a non-empty string');
    return str.codePointAt(0) as number;
  });
  d('scran', 3, ([x, a, b]) => {
    const v = x as Value;
    let st = Math.max(0, argInt('scran', a as Value, true));
    let en = argInt('scran', b as Value, true);
    if (Array.isArray(v)) {
      en = Math.min(en, v.length);
      return st >= en ? [] : v.slice(st, en);
    }
    if (typeof v === 'string') {
      en = Math.min(en, utf8Len(v));
      if (st >= en) return '';
      const cs = chars(v);
      st = Math.min(st, cs.length);
      return cs.slice(st, en).join('');
    }
    return fail(`scran() cannae slice a ${kindOf(v)}`);
  });
  d('chars', 1, ([s]) => chars(argStr('chars', s as Value)));
  d('reverse', 1, ([x]) => {
    const v = x as Value;
    if (Array.isArray(v)) return v.slice().reverse();
    if (typeof v === 'string') return chars(v).reverse().join('');
    return fail(`reverse() cannae reverse a ${kindOf(v)}`);
  });
  d('substring', 3, ([s, a, b]) => {
    const cs = chars(argStr('substring', s as Value));
    const st = Math.max(0, Math.min(argInt('substring', a as Value, true), cs.length));
    const en = Math.max(0, Math.min(argInt('substring', b as Value, true), cs.length));
    return st >= en ? '' : cs.slice(st, en).join('');
  });
  d('repeat', 2, ([s, n]) => {
    const str = argStr('repeat', s as Value);
    const k = argInt('repeat', n as Value);
    if (k < 0) fail("repeat() needs a count o' zero or mair");
    if (k * str.length > 1e9) fail('repeat() result wid be faur too muckle');
    return str.repeat(k);
  });
  d('words', 1, ([s]) => {
    const str = argStr('words', s as Value).trim();
    return str === '' ? [] : str.split(/\s+/u);
  });
  d('lines', 1, ([s]) => {
    const str = argStr('lines', s as Value);
    if (str === '') return [];
    const ls = str.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
    if (str.endsWith('\n')) ls.pop();
    return ls;
  });
}

/** SPEC.md §11.4: lists and dicts. */
function registerLists(r: Registry): void {
  const d = r.def.bind(r);
  // ---- 11.4 lists and dicts ----
  d('shove', 2, ([l, v]) => {
    argList('shove', l as Value).push(v as Value);
    return null;
  });
  d('yank', 1, ([l]) => {
    const list = argList('yank', l as Value);
    if (list.length === 0) fail('yank() cannae yank fae an empty list');
    return list.pop() as Value;
  });
  d('keys', 1, ([x]) => argDict('keys', x as Value).keys());
  d('values', 1, ([x]) => argDict('values', x as Value).values());
  d('items', 1, ([x]) => {
    const dict = argDict('items', x as Value);
    const out: Value[] = [];
    for (const [k, v] of dict.m) out.push([MDict.denorm(k), v]);
    return out;
  });
  d('dict_get', 3, ([x, k, dflt]) => {
    const v = argDict('dict_get', x as Value).get(k as Value);
    return v === undefined ? (dflt as Value) : v;
  });
  d('dict_has', 2, ([x, k]) => argDict('dict_has', x as Value).has(k as Value));
  d('dict_remove', 2, ([x, k]) => {
    const src = argDict('dict_remove', x as Value);
    const out = new MDict();
    for (const [kk, v] of src.m) out.m.set(kk, v);
    out.delete(k as Value);
    return out;
  });
  d('dict_merge', 2, ([a, b]) => {
    const out = new MDict();
    for (const [k, v] of argDict('dict_merge', a as Value).m) out.m.set(k, v);
    for (const [k, v] of argDict('dict_merge', b as Value).m) out.m.set(k, v);
    return out;
  });
  d('sort', 1, ([l]) =>
    argList('sort', l as Value)
      .slice()
      .sort(sortCmp),
  );
  d('range', 2, ([a, b]) => {
    const lo = argInt('range', a as Value, true);
    const hi = argInt('range', b as Value, true);
    if (hi - lo > 50_000_000) fail('range() is faur too muckle');
    const out: Value[] = [];
    for (let i = lo; i < hi; i++) out.push(i);
    return out;
  });
  d('heid', 1, ([l]) => {
    const list = argList('heid', l as Value);
    if (list.length === 0) fail("heid() o' an empty list");
    return list[0] as Value;
  });
  d('bum', 1, ([l]) => {
    const list = argList('bum', l as Value);
    if (list.length === 0) fail("bum() o' an empty list");
    return list[list.length - 1] as Value;
  });
  d('tail', 1, ([l]) => argList('tail', l as Value).slice(1));
  d('sumaw', 1, ([l]) => {
    const list = argList('sumaw', l as Value);
    let isF = false;
    let fi = 0;
    let bi = 0n;
    for (const v of list) {
      if (v instanceof MFloat) {
        isF = true;
        fi += v.v;
      } else if (isInt(v)) {
        bi += BigInt(v);
        fi += Number(v);
      } else fail(`sumaw() cannae add up a ${kindOf(v)}`);
    }
    if (isF) return new MFloat(fi);
    if (bi < I64_MIN || bi > I64_MAX) fail('sumaw() integer overflow');
    return normBig(bi);
  });
}

/** SPEC.md §11.5: higher-order builtins (sync and async variants). */
function registerHigherOrder(r: Registry): void {
  // ---- 11.5 higher-order builtins (sync and async variants) ----
  const hof = (
    name: string,
    arity: number,
    body: (list: Value[], call: (f: Value, args: Value[]) => Value, args: Value[]) => Value,
    abody: (list: Value[], call: (f: Value, args: Value[]) => Promise<Value>, args: Value[]) => Promise<Value>,
  ) => {
    r.hof.add(name);
    r.def(
      name,
      arity,
      (args) => body(argList(name, args[0] as Value), (f, a) => callSync(fnArg(name, f), a, 0), args),
      (args) => abody(argList(name, args[0] as Value), async (f, a) => callAsync(fnArg(name, f), a, 0), args),
    );
  };
  hof(
    'gaun',
    2,
    (l, c, [, f]) => l.map((x) => c(f as Value, [x])),
    async (l, c, [, f]) => {
      const out: Value[] = [];
      for (const x of l.slice()) out.push(await c(f as Value, [x]));
      return out;
    },
  );
  hof(
    'sieve',
    2,
    (l, c, [, f]) => l.filter((x) => truthy(c(f as Value, [x]))),
    async (l, c, [, f]) => {
      const out: Value[] = [];
      for (const x of l.slice()) if (truthy(await c(f as Value, [x]))) out.push(x);
      return out;
    },
  );
  hof(
    'tumble',
    3,
    (l, c, [, init, f]) => {
      let acc = init as Value;
      for (const x of l.slice()) acc = c(f as Value, [acc, x]);
      return acc;
    },
    async (l, c, [, init, f]) => {
      let acc = init as Value;
      for (const x of l.slice()) acc = await c(f as Value, [acc, x]);
      return acc;
    },
  );
  hof(
    'ilk',
    2,
    (l, c, [, f]) => {
      for (const x of l.slice()) c(f as Value, [x]);
      return null;
    },
    async (l, c, [, f]) => {
      for (const x of l.slice()) await c(f as Value, [x]);
      return null;
    },
  );
  hof(
    'hunt',
    2,
    (l, c, [, f]) => {
      for (const x of l.slice()) if (truthy(c(f as Value, [x]))) return x;
      return null;
    },
    async (l, c, [, f]) => {
      for (const x of l.slice()) if (truthy(await c(f as Value, [x]))) return x;
      return null;
    },
  );
  hof(
    'ony',
    2,
    (l, c, [, f]) => l.slice().some((x) => truthy(c(f as Value, [x]))),
    async (l, c, [, f]) => {
      for (const x of l.slice()) if (truthy(await c(f as Value, [x]))) return true;
      return false;
    },
  );
  hof(
    'aw',
    2,
    (l, c, [, f]) => l.slice().every((x) => truthy(c(f as Value, [x]))),
    async (l, c, [, f]) => {
      for (const x of l.slice()) if (!truthy(await c(f as Value, [x]))) return false;
      return true;
    },
  );
}

/** SPEC.md §11.6: time. */
function registerTime(r: Registry): void {
  const d = r.def.bind(r);
  // ---- 11.6 time ----
  d('mono_ms', 0, () => Math.floor(monoMs()));
  d('mono_ns', 0, () => normBig(monoNs()));
  d('noo', 0, () => Date.now());
  d('the_noo', 0, () => new MFloat(Date.now() / 1000));
  const sleep = (name: string) =>
    r.defAsync(name, 1, async ([ms]) => {
      const n = Math.max(0, argInt(name, ms as Value, true));
      await new Promise((res) => setTimeout(res, Math.min(n, 2 ** 31 - 1)));
      return null;
    });
  sleep('snooze');
  sleep('bide');
}

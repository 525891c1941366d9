/**
 * Operators (SPEC.md §7.1, §4.4): checked 64-bit integer arithmetic, floats, string and list forms.
 */
import { divError, overflowError, typeError } from './errors.js';
import { display, equals, isInt, kindOf, MFloat, normBig, type Value } from './values.js';

const I64_MIN = -9223372036854775808n;
const I64_MAX = 9223372036854775807n;

/** Checks a bigint result against i64 and normalises it. */
function checkBig(r: bigint, line: number): number | bigint {
  if (r < I64_MIN || r > I64_MAX) throw overflowError(line);
  return normBig(r);
}

function big(v: number | bigint): bigint {
  return typeof v === 'bigint' ? v : BigInt(v);
}

function fnum(v: Value): number | null {
  if (typeof v === 'number') return v;
  if (v instanceof MFloat) return v.v;
  if (typeof v === 'bigint') return Number(v);
  return null;
}

function bad(op: string, a: Value, b: Value, line: number): never {
  throw typeError(`cannae use '${op}' on ${kindOf(a)} an' ${kindOf(b)}`, line);
}

/** `a + b`. */
export function add(a: Value, b: Value, line: number): Value {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a + b;
    if (Number.isSafeInteger(r)) return r;
    return checkBig(BigInt(a) + BigInt(b), line);
  }
  if (typeof a === 'string') return a + display(b);
  if (typeof b === 'string') return display(a) + b;
  if (isInt(a) && isInt(b)) return checkBig(big(a) + big(b), line);
  if (a instanceof MFloat || b instanceof MFloat) {
    const x = fnum(a);
    const y = fnum(b);
    if (x !== null && y !== null) return new MFloat(x + y);
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.concat(b);
  return bad('+', a, b, line);
}

/** `a - b`. */
export function sub(a: Value, b: Value, line: number): Value {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a - b;
    if (Number.isSafeInteger(r)) return r;
    return checkBig(BigInt(a) - BigInt(b), line);
  }
  if (isInt(a) && isInt(b)) return checkBig(big(a) - big(b), line);
  if (a instanceof MFloat || b instanceof MFloat) {
    const x = fnum(a);
    const y = fnum(b);
    if (x !== null && y !== null) return new MFloat(x - y);
  }
  return bad('-', a, b, line);
}

function repeatStr(s: string, n: Value, line: number): string {
  if (!isInt(n)) throw typeError(`cannae repeat a string ${kindOf(n)} times`, line);
  if (n < 0) throw typeError("cannae repeat a string a negative number o' times", line);
  if (Number(n) * s.length > 1e9) throw typeError('that string wid be faur too muckle', line);
  return s.repeat(Number(n));
}

/** `a * b`. */
export function mul(a: Value, b: Value, line: number): Value {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a * b;
    if (Number.isSafeInteger(r)) return r === 0 ? 0 : r;
    return checkBig(BigInt(a) * BigInt(b), line);
  }
  if (isInt(a) && isInt(b)) return checkBig(big(a) * big(b), line);
  if (typeof a === 'string') return repeatStr(a, b, line);
  if (typeof b === 'string') return repeatStr(b, a, line);
  if (a instanceof MFloat || b instanceof MFloat) {
    const x = fnum(a);
    const y = fnum(b);
    if (x !== null && y !== null) return new MFloat(x * y);
  }
  return bad('*', a, b, line);
}

/** `a / b`: truncating for ints; a zero divisor (int or float) is an error. */
export function div(a: Value, b: Value, line: number): Value {
  if (typeof a === 'number' && typeof b === 'number') {
    if (b === 0) throw divError(line);
    const r = (a - (a % b)) / b;
    return r === 0 ? 0 : r;
  }
  if (isInt(a) && isInt(b)) {
    if (b === 0) throw divError(line);
    return checkBig(big(a) / big(b), line);
  }
  if (a instanceof MFloat || b instanceof MFloat) {
    const x = fnum(a);
    const y = fnum(b);
    if (x !== null && y !== null) {
      if (y === 0) throw divError(line);
      return new MFloat(x / y);
    }
  }
  return bad('/', a, b, line);
}

/** `a % b`: sign of the dividend; float % float only (fmod). */
export function mod(a: Value, b: Value, line: number): Value {
  if (typeof a === 'number' && typeof b === 'number') {
    if (b === 0) throw divError(line);
    const r = a % b;
    return r === 0 ? 0 : r;
  }
  if (isInt(a) && isInt(b)) {
    if (b === 0) throw divError(line);
    return normBig(big(a) % big(b));
  }
  if (a instanceof MFloat && b instanceof MFloat) return new MFloat(a.v % b.v);
  return bad('%', a, b, line);
}

/** Unary minus. */
export function neg(a: Value, line: number): Value {
  if (typeof a === 'number') return a === 0 ? 0 : -a;
  if (typeof a === 'bigint') return checkBig(-a, line);
  if (a instanceof MFloat) return new MFloat(-a.v);
  throw typeError(`cannae negate a ${kindOf(a)}`, line);
}

/** Ordering comparison: -1, 0, 1 (NaN compares false everywhere, returned as NaN). */
function cmp(a: Value, b: Value, op: string, line: number): number {
  if (typeof a === 'string' && typeof b === 'string') {
    if (a === b) return 0;
    // Code-point order (UTF-16 order differs only for astral vs high BMP characters).
    const A = Array.from(a);
    const B = Array.from(b);
    const n = Math.min(A.length, B.length);
    for (let i = 0; i < n; i++) {
      const x = (A[i] as string).codePointAt(0) as number;
      const y = (B[i] as string).codePointAt(0) as number;
      if (x !== y) return x < y ? -1 : 1;
    }
    return A.length < B.length ? -1 : A.length > B.length ? 1 : 0;
  }
  if (isInt(a) && isInt(b)) return a < b ? -1 : a > b ? 1 : 0;
  const x = fnum(a);
  const y = fnum(b);
  if (x !== null && y !== null) {
    if (Number.isNaN(x) || Number.isNaN(y)) return Number.NaN;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  throw typeError(`ye cannae compare ${kindOf(a)} wi' ${kindOf(b)} usin' '${op}'`, line);
}

/** `a < b`. */
export function lt(a: Value, b: Value, line: number): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a < b;
  return cmp(a, b, '<', line) < 0;
}
/** `a <= b`. */
export function le(a: Value, b: Value, line: number): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a <= b;
  return cmp(a, b, '<=', line) <= 0;
}
/** `a > b`. */
export function gt(a: Value, b: Value, line: number): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a > b;
  return cmp(a, b, '>', line) > 0;
}
/** `a >= b`. */
export function ge(a: Value, b: Value, line: number): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a >= b;
  return cmp(a, b, '>=', line) >= 0;
}

/** `a == b`. */
export function eq(a: Value, b: Value): boolean {
  if (a === b && !(a instanceof MFloat)) return true;
  return equals(a, b);
}

/** Applies a binary operator by name. */
export function binop(op: string, a: Value, b: Value, line: number): Value {
  switch (op) {
    case '+':
      return add(a, b, line);
    case '-':
      return sub(a, b, line);
    case '*':
      return mul(a, b, line);
    case '/':
      return div(a, b, line);
    case '%':
      return mod(a, b, line);
    case '<':
      return lt(a, b, line);
    case '<=':
      return le(a, b, line);
    case '>':
      return gt(a, b, line);
    case '>=':
      return ge(a, b, line);
    case '==':
      return eq(a, b);
    case '!=':
      return !eq(a, b);
  }
  throw typeError(`unknown operator ${op}`, line);
}

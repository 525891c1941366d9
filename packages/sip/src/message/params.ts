import { isToken, TOKEN } from '../uri/chars.js';

/** Header parameters: names lower-cased, quoted values unquoted, `;flag` → null. */
export type HeaderParams = Record<string, string | null>;

/** 2^32 − 1, the largest CSeq number and delta-seconds value (RFC 3261 §25.1). @internal */
export const MAX_U32 = 4294967295;

/** Parses an unsigned decimal integer with an upper bound; leading zeros allowed. Returns -1 when invalid. @internal */
export function parseUint(s: string, max = MAX_U32): number {
  if (s.length === 0) return -1;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
    if (n > max) return -1;
  }
  return n;
}

/** Splits `;a=b;c` (already validated by a fast path) into lower-cased params. @internal */
export function splitSimpleParams(s: string, into: HeaderParams): void {
  const n = s.length;
  let i = 1;
  while (i < n) {
    let eq = -1;
    let upper = false;
    let j = i;
    for (; j < n; j++) {
      const c = s.charCodeAt(j);
      if (c === 59) break;
      if (eq < 0) {
        if (c === 61) eq = j;
        else if (c >= 65 && c <= 90) upper = true;
      }
    }
    let name = eq < 0 ? s.slice(i, j) : s.slice(i, eq);
    if (upper) name = name.toLowerCase();
    into[name] = eq < 0 ? null : s.slice(eq + 1, j);
    i = j + 1;
  }
}

/** token chars over all 256 octet values (no range check per octet in the byte loops). @internal */
export const TOKEN8 = (() => {
  const t = new Uint8Array(256);
  for (let c = 0; c < 128; c++) t[c] = TOKEN[c] ?? 0;
  return t;
})();

/** Param value octets of the fast paths: token chars plus ":" "[" "]" (IPv6 received/maddr), 256 entries. @internal */
export const PVAL = (() => {
  const t = TOKEN8.slice();
  t[58] = 1;
  t[91] = 1;
  t[93] = 1;
  return t;
})();

/**
 * Scans `*( ";" 1*token-char [ "=" 1*(token-char / ":" / "[" / "]") ] )` from `i` to exactly `n` over octets
 * (`u[base + i]`); returns false on anything else (the full scanner then decides). @internal
 */
export function simpleParamsAt(u: Uint8Array, base: number, i: number, n: number): boolean {
  while (i < n) {
    if (u[base + i] !== 59) return false;
    const ns = ++i;
    let c = 0;
    while (i < n) {
      c = u[base + i]!;
      if (TOKEN8[c] !== 1) break;
      i++;
    }
    if (i === ns) return false;
    if (i < n && c === 61) {
      const vs = ++i;
      while (i < n) {
        c = u[base + i]!;
        if (PVAL[c] !== 1) break;
        i++;
      }
      if (i === vs) return false;
    }
  }
  return true;
}

let scratch = new Uint8Array(256);
/** Longest value the scratch copy takes (longer ones go to the full scanners; the buffer stays small). */
const SCRATCH_MAX = 4096;

/**
 * Copies the octets of `v` into {@link scratchBytes} (at 0) for the byte fast paths of values that were not
 * sliced from parsed input; false when a character is not ASCII or `v` is longer than 4096 characters (the
 * full scanner then decides). Valid until the next call. @internal
 */
export function toScratch(v: string): boolean {
  const n = v.length;
  if (n > scratch.length) {
    if (n > SCRATCH_MAX) return false;
    scratch = new Uint8Array(SCRATCH_MAX);
  }
  const u = scratch;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c >= 128) return false;
    u[i] = c;
  }
  return true;
}

/** The buffer {@link toScratch} wrote to. @internal */
export function scratchBytes(): Uint8Array {
  return scratch;
}

/** Formats header parameters (`;name=value`), quoting values that are not tokens. */
export function formatParams(params: HeaderParams): string {
  let r = '';
  for (const k in params) {
    const v = params[k];
    r += `;${k}`;
    if (v !== null && v !== undefined) {
      r += `=${isToken(v) || /^\[?[0-9a-fA-F:.]+\]?$/.test(v) ? v : `"${v.replace(/(["\\])/g, '\\$1')}"`}`;
    }
  }
  return r;
}

/**
 * Structure-aware mutators: byte-level edits for binary protocols (with length-field and crossover edits),
 * line- and token-level edits for text protocols (SIP, SDP, mdhavers source).
 */
import type { Rng } from './rng.js';

const INTERESTING8 = [0, 1, 0x7f, 0x80, 0xfe, 0xff, 0x10, 0x20, 0x40];
const INTERESTING16 = [0, 1, 0x7fff, 0x8000, 0xfffe, 0xffff, 0x0100, 0x00ff];

/** One random byte-level edit of `b` (a fresh array); `pool` feeds crossover. */
function byteEdit(rng: Rng, b: Uint8Array, pool: readonly Uint8Array[]): Uint8Array {
  const n = b.length;
  switch (rng.int(11)) {
    case 0: {
      if (n === 0) return rng.bytes(rng.range(1, 16));
      const c = b.slice();
      const i = rng.int(n);
      c[i] = (c[i] as number) ^ (1 << rng.int(8));
      return c;
    }
    case 1: {
      if (n === 0) return b;
      const c = b.slice();
      c[rng.int(n)] = rng.chance(0.5) ? rng.pick(INTERESTING8) : rng.int(256);
      return c;
    }
    case 2: {
      // A 16-bit field (lengths, counts, types) set to an edge value or nudged by a small delta.
      if (n < 2) return b;
      const c = b.slice();
      const i = rng.int(n - 1);
      const v = rng.chance(0.5)
        ? rng.pick(INTERESTING16)
        : ((((c[i] as number) << 8) | (c[i + 1] as number)) + rng.range(-4, 4)) & 0xffff;
      c[i] = v >> 8;
      c[i + 1] = v & 0xff;
      return c;
    }
    case 3: {
      const i = rng.int(n + 1);
      const ins = rng.bytes(rng.range(1, 8));
      const c = new Uint8Array(n + ins.length);
      c.set(b.subarray(0, i));
      c.set(ins, i);
      c.set(b.subarray(i), i + ins.length);
      return c;
    }
    case 4: {
      if (n === 0) return b;
      const i = rng.int(n);
      const len = rng.range(1, Math.min(16, n - i));
      const c = new Uint8Array(n - len);
      c.set(b.subarray(0, i));
      c.set(b.subarray(i + len), i);
      return c;
    }
    case 5:
      return b.slice(0, rng.int(n + 1));
    case 6: {
      // Duplicate a chunk in place (repeated elements, lists, records).
      if (n === 0) return b;
      const i = rng.int(n);
      const len = rng.range(1, Math.min(64, n - i));
      const times = rng.range(1, 8);
      const chunk = b.subarray(i, i + len);
      const c = new Uint8Array(n + len * times);
      c.set(b.subarray(0, i + len));
      for (let k = 0; k < times; k++) c.set(chunk, i + len + k * len);
      c.set(b.subarray(i + len), i + len + times * len);
      return c;
    }
    case 7: {
      // Crossover: the head of this input, the tail of another.
      const o = rng.pick(pool);
      const i = rng.int(n + 1);
      const j = rng.int(o.length + 1);
      const c = new Uint8Array(i + o.length - j);
      c.set(b.subarray(0, i));
      c.set(o.subarray(j), i);
      return c;
    }
    case 8: {
      // Append another corpus element (compound packets, coalesced records).
      const o = rng.pick(pool);
      const c = new Uint8Array(n + o.length);
      c.set(b);
      c.set(o, n);
      return c;
    }
    case 9: {
      if (n === 0) return b;
      const c = b.slice();
      const i = rng.int(n);
      c.fill(rng.pick(INTERESTING8), i, Math.min(n, i + rng.range(1, 32)));
      return c;
    }
    default:
      return rng.bytes(rng.int(n + 8));
  }
}

/**
 * Largest input a mutator returns (octets or UTF-16 units): above every protocol limit it tests (SIP's 64 KiB
 * header section, 64 KiB datagrams), so limits are exercised, while stacked repeats cannot grow inputs
 * without bound (the 50 ms rule is about work per input of a size the stack accepts).
 */
export const MAX_INPUT = 70_000;

/** Mutates a binary corpus element with 1..4 stacked edits (sometimes none: the element itself). */
export function mutateBytes(rng: Rng, pool: readonly Uint8Array[]): Uint8Array {
  let b = rng.pick(pool);
  if (rng.chance(0.05)) return b;
  const k = rng.range(1, 4);
  for (let i = 0; i < k; i++) b = byteEdit(rng, b, pool);
  return b.length > MAX_INPUT ? b.subarray(0, MAX_INPUT) : b;
}

const EDGE_NUMBERS = [
  '0',
  '-1',
  '1',
  '65535',
  '65536',
  '4294967295',
  '4294967296',
  '18446744073709551616',
  '9223372036854775808',
  '1e999',
  '0x10',
  '00000000000000000001',
  '-0',
  '3.5',
  'NaN',
];
const ODD_TEXT = [
  '',
  ' ',
  '\t',
  '\r',
  '\n',
  '\r\n',
  '\0',
  '"',
  '\\',
  '<',
  '>',
  ':',
  ';',
  ',',
  '=',
  '%',
  '%00',
  'é',
  '\u2028',
  '😀',
  '\uffff',
  '\ud800',
];

/** Splits text into lines keeping each line's terminator. */
function lines(s: string): string[] {
  return s.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** Token boundaries for token-level edits. */
const TOKEN_RE = /[A-Za-z0-9_.!%*+`'~-]+|\s+|./gsu;

function tokenEdit(rng: Rng, s: string, dict: readonly string[]): string {
  const toks = s.match(TOKEN_RE) ?? [];
  if (toks.length === 0) return rng.pick(dict);
  const i = rng.int(toks.length);
  switch (rng.int(6)) {
    case 0:
      toks[i] = rng.pick(dict);
      break;
    case 1:
      toks[i] = rng.pick(EDGE_NUMBERS);
      break;
    case 2:
      toks[i] = rng.pick(ODD_TEXT);
      break;
    case 3:
      toks.splice(i, 0, rng.pick(dict));
      break;
    case 4:
      toks.splice(i, 1);
      break;
    default:
      // Repeat a token many times (long lines, deep nesting, big counts).
      toks[i] = (toks[i] as string).repeat(rng.chance(0.2) ? rng.range(50, 600) : rng.range(2, 20));
  }
  return toks.join('');
}

function lineEdit(rng: Rng, s: string, pool: readonly string[], dict: readonly string[]): string {
  const ls = lines(s);
  if (ls.length === 0) return rng.pick(pool);
  const i = rng.int(ls.length);
  switch (rng.int(8)) {
    case 0:
      ls.splice(i, 1);
      break;
    case 1:
      ls.splice(
        i,
        0,
        ...Array.from({ length: rng.chance(0.1) ? rng.range(20, 300) : rng.range(1, 3) }, () => ls[i] as string),
      );
      break;
    case 2: {
      const j = rng.int(ls.length);
      [ls[i], ls[j]] = [ls[j] as string, ls[i] as string];
      break;
    }
    case 3: {
      const o = lines(rng.pick(pool));
      if (o.length) ls.splice(i, 0, rng.pick(o));
      break;
    }
    case 4:
      ls[i] = (ls[i] as string).replace(/\r?\n$/, rng.pick(['\n', '\r\n', '\r', '', '\n\n', '\r\n ', '\r\n\t']));
      break;
    case 5:
      ls[i] = tokenEdit(rng, ls[i] as string, dict);
      break;
    case 6: {
      // Fold a line (RFC 3261 §7.3.1 continuation) or cut it at a random point.
      const l = ls[i] as string;
      const k = rng.int(l.length + 1);
      ls[i] = rng.chance(0.5) ? `${l.slice(0, k)}\r\n ${l.slice(k)}` : l.slice(0, k);
      break;
    }
    default:
      return ls.slice(0, i).join('');
  }
  return ls.join('');
}

/** Mutates a text corpus element with 1..4 stacked line/token/character edits. */
export function mutateText(rng: Rng, pool: readonly string[], dict: readonly string[]): string {
  let s = rng.pick(pool);
  if (rng.chance(0.05)) return s;
  const k = rng.range(1, 4);
  for (let i = 0; i < k; i++) {
    const r = rng.next();
    if (r < 0.4) s = lineEdit(rng, s, pool, dict);
    else if (r < 0.85) s = tokenEdit(rng, s, dict);
    else {
      const p = rng.int(s.length + 1);
      s = s.slice(0, p) + rng.pick(ODD_TEXT) + s.slice(p + (rng.chance(0.5) ? 1 : 0));
    }
    if (s.length > MAX_INPUT) s = s.slice(0, MAX_INPUT);
  }
  return s;
}

const enc = new TextEncoder();
/** UTF-8 octets of a string. */
export function utf8(s: string): Uint8Array {
  return enc.encode(s);
}

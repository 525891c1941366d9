import { TOKEN } from '../uri/chars.js';
import { SipParseError } from './errors.js';

/**
 * A tiny cursor over one header value (already unfolded), with the LWS rules of RFC 3261 §25.1.
 * @internal
 */
export class Scan {
  s: string;
  i = 0;
  readonly what: string;

  constructor(s: string, what: string) {
    this.s = s;
    this.what = what;
  }

  fail(why: string): SipParseError {
    return new SipParseError(`bad-${this.what.toLowerCase()}`, `malformed ${this.what}: ${why} in '${clip(this.s)}'`);
  }

  ws(): void {
    const s = this.s;
    let i = this.i;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c !== 32 && c !== 9 && c !== 13 && c !== 10) break;
      i++;
    }
    this.i = i;
  }

  eof(): boolean {
    return this.i >= this.s.length;
  }

  peek(): number {
    return this.s.charCodeAt(this.i);
  }

  /** Consumes char `c` (after optional LWS) if present. */
  eat(c: number): boolean {
    this.ws();
    if (this.s.charCodeAt(this.i) === c) {
      this.i++;
      return true;
    }
    return false;
  }

  token(): string {
    const s = this.s;
    const st = this.i;
    let i = st;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c >= 128 || TOKEN[c] !== 1) break;
      i++;
    }
    this.i = i;
    return s.slice(st, i);
  }

  /** Reads a quoted-string starting at the current `"`; returns its content with quoted-pairs resolved. */
  quoted(): string {
    const s = this.s;
    let i = this.i + 1;
    let out = '';
    let st = i;
    for (;;) {
      if (i >= s.length) throw this.fail('unterminated quoted string');
      const c = s.charCodeAt(i);
      if (c === 34) break;
      if (c === 92) {
        if (i + 1 >= s.length) throw this.fail('unterminated quoted string');
        out += s.slice(st, i) + s.charAt(i + 1);
        i += 2;
        st = i;
        continue;
      }
      i++;
    }
    out += s.slice(st, i);
    this.i = i + 1;
    return out;
  }

  /** Reads `*(SEMI generic-param)` — names lower-cased, quoted values unquoted, `;flag` → null. */
  params(into: Record<string, string | null>, stopAtComma = true): void {
    for (;;) {
      this.ws();
      if (this.eof()) return;
      const c = this.peek();
      if (c === 44 && stopAtComma) return;
      if (c !== 59) throw this.fail(`unexpected '${String.fromCharCode(c)}'`);
      this.i++;
      this.ws();
      const name = this.token();
      if (name.length === 0) throw this.fail('empty parameter');
      let value: string | null = null;
      if (this.eat(61)) {
        this.ws();
        if (this.peek() === 34) value = this.quoted();
        else {
          const s = this.s;
          const st = this.i;
          let i = st;
          while (i < s.length) {
            const ch = s.charCodeAt(i);
            if (ch === 59 || ch === 44 || ch === 32 || ch === 9 || ch === 34 || ch === 13 || ch === 10) break;
            i++;
          }
          if (i === st) throw this.fail(`empty value for '${name}'`);
          value = s.slice(st, i);
          this.i = i;
        }
      }
      into[name.toLowerCase()] = value;
    }
  }
}

/** Shortens text for error messages. @internal */
export function clip(s: string): string {
  return s.length > 120 ? `${s.slice(0, 120)}…` : s;
}

/**
 * Splits a comma-separated header value (RFC 3261 §7.3.1) respecting quoted strings (with escapes) and
 * `<...>`; elements are trimmed. Empty elements are returned as empty strings.
 * @internal
 */
export function splitList(v: string): string[] {
  let first = -1;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 44 || c === 34 || c === 60) {
      first = i;
      break;
    }
  }
  if (first < 0) return [v];
  if (v.indexOf('"') < 0 && v.indexOf('<') < 0) {
    const parts: string[] = [];
    let st = 0;
    for (;;) {
      const c = v.indexOf(',', st);
      if (c < 0) {
        parts.push(v.slice(st).trim());
        return parts;
      }
      parts.push(v.slice(st, c).trim());
      st = c + 1;
    }
  }
  const out: string[] = [];
  let st = 0;
  let inQ = false;
  let inA = false;
  for (let i = first; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (inQ) {
      if (c === 92) i++;
      else if (c === 34) inQ = false;
    } else if (c === 34) inQ = true;
    else if (inA) {
      if (c === 62) inA = false;
    } else if (c === 60) inA = true;
    else if (c === 44) {
      out.push(v.slice(st, i).trim());
      st = i + 1;
    }
  }
  out.push(v.slice(st).trim());
  return out;
}

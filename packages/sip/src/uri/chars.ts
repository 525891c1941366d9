/**
 * Character classes of RFC 3261 §25.1 as lookup tables (index = char code < 128).
 * @internal
 */
function table(extra: string, alnum = true): Uint8Array {
  const t = new Uint8Array(128);
  if (alnum) {
    for (let c = 48; c <= 57; c++) t[c] = 1;
    for (let c = 65; c <= 90; c++) t[c] = 1;
    for (let c = 97; c <= 122; c++) t[c] = 1;
  }
  for (let i = 0; i < extra.length; i++) t[extra.charCodeAt(i)] = 1;
  return t;
}

/** mark = "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")" */
const MARK = "-_.!~*'()";
/** unreserved = alphanum / mark */
export const UNRESERVED = table(MARK);
/** user = 1*( unreserved / escaped / user-unreserved ); user-unreserved = "&" / "=" / "+" / "$" / "," / ";" / "?" / "/" */
export const USER = table(`${MARK}&=+$,;?/`);
/** password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," ) */
export const PASSWORD = table(`${MARK}&=+$,`);
/** paramchar = param-unreserved / unreserved / escaped; param-unreserved = "[" / "]" / "/" / ":" / "&" / "+" / "$" */
export const PARAMCHAR = table(`${MARK}[]/:&+$`);
/** hname/hvalue = hnv-unreserved / unreserved / escaped; hnv-unreserved = "[" / "]" / "/" / "?" / ":" / "+" / "$" */
export const HNVCHAR = table(`${MARK}[]/?:+$`);
/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" ) */
export const TOKEN = table("-.!%*_+`'~");
/** word = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" / "(" / ")" / "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" / "{" / "}" ) */
export const WORD = table('-.!%*_+`\'~()<>:\\"/[]?{}');
/** hostname characters: alphanum / "-" / "." */
export const HOSTCHAR = table('-.');
/** reserved / unreserved / escaped: characters allowed anywhere in an absolute URI (RFC 2396 uric) */
export const URIC = table(`${MARK};/?:@&=+$,%[]#`);

/** True when every char of `s` is in the table `t` (chars >= 128 fail). */
export function allIn(s: string, t: Uint8Array): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || t[c] !== 1) return false;
  }
  return s.length > 0;
}

/** True when `s` is a non-empty RFC 3261 token. */
export function isToken(s: string): boolean {
  return allIn(s, TOKEN);
}

const HEX = '0123456789ABCDEF';

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/**
 * Validates `s` against table `t` allowing `%HH` escapes, and returns it unescaped exactly once
 * (RFC 3261 §19.1.2, RFC 4475 §3.1.1.3); escapes decode to octets, read as UTF-8 when valid.
 * Returns undefined when a character is not allowed or an escape is malformed.
 */
export function unescapeIn(s: string, t: Uint8Array): string | undefined {
  let hasEsc = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37) {
      if (i + 2 >= s.length) return undefined;
      if (hexVal(s.charCodeAt(i + 1)) < 0 || hexVal(s.charCodeAt(i + 2)) < 0) return undefined;
      hasEsc = true;
      i += 2;
    } else if (c >= 128 || t[c] !== 1) return undefined;
  }
  if (!hasEsc) return s;
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37) {
      out.push(hexVal(s.charCodeAt(i + 1)) * 16 + hexVal(s.charCodeAt(i + 2)));
      i += 2;
    } else out.push(c);
  }
  const bytes = Uint8Array.from(out);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    let r = '';
    for (const b of bytes) r += String.fromCharCode(b);
    return r;
  }
}

const enc = new TextEncoder();

/** Escapes every character of `s` that is not in table `t` as `%HH` (UTF-8 octets). */
export function escapeFor(s: string, t: Uint8Array): string {
  let ok = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || t[c] !== 1) {
      ok = false;
      break;
    }
  }
  if (ok) return s;
  let r = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch.length === 1 && c < 128 && t[c] === 1) r += ch;
    else for (const b of enc.encode(ch)) r += `%${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return r;
}

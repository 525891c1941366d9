/**
 * The mdhavers lexer (SPEC.md §1). Newline is a token; `#` and `//` start comments.
 */
import { lexError, MdhError } from './errors.js';

/** Token types. Keywords and punctuation use their own text as the type. */
export type TokType = 'nl' | 'int' | 'float' | 'str' | 'fstr' | 'ident' | 'eof' | string;

/** A token. */
export interface Token {
  t: TokType;
  /** Text of the lexeme (processed string value for `str`, raw body for `fstr`). */
  s: string;
  /** Integer value for `int` (number or bigint), float value for `float`. */
  n?: number | bigint;
  line: number;
  col: number;
  /** Offset in the source. */
  pos: number;
}

/** Reserved words (SPEC.md §1.3). */
export const KEYWORDS = new Set([
  'ken',
  'gin',
  'ither',
  'than',
  'whiles',
  'fer',
  'in',
  'brak',
  'haud',
  'dae',
  'gie',
  'blether',
  'aye',
  'nae',
  'naething',
  'an',
  'or',
  'fetch',
  'tae',
  'hae_a_bash',
  'gin_it_gangs_wrang',
  'hurl',
  'keek',
  'whan',
  'mak_siccar',
]);

/** Reserved words of out-of-scope features (SPEC.md §16): any use is a parse error. */
export const OUT_OF_SCOPE = new Set([
  'speir',
  'kin',
  'fae',
  'masel',
  'thing',
  'is',
  'log_whisper',
  'log_mutter',
  'log_blether',
  'log_holler',
  'log_roar',
]);

const ALIASES: Record<string, string> = {
  haud_yer_wheesht: 'haud',
  gang_on: 'haud',
  nil: 'naething',
  nowt: 'naething',
};

const I64_MAX = 9223372036854775807n;

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}
function isIdStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}
function isIdPart(c: string): boolean {
  return isIdStart(c) || isDigit(c);
}
function isHex(c: string | undefined): boolean {
  return c !== undefined && /^[0-9a-fA-F]$/.test(c);
}

/** Escape processing of SPEC.md §1.5 (applied to string literals and f-string text parts). */
export function unescapeStr(raw: string): string {
  if (raw.indexOf('\\') < 0) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (c !== '\\' || i + 1 >= raw.length) {
      out += c;
      continue;
    }
    const d = raw[i + 1] as string;
    switch (d) {
      case 'n':
        out += '\n';
        i++;
        break;
      case 't':
        out += '\t';
        i++;
        break;
      case 'r':
        out += '\r';
        i++;
        break;
      case '0':
        out += '\0';
        i++;
        break;
      case '\\':
      case '"':
      case "'":
        out += d;
        i++;
        break;
      case 'x':
        if (isHex(raw[i + 2]) && isHex(raw[i + 3])) {
          out += String.fromCharCode(Number.parseInt(raw.slice(i + 2, i + 4), 16));
          i += 3;
        } else {
          out += '\\x';
          i++;
        }
        break;
      default:
        out += `\\${d}`;
        i++;
    }
  }
  return out;
}

const THREE = ['...', '..='];
const TWO = ['==', '!=', '<=', '>=', '+=', '-=', '*=', '/=', '..', '->', '|>'];
const ONE = '+-*/%<>=!.()[]{},:;|';

/** The lexer's cursor: position, line and the start of the current line. */
interface LexState {
  readonly src: string;
  readonly n: number;
  readonly toks: Token[];
  i: number;
  line: number;
  lineStart: number;
}

/** Lexes source text into tokens (ends with an `eof` token). `line0` offsets the line numbers. */
export function lex(src: string, line0 = 1): Token[] {
  const st: LexState = { src, n: src.length, toks: [], i: 0, line: line0, lineStart: 0 };
  const toks = st.toks;
  const n = st.n;
  while (st.i < n) {
    const i = st.i;
    const c = src[i] as string;
    const col = i - st.lineStart + 1;
    if (c === ' ' || c === '\t' || c === '\r') {
      st.i++;
      continue;
    }
    if (c === '\n') {
      toks.push({ t: 'nl', s: '\n', line: st.line, col, pos: i });
      st.i++;
      st.line++;
      st.lineStart = st.i;
      continue;
    }
    if (c === '#' || (c === '/' && src[i + 1] === '/')) {
      while (st.i < n && src[st.i] !== '\n') st.i++;
      continue;
    }
    if (isDigit(c)) lexNumber(st, col);
    else if (isIdStart(c)) {
      if (c === 'f' && src[i + 1] === '"') lexFString(st, col);
      else lexWord(st, col);
    } else if (c === '"' || c === "'") lexString(st, c, col);
    else lexOperator(st, c, col);
  }
  toks.push({ t: 'eof', s: "end o' file", line: st.line, col: st.i - st.lineStart + 1, pos: st.i });
  return toks;
}

/** An int or float literal. */
function lexNumber(st: LexState, col: number): void {
  const { src, n } = st;
  const start = st.i;
  let i = st.i;
  while (i < n && isDigit(src[i] as string)) i++;
  let isFloat = false;
  if (src[i] === '.' && isDigit(src[i + 1] ?? '')) {
    isFloat = true;
    i++;
    while (i < n && isDigit(src[i] as string)) i++;
  }
  if (src[i] === 'e' || src[i] === 'E') {
    let j = i + 1;
    if (src[j] === '+' || src[j] === '-') j++;
    if (isDigit(src[j] ?? '')) {
      isFloat = true;
      i = j;
      while (i < n && isDigit(src[i] as string)) i++;
    }
  }
  st.i = i;
  const text = src.slice(start, i);
  const line = st.line;
  if (isFloat) {
    st.toks.push({ t: 'float', s: text, n: Number(text), line, col, pos: start });
  } else {
    const b = BigInt(text);
    if (b > I64_MAX) throw lexError(text, line, col);
    const v = b <= 9007199254740991n ? Number(b) : b;
    st.toks.push({ t: 'int', s: text, n: v, line, col, pos: start });
  }
}

/** An f-string `f"…"`: its raw body, split later by {@link splitFString}. */
function lexFString(st: LexState, col: number): void {
  const { src, n } = st;
  const start = st.i;
  let i = st.i + 2;
  const startLine = st.line;
  let body = '';
  while (i < n && src[i] !== '"') {
    if (src[i] === '\\' && i + 1 < n) {
      body += src.slice(i, i + 2);
      if (src[i + 1] === '\n') {
        st.line++;
        st.lineStart = i + 2;
      }
      i += 2;
      continue;
    }
    if (src[i] === '\n') {
      st.line++;
      st.lineStart = i + 1;
    }
    body += src[i];
    i++;
  }
  if (i >= n)
    throw new MdhError('lex', `That string's no' finished! Missin' closing quote at line ${startLine}`, startLine);
  st.i = i + 1;
  st.toks.push({ t: 'fstr', s: body, line: startLine, col, pos: start });
}

/** An identifier, keyword (aliases folded) or `_`. */
function lexWord(st: LexState, col: number): void {
  const { src, n } = st;
  const start = st.i;
  let i = st.i;
  while (i < n && isIdPart(src[i] as string)) i++;
  st.i = i;
  let word = src.slice(start, i);
  if (word === '_') {
    st.toks.push({ t: '_', s: '_', line: st.line, col, pos: start });
    return;
  }
  const alias = ALIASES[word];
  if (alias !== undefined) word = alias;
  st.toks.push({ t: KEYWORDS.has(word) ? word : 'ident', s: word, line: st.line, col, pos: start });
}

/** A string literal quoted with `q` (escapes resolved by unescapeStr). */
function lexString(st: LexState, q: string, col: number): void {
  const { src, n } = st;
  const start = st.i;
  const startLine = st.line;
  let i = st.i + 1;
  let raw = '';
  while (i < n && src[i] !== q) {
    if (src[i] === '\\' && i + 1 < n) {
      if (src[i + 1] === '\n') {
        st.line++;
        st.lineStart = i + 2;
      }
      raw += src.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (src[i] === '\n') {
      st.line++;
      st.lineStart = i + 1;
    }
    raw += src[i];
    i++;
  }
  if (i >= n)
    throw new MdhError('lex', `That string's no' finished! Missin' closing quote at line ${startLine}`, startLine);
  st.i = i + 1;
  st.toks.push({ t: 'str', s: unescapeStr(raw), line: startLine, col, pos: start });
}

/** A one-, two- or three-character operator or punctuation; anything else is a lex error. */
function lexOperator(st: LexState, c: string, col: number): void {
  const { src, toks, line } = st;
  const i = st.i;
  const three = src.slice(i, i + 3);
  if (THREE.includes(three)) {
    toks.push({ t: three, s: three, line, col, pos: i });
    st.i += 3;
    return;
  }
  const two = src.slice(i, i + 2);
  if (TWO.includes(two)) {
    toks.push({ t: two, s: two, line, col, pos: i });
    st.i += 2;
    return;
  }
  if (ONE.includes(c)) {
    toks.push({ t: c, s: c, line, col, pos: i });
    st.i++;
    return;
  }
  const cp = String.fromCodePoint(src.codePointAt(i) as number);
  throw lexError(cp, line, col);
}

/** A piece of an f-string body: literal text or interpolation source. */
export type FPart = { text: string } | { expr: string };

/** Splits an f-string body into parts (SPEC.md §1.6). */
export function splitFString(body: string, line: number): FPart[] {
  const parts: FPart[] = [];
  let text = '';
  let i = 0;
  while (i < body.length) {
    const c = body[i] as string;
    if (c === '{' && body[i + 1] === '{') {
      text += '{';
      i += 2;
      continue;
    }
    if (c === '}' && body[i + 1] === '}') {
      text += '}';
      i += 2;
      continue;
    }
    if (c === '{') {
      let depth = 1;
      let j = i + 1;
      while (j < body.length && depth > 0) {
        if (body[j] === '{') depth++;
        else if (body[j] === '}') depth--;
        if (depth > 0) j++;
      }
      if (depth > 0) throw new MdhError('parse', `That format string's a guddle at line ${line}: unclosed '{'`, line);
      const inner = body.slice(i + 1, j);
      let expr = '';
      for (let k = 0; k < inner.length; k++) {
        if (inner[k] === '\\' && (inner[k + 1] === '"' || inner[k + 1] === '\\')) {
          expr += inner[k + 1];
          k++;
        } else expr += inner[k];
      }
      if (text) parts.push({ text: unescapeStr(text) });
      text = '';
      parts.push({ expr });
      i = j + 1;
      continue;
    }
    text += c;
    i++;
  }
  if (text) parts.push({ text: unescapeStr(text) });
  return parts;
}

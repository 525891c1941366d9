import { fromBase64, toBase64 } from '@mdh/bytes';
import { randomBytes } from '@noble/hashes/utils.js';
import { SrtpConfigError, SrtpParseError } from './errors.js';
import { findSrtpProfile, getSrtpProfile, type SrtpProfile } from './profiles.js';
import type { SrtpSessionOptions } from './session.js';

/** One `inline:` key parameter of an `a=crypto` line (RFC 4568 §6.1, §9.2). */
export interface SdesKeyParams {
  /** Master key. */
  key: Uint8Array;
  /** Master salt. */
  salt: Uint8Array;
  /** Master key lifetime in packets (`|2^31` or `|1000`), if given. */
  lifetime?: number;
  /** Master Key Identifier: its decimal value and its length on the wire in octets (1..128). */
  mki?: { value: bigint; length: number };
}

/** A parsed `a=crypto` attribute (RFC 4568 §9.1). */
export interface SdesCrypto {
  /** The tag (1..999999999) that pairs an answer with its offer. */
  tag: number;
  /** Crypto-suite name as written (e.g. `AES_CM_128_HMAC_SHA1_80`). */
  suite: string;
  /** The profile for the suite, or undefined when the suite is unknown (skip that line when negotiating). */
  profile: SrtpProfile | undefined;
  /** Key parameters (at least one). */
  keyParams: SdesKeyParams[];
  /** Session parameters verbatim (`KDR=0`, `UNENCRYPTED_SRTCP`, `WSH=256`, ...). */
  sessionParams: string[];
}

const MAX_LINE = 4096;

function fail(msg: string): SrtpParseError {
  return new SrtpParseError(`a=crypto: ${msg}`, 'sdes');
}

/**
 * Parses an `a=crypto:` line, with or without the `a=` prefix (RFC 4568 §9.2 grammar). Key and salt lengths are
 * checked against the suite when it is known. Throws SrtpParseError on malformed input.
 */
export function parseSdesCrypto(line: string): SdesCrypto {
  if (typeof line !== 'string') throw fail('not a string');
  if (line.length > MAX_LINE) throw fail('line too long');
  let s = line.trim();
  if (s.startsWith('a=')) s = s.slice(2);
  if (!s.toLowerCase().startsWith('crypto:')) throw fail('not a crypto attribute');
  const parts = s
    .slice(7)
    .trim()
    .split(/[ \t]+/);
  if (parts.length < 3) throw fail('needs a tag, a crypto-suite and key parameters');
  const [tagText, suite, keyText, ...sessionParams] = parts as [string, string, string, ...string[]];
  if (!/^\d{1,9}$/.test(tagText)) throw fail(`bad tag '${tagText}'`);
  const tag = Number(tagText);
  if (!/^[A-Za-z0-9_]+$/.test(suite)) throw fail(`bad crypto-suite '${suite}'`);
  const profile = findSrtpProfile(suite);
  const keyParams: SdesKeyParams[] = [];
  for (const kp of keyText.split(';')) {
    const colon = kp.indexOf(':');
    if (colon < 0 || kp.slice(0, colon).toLowerCase() !== 'inline') throw fail(`key method must be 'inline'`);
    const fields = kp.slice(colon + 1).split('|');
    const b64 = fields[0]!;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw fail('key||salt is not base64');
    let keySalt: Uint8Array;
    try {
      keySalt = fromBase64(b64);
    } catch {
      throw fail('key||salt is not base64');
    }
    const kl = profile?.masterKeyLength ?? keySalt.length - 14;
    const sl = profile?.masterSaltLength ?? 14;
    if (kl <= 0 || keySalt.length !== kl + sl) {
      throw fail(`key||salt is ${keySalt.length} octets; ${suite} needs ${profile ? kl + sl : 'key + 14'}`);
    }
    const param: SdesKeyParams = { key: keySalt.slice(0, kl), salt: keySalt.slice(kl) };
    const rest = fields.slice(1);
    if (rest.length > 2) throw fail('too many key-info fields');
    for (let i = 0; i < rest.length; i++) {
      const f = rest[i]!;
      const m = /^(\d{1,39}):(\d{1,3})$/.exec(f);
      if (m) {
        const length = Number(m[2]);
        if (length < 1 || length > 128) throw fail(`MKI length ${length} outside 1..128`);
        const value = BigInt(m[1]!);
        if (value >= 1n << BigInt(8 * length)) throw fail(`MKI value ${value} does not fit ${length} octets`);
        param.mki = { value, length };
      } else if (i === 0 && /^(2\^\d{1,2}|\d{1,15})$/.test(f)) {
        param.lifetime = f.startsWith('2^') ? 2 ** Number(f.slice(2)) : Number(f);
      } else {
        throw fail(`bad lifetime or MKI '${f}'`);
      }
    }
    keyParams.push(param);
  }
  return { tag, suite, profile, keyParams, sessionParams };
}

/** Formats an `a=crypto:` line (with the `a=` prefix, no line ending). Lifetimes that are powers of 2 print as `2^n`. */
export function formatSdesCrypto(c: SdesCrypto): string {
  if (!Number.isInteger(c.tag) || c.tag < 0 || c.tag > 999999999) throw new SrtpConfigError('tag must be 0..999999999');
  if (c.keyParams.length === 0) throw new SrtpConfigError('a=crypto needs at least one key');
  const keys = c.keyParams.map((k) => {
    // RFC 4568 §9.2: key-salt is base64 per RFC 3548 §3, padding included (strict decoders need it).
    let s = `inline:${toBase64(concat2(k.key, k.salt))}`;
    if (k.lifetime !== undefined) {
      const e = Math.log2(k.lifetime);
      s += Number.isInteger(e) && e >= 10 ? `|2^${e}` : `|${k.lifetime}`;
    }
    if (k.mki) s += `|${k.mki.value}:${k.mki.length}`;
    return s;
  });
  const tail = c.sessionParams.length ? ` ${c.sessionParams.join(' ')}` : '';
  return `a=crypto:${c.tag} ${c.suite} ${keys.join(';')}${tail}`;
}

/** Options of {@link generateSdesCrypto}. */
export interface SdesGenerateOptions {
  /** Tag (default 1). */
  tag?: number;
  /** Lifetime to announce (packets). */
  lifetime?: number;
  /** MKI to announce. */
  mki?: { value: bigint | number; length: number };
  /** Session parameters to append. */
  sessionParams?: string[];
  /** Random source (default: the platform CSPRNG, crypto.getRandomValues). */
  random?: (n: number) => Uint8Array;
}

/** Generates a fresh `a=crypto` offer for a profile, with a master key and salt from a CSPRNG (RFC 4568 §6.1). */
export function generateSdesCrypto(profile: string | SrtpProfile, opts: SdesGenerateOptions = {}): SdesCrypto {
  const prof = getSrtpProfile(profile);
  const rnd = opts.random ?? randomBytes;
  const ks = rnd(prof.masterKeyLength + prof.masterSaltLength);
  if (!(ks instanceof Uint8Array) || ks.length !== prof.masterKeyLength + prof.masterSaltLength) {
    throw new SrtpConfigError('random source returned the wrong number of octets');
  }
  const param: SdesKeyParams = { key: ks.slice(0, prof.masterKeyLength), salt: ks.slice(prof.masterKeyLength) };
  ks.fill(0);
  if (opts.lifetime !== undefined) param.lifetime = opts.lifetime;
  if (opts.mki) {
    const { length } = opts.mki;
    if (!Number.isInteger(length) || length < 1 || length > 128) throw new SrtpConfigError('MKI length must be 1..128');
    param.mki = { value: BigInt(opts.mki.value), length };
  }
  return {
    tag: opts.tag ?? 1,
    suite: prof.sdesName,
    profile: prof,
    keyParams: [param],
    sessionParams: opts.sessionParams ?? [],
  };
}

/** The MKI as it appears on the wire: `value` big-endian in `length` octets. */
export function sdesMkiBytes(mki: { value: bigint; length: number }): Uint8Array {
  const out = new Uint8Array(mki.length);
  let v = mki.value;
  for (let i = mki.length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/**
 * SrtpSession options for a parsed `a=crypto` line: profile, key, salt, MKI, and the session parameters that map
 * onto options (KDR → keyDerivationRate, WSH → replayWindow, UNENCRYPTED_SRTCP/SRTP → encryptRtcp/encryptRtp
 * false; FEC_ORDER and FEC_KEY are ignored, no FEC being used). When the
 * line carries several keys, all with MKIs, they become `masterKeys` (the receiver picks one per packet by MKI;
 * `keyIndex` is the one to send with); otherwise only key `keyIndex` is used. Throws SrtpConfigError for an unknown
 * suite or a parameter this library cannot honour (UNAUTHENTICATED_SRTP, unknown ones).
 */
export function sdesSessionOptions(c: SdesCrypto, keyIndex = 0): SrtpSessionOptions {
  if (!c.profile) throw new SrtpConfigError(`unknown SDES crypto-suite '${c.suite}'`);
  const k = c.keyParams[keyIndex];
  if (!k) throw new SrtpConfigError(`no key parameter ${keyIndex}`);
  let o: SrtpSessionOptions;
  if (c.keyParams.length > 1 && c.keyParams.every((x) => x.mki)) {
    const ordered = [k, ...c.keyParams.filter((x) => x !== k)];
    o = {
      profile: c.profile,
      masterKeys: ordered.map((x) => ({ key: x.key, salt: x.salt, mki: sdesMkiBytes(x.mki!) })),
    };
  } else {
    o = { profile: c.profile, key: k.key, salt: k.salt };
    if (k.mki) o.mki = sdesMkiBytes(k.mki);
  }
  for (const p of c.sessionParams) {
    const [name, value] = p.split('=', 2) as [string, string | undefined];
    switch (name.toUpperCase()) {
      case 'KDR':
        // RFC 4568 §6.3.1: KDR=n means a key derivation rate of 2^n; absent means 0 (derive once), the only
        // rate supported, so any KDR makes SrtpSession refuse the options with a clear error.
        o.keyDerivationRate = 2 ** Number(value);
        break;
      case 'WSH':
        o.replayWindow = Number(value);
        break;
      case 'UNENCRYPTED_SRTCP':
        o.encryptRtcp = false;
        break;
      case 'UNENCRYPTED_SRTP':
        o.encryptRtp = false;
        break;
      case 'FEC_ORDER':
      case 'FEC_KEY':
        // RFC 4568 §6.3.5/§6.3.6 only matter when FEC (RFC 2733) is used, which this library does not do.
        break;
      default:
        throw new SrtpConfigError(`SDES session parameter '${p}' is not supported`);
    }
  }
  return o;
}

function concat2(a: Uint8Array, b: Uint8Array): Uint8Array {
  const o = new Uint8Array(a.length + b.length);
  o.set(a);
  o.set(b, a.length);
  return o;
}

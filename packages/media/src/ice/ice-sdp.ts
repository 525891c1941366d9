/** ICE SDP attributes (RFC 8839 §5): credentials, `a=ice-lite`, candidates, `a=end-of-candidates`. */
import { formatIceCandidate, type IceCandidate, IceSdpError, tryParseIceCandidate } from './candidate.js';

/** The 64 ice-chars (RFC 8839 §5.4: ALPHA / DIGIT / "+" / "/"). */
const ICE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const ICE_CHARS = /^[A-Za-z0-9+/]+$/;

/** Local ICE credentials. */
export interface IceCredentials {
  /** Username fragment: 4–256 ice-chars (RFC 8839 §5.4). */
  ufrag: string;
  /** Password: 22–256 ice-chars (RFC 8839 §5.4). */
  pwd: string;
}

/** True for a valid ice-ufrag value (4–256 ice-chars). */
export function isValidIceUfrag(s: string): boolean {
  return s.length >= 4 && s.length <= 256 && ICE_CHARS.test(s);
}

/** True for a valid ice-pwd value (22–256 ice-chars). */
export function isValidIcePwd(s: string): boolean {
  return s.length >= 22 && s.length <= 256 && ICE_CHARS.test(s);
}

/**
 * Fresh credentials from the injected random source: an 8-char ufrag (48 random bits ≥ the 24 RFC 8445 §5.3 asks)
 * and a 24-char pwd (144 bits ≥ 128). Each char takes 6 bits of one random octet, so the 64-char alphabet is unbiased.
 */
export function generateIceCredentials(random: (n: number) => Uint8Array): IceCredentials {
  const pick = (n: number) => {
    const r = random(n);
    if (r.length < n) throw new IceSdpError('random source returned too few octets');
    let s = '';
    for (let i = 0; i < n; i++) s += ICE_ALPHABET[r[i]! & 63];
    return s;
  };
  return { ufrag: pick(8), pwd: pick(24) };
}

/** What {@link formatIceAttributes} writes. */
export interface IceSdpParams {
  /** Local ufrag. */
  ufrag: string;
  /** Local pwd. */
  pwd: string;
  /** Write `a=ice-lite` (session level, RFC 8839 §5.3). */
  lite?: boolean;
  /** Candidates to list. */
  candidates?: readonly IceCandidate[];
  /** Write `a=end-of-candidates` (RFC 8840 §8.2; a lite agent has all its candidates up front). */
  endOfCandidates?: boolean;
  /** `a=ice-options` tags (RFC 8839 §5.6), e.g. `trickle`. */
  options?: readonly string[];
}

/** SDP lines (each `a=…`, without line ends) for the session level and for the media section. */
export interface IceSdpLines {
  /** Session-level lines (`a=ice-lite`). */
  session: string[];
  /** Media-level lines (`a=ice-ufrag`, `a=ice-pwd`, `a=ice-options`, `a=candidate`, `a=end-of-candidates`). */
  media: string[];
}

/** Formats the ICE attributes. Throws {@link IceSdpError} for credentials outside the RFC 8839 §5.4 grammar. */
export function formatIceAttributes(p: IceSdpParams): IceSdpLines {
  if (!isValidIceUfrag(p.ufrag)) throw new IceSdpError('ice-ufrag must be 4-256 ice-chars');
  if (!isValidIcePwd(p.pwd)) throw new IceSdpError('ice-pwd must be 22-256 ice-chars');
  const session: string[] = [];
  if (p.lite) session.push('a=ice-lite');
  const media = [`a=ice-ufrag:${p.ufrag}`, `a=ice-pwd:${p.pwd}`];
  if (p.options && p.options.length > 0) media.push(`a=ice-options:${p.options.join(' ')}`);
  for (const c of p.candidates ?? []) media.push(`a=${formatIceCandidate(c)}`);
  if (p.endOfCandidates) media.push('a=end-of-candidates');
  return { session, media };
}

/** ICE attributes read from SDP. */
export interface IceSdpInfo {
  /** `a=ice-ufrag`. */
  ufrag?: string;
  /** `a=ice-pwd`. */
  pwd?: string;
  /** `a=ice-lite` was present (the peer is a lite agent). */
  lite: boolean;
  /** Ice-mismatch (RFC 8839 §5.5). */
  mismatch: boolean;
  /** `a=ice-options` tags. */
  options: string[];
  /** The candidates that parsed (at most 64). */
  candidates: IceCandidate[];
  /** `a=candidate` lines that did not parse (RFC 8839 §5.1: ignored). */
  invalidCandidates: number;
  /** `a=end-of-candidates` was present. */
  endOfCandidates: boolean;
}

const MAX_CANDIDATES = 64;

/**
 * Reads the ICE attributes from SDP text or from a list of lines (pass the session-level lines and the lines of
 * one media section; `a=` is optional). Unknown lines are skipped; candidates beyond 64 or that do not parse are
 * counted in `invalidCandidates`. Returns an {@link IceSdpError} for an ice-ufrag or ice-pwd outside the grammar or
 * given twice with different values.
 */
export function parseIceAttributes(sdp: string | readonly string[]): IceSdpInfo | IceSdpError {
  const lines = typeof sdp === 'string' ? sdp.split(/\r?\n/) : sdp;
  const info: IceSdpInfo = {
    lite: false,
    mismatch: false,
    options: [],
    candidates: [],
    invalidCandidates: 0,
    endOfCandidates: false,
  };
  for (const raw of lines) {
    const line = raw.trim().startsWith('a=') ? raw.trim().slice(2) : raw.trim();
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).trim();
    switch (name) {
      case 'ice-lite':
        info.lite = true;
        break;
      case 'ice-mismatch':
        info.mismatch = true;
        break;
      case 'end-of-candidates':
        info.endOfCandidates = true;
        break;
      case 'ice-options':
        for (const t of value.split(/ +/)) if (t) info.options.push(t);
        break;
      case 'ice-ufrag':
        if (!isValidIceUfrag(value)) return new IceSdpError(`bad ice-ufrag "${value.slice(0, 40)}"`);
        if (info.ufrag !== undefined && info.ufrag !== value) return new IceSdpError('conflicting ice-ufrag');
        info.ufrag = value;
        break;
      case 'ice-pwd':
        if (!isValidIcePwd(value)) return new IceSdpError('bad ice-pwd');
        if (info.pwd !== undefined && info.pwd !== value) return new IceSdpError('conflicting ice-pwd');
        info.pwd = value;
        break;
      case 'candidate': {
        const c = tryParseIceCandidate(line);
        if (c instanceof IceSdpError || info.candidates.length >= MAX_CANDIDATES) info.invalidCandidates++;
        else info.candidates.push(c);
        break;
      }
    }
  }
  return info;
}

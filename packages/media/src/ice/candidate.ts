/** ICE candidates: priorities (RFC 8445 §5.1.2) and the `a=candidate` grammar (RFC 8839 §5.1). */
import { ipToBytes, type TransportAddress } from './address.js';

/** Candidate types (RFC 8445 §5.1.1) — other tokens parse as strings. */
export type IceCandidateType = 'host' | 'srflx' | 'prflx' | 'relay';

/** One ICE candidate as carried in SDP. */
export interface IceCandidate {
  /** 1–32 ice-chars; the same for candidates of the same type, base IP and transport (§5.1.1.3). */
  foundation: string;
  /** Component id, 1..256 (1 = RTP; with rtcp-mux the only one). */
  component: number;
  /** Transport as written (`UDP`, `TCP`, …), compared case-insensitively. */
  transport: string;
  /** 1..2^31−1 (§5.1.2). */
  priority: number;
  /** Connection address: an IP literal or (from browsers that hide local IPs) an mDNS `.local` name. */
  address: string;
  /** UDP/TCP port. */
  port: number;
  /** `typ` value: host, srflx, prflx, relay (or another token). */
  type: IceCandidateType | (string & {});
  /** `raddr`: the related address (the base of a reflexive or relayed candidate). */
  relatedAddress?: string;
  /** `rport`: the related port. */
  relatedPort?: number;
  /** Further name/value pairs (`generation 0`, `tcptype passive`, `network-id 1`, …), kept in order. */
  extensions?: [string, string][];
}

/** Type preferences recommended by RFC 8445 §5.1.2.2. */
export const ICE_TYPE_PREFERENCE: Readonly<Record<IceCandidateType, number>> = {
  host: 126,
  prflx: 110,
  srflx: 100,
  relay: 0,
};

/** Candidate priority (RFC 8445 §5.1.2.1): 2^24·type-pref + 2^8·local-pref + (256 − component). */
export function candidatePriority(typePreference: number, localPreference: number, component: number): number {
  return typePreference * 0x1000000 + localPreference * 0x100 + (256 - component);
}

/**
 * Host candidates for the bound addresses (RFC 8445 §5.1.1.1), one per address, with local preferences decreasing
 * from 65535 in the order given (§5.1.2.1: list the preferred address first) and one foundation per base IP
 * (§5.1.1.3).
 */
export function hostCandidates(addresses: readonly TransportAddress[], component = 1): IceCandidate[] {
  const foundations = new Map<string, string>();
  return addresses.map((a, i) => {
    let f = foundations.get(a.address);
    if (f === undefined) foundations.set(a.address, (f = String(foundations.size + 1)));
    return {
      foundation: f,
      component,
      transport: 'UDP',
      priority: candidatePriority(ICE_TYPE_PREFERENCE.host, 65535 - i, component),
      address: a.address,
      port: a.port,
      type: 'host',
    };
  });
}

/** Why an `a=candidate` value was rejected. */
export class IceSdpError extends Error {
  override readonly name = 'IceSdpError';
}

const ICE_CHARS = /^[A-Za-z0-9+/]+$/;
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;
const MAX_CANDIDATE_LENGTH = 1024;
const MAX_EXTENSIONS = 32;

function parsePort(s: string | undefined): number | undefined {
  if (s === undefined || !/^\d{1,5}$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 65535 ? n : undefined;
}

/**
 * Parses an `a=candidate` attribute (RFC 8839 §5.1). Accepts the value with or without `a=` and `candidate:`
 * prefixes (browsers' `RTCIceCandidate.candidate` is `candidate:…`). Returns the candidate or an {@link IceSdpError}.
 */
export function tryParseIceCandidate(text: string): IceCandidate | IceSdpError {
  let s = text.trim();
  if (s.length > MAX_CANDIDATE_LENGTH) return new IceSdpError('candidate line too long');
  if (s.startsWith('a=')) s = s.slice(2);
  if (s.startsWith('candidate:')) s = s.slice(10);
  const f = s.split(/ +/);
  if (f.length < 8) return new IceSdpError(`candidate has ${f.length} fields, needs at least 8`);
  const [foundation, comp, transport, prio, address, portText, typ, type] = f as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (foundation.length > 32 || !ICE_CHARS.test(foundation)) return new IceSdpError(`bad foundation "${foundation}"`);
  if (!/^\d{1,3}$/.test(comp) || Number(comp) < 1 || Number(comp) > 256)
    return new IceSdpError(`bad component id "${comp}"`);
  if (!TOKEN.test(transport)) return new IceSdpError(`bad transport "${transport}"`);
  if (!/^\d{1,10}$/.test(prio) || Number(prio) < 1 || Number(prio) > 0x7fffffff)
    return new IceSdpError(`bad priority "${prio}"`);
  if (!(ipToBytes(address) || /^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/.test(address)))
    return new IceSdpError(`bad connection address "${address}"`);
  const port = parsePort(portText);
  if (port === undefined) return new IceSdpError(`bad port "${portText}"`);
  if (typ !== 'typ' || !TOKEN.test(type)) return new IceSdpError('missing "typ <candidate-type>"');
  const c: IceCandidate = {
    foundation,
    component: Number(comp),
    transport,
    priority: Number(prio),
    address,
    port,
    type,
  };
  let i = 8;
  if (f[i] === 'raddr') {
    const ra = f[i + 1];
    if (ra === undefined) return new IceSdpError('raddr without an address');
    c.relatedAddress = ra;
    i += 2;
  }
  if (f[i] === 'rport') {
    const rp = parsePort(f[i + 1]);
    if (rp === undefined) return new IceSdpError('bad rport');
    c.relatedPort = rp;
    i += 2;
  }
  const ext: [string, string][] = [];
  for (; i < f.length; i += 2) {
    const name = f[i]!;
    const value = f[i + 1];
    if (value === undefined) return new IceSdpError(`extension "${name}" without a value`);
    if (ext.length >= MAX_EXTENSIONS) return new IceSdpError('too many candidate extensions');
    ext.push([name, value]);
  }
  if (ext.length > 0) c.extensions = ext;
  return c;
}

/** Like {@link tryParseIceCandidate} but throws the {@link IceSdpError}. */
export function parseIceCandidate(text: string): IceCandidate {
  const r = tryParseIceCandidate(text);
  if (r instanceof IceSdpError) throw r;
  return r;
}

/** Formats a candidate as its attribute value, `candidate:1 1 UDP 2130706431 192.0.2.1 5000 typ host`. */
export function formatIceCandidate(c: IceCandidate): string {
  let s = `candidate:${c.foundation} ${c.component} ${c.transport} ${c.priority} ${c.address} ${c.port} typ ${c.type}`;
  if (c.relatedAddress !== undefined) s += ` raddr ${c.relatedAddress}`;
  if (c.relatedPort !== undefined) s += ` rport ${c.relatedPort}`;
  for (const [k, v] of c.extensions ?? []) s += ` ${k} ${v}`;
  return s;
}

import { parseSdesCrypto } from '@mdh/srtp';
import { type MediaAttributes, type MediaDescription, type SessionDescription, write } from 'sdp-transform';
import { parseSdp, SdpNegotiationError } from './parse.js';
import {
  addWebRtcAttributes,
  bundledMid,
  remoteIceOf,
  type SdpIceLocal,
  type SdpIceRemote,
  WEBRTC_PROFILE,
} from './webrtc.js';

/**
 * SDP offer/answer (RFC 3264) for one audio stream, on `sdp-transform`: PCMU/PCMA and
 * telephone-event (RFC 4733) over RTP/AVP, RTP/SAVP with `a=crypto` (SDES, RFC 4568), or
 * UDP/TLS/RTP/SAVP with `a=fingerprint`/`a=setup` (DTLS-SRTP, RFC 5763/5764), with rtcp-mux (RFC 5761).
 */

export { parseSdp, SdpNegotiationError } from './parse.js';

/** How the media is protected. */
export type SrtpMode = 'none' | 'sdes' | 'dtls';

/**
 * Audio codecs this stack encodes: G.711 (RFC 3551 static payload types) and Opus (RFC 7587, dynamic payload type
 * 111 in our offers; only when asked for in {@link LocalMedia.codecs}, as it needs the opusscript package).
 */
export type AudioCodec = 'PCMU' | 'PCMA' | 'opus';

/** Media direction attribute (RFC 3264 §5.1). */
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** An `a=crypto` line (RFC 4568 §9.1). */
export interface SdpCrypto {
  tag: number;
  suite: string;
  /** `inline:<base64 key||salt>[|lifetime][|MKI:len]`. */
  keyParams: string;
  sessionParams?: string;
}

/** An `a=fingerprint` (RFC 8122 §5). */
export interface SdpFingerprint {
  /** Hash function name as in the SDP, e.g. `sha-256`. */
  hash: string;
  /** Upper-case colon-separated hex. */
  value: string;
}

/** DTLS role attribute (RFC 4145 §4, RFC 5763 §5). */
export type SdpSetup = 'actpass' | 'active' | 'passive' | 'holdconn';

/** Our side of the media description. */
export interface LocalMedia {
  /** Address put in `c=` (IPv4 or IPv6). */
  address: string;
  /** RTP port (with rtcp-mux, RTCP too). */
  port: number;
  srtp: SrtpMode;
  /** Codecs in preference order (default PCMU, PCMA). */
  codecs?: AudioCodec[];
  /** Offer/accept telephone-event (default true, payload type 101). */
  telephoneEvent?: boolean;
  direction?: MediaDirection;
  /** Offer rtcp-mux (default true). */
  rtcpMux?: boolean;
  /** Our `a=crypto` lines (SDES), one per suite offered; in an answer only the chosen one is used. */
  crypto?: SdpCrypto[];
  /** Our certificate's fingerprint (DTLS). */
  fingerprint?: SdpFingerprint;
  /** Our `a=setup` (DTLS); default actpass in an offer, active in an answer. */
  setup?: SdpSetup;
  /** Packetization time in ms (default 20). */
  ptime?: number;
  /**
   * Our ICE side (an ICE-lite agent's credentials and host candidates, RFC 8839). Written in offers, and in answers
   * to offers that carry ICE.
   */
  ice?: SdpIceLocal;
  /** Offer WebRTC-shaped SDP (with `srtp: 'dtls'`): `UDP/TLS/RTP/SAVPF`, `a=group:BUNDLE 0`, `a=mid:0`. */
  webrtc?: boolean;
}

/** What both sides agreed on, as the media session needs it. */
export interface NegotiatedMedia {
  /** Where to send RTP. */
  remoteAddress: string;
  remotePort: number;
  /** Where to send RTCP (equal to remotePort with rtcp-mux). */
  remoteRtcpPort: number;
  rtcpMux: boolean;
  codec: AudioCodec;
  payloadType: number;
  clockRate: number;
  /** telephone-event payload type, when both sides support it. */
  telephoneEventPt?: number;
  /** The transport protocol of the m-line. */
  profile: string;
  srtp: SrtpMode;
  /** SDES: our crypto line and the peer's (same tag and suite). */
  localCrypto?: SdpCrypto;
  remoteCrypto?: SdpCrypto;
  /** DTLS: the peer's fingerprint and our resulting role. */
  remoteFingerprint?: SdpFingerprint;
  dtlsRole?: 'client' | 'server';
  /** Our direction after negotiation. */
  direction: MediaDirection;
  /** The peer put the stream on hold (sendonly/inactive, or c=0.0.0.0 RFC 2543 style). */
  held: boolean;
  ptime: number;
  /** The peer's ICE credentials and candidates, when its SDP had them (RFC 8839 §5.4). */
  remoteIce?: SdpIceRemote;
  /** The BUNDLE `a=mid` of the stream (RFC 8843), when the offer bundled it. */
  mid?: string;
}

const STATIC: Record<AudioCodec, number> = { PCMU: 0, PCMA: 8, opus: 111 };
/** RTP clock rates (RFC 3551 §4.5.14; RFC 7587 §4.1: Opus is always 48000, and `/2` in its rtpmap). */
const RATE: Record<AudioCodec, number> = { PCMU: 8000, PCMA: 8000, opus: 48000 };

/** The codec of an offered/answered payload type, when it is one we encode (name and clock rate must match). */
function ourCodec(c: { name: string; rate: number }): AudioCodec | undefined {
  if (c.name === 'PCMU' && c.rate === 8000) return 'PCMU';
  if (c.name === 'PCMA' && c.rate === 8000) return 'PCMA';
  if (c.name === 'OPUS' && c.rate === 48000) return 'opus';
  return undefined;
}
const TE_PT = 101;

function profileFor(m: SrtpMode): string {
  return m === 'none' ? 'RTP/AVP' : m === 'sdes' ? 'RTP/SAVP' : 'UDP/TLS/RTP/SAVP';
}

function modeOfProfile(p: string): SrtpMode | undefined {
  const u = p.toUpperCase();
  if (u === 'RTP/AVP' || u === 'RTP/AVPF') return 'none';
  if (u === 'RTP/SAVP' || u === 'RTP/SAVPF') return 'sdes';
  if (u === 'UDP/TLS/RTP/SAVP' || u === 'UDP/TLS/RTP/SAVPF') return 'dtls';
  return undefined;
}

function invert(d: MediaDirection): MediaDirection {
  return d === 'sendonly' ? 'recvonly' : d === 'recvonly' ? 'sendonly' : d;
}

function intersect(a: MediaDirection, b: MediaDirection): MediaDirection {
  const send = a !== 'recvonly' && a !== 'inactive' && b !== 'recvonly' && b !== 'inactive';
  const recv = a !== 'sendonly' && a !== 'inactive' && b !== 'sendonly' && b !== 'inactive';
  return send && recv ? 'sendrecv' : send ? 'sendonly' : recv ? 'recvonly' : 'inactive';
}

/** Session-level fields for an SDP we write. */
export interface SdpSessionInfo {
  /** o= session id (numeric string). */
  sessionId: string;
  /** o= version; increment on each re-offer (RFC 3264 §8). */
  version: number;
  /** o= username (default "mdh"). */
  username?: string;
}

function ipVer(a: string): number {
  return a.includes(':') ? 6 : 4;
}

function audioSection(
  local: LocalMedia,
  codecs: { codec: AudioCodec; pt: number }[],
  te: number | undefined,
  dir: MediaDirection,
  setup: SdpSetup | undefined,
  crypto: SdpCrypto[] | undefined,
  mux: boolean,
): MediaDescription {
  const rtp: MediaAttributes['rtp'] = codecs.map((c) => ({
    payload: c.pt,
    codec: c.codec,
    rate: RATE[c.codec],
    ...(c.codec === 'opus' ? { encoding: 2 } : {}),
  }));
  const fmtp: MediaAttributes['fmtp'] = [];
  const pts = codecs.map((c) => c.pt);
  if (te !== undefined) {
    // RFC 4733 §2.1: telephone-event at the clock rate of the first (used) audio codec
    rtp.push({ payload: te, codec: 'telephone-event', rate: codecs[0] ? RATE[codecs[0].codec] : 8000 });
    fmtp.push({ payload: te, config: '0-16' });
    pts.push(te);
  }
  const m: MediaDescription = {
    type: 'audio',
    port: local.port,
    protocol: local.webrtc && local.srtp === 'dtls' ? WEBRTC_PROFILE : profileFor(local.srtp),
    payloads: pts.join(' '),
    rtp,
    fmtp,
    ptime: local.ptime ?? 20,
    direction: dir,
  };
  if (mux) m.rtcpMux = 'rtcp-mux';
  if (crypto?.length)
    m.crypto = crypto.map((c) => ({
      id: c.tag,
      suite: c.suite,
      config: c.keyParams,
      ...(c.sessionParams ? { sessionConfig: c.sessionParams } : {}),
    }));
  if (local.srtp === 'dtls') {
    if (!local.fingerprint) throw new TypeError('DTLS-SRTP needs local.fingerprint');
    m.fingerprint = { type: local.fingerprint.hash, hash: local.fingerprint.value };
    if (setup) m.setup = setup;
  }
  return m;
}

function session(
  local: LocalMedia,
  info: SdpSessionInfo,
  media: MediaDescription[],
  webrtc?: { m: MediaDescription; ice: SdpIceLocal | undefined; mid: string | undefined },
): string {
  const s: SessionDescription = {
    version: 0,
    origin: {
      username: info.username ?? 'mdh',
      sessionId: info.sessionId,
      sessionVersion: info.version,
      netType: 'IN',
      ipVer: ipVer(local.address),
      address: local.address,
    },
    name: 'mdh',
    connection: { version: ipVer(local.address), ip: local.address },
    timing: { start: 0, stop: 0 },
    media,
  };
  if (webrtc) addWebRtcAttributes(s, webrtc.m, webrtc.ice, webrtc.mid);
  return write(s);
}

/**
 * Writes an offer for one audio stream (RFC 3264 §5).
 *
 * ```ts
 * const sdp = createSdpOffer({ address: '127.0.0.1', port: 40000, srtp: 'none' }, { sessionId: '1', version: 1 });
 * ```
 */
export function createSdpOffer(local: LocalMedia, info: SdpSessionInfo): string {
  const codecs = (local.codecs ?? ['PCMU', 'PCMA']).map((c) => ({ codec: c, pt: STATIC[c] }));
  if (local.srtp === 'sdes' && !local.crypto?.length) throw new TypeError('SDES-SRTP needs local.crypto lines');
  const m = audioSection(
    local,
    codecs,
    local.telephoneEvent === false ? undefined : TE_PT,
    local.direction ?? 'sendrecv',
    local.srtp === 'dtls' ? (local.setup ?? 'actpass') : undefined,
    local.srtp === 'sdes' ? local.crypto : undefined,
    local.rtcpMux !== false,
  );
  const web = local.webrtc && local.srtp === 'dtls';
  return session(local, info, [m], web || local.ice ? { m, ice: local.ice, mid: web ? '0' : undefined } : undefined);
}

function codecsOf(m: MediaDescription): { pt: number; name: string; rate: number }[] {
  const pts = String(m.payloads ?? '')
    .split(/\s+/)
    .filter((x) => x !== '')
    .map(Number);
  return pts.map((pt) => {
    const r = m.rtp.find((x) => x.payload === pt);
    if (r) return { pt, name: r.codec.toUpperCase(), rate: r.rate ?? 8000 };
    // RFC 3551 static types without rtpmap.
    return { pt, name: pt === 0 ? 'PCMU' : pt === 8 ? 'PCMA' : `PT${pt}`, rate: 8000 };
  });
}

function remoteEndpoint(s: SessionDescription, m: MediaDescription): { address: string; held: boolean } {
  const c = m.connection ?? s.connection;
  if (!c) throw new SdpNegotiationError('no c= line');
  // RFC 8839 §4.2.1.2: with ICE, 0.0.0.0 is "no default candidate yet", not hold
  return { address: c.ip, held: c.ip === '0.0.0.0' && remoteIceOf(s, m) === undefined };
}

/**
 * The negotiated parameters common to both sides of an exchange (RFC 3264 §6.1, §7): the remote endpoint and
 * RTCP port (RFC 3605, RFC 5761 mux), the chosen codec, and our direction against the remote one.
 */
function negotiated(
  s: SessionDescription,
  m: MediaDescription,
  local: LocalMedia,
  first: { pt: number; name: string; rate: number },
  mode: NegotiatedMedia['srtp'],
): NegotiatedMedia {
  const ep = remoteEndpoint(s, m);
  const rdir = remoteDirection(s, m);
  const mux = m.rtcpMux !== undefined && local.rtcpMux !== false;
  const remoteIce = remoteIceOf(s, m);
  const mid = bundledMid(s, m);
  return {
    ...(remoteIce ? { remoteIce } : {}),
    ...(mid !== undefined ? { mid } : {}),
    remoteAddress: ep.address,
    remotePort: m.port,
    remoteRtcpPort: mux ? m.port : (m.rtcp?.port ?? m.port + 1),
    rtcpMux: mux,
    codec: ourCodec(first)!,
    payloadType: first.pt,
    clockRate: first.rate,
    profile: m.protocol,
    srtp: mode,
    direction: intersect(local.direction ?? 'sendrecv', invert(ep.held ? 'inactive' : rdir)),
    held: ep.held || rdir === 'sendonly' || rdir === 'inactive',
    ptime: m.ptime ?? 20,
  };
}

function remoteDirection(s: SessionDescription, m: MediaDescription): MediaDirection {
  return (m.direction ?? s.direction ?? 'sendrecv') as MediaDirection;
}

function fingerprintOf(s: SessionDescription, m: MediaDescription): SdpFingerprint | undefined {
  const f = m.fingerprint ?? s.fingerprint;
  return f ? { hash: f.type.toLowerCase(), value: f.hash.toUpperCase() } : undefined;
}

/** The result of {@link answerSdpOffer}. */
export interface SdpAnswer {
  /** The answer SDP to send. */
  sdp: string;
  /** The negotiated audio stream. */
  media: NegotiatedMedia;
}

/**
 * Answers an offer (RFC 3264 §6): picks the first audio stream whose profile matches `local.srtp`
 * (SDES: the first offered suite present in `local.crypto`, by suite name), keeps the offer's codec order
 * among ours, inverts the direction, rejects other streams with port 0. Throws SdpNegotiationError (→ 488).
 */
export function answerSdpOffer(offer: string, local: LocalMedia, info: SdpSessionInfo): SdpAnswer {
  return negotiationOnly(() => answerOffer(offer, local, info));
}

/**
 * Runs a negotiation step on remote SDP: whatever the remote SDP makes fail is an SdpNegotiationError
 * (→ 488), never another exception (defence in depth behind {@link parseSdp}'s normalisation).
 */
function negotiationOnly<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof SdpNegotiationError) throw e;
    throw new SdpNegotiationError(`unusable SDP: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function answerOffer(offer: string, local: LocalMedia, info: SdpSessionInfo): SdpAnswer {
  const s = parseSdp(offer);
  const ours = local.codecs ?? ['PCMU', 'PCMA'];
  let chosen: number | undefined;
  let neg: NegotiatedMedia | undefined;
  let chosenCodecs: { codec: AudioCodec; pt: number }[] = [];
  let te: number | undefined;
  let localCrypto: SdpCrypto | undefined;
  let why = 'no audio stream';
  s.media.forEach((m, i) => {
    if (chosen !== undefined || m.type !== 'audio' || m.port === 0) return;
    const mode = modeOfProfile(m.protocol);
    if (mode !== local.srtp) {
      why = `profile ${m.protocol} does not match srtp=${local.srtp}`;
      return;
    }
    const offered = codecsOf(m);
    const common = offered.filter((c) => {
      const k = ourCodec(c);
      return k !== undefined && ours.includes(k);
    });
    if (!common.length) {
      why = 'no common codec';
      return;
    }
    let remoteCrypto: SdpCrypto | undefined;
    if (mode === 'sdes') {
      for (const c of m.crypto ?? []) {
        const mine = local.crypto?.find((x) => x.suite === c.suite);
        if (mine && sdesUsable(c)) {
          remoteCrypto = { tag: c.id, suite: c.suite, keyParams: c.config };
          localCrypto = { ...mine, tag: c.id };
          break;
        }
      }
      if (!remoteCrypto) {
        why = 'no acceptable a=crypto suite';
        return;
      }
    }
    let remoteFingerprint: SdpFingerprint | undefined;
    let dtlsRole: 'client' | 'server' | undefined;
    if (mode === 'dtls') {
      remoteFingerprint = fingerprintOf(s, m);
      if (!remoteFingerprint) {
        why = 'DTLS-SRTP offer without a=fingerprint';
        return;
      }
      const rs = (m.setup ?? s.setup ?? 'actpass').toLowerCase();
      // RFC 5763 §5: the answerer to actpass SHOULD be active (DTLS client).
      dtlsRole = rs === 'active' ? 'server' : 'client';
    }
    const te0 = offered.find((c) => c.name === 'TELEPHONE-EVENT' && c.rate === common[0]!.rate);
    if (te0 && local.telephoneEvent !== false) te = te0.pt;
    chosen = i;
    // the chosen codec, and the others of the same clock rate (one telephone-event rate fits them all)
    chosenCodecs = common.filter((c) => c.rate === common[0]!.rate).map((c) => ({ codec: ourCodec(c)!, pt: c.pt }));
    neg = negotiated(s, m, local, common[0]!, mode);
    if (te !== undefined) neg.telephoneEventPt = te;
    if (remoteCrypto && localCrypto) {
      neg.remoteCrypto = remoteCrypto;
      neg.localCrypto = localCrypto;
    }
    if (remoteFingerprint && dtlsRole) {
      neg.remoteFingerprint = remoteFingerprint;
      neg.dtlsRole = dtlsRole;
    }
  });
  if (chosen === undefined || !neg) throw new SdpNegotiationError(why);
  const n: NegotiatedMedia = neg;
  const sections = s.media.map((m, i) => {
    if (i !== chosen) {
      // RFC 3264 §6: a rejected stream keeps its m-line with port 0.
      return {
        type: m.type,
        port: 0,
        protocol: m.protocol,
        payloads: m.payloads ?? '0',
        rtp: [],
        fmtp: [],
      } as MediaDescription;
    }
    // WebRTC (RFC 8829 §5.3.1): the answer keeps the offered UDP/TLS/RTP/SAVPF profile
    const localForAnswer: LocalMedia = { ...local, srtp: n.srtp, webrtc: n.profile.toUpperCase() === WEBRTC_PROFILE };
    return audioSection(
      localForAnswer,
      chosenCodecs,
      te,
      n.direction,
      n.srtp === 'dtls' ? (n.dtlsRole === 'client' ? 'active' : 'passive') : undefined,
      localCrypto ? [localCrypto] : undefined,
      n.rtcpMux,
    );
  });
  const web =
    n.remoteIce !== undefined || n.mid !== undefined
      ? { m: sections[chosen]!, ice: n.remoteIce ? local.ice : undefined, mid: n.mid }
      : undefined;
  return { sdp: session(local, info, sections, web), media: n };
}

/**
 * Reads the answer to our offer (RFC 3264 §7). `local` is what we offered. Throws SdpNegotiationError when
 * the answer rejects the stream or picks something we did not offer.
 */
export function readSdpAnswer(answer: string, local: LocalMedia): NegotiatedMedia {
  return negotiationOnly(() => readAnswer(answer, local));
}

function readAnswer(answer: string, local: LocalMedia): NegotiatedMedia {
  const s = parseSdp(answer);
  const m = s.media.find((x) => x.type === 'audio');
  if (!m || m.port === 0) throw new SdpNegotiationError('audio stream rejected');
  const mode = modeOfProfile(m.protocol);
  if (mode !== local.srtp) throw new SdpNegotiationError(`answer profile ${m.protocol} is not the one offered`);
  const ours = local.codecs ?? ['PCMU', 'PCMA'];
  const codecs = codecsOf(m);
  const first = codecs.find((c) => {
    const k = ourCodec(c);
    return k !== undefined && ours.includes(k);
  });
  if (!first) throw new SdpNegotiationError('answer has no codec we offered');
  const n = negotiated(s, m, local, first, mode);
  const te = codecs.find((c) => c.name === 'TELEPHONE-EVENT' && c.rate === first.rate);
  if (te && local.telephoneEvent !== false) n.telephoneEventPt = te.pt;
  if (mode === 'sdes') {
    const rc = (m.crypto ?? [])[0];
    const lc = rc ? local.crypto?.find((c) => c.tag === rc.id && c.suite === rc.suite) : undefined;
    if (!rc || !lc) throw new SdpNegotiationError('answer a=crypto does not match an offered tag/suite');
    n.remoteCrypto = { tag: rc.id, suite: rc.suite, keyParams: rc.config };
    n.localCrypto = lc;
  }
  if (mode === 'dtls') {
    const fp = fingerprintOf(s, m);
    if (!fp) throw new SdpNegotiationError('answer without a=fingerprint');
    n.remoteFingerprint = fp;
    const rs = (m.setup ?? s.setup ?? 'active').toLowerCase();
    // We offered actpass: an active answerer makes us the DTLS server (RFC 5763 §5).
    n.dtlsRole = rs === 'passive' ? 'client' : 'server';
  }
  return n;
}

/** The direction seen from the other side (RFC 3264 §6.1: sendonly ↔ recvonly). */
/** The direction both sides allow (RFC 3264 §6.1). */
export { intersect as intersectDirections, invert as invertDirection };

/**
 * True when @mdh/srtp, which owns SDES (RFC 4568 §9.2), parses the offered `a=crypto` line: an offer whose key is
 * malformed for its suite is skipped (the next acceptable line is tried), never accepted and failed later.
 */
function sdesUsable(c: { id: number; suite: string; config: string; sessionConfig?: string }): boolean {
  try {
    parseSdesCrypto(`crypto:${c.id} ${c.suite} ${c.config}${c.sessionConfig ? ` ${c.sessionConfig}` : ''}`);
    return true;
  } catch {
    return false;
  }
}

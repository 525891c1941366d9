/**
 * Reading SDP for offer/answer (RFC 3264, RFC 8866): parsing with `sdp-transform`, then normalising what it
 * returns to the shapes the offer/answer code reads, and the error that answers an unusable SDP with 488.
 */
import { parse, type SessionDescription } from 'sdp-transform';

/** Offer/answer failure: the SDP cannot be accepted (answer 488 Not Acceptable Here). */
export class SdpNegotiationError extends Error {
  /** The SIP status to answer with. */
  readonly status = 488;
  constructor(message: string) {
    super(message);
    this.name = 'SdpNegotiationError';
  }
}

/**
 * Parses an SDP string (sdp-transform), throwing SdpNegotiationError when it has no usable shape. The result
 * is normalised to the types the offer/answer code reads (sdp-transform turns any numeric-looking token into
 * a number, e.g. `a=setup:1` or `a=fingerprint:sha-256 12`, and leaves fields of lines its grammar did not
 * match undefined): strings where strings are expected, integers in range where numbers are; a field that
 * cannot be one is an SdpNegotiationError (→ 488), never a TypeError.
 */
export function parseSdp(sdp: string): SessionDescription {
  if (typeof sdp !== 'string') throw new SdpNegotiationError('SDP is not text');
  if (sdp.length > 65536) throw new SdpNegotiationError('SDP too large');
  let s: SessionDescription;
  try {
    s = parse(sdp);
  } catch (e) {
    throw new SdpNegotiationError(`unparsable SDP: ${(e as Error).message}`);
  }
  if (!Array.isArray(s.media)) throw new SdpNegotiationError('SDP without media');
  normalise(s);
  return s;
}

/** A token as text: numbers (sdp-transform's reading of digits) back to strings; anything else undefined. */
function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

function int(v: unknown, lo: number, hi: number): number | undefined {
  const n = typeof v === 'string' && /^\d{1,10}$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= lo && n <= hi ? n : undefined;
}

function bad(what: string): never {
  throw new SdpNegotiationError(`malformed SDP: ${what}`);
}

type Loose = Record<string, unknown>;

/** Normalises the shared attributes of the session or one media section (see {@link parseSdp}). */
function normaliseAttrs(a: Loose, where: string): void {
  if (a.connection !== undefined) {
    const c = a.connection as Loose;
    const ip = text(c?.ip);
    if (ip === undefined || ip === '') bad(`${where} c= line`);
    c.ip = ip;
  }
  if (a.fingerprint !== undefined) {
    const f = a.fingerprint as Loose;
    const type = text(f?.type);
    const hash = text(f?.hash);
    if (type === undefined || hash === undefined) bad(`${where} a=fingerprint`);
    f.type = type;
    f.hash = hash;
  }
  for (const k of ['setup', 'direction'] as const) {
    if (a[k] === undefined) continue;
    const v = text(a[k]);
    if (v === undefined) bad(`${where} a=${k}`);
    a[k] = v;
  }
  if (a.direction !== undefined && !['sendrecv', 'sendonly', 'recvonly', 'inactive'].includes(a.direction as string))
    delete a.direction;
}

function normalise(s: SessionDescription): void {
  normaliseAttrs(s as unknown as Loose, 'session');
  s.media.forEach((mm, i) => {
    const m = mm as unknown as Loose;
    const where = `m-line ${i + 1}`;
    if (typeof m !== 'object' || m === null) bad(where);
    const type = text(m.type);
    const port = int(m.port, 0, 65535);
    const protocol = text(m.protocol);
    if (type === undefined || port === undefined || protocol === undefined || protocol === '') bad(where);
    m.type = type;
    m.port = port;
    m.protocol = protocol;
    m.payloads = text(m.payloads) ?? '';
    normaliseAttrs(m, where);
    const rtp: Loose[] = [];
    for (const r of Array.isArray(m.rtp) ? (m.rtp as Loose[]) : []) {
      const payload = int(r?.payload, 0, 127);
      const codec = text(r?.codec);
      const rate = r?.rate === undefined ? undefined : int(r.rate, 1, 1_000_000);
      if (payload === undefined || codec === undefined || (r.rate !== undefined && rate === undefined))
        bad(`${where} a=rtpmap`);
      rtp.push({ ...r, payload, codec, ...(rate !== undefined ? { rate } : {}) });
    }
    m.rtp = rtp;
    m.fmtp = Array.isArray(m.fmtp) ? m.fmtp : [];
    if (m.crypto !== undefined) {
      const list: Loose[] = [];
      for (const c of Array.isArray(m.crypto) ? (m.crypto as Loose[]) : []) {
        const id = int(c?.id, 0, 999_999_999);
        const suite = text(c?.suite);
        const config = text(c?.config);
        if (id === undefined || suite === undefined || config === undefined) bad(`${where} a=crypto`);
        list.push({ ...c, id, suite, config });
      }
      m.crypto = list;
    }
    if (m.rtcp !== undefined) {
      const port = int((m.rtcp as Loose)?.port, 0, 65535);
      if (port === undefined) bad(`${where} a=rtcp`);
      (m.rtcp as Loose).port = port;
    }
    if (m.ptime !== undefined) {
      const p = int(m.ptime, 1, 10_000);
      if (p === undefined) delete m.ptime;
      else m.ptime = p;
    }
  });
}

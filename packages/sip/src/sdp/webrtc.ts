/**
 * WebRTC-shaped SDP (RFC 8829 JSEP, RFC 8843 BUNDLE, RFC 8839 ICE): what a browser offers and accepts for one audio
 * stream — `UDP/TLS/RTP/SAVPF`, `a=group:BUNDLE` with `a=mid`, `a=rtcp-mux`, ICE credentials and candidates.
 * `a=rtcp-fb`, `a=extmap`, `a=ssrc`, `a=msid` and codecs we do not have (Opus, …) are accepted and ignored.
 */
import type { MediaDescription, SessionDescription } from 'sdp-transform';

/** Our ICE side for the SDP (an ICE-lite agent's credentials and host candidates). */
export interface SdpIceLocal {
  /** `a=ice-ufrag` (RFC 8839 §5.4). */
  ufrag: string;
  /** `a=ice-pwd`. */
  pwd: string;
  /** Write `a=ice-lite` at session level (RFC 8839 §5.3). */
  lite?: boolean;
  /** `a=candidate` values (without `a=`), e.g. `candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host`. */
  candidates: string[];
}

/** The peer's ICE side read from its SDP. */
export interface SdpIceRemote {
  /** `a=ice-ufrag`. */
  ufrag: string;
  /** `a=ice-pwd`. */
  pwd: string;
  /** The peer is a lite agent. */
  lite: boolean;
  /** `a=candidate` lines of the media section (with `a=`). */
  candidates: string[];
}

/** The WebRTC media profile (RFC 5764 §8 with RFC 5124 feedback). */
export const WEBRTC_PROFILE = 'UDP/TLS/RTP/SAVPF';

/** Adds our ICE attributes and BUNDLE mid to a media section and the session (RFC 8843 §7, RFC 8839 §5). */
export function addWebRtcAttributes(
  s: SessionDescription,
  m: MediaDescription,
  ice: SdpIceLocal | undefined,
  mid: string | undefined,
): void {
  if (mid !== undefined) {
    m.mid = mid;
    s.groups = [{ type: 'BUNDLE', mids: mid }];
    (s as unknown as { msidSemantic?: unknown }).msidSemantic = undefined;
  }
  if (!ice) return;
  if (ice.lite) s.icelite = 'ice-lite';
  m.iceUfrag = ice.ufrag;
  m.icePwd = ice.pwd;
  m.candidates = ice.candidates.map((c) => {
    const t = c
      .replace(/^a=/, '')
      .replace(/^candidate:/, '')
      .split(/\s+/);
    return {
      foundation: t[0] ?? '1',
      component: Number(t[1] ?? 1),
      transport: t[2] ?? 'udp',
      priority: Number(t[3] ?? 0),
      ip: t[4] ?? '',
      port: Number(t[5] ?? 0),
      type: t[7] ?? 'host',
    };
  });
  m.endOfCandidates = 'end-of-candidates';
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

/** The peer's ICE attributes (media level, else session level, RFC 8839 §5.4), when it has both credentials. */
export function remoteIceOf(s: SessionDescription, m: MediaDescription): SdpIceRemote | undefined {
  const ufrag = text(m.iceUfrag) ?? text(s.iceUfrag);
  const pwd = text(m.icePwd) ?? text(s.icePwd);
  if (ufrag === undefined || pwd === undefined) return undefined;
  const candidates = (Array.isArray(m.candidates) ? m.candidates : [])
    .slice(0, 64)
    .map(
      (c) =>
        `a=candidate:${c.foundation} ${c.component} ${c.transport} ${c.priority} ${c.ip} ${c.port} typ ${c.type}` +
        (c.raddr !== undefined ? ` raddr ${c.raddr} rport ${c.rport}` : ''),
    );
  return { ufrag, pwd, lite: s.icelite !== undefined, candidates };
}

/** The `a=mid` of a media section that the offer bundles (RFC 8843 §7.2), if any. */
export function bundledMid(s: SessionDescription, m: MediaDescription): string | undefined {
  const mid = text(m.mid);
  if (mid === undefined) return undefined;
  const bundled = (s.groups ?? []).some((g) => g.type === 'BUNDLE' && String(g.mids).split(/\s+/).includes(mid));
  return bundled ? mid : undefined;
}

/**
 * Whether a `c=0.0.0.0` means hold (RFC 2543 style) or just "no default candidate yet" (RFC 8839 §4.2.1.2: an ICE
 * agent that has not gathered writes 0.0.0.0 / port 9).
 */
export function isIceDummyAddress(s: SessionDescription, m: MediaDescription): boolean {
  return remoteIceOf(s, m) !== undefined;
}

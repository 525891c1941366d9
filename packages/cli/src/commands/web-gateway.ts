/**
 * `mdh web`'s way to the pages: a call for a user whose page registered over WSS (e.g. `mdh call
 * sip:alice@127.0.0.1:8443` over UDP) is bridged to that page. mdh web is the page's registrar and, for the call, a
 * B2BUA that anchors the media: the caller's leg keeps its own SDP (plain RTP, SDES or DTLS-SRTP, as offered), the
 * page's leg gets WebRTC-shaped SDP (ICE-lite, DTLS-SRTP, BUNDLE, rtcp-mux), and the RTP is relayed between them
 * in the codec the caller chose (no transcoding). The INVITE to the page goes to its registered Contact over the
 * WSS connection it registered on (RFC 7118 §5), as do the dialog's BYE and re-INVITEs.
 */
import { type Bridge, bridge, type IncomingCall, parseUri, type UserAgent } from '@mdh/sip';

/** The registered page contact a call is for, or undefined when the call is not for a page. */
export function pageContact(ua: UserAgent, inv: IncomingCall): string | undefined {
  const reg = ua.registrar;
  if (!reg) return undefined;
  // a browser's own WebRTC offer is not bridged to another page (it would need ICE on the caller's leg too)
  if (inv.remoteSdp !== undefined && /^a=ice-ufrag:/m.test(inv.remoteSdp)) return undefined;
  let uri: ReturnType<typeof parseUri>;
  try {
    uri = parseUri(inv.request.uri);
  } catch {
    return undefined;
  }
  if (uri.kind !== 'sip' || uri.user === undefined) return undefined;
  // the highest-q binding, and of those the latest registered (a page reloaded or reopened registers a new contact
  // while the old one's binding lingers until it expires); only contacts registered over WebSocket are pages
  const pages = reg
    .lookup(uri)
    .map((b, i) => ({ b, i }))
    .filter(({ b }) => /;transport=wss?\b/i.test(b.contact))
    .sort((x, y) => (y.b.q ?? 1) - (x.b.q ?? 1) || y.i - x.i);
  return pages[0]?.b.contact;
}

/** Options of {@link servePages}. */
export interface PageGatewayOptions {
  /** Address the media ports bind to and advertise (default 127.0.0.1). */
  mediaHost?: string;
  /** How long the page may ring before the caller gets 408 (default 60 000 ms). */
  ringTimeoutMs?: number;
}

/** The gateway's running bridges. */
export interface PageGateway {
  /** Bridges set up so far (established or not). */
  readonly bridged: number;
  /** Bridges not yet done. */
  readonly active: ReadonlySet<Bridge>;
}

/** Bridges `ua`'s calls for registered pages to them (see the module comment). */
export function servePages(ua: UserAgent, o: PageGatewayOptions = {}): PageGateway {
  const active = new Set<Bridge>();
  const gw = { bridged: 0, active };
  ua.on('invite', (inv) => {
    const contact = pageContact(ua, inv);
    if (contact === undefined) return;
    gw.bridged++;
    const br = bridge(ua, inv, contact, {
      media: 'relay',
      srtpOut: 'dtls',
      webrtcOut: true,
      mediaHost: o.mediaHost ?? '127.0.0.1',
      timeoutMs: o.ringTimeoutMs ?? 60_000,
    });
    active.add(br);
    br.established.catch(() => {});
    void br.done.then(() => active.delete(br));
  });
  return gw;
}

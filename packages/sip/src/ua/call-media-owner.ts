/**
 * The one owner of the SDP → media wiring of a user agent's calls (issue #12 item 3). With the UA option `media`,
 * `ua.invite(target)` opens a media port and offers it (codecs, telephone-event, SDES keys or a DTLS fingerprint and
 * setup, rtcp-mux), the answer configures the call's `MediaSession`; an incoming call's `answer()` does the same
 * from the offer (or, for a late offer, offers in the 200 and reads the answer from the ACK). Re-INVITE/UPDATE
 * offers and answers either way set the direction (hold, RFC 3264 §8.4: no RTP while we may not send) and the
 * peer's address. The session closes (RTCP BYE) when the call ends; a media timeout ends the call
 * (`media-timeout`).
 */
import type { DtlsCertificate } from '@mdh/dtls';
import type { MediaChannel, StartMediaOptions } from '@mdh/media';
import { CallMedia, type CallMediaOptions } from '../media/call-media.js';
import {
  type AudioCodec,
  answerSdpOffer,
  createSdpOffer,
  type NegotiatedMedia,
  parseSdp,
  readSdpAnswer,
  SdpNegotiationError,
  type SrtpMode,
} from '../sdp/offer-answer.js';
import type { Call } from './call.js';
import { sdpDirection } from './hold.js';
import { SipCallError } from './targets.js';
import type { IncomingCall, InviteOptions, OutgoingInvite } from './user-agent.js';

/**
 * What a user agent's calls get as media (the UA option `media`, and per call `ua.invite(t, { media })` /
 * `inv.answer({ media })`). Every field has a default.
 */
export interface CallMediaSettings {
  /** Protection we offer in `invite` (default `none`): RTP/AVP, SDES `a=crypto` (RFC 4568) or DTLS-SRTP. */
  srtp?: SrtpMode;
  /** Protection we accept when answering (default `any`: what the offer uses); another one answers 488. */
  accept?: SrtpMode | 'any';
  /**
   * Address to bind the media port on and put in `c=` (default: the SIP transport's; for a wildcard transport the
   * UA's `advertisedAddress`, else loopback).
   */
  host?: string;
  /** Codecs in preference order (default PCMU, PCMA). */
  codecs?: AudioCodec[];
  /** Offer rtcp-mux (RFC 5761, default true). */
  rtcpMux?: boolean;
  /** DTLS identity (default: one self-signed ECDSA certificate per process). */
  certificate?: DtlsCertificate;
  /** Answer offers with ICE (browsers) as an ICE-lite agent (default true: whenever the offer has ICE). */
  ice?: boolean;
  /** ICE-lite: how long to wait for the first nominating check (default 30000 ms). */
  iceConnectTimeoutMs?: number;
  /** ICE consent freshness (RFC 7675 §5.1): no check for this long ends the call (default 30000 ms). */
  consentTimeoutMs?: number;
  /** Options of each call's `MediaSession` (e.g. `mediaTimeoutMs`, `decodeAudio: false` for a relay). */
  session?: Partial<StartMediaOptions>;
  /** Media port range (default: any free port pair); all in use fails the call with MediaError `no-port`. */
  portRange?: CallMediaOptions['portRange'];
  /** SDES suites to offer (default AES_CM_128_HMAC_SHA1_80 and _32). */
  sdesSuites?: readonly string[];
  /** DTLS-SRTP profiles to offer or accept (default: @mdh/media's). */
  dtlsProfiles?: readonly string[];
}

/** Options of `IncomingCall.answer` when the user agent opens the media itself. */
export interface AnswerOptions {
  /** This call's media settings over the UA's (`false`: answer without SDP, e.g. for a late offer of one's own). */
  media?: CallMediaSettings | false;
  /**
   * When the caller supports `100rel`, send the answer first in a reliable 183 (RFC 3262 §3 early media; the 200
   * follows the PRACK). Default false.
   */
  earlyMedia?: boolean;
  /**
   * Called with the call's media as soon as it runs, before the 200 goes out (a caller's first RTP or DTLS
   * ClientHello may follow it at once), e.g. to echo or record from the first packet.
   */
  onMedia?: (media: MediaChannel) => void;
}

/** Hooks into the user agent the owner needs. @internal */
export interface MediaOwnerHost {
  /** The SIP transport's local address (for the default media host). */
  localAddress(): string;
  /** The UA's advertised address, used when the transport is bound to a wildcard. */
  readonly advertisedAddress?: string | undefined;
  readonly loop: import('@mdh/loop').Loop;
}

/** The answer a call's media gives to a new offer (re-INVITE/UPDATE, RFC 3264 §8). */
type OfferHandler = (offer: string | undefined) => string | undefined;

/** @internal the media owner of one user agent. */
export class CallMediaOwner {
  private readonly host: MediaOwnerHost;
  private readonly base: CallMediaSettings;

  constructor(host: MediaOwnerHost, settings: CallMediaSettings) {
    this.host = host;
    this.base = settings;
  }

  private settings(extra: CallMediaSettings | undefined): CallMediaSettings {
    if (!extra) return this.base;
    return { ...this.base, ...extra, session: { ...this.base.session, ...extra.session } };
  }

  private mediaHost(s: CallMediaSettings): string {
    if (s.host) return s.host;
    const a = this.host.localAddress();
    if (a !== '0.0.0.0' && a !== '::') return a;
    return this.host.advertisedAddress ?? (a === '::' ? '::1' : '127.0.0.1');
  }

  /** Binds a media port and prepares our SDP side for `mode`. */
  open(s: CallMediaSettings, mode: SrtpMode, ice: boolean): Promise<CallMedia> {
    return CallMedia.open({
      loop: this.host.loop,
      srtp: mode,
      host: this.mediaHost(s),
      ...(s.codecs ? { codecs: s.codecs } : {}),
      ...(s.rtcpMux !== undefined ? { rtcpMux: s.rtcpMux } : {}),
      ...(s.certificate ? { certificate: s.certificate } : {}),
      ...(ice ? { ice: true } : {}),
      ...(ice && s.iceConnectTimeoutMs !== undefined ? { iceConnectTimeoutMs: s.iceConnectTimeoutMs } : {}),
      ...(ice && s.consentTimeoutMs !== undefined ? { consentTimeoutMs: s.consentTimeoutMs } : {}),
      ...(s.portRange ? { portRange: s.portRange } : {}),
      ...(s.sdesSuites ? { sdesSuites: s.sdesSuites } : {}),
      ...(s.dtlsProfiles ? { dtlsProfiles: s.dtlsProfiles } : {}),
    });
  }

  /** The offer of an outgoing call: binds the port, returns it with our SDP. */
  async offer(extra: CallMediaSettings | undefined): Promise<{ cm: CallMedia; sdp: string; s: CallMediaSettings }> {
    const s = this.settings(extra);
    const cm = await this.open(s, s.srtp ?? 'none', false);
    return { cm, sdp: createSdpOffer(cm.local, sessionInfo()), s };
  }

  /**
   * Places a call with our media: binds the port, offers it through `place` (the UA's own `invite` with the SDP),
   * and configures the media from the answer in the 2xx. `cancel()` before the INVITE went out stops it (487).
   */
  invite(place: (o: InviteOptions) => OutgoingInvite, opts: InviteOptions): OutgoingInvite {
    let inner: OutgoingInvite | undefined;
    let media: CallMedia | undefined;
    let cancelled = false;
    const result = (async (): Promise<Call> => {
      const { cm, sdp, s } = await this.offer(typeof opts.media === 'object' ? opts.media : undefined);
      media = cm;
      if (cancelled || opts.signal?.aborted) {
        await cm.close();
        throw new SipCallError(487, 'Request Terminated');
      }
      inner = place({ ...opts, sdp });
      let call: Call;
      try {
        call = await inner.result;
      } catch (e) {
        await cm.close();
        throw e;
      }
      if (cancelled) {
        // a 2xx that raced our cancel: the media is gone, the call ends with BYE (RFC 3261 §9.1)
        void call.hangup();
        throw new SipCallError(487, 'Request Terminated');
      }
      await this.answered(call, cm, s);
      return call;
    })();
    return {
      result,
      cancel: () => {
        cancelled = true;
        inner?.cancel();
        // the ports are released at once: a CANCEL may have to wait for a provisional response (§9.1) or
        // Timer B, and nothing should hold sockets open meanwhile
        void media?.close();
      },
    };
  }

  /** The 2xx of our INVITE: its answer configures the media. A bad answer closes the ports and hangs up. */
  async answered(call: Call, cm: CallMedia, s: CallMediaSettings): Promise<void> {
    let neg: NegotiatedMedia;
    try {
      neg = readSdpAnswer(call.remoteSdp ?? '', cm.local);
    } catch (e) {
      await cm.close();
      void call.hangup();
      throw e instanceof SdpNegotiationError ? e : new SdpNegotiationError(String(e));
    }
    this.attach(call, cm, neg, s);
  }

  /**
   * Answers an incoming INVITE with our media: from its offer (the media starts before the 200), or for a late
   * offer with our offer in the 200 and the ACK's answer. Resolves with the call once the ACK came.
   */
  async answer(inv: IncomingCall, o: AnswerOptions): Promise<Call> {
    const s = this.settings(o.media || undefined);
    const offer = inv.remoteSdp;
    const send = (sdp: string): Promise<Call> => {
      // RFC 3262 §3: a caller that supports 100rel gets the answer early, in a reliable 183; the 200 follows its PRACK
      if (o.earlyMedia && inv.reliableProvisionals) inv.ring(183, { sdp });
      return inv.answer(sdp);
    };
    const rejected = () => inv.cancelled;
    if (offer === undefined) return this.answerLate(s, o, send, rejected);
    const mode = s.accept && s.accept !== 'any' ? s.accept : offeredMode(offer);
    const cm = await this.open(s, mode, s.ice !== false && /^a=ice-ufrag:/m.test(offer));
    let neg: NegotiatedMedia;
    let sdp: string;
    let m: MediaChannel;
    try {
      const a = answerSdpOffer(offer, cm.local, sessionInfo());
      sdp = a.sdp;
      neg = a.media;
      if (rejected()) throw new SipCallError(487, 'Request Terminated');
      // started before the 200 goes out: the caller's DTLS ClientHello (or RTP) may follow the answer at once
      m = cm.start(neg, startOptions(neg, s));
    } catch (e) {
      await cm.close();
      throw e;
    }
    try {
      o.onMedia?.(m);
    } catch {
      // an application callback's failure does not stop the call
    }
    let call: Call;
    try {
      call = await send(sdp);
    } catch (e) {
      await cm.close('not answered');
      throw e;
    }
    this.attach(call, cm, neg, s);
    return call;
  }

  private async answerLate(
    s: CallMediaSettings,
    o: AnswerOptions,
    send: (sdp: string) => Promise<Call>,
    rejected: () => boolean,
  ): Promise<Call> {
    const mode: SrtpMode = s.accept && s.accept !== 'any' ? s.accept : (s.srtp ?? 'none');
    const cm = await this.open(s, mode, false);
    if (rejected()) {
      await cm.close();
      throw new SipCallError(487, 'Request Terminated');
    }
    let call: Call;
    try {
      call = await send(createSdpOffer(cm.local, sessionInfo()));
    } catch (e) {
      await cm.close();
      throw e;
    }
    // RFC 3264 §4 / RFC 3261 §13.2.1: the ACK carries the answer; without a usable one the call ends with BYE
    let neg: NegotiatedMedia;
    try {
      if (call.remoteSdp === undefined) throw new SdpNegotiationError('the ACK carried no SDP answer');
      neg = readSdpAnswer(call.remoteSdp, cm.local);
    } catch (e) {
      await cm.close();
      void call.hangup();
      throw e;
    }
    const m = cm.start(neg, startOptions(neg, s));
    try {
      o.onMedia?.(m);
    } catch {
      // as above
    }
    this.attach(call, cm, neg, s);
    return call;
  }

  /**
   * Makes the media the call's (`call.media`): it closes when the call ends, a media timeout ends the call with
   * `media-timeout`, RFC 4733 digits are the call's `dtmf` event; new offers from the peer are answered from our
   * media, and answers to our own offers (hold/resume) reconfigure it.
   */
  private attach(call: Call, cm: CallMedia, neg: NegotiatedMedia, s: CallMediaSettings): void {
    const m = cm.attach(call, neg, startOptions(neg, s));
    m.setDirection(neg.direction);
    const local = cm.local;
    // a peer's re-INVITE/UPDATE offer (RFC 3264 §8): answered with our port, keys and codecs, the direction that
    // answers the offered one (§8.4: sendonly → recvonly; sendonly ourselves while we hold)
    const onOffer: OfferHandler = (offer) => {
      if (offer === undefined) return call.localSdp; // a late re-offer: our current SDP is the offer
      const dir = call.localHold ? 'sendonly' : 'sendrecv';
      const a = answerSdpOffer(offer, { ...local, direction: dir }, nextInfo(call.localSdp));
      this.apply(m, a.media);
      return a.sdp;
    };
    call.onOffer = onOffer;
    // the answer to our own offer (hold(), resume(), reinvite(), update())
    call.onAnswer = (answer) => {
      if (answer === undefined || call.localSdp === undefined) return;
      try {
        const n = readSdpAnswer(answer, { ...local, direction: sdpDirection(call.localSdp) });
        this.apply(m, n);
      } catch {
        // an answer we cannot read leaves the media as it was (RFC 3264 §8: the old session stays)
      }
    };
  }

  /** Applies a new negotiation to the running media: direction (hold) and where the peer receives. */
  private apply(m: MediaChannel, n: NegotiatedMedia): void {
    if (m.state === 'closed' || m.state === 'failed') return;
    m.setDirection(n.direction);
    // RFC 3264 §8.3.1: a changed address or port in the new description moves the media (c=0.0.0.0 is old-style
    // hold: the direction says it, the address stays)
    if (!n.held && n.remotePort > 0 && n.remoteAddress !== '0.0.0.0' && n.remoteAddress !== '::') {
      const cur = m.session.remote;
      if (!cur || cur.address !== n.remoteAddress || cur.port !== n.remotePort) {
        m.setRemote(
          { address: n.remoteAddress, port: n.remotePort },
          n.rtcpMux ? undefined : { address: n.remoteAddress, port: n.remoteRtcpPort },
        );
      }
    }
  }
}

function startOptions(neg: NegotiatedMedia, s: CallMediaSettings): Partial<StartMediaOptions> {
  return { ...s.session, direction: neg.direction };
}

let sessionCounter = 0;

/** A fresh `o=` session id and version (RFC 4566 §5.2: an NTP-format time is suggested; unique per UA is enough). */
function sessionInfo(): { sessionId: string; version: number } {
  sessionCounter = (sessionCounter + 1) % 1_000_000;
  return { sessionId: `${Date.now()}${String(sessionCounter).padStart(6, '0')}`, version: 1 };
}

/** The `o=` session id of our last SDP and its version plus one (RFC 3264 §8: a changed description). */
function nextInfo(localSdp: string | undefined): { sessionId: string; version: number } {
  const m = localSdp ? /^o=\S+ (\d+) (\d+)/m.exec(localSdp) : null;
  if (!m) return sessionInfo();
  return { sessionId: m[1]!, version: Number(m[2]!) + 1 };
}

/** The protection an offer uses, from its first audio stream's profile (RFC 3711, RFC 5764 §8). */
export function offeredMode(sdp: string): SrtpMode {
  let m: ReturnType<typeof parseSdp>['media'][number] | undefined;
  try {
    m = parseSdp(sdp).media.find((x) => x.type === 'audio' && x.port !== 0);
  } catch {
    return 'none'; // the answer then fails with the negotiation's own 488
  }
  const p = (m?.protocol ?? '').toUpperCase();
  if (p.startsWith('UDP/TLS/RTP/SAVP')) return 'dtls';
  if (p.startsWith('RTP/SAVP')) return 'sdes';
  return 'none';
}

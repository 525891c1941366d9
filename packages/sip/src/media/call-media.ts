/**
 * The media of a SIP call: binds its port before the offer/answer (the port goes into the SDP), then configures an
 * @mdh/media `MediaSession` from the negotiation result (codec, telephone-event payload type, SDES crypto or
 * DTLS-SRTP fingerprint and setup role, rtcp-mux) and hangs it on the `Call` as `call.media`.
 */
import { fingerprint as certFingerprint, type DtlsCertificate, generateCertificate } from '@mdh/dtls';
import type { Loop } from '@mdh/loop';
import {
  IceLiteAgent,
  type MediaChannel,
  type MediaPorts,
  type MediaSecurity,
  type MediaStats,
  openMediaPorts,
  type PortRange,
  type StartMediaOptions,
} from '@mdh/media';
import { formatSdesCrypto, generateSdesCrypto } from '@mdh/srtp';
import type { AudioCodec, LocalMedia, NegotiatedMedia, SdpCrypto, SrtpMode } from '../sdp/offer-answer.js';
import type { Call } from '../ua/call.js';

/** SDES suites we offer, strongest first (RFC 4568 §6.2). */
export const SDES_SUITES = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const;

/**
 * Makes fresh `a=crypto` lines for `suites` (default {@link SDES_SUITES}; any SDES name @mdh/srtp knows), tags
 * 1, 2, … in that order (@mdh/srtp's generator: CSPRNG master keys).
 */
export function makeSdesCrypto(suites: readonly string[] = SDES_SUITES): SdpCrypto[] {
  return suites.map((suite, i) => {
    const line = formatSdesCrypto(generateSdesCrypto(suite, { tag: i + 1 }));
    const [tag, name, keyParams] = line.slice('a=crypto:'.length).split(' ') as [string, string, string];
    return { tag: Number(tag), suite: name, keyParams };
  });
}

let sharedCert: DtlsCertificate | undefined;

/** A process-wide self-signed ECDSA certificate for DTLS-SRTP (RFC 5763 §5: self-signed is the norm). */
export function defaultDtlsCertificate(): DtlsCertificate {
  sharedCert ??= generateCertificate({});
  return sharedCert;
}

/** The `a=crypto` line (RFC 4568 §9.1) of an SDP crypto attribute. */
function cryptoLine(c: SdpCrypto): string {
  return `a=crypto:${c.tag} ${c.suite} ${c.keyParams}${c.sessionParams ? ` ${c.sessionParams}` : ''}`;
}

/**
 * MediaSession options from an offer/answer result: codec and payload types, remote address and RTCP port,
 * and the keys (SDES lines, or the DTLS role from `a=setup` and the peer's `a=fingerprint`).
 */
export function mediaOptionsFor(neg: NegotiatedMedia, certificate?: DtlsCertificate): StartMediaOptions {
  let security: MediaSecurity = { kind: 'none' };
  if (neg.srtp === 'sdes') {
    if (!neg.localCrypto || !neg.remoteCrypto) throw new Error('SDES negotiation without a=crypto lines');
    security = { kind: 'sdes', local: cryptoLine(neg.localCrypto), remote: cryptoLine(neg.remoteCrypto) };
  } else if (neg.srtp === 'dtls') {
    if (!neg.remoteFingerprint || !neg.dtlsRole) throw new Error('DTLS-SRTP negotiation without fingerprint/setup');
    security = {
      kind: 'dtls',
      role: neg.dtlsRole,
      certificate: certificate ?? defaultDtlsCertificate(),
      remoteFingerprints: [`${neg.remoteFingerprint.hash} ${neg.remoteFingerprint.value}`],
    };
  }
  const remote = { address: neg.remoteAddress, port: neg.remotePort };
  return {
    remote,
    rtcpMux: neg.rtcpMux,
    ...(neg.rtcpMux ? {} : { remoteRtcp: { address: neg.remoteAddress, port: neg.remoteRtcpPort } }),
    payloadType: neg.payloadType,
    codec: neg.codec,
    clockRate: neg.clockRate,
    telephoneEventPt: neg.telephoneEventPt ?? null,
    ptimeMs: neg.ptime,
    security,
  };
}

/** Options of {@link CallMedia.open}. */
export interface CallMediaOptions {
  /** The loop driving the media (use the user agent's, `ua.loop`). */
  loop: Loop;
  /** Protection to offer or accept. */
  srtp: SrtpMode;
  /** Address to bind and advertise (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: OS-assigned). */
  port?: number;
  /** Bind the RTP/RTCP port pair within this range (`--rtp-ports`); all in use → MediaError `no-port`. */
  portRange?: PortRange;
  /** SDES: the suites offered or accepted, in preference order (default {@link SDES_SUITES}). */
  sdesSuites?: readonly string[];
  /** DTLS-SRTP: the profiles offered or accepted, in preference order (default @mdh/media's). */
  dtlsProfiles?: readonly string[];
  /** DTLS identity (one per process by default). */
  certificate?: DtlsCertificate;
  /** Codecs in preference order (default PCMU, PCMA). */
  codecs?: AudioCodec[];
  /** Offer rtcp-mux (RFC 5761, default true). An RTP/RTCP port pair is bound either way (RTCP on RTP + 1). */
  rtcpMux?: boolean;
  /**
   * Run an ICE-lite agent (RFC 8445 §2.5) on the port: its credentials and the host candidate of the bound address
   * go into our SDP, and once the peer's SDP has ICE credentials, media goes to the pair the peer nominates. Needed
   * to talk to browsers; default false.
   */
  ice?: boolean;
  /** Offer WebRTC-shaped SDP (`UDP/TLS/RTP/SAVPF`, BUNDLE, mid; with `srtp: 'dtls'` and `ice`). */
  webrtc?: boolean;
  /** ICE: give up when no check nominated a pair this long after the media started (default 30000 ms). */
  iceConnectTimeoutMs?: number;
  /** ICE consent freshness (RFC 7675 §5.1): no check for this long ends the call (default 30000 ms). */
  consentTimeoutMs?: number;
}

/**
 * A call's media before and after offer/answer.
 *
 * ```ts
 * const cm = await CallMedia.open({ loop: ua.loop, srtp: 'dtls' });
 * const call = await ua.invite(target, { sdp: createSdpOffer(cm.local, { sessionId: '1', version: 1 }) }).result;
 * const media = cm.attach(call, readSdpAnswer(call.remoteSdp ?? '', cm.local));
 * media.on('dtmf', (e) => console.log(e.digit));
 * ```
 */
export class CallMedia {
  /** Our side for the SDP. */
  readonly local: LocalMedia;
  /** The bound sockets. */
  readonly ports: MediaPorts;
  private readonly certificate: DtlsCertificate | undefined;
  private dtlsProfiles: readonly string[] | undefined;
  private channel: MediaChannel | undefined;
  /** The ICE-lite agent, with `ice: true`. */
  readonly ice: IceLiteAgent | undefined;

  private constructor(
    ports: MediaPorts,
    local: LocalMedia,
    certificate: DtlsCertificate | undefined,
    ice: IceLiteAgent | undefined,
  ) {
    this.ports = ports;
    this.local = local;
    this.certificate = certificate;
    this.ice = ice;
  }

  /** Binds the media port and prepares our SDP side (SDES keys, or the DTLS fingerprint). */
  static async open(o: CallMediaOptions): Promise<CallMedia> {
    const host = o.host ?? '127.0.0.1';
    const rtcpMux = o.rtcpMux ?? true;
    // An RTP/RTCP port pair (RFC 3550 §11) even when offering rtcp-mux: a peer that does not accept it (or an
    // offer without it) sends RTCP to the port after ours. With mux the second socket stays idle.
    const ports = await openMediaPorts({
      loop: o.loop,
      address: host,
      rtcpMux: false,
      ...(o.port ? { port: o.port } : {}),
      ...(o.portRange ? { portRange: o.portRange } : {}),
    });
    const local: LocalMedia = { address: host, port: ports.local.port, srtp: o.srtp, rtcpMux };
    if (o.codecs) local.codecs = o.codecs;
    let cert: DtlsCertificate | undefined;
    if (o.srtp === 'sdes') local.crypto = makeSdesCrypto(o.sdesSuites);
    if (o.srtp === 'dtls') {
      cert = o.certificate ?? defaultDtlsCertificate();
      const [hash, value] = certFingerprint(cert.chain[0]!, 'sha-256').split(' ') as [string, string];
      local.fingerprint = { hash, value };
    }
    let ice: IceLiteAgent | undefined;
    if (o.ice) {
      ice = new IceLiteAgent({
        localAddresses: [ports.local],
        ...(o.iceConnectTimeoutMs !== undefined ? { connectTimeoutMs: o.iceConnectTimeoutMs } : {}),
        ...(o.consentTimeoutMs !== undefined ? { consentTimeoutMs: o.consentTimeoutMs } : {}),
      });
      const { media } = ice.sdpLines();
      local.ice = {
        ufrag: ice.ufrag,
        pwd: ice.pwd,
        lite: true,
        candidates: media.filter((l) => l.startsWith('a=candidate:')).map((l) => l.slice(2)),
      };
      if (o.webrtc) local.webrtc = true;
    }
    const cm = new CallMedia(ports, local, cert, ice);
    cm.dtlsProfiles = o.dtlsProfiles;
    return cm;
  }

  /** The running media, once started. */
  get media(): MediaChannel | undefined {
    return this.channel;
  }

  /** Starts the MediaSession for a negotiation result. */
  start(neg: NegotiatedMedia, extra: Partial<StartMediaOptions> = {}): MediaChannel {
    const opts = mediaOptionsFor(neg, this.certificate);
    if (this.dtlsProfiles && opts.security?.kind === 'dtls') opts.security.profiles = this.dtlsProfiles;
    if (this.ice && neg.remoteIce) {
      // ICE (RFC 8445 §8.1.1): media goes to the pair the peer nominates, not to c=/m= (often 0.0.0.0:9)
      this.ice.setRemoteCredentials(neg.remoteIce.ufrag);
      this.ice.start(this.ports.loop.now());
      opts.ice = this.ice;
      delete opts.remote;
      delete opts.remoteRtcp;
    } else this.ice?.close();
    this.channel = this.ports.start({ ...opts, ...extra });
    return this.channel;
  }

  /** Starts the media and makes it the call's (`call.media`); it closes (RTCP BYE) when the call ends. */
  attach(call: Call, neg: NegotiatedMedia, extra: Partial<StartMediaOptions> = {}): MediaChannel {
    const m = this.channel ?? this.start(neg, extra);
    call.media = m;
    if (call.state === 'ended') {
      void m.close('call ended');
      return m;
    }
    call.once('ended', (why) => void m.close(why));
    // No RTP or RTCP for the media timeout: the peer is gone, end the call with BYE (reason `media-timeout`).
    m.on('timeout', () => void call.hangup('media-timeout'));
    // RFC 4733 digits from the media are the call's `dtmf` event too, like SIP INFO ones (info-dtmf.ts)
    m.on('dtmf', (e) => call.fire('dtmf', { digit: e.digit, durationMs: e.durationMs, source: 'rfc4733' }));
    // ICE checks never came, or consent expired (RFC 7675 §5.1): the peer is gone, end the call with BYE
    m.on('ice-failed', () => void call.hangup('ice-failed'));
    return m;
  }

  /** Closes the media (or the unused ports). */
  async close(reason?: string): Promise<void> {
    if (this.channel) await this.channel.close(reason);
    else await this.ports.close();
  }
}

/** The media part of a call report: RTP counts, local loss/jitter, and what RTCP told (RFC 3550 §6.4). */
export interface CallMediaReport {
  packetsSent: number;
  packetsReceived: number;
  bytesSent: number;
  bytesReceived: number;
  /** Packets of the peer's stream we lost (RFC 3550 A.3). */
  lost: number;
  lossPercent: number;
  /** Interarrival jitter of the peer's stream, ms (A.8). */
  jitterMs: number;
  /** Round trip from the peer's report blocks (LSR/DLSR, §6.4.1), ms; undefined before one arrived. */
  rttMs: number | undefined;
  /** Loss of our stream as the peer reported it (fraction lost of its last interval), percent. */
  remoteLossPercent: number | undefined;
  /** Cumulative packets of ours the peer reported lost. */
  remoteCumulativeLost: number | undefined;
  /** Jitter of our stream as the peer measured it, ms. */
  remoteJitterMs: number | undefined;
  /** The peer's sender packet and octet counts from its last SR. */
  remotePacketsSent: number | undefined;
  remoteOctetsSent: number | undefined;
  rtcpSent: number;
  rtcpReceived: number;
  /** Datagrams dropped: SRTP authentication/replay failures, malformed or unclassifiable packets. */
  dropped: number;
  /** RTCP datagrams not used (SRTCP failures, RTCP sent in the clear on an SRTP session, malformed). */
  rtcpDropped: number;
  /** SRTP profile in use, when protected. */
  srtpProfile: string | undefined;
}

/** Summarises MediaSession statistics as a call report. */
export function callMediaReport(s: MediaStats): CallMediaReport {
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return {
    packetsSent: s.sent.packets,
    packetsReceived: s.received.packets,
    bytesSent: s.sent.octets,
    bytesReceived: s.received.octets,
    lost: s.received.lost,
    lossPercent: r2(100 * s.received.lossFraction),
    jitterMs: r2(s.received.jitterMs),
    rttMs: s.rttMs === undefined ? undefined : r2(s.rttMs),
    remoteLossPercent: s.remote ? r2(100 * s.remote.fractionLost) : undefined,
    remoteCumulativeLost: s.remote?.cumulativeLost,
    remoteJitterMs: s.remote ? r2(s.remote.jitterMs) : undefined,
    remotePacketsSent: s.remoteSender?.packetCount,
    remoteOctetsSent: s.remoteSender?.octetCount,
    rtcpSent: s.rtcp.sent,
    rtcpReceived: s.rtcp.received,
    dropped: s.dropped.unauthenticated + s.dropped.replayed + s.dropped.malformed + s.dropped.unknown,
    rtcpDropped: s.dropped.rtcp,
    srtpProfile: s.srtpProfile,
  };
}

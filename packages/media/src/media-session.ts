/**
 * The media of one call as a sans-I/O core (DESIGN principle 1, STYLE 5a): RFC 7983 demultiplexing, DTLS-SRTP
 * (RFC 5763/5764) or SDES (RFC 4568) keys, SRTP/SRTCP (RFC 3711), RTP and RTCP (RFC 3550) with rtcp-mux
 * (RFC 5761), a media timeout, and audio/DTMF for applications. Three calls drive it: `handleInput`,
 * `handleTimeout`, `pollOutput`; nothing inside opens a socket, starts a timer or reads a clock.
 */
import { utf8Encode } from '@mdh/bytes';
import { DtlsEngine, srtpSessionsFromDtls } from '@mdh/dtls';
import {
  Goodbye,
  isRtcpPacket,
  ntpFromUnixMs,
  ntpMiddle32,
  ReceiverReport,
  ReceiverStats,
  type ReportBlock,
  type RtcpPacket,
  RtcpScheduler,
  RtpPacket,
  roundTripTimeMs,
  rtcpCompoundSize,
  SenderStats,
  SourceDescription,
  serializeRtcpInto,
  tryParseRtcp,
} from '@mdh/rtp';
import { parseSdesCrypto, type SdesCrypto, SrtpSession, sdesSessionOptions } from '@mdh/srtp';
import { DtmfReceiver, DtmfSender } from './audio/dtmf.js';
import { g711Decode, g711Encode } from './audio/g711.js';
import { JitterBuffer } from './audio/jitter-buffer.js';
import { classifyPacket } from './demux.js';
import { MediaError } from './errors.js';
import type { IceLiteAgent } from './ice/ice-lite-agent.js';
import type {
  MediaAddress,
  MediaDropCounters,
  MediaEvent,
  MediaOutput,
  MediaSecurity,
  MediaSessionOptions,
  MediaState,
  MediaStats,
  RemoteReception,
  RemoteSender,
} from './types.js';

/** IPv4 + UDP header octets, counted in the average RTCP packet size (RFC 3550 §6.2). */
const UDP_IP_OVERHEAD = 28;
/** DTLS-SRTP profiles offered by default, strongest first (RFC 5764 §4.1.2, RFC 7714 §14.2). */
export const DEFAULT_DTLS_SRTP_PROFILES: readonly string[] = [
  'SRTP_AEAD_AES_128_GCM',
  'SRTP_AES128_CM_HMAC_SHA1_80',
  'SRTP_AES128_CM_HMAC_SHA1_32',
];
/** Upper bound of queued outputs: beyond it, the oldest datagrams are not kept (a caller that never polls). */
const MAX_QUEUED_OUTPUTS = 4096;

/** One remote synchronisation source. */
interface Source {
  readonly stats: ReceiverStats;
  /** Last RTP or RTCP from it (session clock). */
  lastHeard: number;
  /** Last RTP from it, or -1. */
  lastRtp: number;
}

/** Options for {@link MediaSession.sendRtp}. */
export interface SendRtpOptions {
  /** Payload type (default the session's audio payload type). */
  payloadType?: number;
  /** RTP timestamp (default: the session's running timestamp, then advanced by `samples`). */
  timestamp?: number;
  /** Marker bit (default false). */
  marker?: boolean;
  /** Samples this payload covers, to advance the running timestamp when `timestamp` is not given (default ptime). */
  samples?: number;
  /** The current time (default: the latest time the session was given), for the SR's RTP/NTP mapping. */
  now?: number;
}

/**
 * One call's media, sans-I/O.
 *
 * ```ts
 * const m = new MediaSession({ now: clock.now(), remote: { address: '127.0.0.1', port: 40000 } });
 * m.sendRtp(payload);
 * for (let o = m.pollOutput(); o.kind !== 'deadline'; o = m.pollOutput()) {
 *   if (o.kind === 'datagram') socket.send(o.data, o.to.port, o.to.address);
 * }
 * ```
 */
export class MediaSession {
  /** Negotiated audio payload type. */
  readonly payloadType: number;
  /** Audio codec. */
  readonly codec: 'PCMU' | 'PCMA';
  /** RTP clock rate. */
  readonly clockRate: number;
  /** RFC 4733 telephone-event payload type, or null. */
  readonly telephoneEventPt: number | null;
  /** Packetisation time, ms. */
  readonly ptimeMs: number;
  /** Whether RTCP shares the RTP port (RFC 5761). */
  readonly rtcpMux: boolean;
  /** Our SDES CNAME. */
  readonly cname: string;
  /** Dropped datagrams by reason. */
  readonly dropped: MediaDropCounters = {
    unknown: 0,
    malformed: 0,
    unauthenticated: 0,
    replayed: 0,
    notKeyed: 0,
    sources: 0,
    looped: 0,
    unhandled: 0,
    internal: 0,
    rtcp: 0,
  };

  private _state: MediaState = 'keying';
  private _ssrc: number;
  private sender: SenderStats;
  private seq: number;
  private ts: number;
  private readonly random: () => number;
  private readonly wallClock: (now: number) => number;
  private readonly security: MediaSecurity;
  private readonly latch: boolean;
  private readonly local: MediaAddress | undefined;
  private readonly maxSources: number;
  private readonly mediaTimeoutMs: number;
  private readonly rtcpMinIntervalMs: number | undefined;
  private readonly sessionBandwidth: number;
  private readonly cnameOctets: number;
  private readonly ice: IceLiteAgent | undefined;
  private readonly reflector: boolean;
  private readonly decodeAudio: boolean;
  private remoteRtp: MediaAddress | undefined;
  private remoteRtcpAddr: MediaAddress | undefined;
  private readonly remoteRtcpGiven: boolean;
  private dtls: DtlsEngine | undefined;
  private tx: SrtpSession | undefined;
  private rx: SrtpSession | undefined;
  private profile: string | undefined;
  private scheduler: RtcpScheduler | undefined;
  private readonly sources = new Map<number, Source>();
  /** The source whose audio we play and report as "received" (the first valid one). */
  private mainSource: number | undefined;
  /** Its statistics once it left (BYE or timeout), for the call report. */
  private mainLeft: ReceiverStats | undefined;
  private readonly outputs: MediaOutput[] = [];
  private lastMediaAt: number;
  private timedOut = false;
  private sentRtcp = false;
  private rtpSent = 0;
  private rtpOctetsSent = 0;
  private rtcpSentCount = 0;
  private rtcpReceivedCount = 0;
  private rttMs: number | undefined;
  private remoteReception: RemoteReception | undefined;
  private remoteSender: RemoteSender | undefined;
  private ssrcCollisions = 0;
  private latched = false;
  private rtcpLatched = false;
  private readonly dtmfTx: DtmfSender | undefined;
  private readonly dtmfRx: DtmfReceiver | undefined;
  private readonly jitter: JitterBuffer;
  /** The next audio packet starts a talkspurt (RFC 3551 §4.1: marker bit). */
  private talkspurt = true;
  private now: number;

  /** Creates the session. SDES/none sessions are active at once; DTLS ones start their handshake. */
  constructor(opts: MediaSessionOptions) {
    if (!Number.isFinite(opts.now)) throw new MediaError('bad-argument', 'MediaSession needs the current time `now`');
    this.now = opts.now;
    this.random = opts.random ?? Math.random;
    this.wallClock = opts.wallClock ?? ((t) => t);
    this.payloadType = opts.payloadType ?? 0;
    if (!Number.isInteger(this.payloadType) || this.payloadType < 0 || this.payloadType > 127) {
      throw new MediaError('bad-argument', `payloadType must be 0..127, got ${this.payloadType}`);
    }
    this.codec = opts.codec ?? (this.payloadType === 8 ? 'PCMA' : 'PCMU');
    this.clockRate = opts.clockRate ?? 8000;
    this.telephoneEventPt = opts.telephoneEventPt === undefined ? 101 : opts.telephoneEventPt;
    this.ptimeMs = opts.ptimeMs ?? 20;
    this.rtcpMux = opts.rtcpMux ?? true;
    // With ICE the destination is the nominated pair (RFC 8445 §8.1.1), not the source of media.
    this.latch = opts.latch ?? opts.ice === undefined;
    this.local = opts.local;
    this.maxSources = opts.maxSources ?? 16;
    this.mediaTimeoutMs = opts.mediaTimeoutMs ?? 30_000;
    this.rtcpMinIntervalMs = opts.rtcpMinIntervalMs;
    this.sessionBandwidth = opts.sessionBandwidth ?? 80_000;
    this.ice = opts.ice;
    this.reflector = opts.reflector ?? false;
    this.decodeAudio = opts.decodeAudio ?? true;
    this.security = opts.security ?? { kind: 'none' };
    this._ssrc = opts.ssrc !== undefined ? opts.ssrc >>> 0 : this.randomU32();
    this.seq = (opts.initialSequenceNumber ?? Math.floor(this.random() * 0x10000)) & 0xffff;
    this.ts = (opts.initialTimestamp ?? this.randomU32()) >>> 0;
    this.cname = opts.cname ?? `mdh-${this.randomU32().toString(16)}@media`;
    this.cnameOctets = utf8Encode(this.cname).length;
    if (this.cnameOctets < 1 || this.cnameOctets > 255) {
      throw new MediaError(
        'bad-argument',
        `cname must be 1..255 UTF-8 octets (RFC 3550 §6.5), got ${this.cnameOctets}`,
      );
    }
    this.sender = new SenderStats({ ssrc: this._ssrc, clockRate: this.clockRate });
    if (this.telephoneEventPt !== null) {
      this.dtmfTx = new DtmfSender({ clockRate: this.clockRate, packetIntervalMs: this.ptimeMs });
      this.dtmfRx = new DtmfReceiver({ clockRate: this.clockRate });
    }
    this.jitter = new JitterBuffer({
      clockRate: this.clockRate,
      frameSamples: (this.ptimeMs * this.clockRate) / 1000,
      ...opts.jitterBuffer,
    });
    this.remoteRtp = opts.remote;
    this.remoteRtcpGiven = opts.remoteRtcp !== undefined;
    this.remoteRtcpAddr = opts.remoteRtcp ?? (opts.remote ? this.rtcpFor(opts.remote) : undefined);
    this.lastMediaAt = opts.now;
    const sec = this.security;
    if (sec.kind === 'none') {
      this.activate(opts.now);
    } else if (sec.kind === 'sdes') {
      this.keySdes(sec);
      this.activate(opts.now);
    } else {
      this.dtls = new DtlsEngine({
        role: sec.role,
        certificate: sec.certificate,
        srtpProfiles: sec.profiles ?? DEFAULT_DTLS_SRTP_PROFILES,
        expectedFingerprints: sec.remoteFingerprints,
        requestClientCertificate: true,
        requireClientCertificate: true,
        // RFC 5763 §5: the fingerprint in the signalled SDP authenticates the peer; no cookie round trip is needed
        // on a port already bound to this call.
        cookieExchange: false,
        handshakeTimeoutMs: sec.handshakeTimeoutMs ?? 20_000,
        ...(sec.randomBytes ? { random: sec.randomBytes } : {}),
        wallClock: () => this.wallClock(this.now),
      });
      if (sec.role === 'client' && this.remoteRtp) this.dtls.start(opts.now);
      this.drainDtls(opts.now);
    }
    // What a started agent queued (its state change) is taken now: nextDeadline peeks the agent's output and would
    // otherwise consume that event instead of the connect deadline, leaving no timer for a call whose checks never come.
    if (this.ice) this.drainIce(opts.now);
  }

  // ------------------------------------------------------------------------------------------------ public API

  /** Lifecycle state. */
  get state(): MediaState {
    return this._state;
  }

  /** Our current SSRC (changes after a collision, RFC 3550 §8.2). */
  get ssrc(): number {
    return this._ssrc;
  }

  /** Where RTP goes now (given, latched, or nominated), if known. */
  get remote(): MediaAddress | undefined {
    return this.remoteRtp;
  }

  /** Where RTCP goes now, if known. */
  get remoteRtcp(): MediaAddress | undefined {
    return this.remoteRtcpAddr;
  }

  /** The sequence number the next RTP packet will carry. */
  get nextSequenceNumber(): number {
    return this.seq;
  }

  /** The running RTP timestamp the next packet sent without an explicit timestamp will carry. */
  get nextTimestamp(): number {
    return this.ts;
  }

  /** Sets (or replaces) the peer's RTP address (and RTCP address, default port + 1 when not muxed). */
  setRemote(remote: MediaAddress, remoteRtcp?: MediaAddress, now: number = this.now): void {
    this.remoteRtp = remote;
    this.remoteRtcpAddr = remoteRtcp ?? (this.remoteRtcpGiven ? this.remoteRtcpAddr : this.rtcpFor(remote));
    // A DTLS client waits for an address to start its handshake.
    if (this.dtls && this.security.kind === 'dtls' && this.security.role === 'client' && this._state === 'keying') {
      try {
        this.dtls.start(now);
      } catch {
        // already started
      }
      this.drainDtls(now);
    }
  }

  /**
   * Feeds one received datagram (from the RTP port, or the RTCP port when not muxed). Never throws: noise is
   * dropped and counted in {@link MediaSession.dropped}. With SRTP, the datagram is decrypted in place: the
   * caller hands over `datagram` and must not reuse it.
   */
  handleInput(datagram: Uint8Array, from: MediaAddress, now: number): void {
    if (now > this.now) this.now = now;
    if (this._state === 'closed' || this._state === 'failed') return;
    try {
      switch (classifyPacket(datagram)) {
        case 'rtp':
          if (isRtcpPacket(datagram)) this.onRtcp(datagram, from, now);
          else this.onRtp(datagram, from, now);
          return;
        case 'dtls':
          if (!this.dtls) {
            this.dropped.unhandled++;
            return;
          }
          this.onDtls(datagram, from, now);
          return;
        case 'stun':
          this.onStun(datagram, from, now);
          return;
        case 'unknown':
          this.dropped.unknown++;
          return;
        default:
          this.dropped.unhandled++;
          return;
      }
    } catch {
      // Principle 6: nothing from the network ends the session; a fault here is a counted bug, not a crash.
      this.dropped.internal++;
    }
  }

  /** Tells the session the time: RTCP reports, DTLS retransmissions, the media timeout. Never throws. */
  handleTimeout(now: number): void {
    if (now > this.now) this.now = now;
    if (this._state === 'closed' || this._state === 'failed') return;
    try {
      if (this.dtls) {
        this.dtls.handleTimeout(now);
        this.drainDtls(now);
      }
      if (this.ice) {
        this.ice.handleTimeout(now);
        this.drainIce(now);
      }
      if (this.dtmfRx) {
        this.dtmfRx.handleTimeout(now);
        this.drainDtmfRx();
      }
      this.pumpDtmf(now);
      this.playout(now);
      if (this.scheduler && now >= this.scheduler.nextDeadline) this.rtcpTimer(now);
      if (this.mediaTimeoutMs > 0 && !this.timedOut && now - this.lastMediaAt >= this.mediaTimeoutMs) {
        this.timedOut = true;
        this.emit({ type: 'timeout', silentMs: now - this.lastMediaAt });
      }
    } catch {
      this.dropped.internal++;
    }
  }

  /** Next output: a datagram to send, an event, or (when nothing is queued) the next deadline. */
  pollOutput(): MediaOutput {
    const o = this.outputs.shift();
    if (o) return o;
    return { kind: 'deadline', at: this.nextDeadline() };
  }

  /**
   * Sends one RTP packet with our SSRC and the next sequence number: serialised once into a buffer with room
   * for the SRTP tag, and protected in place. Returns false (and sends nothing) before keys are ready or with no
   * peer address yet. Throws {@link MediaError} when closed or for a payload type outside 0..127.
   */
  sendRtp(payload: Uint8Array, o: SendRtpOptions = {}): boolean {
    this.usable(o.now);
    const pt = o.payloadType ?? this.payloadType;
    if (!Number.isInteger(pt) || pt < 0 || pt > 127) throw new MediaError('bad-argument', `payload type ${pt}`);
    const timestamp = (o.timestamp ?? this.ts) >>> 0;
    if (o.timestamp === undefined) this.ts = (this.ts + (o.samples ?? (this.ptimeMs * this.clockRate) / 1000)) >>> 0;
    return this.emitRtp(pt, timestamp, o.marker ?? false, payload.length, timestamp, (b, at) => b.set(payload, at));
  }

  /**
   * Sends a received RTP packet back (an echo or a relay) without copying it: `rtp` is the decrypted packet of an
   * `rtp` event (`event.bytes`), whose buffer the session owns. Our SSRC and next sequence number are written into
   * its header in place; with SRTP it is protected straight from that buffer into the datagram sent (the cipher
   * writes the only new bytes), without SRTP the same buffer goes out. Payload type, marker, timestamp and payload
   * stay as received. Returns false before keys are ready or with no peer; throws when closed.
   */
  echoRtp(rtp: Uint8Array, now?: number): boolean {
    this.usable(now);
    const to = this.remoteRtp;
    if (this._state !== 'active' || to === undefined || rtp.length < 12) return false;
    rtp[2] = this.seq >>> 8;
    rtp[3] = this.seq & 0xff;
    writeU32(rtp, 8, this._ssrc);
    let data = rtp;
    if (this.tx) {
      const out = new Uint8Array(rtp.length + this.tx.rtpOverhead);
      const len = this.tx.protectInto(rtp, out, 0);
      data = len === out.length ? out : out.subarray(0, len);
    }
    const timestamp = ((rtp[4]! << 24) | (rtp[5]! << 16) | (rtp[6]! << 8) | rtp[7]!) >>> 0;
    const payloadLength = rtp.length - 12 - 4 * (rtp[0]! & 0x0f);
    this.seq = (this.seq + 1) & 0xffff;
    this.rtpSent++;
    this.rtpOctetsSent += payloadLength;
    this.sender.onPacketSent(timestamp, payloadLength, this.now);
    this.push({ kind: 'datagram', data, to, via: 'rtp' });
    return true;
  }

  /**
   * Sends one frame of 16-bit linear PCM at the clock rate (160 samples = 20 ms at 8 kHz) as G.711 in the
   * negotiated law, encoded straight into the packet buffer. The first frame of a talkspurt carries the marker
   * bit (RFC 3551 §4.1). While a DTMF event is being sent the frame is held back (its time still passes).
   * Returns whether a packet went out.
   */
  sendAudio(pcm: Int16Array, now?: number): boolean {
    this.usable(now);
    const timestamp = this.ts;
    this.ts = (this.ts + pcm.length) >>> 0;
    if (this.dtmfTx?.sendingEvent) {
      this.talkspurt = true;
      return false;
    }
    const codec = this.codec;
    const sent = this.emitRtp(this.payloadType, timestamp, this.talkspurt, pcm.length, timestamp, (b, at) => {
      g711Encode(codec, pcm, b, at);
    });
    if (sent) this.talkspurt = false;
    return sent;
  }

  /**
   * Queues DTMF digits ('0'–'9', '*', '#', 'A'–'D') to send as RFC 4733 telephone-events: a marker packet,
   * updates every ptime, the end packet three times (§2.5.1), 100 ms per digit with 50 ms gaps. Throws
   * {@link MediaError} when telephone-event was not negotiated or a character is not a digit.
   */
  sendDtmf(digits: string, now?: number): void {
    this.usable(now);
    if (!this.dtmfTx) throw new MediaError('bad-argument', 'telephone-event was not negotiated (RFC 4733)');
    try {
      this.dtmfTx.enqueue(digits, this.now);
    } catch (e) {
      throw new MediaError('bad-argument', (e as Error).message);
    }
    this.pumpDtmf(this.now);
  }

  private usable(now: number | undefined): void {
    if (this._state === 'closed' || this._state === 'failed') throw new MediaError('closed', 'MediaSession is closed');
    if (now !== undefined && now > this.now) this.now = now;
  }

  /** The RTP timestamp of our media clock at `now` (extrapolated from what we sent, else the running one). */
  private mediaClock(now: number): number {
    return this.sender.hasSent ? this.sender.rtpTimestampAt(now) : this.ts;
  }

  private pumpDtmf(now: number): void {
    const tx = this.dtmfTx;
    if (!tx || this._state !== 'active') return;
    for (let p = tx.poll(now, this.mediaClock(now)); p; p = tx.poll(now, this.mediaClock(now))) {
      const payload = p.payload;
      this.emitRtp(this.telephoneEventPt!, p.timestamp, p.marker, payload.length, this.mediaClock(now), (b, at) =>
        b.set(payload, at),
      );
    }
    if (!tx.sendingEvent) this.talkspurt = true;
  }

  /**
   * Builds one RTP packet (RFC 3550 §5.1 fixed header, our SSRC, the next sequence number) in one buffer with
   * room for the SRTP tag, lets `fill` write the payload, protects it in place and queues it.
   */
  private emitRtp(
    pt: number,
    timestamp: number,
    marker: boolean,
    payloadLength: number,
    clockTs: number,
    fill: (buf: Uint8Array, offset: number) => void,
  ): boolean {
    const to = this.remoteRtp;
    if (this._state !== 'active' || to === undefined) return false;
    const n = 12 + payloadLength;
    const buf = new Uint8Array(n + (this.tx ? this.tx.rtpOverhead : 0));
    buf[0] = 0x80; // V=2, no padding, no extension, no CSRC
    buf[1] = (marker ? 0x80 : 0) | pt;
    buf[2] = this.seq >>> 8;
    buf[3] = this.seq & 0xff;
    writeU32(buf, 4, timestamp);
    writeU32(buf, 8, this._ssrc);
    fill(buf, 12);
    let len = n;
    if (this.tx) len = this.tx.protectInto(buf.subarray(0, n), buf, 0);
    this.seq = (this.seq + 1) & 0xffff;
    this.rtpSent++;
    this.rtpOctetsSent += payloadLength;
    this.sender.onPacketSent(clockTs, payloadLength, this.now);
    this.push({ kind: 'datagram', data: len === buf.length ? buf : buf.subarray(0, len), to, via: 'rtp' });
    return true;
  }

  /**
   * Sends RTCP packets now as one compound (e.g. feedback). RFC 3550 §6.1 wants compounds to start with SR/RR:
   * that is the caller's to honour. Returns false before keys are ready or with no peer address.
   */
  sendRtcp(packets: readonly RtcpPacket[]): boolean {
    if (this._state === 'closed' || this._state === 'failed') throw new MediaError('closed', 'MediaSession is closed');
    return this.emitRtcp(packets);
  }

  /** The session statistics (the call report). */
  stats(): MediaStats {
    const main =
      (this.mainSource === undefined ? undefined : this.sources.get(this.mainSource)?.stats) ?? this.mainLeft;
    const expected = main?.expected ?? 0;
    const lost = main ? Math.max(0, main.cumulativeLost) : 0;
    return {
      state: this._state,
      ssrc: this._ssrc,
      srtpProfile: this.profile,
      keying: this.security.kind,
      sent: { packets: this.rtpSent, octets: this.rtpOctetsSent },
      received: {
        packets: main?.received ?? 0,
        octets: main?.bytesReceived ?? 0,
        expected,
        lost,
        lossFraction: expected > 0 ? lost / expected : 0,
        jitterMs: main ? (main.jitter * 1000) / this.clockRate : 0,
        ssrc: main?.ssrc,
      },
      rtcp: { sent: this.rtcpSentCount, received: this.rtcpReceivedCount },
      rttMs: this.rttMs,
      remote: this.remoteReception ? { ...this.remoteReception } : undefined,
      remoteSender: this.remoteSender ? { ...this.remoteSender } : undefined,
      ssrcCollisions: this.ssrcCollisions,
      audio: {
        played: this.jitter.stats.played,
        concealed: this.jitter.stats.concealed,
        late: this.jitter.stats.late,
        duplicate: this.jitter.stats.duplicate,
        overflow: this.jitter.stats.overflow,
        delayMs: this.jitter.targetDelayMs,
      },
      dropped: { ...this.dropped },
    };
  }

  /**
   * Leaves the session: a final SR/RR + SDES + BYE compound (RFC 3550 §6.3.7; only when we sent RTP or RTCP, and
   * at once with at most 50 members), DTLS close_notify, then `closed`. Idempotent.
   */
  close(now: number = this.now, reason?: string): void {
    if (now > this.now) this.now = now;
    if (this._state === 'closed') return;
    const wasActive = this._state === 'active';
    this._state = 'closed';
    try {
      if (wasActive && (this.rtpSent > 0 || this.sentRtcp)) {
        // With more than 50 members the §6.3.7 back-off applies; a call has two, so the BYE goes now.
        const bye = [...this.buildReport(now), new Goodbye([this._ssrc], reason)];
        this.scheduler?.leave(now, rtcpCompoundSize(bye) + UDP_IP_OVERHEAD);
        this.emitRtcp(bye, true);
      }
      if (this.dtls) {
        this.dtls.close();
        this.drainDtls(now);
      }
      this.ice?.close();
    } catch {
      this.dropped.internal++;
    }
    this.tx?.close();
    this.rx?.close();
    this.emit({ type: 'closed', reason: reason ?? 'closed' });
  }

  // ------------------------------------------------------------------------------------------------ keying

  private keySdes(sec: Extract<MediaSecurity, { kind: 'sdes' }>): void {
    let local: SdesCrypto;
    let remote: SdesCrypto;
    try {
      local = typeof sec.local === 'string' ? parseSdesCrypto(sec.local) : sec.local;
      remote = typeof sec.remote === 'string' ? parseSdesCrypto(sec.remote) : sec.remote;
    } catch (e) {
      throw new MediaError('bad-crypto', `a=crypto: ${(e as Error).message}`);
    }
    const extra = sec.srtcpTagLength ? { srtcpTagLength: sec.srtcpTagLength } : {};
    try {
      this.tx = new SrtpSession({ ...sdesSessionOptions(local), ...extra });
      this.rx = new SrtpSession({ ...sdesSessionOptions(remote), ...extra });
    } catch (e) {
      throw new MediaError('bad-crypto', `a=crypto: ${(e as Error).message}`);
    }
    this.profile = this.tx.profile.name;
  }

  private onDtls(datagram: Uint8Array, from: MediaAddress, now: number): void {
    const dtls = this.dtls!;
    // RFC 5763 §5: the passive side answers the handshake where it comes from when no address was signalled.
    if (this._state === 'keying' && this.remoteRtp === undefined) this.setRemoteFrom(from);
    // Once keyed, only the peer's RTP address speaks DTLS to this association (a late retransmitted flight). A
    // handshake for the RTCP component (RFC 5764 §4.1, no rtcp-mux) is not run: counted, not fed to the engine.
    if (this._state === 'active' && !sameAddress(this.remoteRtp, from)) {
      this.dropped.unhandled++;
      return;
    }
    dtls.handleInput(datagram, now);
    this.drainDtls(now);
  }

  private drainDtls(now: number): void {
    const dtls = this.dtls;
    if (!dtls) return;
    for (let o = dtls.pollOutput(); o.kind !== 'deadline'; o = dtls.pollOutput()) {
      if (o.kind === 'datagram') {
        if (this.remoteRtp) this.push({ kind: 'datagram', data: o.data, to: this.remoteRtp, via: 'rtp' });
        continue;
      }
      const ev = o.event;
      if (ev.type === 'connected' && this._state === 'keying') {
        if (!ev.info.srtpProfile) {
          this.fail(new MediaError('no-srtp-profile', 'the DTLS peer did not negotiate use_srtp (RFC 5764 §4.1.2)'));
          return;
        }
        const s = srtpSessionsFromDtls(dtls);
        this.tx = s.outbound;
        this.rx = s.inbound;
        this.profile = s.profile;
        this.activate(now);
      } else if (ev.type === 'error' && this._state === 'keying') {
        const fp = /fingerprint/i.test(ev.error.message);
        this.fail(new MediaError(fp ? 'fingerprint-mismatch' : 'dtls-failed', `DTLS-SRTP: ${ev.error.message}`));
        return;
      }
      // After keying, DTLS errors and close_notify do not end the media (principle 6): SRTP goes on.
    }
  }

  private activate(now: number): void {
    this._state = 'active';
    this.lastMediaAt = now;
    // RFC 3550 §6.2/A.7: a participant joins when it can send; the first report is due after half the minimum
    // interval, randomised.
    this.scheduler = new RtcpScheduler({
      sessionBandwidth: this.sessionBandwidth,
      random: this.random,
      now,
      initialAvgRtcpSize: UDP_IP_OVERHEAD + 28 + 8 + 4 + this.cnameOctets + 4,
      ...(this.rtcpMinIntervalMs !== undefined ? { minIntervalMs: this.rtcpMinIntervalMs } : {}),
    });
    if (this.profile) {
      this.emit({ type: 'secure', profile: this.profile, keying: this.security.kind === 'dtls' ? 'dtls' : 'sdes' });
    }
  }

  private fail(error: MediaError): void {
    this._state = 'failed';
    this.emit({ type: 'error', error });
    this.emit({ type: 'closed', reason: error.message });
  }

  // ------------------------------------------------------------------------------------------------ receive

  /** STUN (RFC 7983: first octet 0..3) goes to the ICE-lite agent, which answers checks. */
  private onStun(datagram: Uint8Array, from: MediaAddress, now: number): void {
    if (!this.ice) {
      this.dropped.unhandled++;
      return;
    }
    this.ice.handleInput(datagram, from, now, this.local);
    this.drainIce(now);
  }

  /** ICE outputs: responses to send, and the nominated pair, which becomes where media goes (RFC 8445 §8.1.1). */
  private drainIce(now: number): void {
    const ice = this.ice;
    if (!ice) return;
    for (let o = ice.pollOutput(); o.kind !== 'deadline'; o = ice.pollOutput()) {
      if (o.kind === 'datagram') this.push({ kind: 'datagram', data: o.data, to: o.to, via: 'rtp' });
      else if (o.event.type === 'selected-pair') {
        const r = o.event.pair.remote;
        if (!sameAddress(this.remoteRtp, r)) {
          this.setRemoteFrom(r);
          // A DTLS client waiting for an address starts now.
          if (
            this.dtls &&
            this.security.kind === 'dtls' &&
            this.security.role === 'client' &&
            this._state === 'keying'
          ) {
            this.setRemote(this.remoteRtp!, undefined, now);
          }
        }
      } else if (o.event.type === 'failed') {
        this.emit({ type: 'ice-failed', reason: o.event.reason, message: o.event.message });
      }
    }
  }

  private onRtp(datagram: Uint8Array, from: MediaAddress, now: number): void {
    let len = datagram.length;
    if (this.security.kind !== 'none') {
      if (!this.rx) {
        this.dropped.notKeyed++;
        return;
      }
      // One buffer: authenticate and decrypt in place (RFC 3711 §3.3; state moves only after authentication).
      const r = this.rx.tryUnprotectInto(datagram, datagram, 0);
      if (typeof r !== 'number') {
        this.countSrtpFailure(r.name);
        return;
      }
      len = r;
    }
    const bytes = len === datagram.length ? datagram : datagram.subarray(0, len);
    const p = RtpPacket.tryParse(bytes);
    if (!(p instanceof RtpPacket)) {
      this.dropped.malformed++;
      return;
    }
    if (p.ssrc === this._ssrc && !this.reflector) {
      this.ownSsrcSeen(from, now);
      return;
    }
    const src = this.source(p.ssrc, now);
    if (!src) {
      this.dropped.sources++;
      return;
    }
    this.heard(now);
    this.latchRtp(from);
    src.lastHeard = now;
    src.lastRtp = now;
    if (!src.stats.update(p.sequenceNumber, p.timestamp, now, p.payloadLength)) return;
    // The main source is the first valid one; a new SSRC takes over when the main one has been silent for a second
    // (the peer restarted its stream without a BYE).
    if (p.ssrc !== this.mainSource) {
      const cur = this.mainSource === undefined ? undefined : this.sources.get(this.mainSource);
      if (!cur || now - cur.lastRtp > 1000) {
        if (cur) this.mainLeft = cur.stats;
        this.mainSource = p.ssrc;
      }
    }
    this.emit({ type: 'rtp', packet: p, bytes, from });
    if (p.ssrc !== this.mainSource) return;
    if (p.payloadType === this.payloadType) {
      // Into the jitter buffer (it copies); frames come out at the playout clock in handleTimeout.
      if (this.decodeAudio) this.jitter.push(p.payload, p.timestamp, p.sequenceNumber, p.marker, now);
    } else if (p.payloadType === this.telephoneEventPt && this.dtmfRx) {
      this.dtmfRx.handlePayload(p.payload, p.timestamp, p.marker, now);
      this.drainDtmfRx();
    }
  }

  /** Frames due from the jitter buffer, decoded; a gap becomes a frame of silence marked `concealed`. */
  private playout(now: number): void {
    const frameSamples = (this.ptimeMs * this.clockRate) / 1000;
    for (let f = this.jitter.pop(now); f; f = this.jitter.pop(now)) {
      if (f.kind === 'frame') {
        const pcm = new Int16Array(f.payload.length);
        g711Decode(this.codec, f.payload, pcm, 0);
        this.emit({ type: 'audio', pcm, timestamp: f.timestamp, concealed: false });
      } else {
        this.emit({ type: 'audio', pcm: new Int16Array(frameSamples), timestamp: f.timestamp, concealed: true });
      }
    }
  }

  private drainDtmfRx(): void {
    const rx = this.dtmfRx;
    if (!rx) return;
    for (let d = rx.poll(); d; d = rx.poll()) {
      if (d.digit !== undefined)
        this.emit({ type: 'dtmf', digit: d.digit, durationMs: d.durationMs, volume: d.volume });
    }
  }

  /** RTCP datagrams that cannot be used (not keyed, SRTCP failure, malformed) count in `dropped.rtcp`. */
  private onRtcp(datagram: Uint8Array, from: MediaAddress, now: number): void {
    let len = datagram.length;
    if (this.security.kind !== 'none') {
      if (!this.rx) {
        this.dropped.rtcp++;
        return;
      }
      // RTCP is rare: the throwing *Into call is fine here (@mdh/srtp has no non-throwing SRTCP Into variant).
      try {
        len = this.rx.unprotectRtcpInto(datagram, datagram, 0);
      } catch {
        // forged, replayed, or sent in the clear (some peers send RTCP APP keepalives unprotected): RFC 3711 §3.4
        this.dropped.rtcp++;
        return;
      }
    }
    const data = len === datagram.length ? datagram : datagram.subarray(0, len);
    const packets = tryParseRtcp(data);
    if (!Array.isArray(packets)) {
      this.dropped.rtcp++;
      return;
    }
    this.rtcpReceivedCount++;
    this.heard(now);
    this.latchRtcp(from);
    this.scheduler?.rtcpReceived(len + UDP_IP_OVERHEAD);
    let reportChanged = false;
    for (const p of packets) {
      switch (p.kind) {
        case 'sr':
        case 'rr': {
          if (p.ssrc === this._ssrc) {
            if (this.reflector) {
              this.dropped.looped++; // our own report reflected back: nothing to learn from it
              break;
            }
            this.ownSsrcSeen(from, now);
            return;
          }
          const src = this.source(p.ssrc, now);
          if (src) src.lastHeard = now;
          if (p.kind === 'sr') {
            // An SR may precede the source's first RTP packet (ffmpeg sends one before any media).
            src?.stats.onSenderReport(p.ntpSeconds, p.ntpFraction, now);
            this.remoteSender = { ssrc: p.ssrc, packetCount: p.packetCount, octetCount: p.octetCount, at: now };
            reportChanged = true;
          }
          if (this.noteReports(p.ssrc, p.reports, now)) reportChanged = true;
          break;
        }
        case 'bye':
          for (const s of p.ssrcs) {
            if (s === this._ssrc) continue;
            const gone = this.sources.get(s);
            if (gone && this.sources.delete(s)) {
              // The call report keeps what we received from the main source after it left.
              if (s === this.mainSource) {
                this.mainLeft = gone.stats;
                this.mainSource = undefined;
              }
              this.emit({ type: 'bye', ssrc: s, reason: p.reason });
            }
          }
          this.updateMembers(now);
          break;
        default:
          break;
      }
    }
    this.emit({ type: 'rtcp', packets, from });
    if (reportChanged) this.emit({ type: 'stats', stats: this.stats() });
  }

  /** Report blocks about our SSRC: RTT (RFC 3550 §6.4.1 A − LSR − DLSR), the far end's loss and jitter. */
  private noteReports(reporter: number, blocks: readonly ReportBlock[], now: number): boolean {
    let changed = false;
    for (const b of blocks) {
      if (b.ssrc !== this._ssrc) continue;
      const ntp = ntpFromUnixMs(this.wallClock(now));
      const rtt = roundTripTimeMs(ntpMiddle32(ntp.seconds, ntp.fraction), b.lsr, b.dlsr);
      if (rtt !== undefined) this.rttMs = rtt;
      this.remoteReception = {
        reporter,
        fractionLost: b.fractionLost / 256,
        cumulativeLost: b.cumulativeLost,
        jitterMs: (b.jitter * 1000) / this.clockRate,
        highestSeq: b.highestSeq,
        at: now,
      };
      changed = true;
    }
    return changed;
  }

  private countSrtpFailure(name: string): void {
    if (name === 'SrtpReplayError') this.dropped.replayed++;
    else if (name === 'SrtpAuthError') this.dropped.unauthenticated++;
    else this.dropped.malformed++;
  }

  /** Authenticated media arrived: the media timeout starts again. */
  private heard(now: number): void {
    this.lastMediaAt = now;
    this.timedOut = false;
  }

  /**
   * Symmetric RTP (RFC 4961): the first authenticated RTP from the peer fixes where we send, once (a NAT may have
   * changed the signalled address). Later changes of source do not move it (no hijack by a second sender).
   */
  private latchRtp(from: MediaAddress): void {
    if (this.latched || !this.latch) return;
    this.latched = true;
    if (!sameAddress(this.remoteRtp, from)) this.setRemoteFrom(from);
  }

  /** The same for RTCP on its own port (RFC 3550 §11) when not muxed. */
  private latchRtcp(from: MediaAddress): void {
    if (!this.latch) return;
    if (this.rtcpMux) {
      if (this.remoteRtp === undefined) this.setRemoteFrom(from);
      return;
    }
    if (this.rtcpLatched) return;
    this.rtcpLatched = true;
    this.remoteRtcpAddr = { address: from.address, port: from.port };
  }

  private setRemoteFrom(from: MediaAddress): void {
    this.remoteRtp = { address: from.address, port: from.port };
    if (this.rtcpMux) this.remoteRtcpAddr = this.remoteRtp;
    else if (!this.remoteRtcpGiven) this.remoteRtcpAddr = this.rtcpFor(this.remoteRtp);
    this.emit({ type: 'remote', remote: this.remoteRtp });
  }

  private source(ssrc: number, now: number): Source | undefined {
    let s = this.sources.get(ssrc);
    if (s === undefined) {
      if (this.sources.size >= this.maxSources) return undefined;
      // A.1 probation of one packet: a call's peer is known from signalling, and its first packet carries audio.
      s = { stats: new ReceiverStats({ ssrc, clockRate: this.clockRate, probation: 1 }), lastHeard: now, lastRtp: -1 };
      s.stats.firstSeenMs = now;
      this.sources.set(ssrc, s);
      this.updateMembers(now);
    }
    return s;
  }

  /**
   * RFC 3550 §8.2: a packet carrying our SSRC. Our own packets looped back are dropped and counted; from anyone
   * else it is a collision: BYE for the old SSRC (if we sent anything), a new random SSRC not in use, fresh
   * sender statistics.
   */
  private ownSsrcSeen(from: MediaAddress, now: number): void {
    if (this.local && sameAddress(this.local, from)) {
      this.dropped.looped++;
      return;
    }
    this.ssrcCollisions++;
    const old = this._ssrc;
    if (this.rtpSent > 0 || this.sentRtcp) {
      this.emitRtcp([...this.buildReport(now), new Goodbye([old], 'SSRC collision')]);
    }
    let next = old;
    for (let i = 0; i < 16 && (next === old || this.sources.has(next)); i++) next = this.randomU32();
    this._ssrc = next;
    this.sender = new SenderStats({ ssrc: next, clockRate: this.clockRate });
    this.emit({ type: 'ssrc-change', oldSsrc: old, newSsrc: next });
  }

  // ------------------------------------------------------------------------------------------------ RTCP

  /** §6.3.8 / A.7 we_sent: an RTP packet went out within the last two report intervals. */
  private weSent(now: number): boolean {
    const sch = this.scheduler;
    if (!sch || !this.sender.hasSent) return false;
    return now - this.sender.lastSentMs < 2 * sch.deterministicInterval();
  }

  /**
   * The SR (when we sent RTP since the report before last, §6.4) or RR, with a report block for each valid
   * source (§6.4.1, A.3; more RRs beyond 31, §6.4.2), then SDES CNAME (§6.5.1). Closes each source's interval.
   */
  private buildReport(now: number): RtcpPacket[] {
    const blocks: ReportBlock[] = [];
    for (const s of this.sources.values()) if (s.stats.valid) blocks.push(s.stats.reportBlock(now));
    const first = blocks.slice(0, 31);
    const head = this.weSent(now)
      ? this.sender.senderReport(now, this.wallClock(now), first)
      : new ReceiverReport({ ssrc: this._ssrc, reports: first });
    const out: RtcpPacket[] = [head];
    for (let i = 31; i < blocks.length; i += 31) {
      out.push(new ReceiverReport({ ssrc: this._ssrc, reports: blocks.slice(i, i + 31) }));
    }
    out.push(SourceDescription.cname(this._ssrc, this.cname));
    return out;
  }

  private rtcpTimer(now: number): void {
    const sch = this.scheduler!;
    this.expireSources(now);
    sch.weSent = this.weSent(now);
    this.updateMembers(now);
    sch.handleTimeout(now);
    let due = false;
    for (let o = sch.pollOutput(); o; o = sch.pollOutput())
      if (o.kind === 'event') due ||= o.event.type === 'send-report';
    if (!due) return;
    const compound = this.buildReport(now);
    this.emitRtcp(compound);
    sch.reportSent(now, rtcpCompoundSize(compound) + UDP_IP_OVERHEAD);
  }

  /** Serialises a compound into one buffer with room for the SRTCP trailer, protects it in place, queues it. */
  private emitRtcp(packets: readonly RtcpPacket[], closing = false): boolean {
    const to = this.rtcpMux ? this.remoteRtp : this.remoteRtcpAddr;
    if ((this._state !== 'active' && !closing) || to === undefined) return false;
    // DTLS-SRTP keys SRTCP on a separate RTCP port from a second association (RFC 5764 §4.1), which this session
    // does not run: without rtcp-mux it sends no RTCP rather than SRTCP the peer cannot authenticate.
    if (this.security.kind === 'dtls' && !this.rtcpMux) return false;
    if (this.security.kind !== 'none' && !this.tx) return false;
    const n = rtcpCompoundSize(packets);
    const buf = new Uint8Array(n + (this.tx ? this.tx.rtcpOverhead : 0));
    serializeRtcpInto(packets, buf, 0);
    let len = n;
    if (this.tx) len = this.tx.protectRtcpInto(buf.subarray(0, n), buf, 0);
    this.rtcpSentCount++;
    this.sentRtcp = true;
    this.push({
      kind: 'datagram',
      data: len === buf.length ? buf : buf.subarray(0, len),
      to,
      via: this.rtcpMux ? 'rtp' : 'rtcp',
    });
    return true;
  }

  /** §6.3.5: a source not heard from for 5 Td (at least 5 × 2.5 s) times out. */
  private expireSources(now: number): void {
    const limit = 5 * Math.max(this.scheduler!.deterministicInterval(), 2500);
    for (const [ssrc, s] of this.sources) {
      if (now - s.lastHeard > limit) {
        this.sources.delete(ssrc);
        if (this.mainSource === ssrc) {
          this.mainLeft = s.stats;
          this.mainSource = undefined;
        }
      }
    }
  }

  private updateMembers(now: number): void {
    const sch = this.scheduler;
    if (!sch) return;
    const window = 2 * sch.deterministicInterval();
    let senders = sch.weSent ? 1 : 0;
    for (const s of this.sources.values()) if (s.lastRtp >= 0 && now - s.lastRtp < window) senders++;
    sch.setMembers(1 + this.sources.size, senders, now);
  }

  // ------------------------------------------------------------------------------------------------ plumbing

  private nextDeadline(): number | null {
    if (this._state === 'closed' || this._state === 'failed') return null;
    let at: number | null = null;
    const consider = (t: number | null | undefined) => {
      if (t !== null && t !== undefined && (at === null || t < at)) at = t;
    };
    if (this.dtls && this._state === 'keying') {
      // The engine's own deadline: peek without consuming outputs (it has none queued after a drain).
      const o = this.dtls.pollOutput();
      if (o.kind === 'deadline') consider(o.at);
    }
    if (this.ice) {
      const o = this.ice.pollOutput();
      if (o.kind === 'deadline') consider(o.at);
    }
    consider(this.scheduler?.nextDeadline);
    if (this._state === 'active') {
      consider(this.dtmfTx?.nextDeadline());
      consider(this.dtmfRx?.nextDeadline());
      consider(this.jitter.nextDeadline());
    }
    if (this.mediaTimeoutMs > 0 && !this.timedOut) consider(this.lastMediaAt + this.mediaTimeoutMs);
    return at;
  }

  private emit(event: MediaEvent): void {
    this.outputs.push({ kind: 'event', event });
  }

  private push(o: MediaOutput): void {
    if (this.outputs.length >= MAX_QUEUED_OUTPUTS) {
      const i = this.outputs.findIndex((x) => x.kind === 'datagram');
      if (i >= 0) this.outputs.splice(i, 1);
    }
    this.outputs.push(o);
  }

  private rtcpFor(rtp: MediaAddress): MediaAddress {
    return this.rtcpMux ? rtp : { address: rtp.address, port: rtp.port + 1 };
  }

  private randomU32(): number {
    return Math.floor(this.random() * 0x100000000) >>> 0;
  }
}

function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

function sameAddress(a: MediaAddress | undefined, b: MediaAddress): boolean {
  return a !== undefined && a.port === b.port && a.address === b.address;
}

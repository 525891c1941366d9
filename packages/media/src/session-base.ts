/**
 * State, construction and plumbing shared by the layers of {@link MediaSession} (media-session.ts): the
 * fields, the output queue, latching of the peer's addresses and the next deadline.
 */
import { utf8Encode } from '@mdh/bytes';
import type { DtlsEngine } from '@mdh/dtls';
import { type ReceiverStats, type RtcpScheduler, SenderStats } from '@mdh/rtp';
import type { SrtpSession } from '@mdh/srtp';
import { DtmfReceiver, DtmfSender } from './audio/dtmf.js';
import { JitterBuffer } from './audio/jitter-buffer.js';
import { OPUS_PCM_RATE, OpusCodec } from './audio/opus.js';
import { MediaError } from './errors.js';
import type { IceLiteAgent } from './ice/ice-lite-agent.js';
import type { MediaKeyEvent } from './observability.js';
import type {
  MediaAddress,
  MediaDirection,
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
export const UDP_IP_OVERHEAD = 28;
/** DTLS-SRTP profiles offered by default, strongest first (RFC 5764 §4.1.2, RFC 7714 §14.2). */
export const DEFAULT_DTLS_SRTP_PROFILES: readonly string[] = [
  'SRTP_AEAD_AES_128_GCM',
  'SRTP_AES128_CM_HMAC_SHA1_80',
  'SRTP_AES128_CM_HMAC_SHA1_32',
];
/** Upper bound of queued outputs: beyond it, the oldest datagrams are not kept (a caller that never polls). */
const MAX_QUEUED_OUTPUTS = 4096;

/** One remote synchronisation source. */
export interface Source {
  readonly stats: ReceiverStats;
  /** Last RTP or RTCP from it (session clock). */
  lastHeard: number;
  /** Last RTP from it, or -1. */
  lastRtp: number;
}

/**
 * The fields and plumbing of a {@link MediaSession}; keying (session-keying.ts), RTCP (session-rtcp.ts) and the
 * public API with RTP (media-session.ts) build on it.
 *
 * @internal
 */
export abstract class MediaSessionBase {
  /** Negotiated audio payload type. */
  readonly payloadType: number;
  /** Audio codec. */
  readonly codec: 'PCMU' | 'PCMA' | 'opus';
  /** Sample rate of the PCM of `sendAudio` and `audio` events: the clock rate, except 8000 for Opus (opus.ts). */
  readonly pcmRate: number;
  protected readonly opus: OpusCodec | undefined;
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

  protected _state: MediaState = 'keying';
  protected _ssrc: number;
  protected sender: SenderStats;
  protected seq: number;
  protected ts: number;
  protected readonly random: () => number;
  protected readonly wallClock: (now: number) => number;
  protected readonly security: MediaSecurity;
  protected readonly latch: boolean;
  protected readonly local: MediaAddress | undefined;
  protected readonly keylog: ((e: MediaKeyEvent) => void) | undefined;
  protected readonly maxSources: number;
  protected readonly mediaTimeoutMs: number;
  protected readonly rtcpMinIntervalMs: number | undefined;
  protected readonly sessionBandwidth: number;
  protected readonly cnameOctets: number;
  protected readonly ice: IceLiteAgent | undefined;
  protected readonly reflector: boolean;
  protected readonly decodeAudio: boolean;
  protected remoteRtp: MediaAddress | undefined;
  protected remoteRtcpAddr: MediaAddress | undefined;
  protected readonly remoteRtcpGiven: boolean;
  protected dtls: DtlsEngine | undefined;
  /**
   * DTLS-SRTP without rtcp-mux: the RTCP component's own association on the RTCP ports (RFC 5764 §4.1; RFC 5763
   * §5), same role and certificate, whose exported keys protect SRTCP.
   */
  protected rtcpDtls: DtlsEngine | undefined;
  protected rtcpTx: SrtpSession | undefined;
  protected rtcpRx: SrtpSession | undefined;
  protected tx: SrtpSession | undefined;
  protected rx: SrtpSession | undefined;
  /** The last SRTP datagram decrypted in place, at its received length (where `echoRtp` may protect in place). */
  protected rxDatagram: Uint8Array | undefined;
  protected profile: string | undefined;
  protected scheduler: RtcpScheduler | undefined;
  protected readonly sources = new Map<number, Source>();
  /** The source whose audio we play and report as "received" (the first valid one). */
  protected mainSource: number | undefined;
  /** Its statistics once it left (BYE or timeout), for the call report. */
  protected mainLeft: ReceiverStats | undefined;
  protected readonly outputs: MediaOutput[] = [];
  protected lastMediaAt: number;
  protected timedOut = false;
  protected sentRtcp = false;
  protected rtpSent = 0;
  protected rtpOctetsSent = 0;
  protected rtcpSentCount = 0;
  protected rtcpReceivedCount = 0;
  protected rttMs: number | undefined;
  protected remoteReception: RemoteReception | undefined;
  protected remoteSender: RemoteSender | undefined;
  protected ssrcCollisions = 0;
  protected latched = false;
  protected rtcpLatched = false;
  protected readonly dtmfTx: DtmfSender | undefined;
  protected readonly dtmfRx: DtmfReceiver | undefined;
  protected readonly jitter: JitterBuffer;
  /** The next audio packet starts a talkspurt (RFC 3551 §4.1: marker bit). */
  protected talkspurt = true;
  /** Our negotiated direction (RFC 3264 §6.1, §8.4): RTP goes out only for sendrecv/sendonly. */
  protected _direction: MediaDirection = 'sendrecv';
  protected now: number;

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
    // Opus: RTP clock 48 kHz (RFC 7587 §4.1), PCM at 8 kHz (libopus converts); loaded only when negotiated
    this.opus = this.codec === 'opus' ? new OpusCodec() : undefined;
    this.pcmRate = this.opus ? OPUS_PCM_RATE : this.clockRate;
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
    this.keylog = opts.keylog;
    if (opts.direction !== undefined) this.setDirection(opts.direction);
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
      this.dtls = this.newDtlsEngine(sec);
      if (sec.role === 'client' && this.remoteRtp) this.dtls.start(opts.now);
      if (!this.rtcpMux) {
        this.rtcpDtls = this.newDtlsEngine(sec);
        if (sec.role === 'client' && this.remoteRtcpAddr) this.rtcpDtls.start(opts.now);
      }
      this.drainDtls(opts.now);
    }
    // What a started agent queued (its state change) is taken now: nextDeadline peeks the agent's output and would
    // otherwise consume that event instead of the connect deadline, leaving no timer for a call whose checks never come.
    if (this.ice) this.drainIce(opts.now);
  }

  /** Sets our negotiated direction (implemented by MediaSession). */
  abstract setDirection(direction: MediaDirection): void;
  /** Sets the peer's addresses (implemented by MediaSession). */
  abstract setRemote(remote: MediaAddress, remoteRtcp?: MediaAddress, now?: number): void;
  protected abstract keySdes(sec: Extract<MediaSecurity, { kind: 'sdes' }>): void;
  protected abstract newDtlsEngine(sec: Extract<MediaSecurity, { kind: 'dtls' }>): DtlsEngine;
  protected abstract drainDtls(now: number): void;
  protected abstract drainIce(now: number): void;
  protected abstract activate(now: number): void;
  /** Statistics of the call (implemented by MediaSession). */
  abstract stats(): MediaStats;

  // ------------------------------------------------------------------------------------------------ plumbing

  protected countSrtpFailure(name: string): void {
    if (name === 'SrtpReplayError') this.dropped.replayed++;
    else if (name === 'SrtpAuthError') this.dropped.unauthenticated++;
    else this.dropped.malformed++;
  }

  /** Authenticated media arrived: the media timeout starts again. */
  protected heard(now: number): void {
    this.lastMediaAt = now;
    this.timedOut = false;
  }

  /**
   * Symmetric RTP (RFC 4961): the first authenticated RTP from the peer fixes where we send, once (a NAT may have
   * changed the signalled address). Later changes of source do not move it (no hijack by a second sender).
   */
  protected latchRtp(from: MediaAddress): void {
    if (this.latched || !this.latch) return;
    this.latched = true;
    if (!sameAddress(this.remoteRtp, from)) this.setRemoteFrom(from);
  }

  /** The same for RTCP on its own port (RFC 3550 §11) when not muxed. */
  protected latchRtcp(from: MediaAddress): void {
    if (!this.latch) return;
    if (this.rtcpMux) {
      if (this.remoteRtp === undefined) this.setRemoteFrom(from);
      return;
    }
    if (this.rtcpLatched) return;
    this.rtcpLatched = true;
    this.remoteRtcpAddr = { address: from.address, port: from.port };
  }

  protected setRemoteFrom(from: MediaAddress): void {
    this.remoteRtp = { address: from.address, port: from.port };
    if (this.rtcpMux) this.remoteRtcpAddr = this.remoteRtp;
    else if (!this.remoteRtcpGiven) this.remoteRtcpAddr = this.rtcpFor(this.remoteRtp);
    this.emit({ type: 'remote', remote: this.remoteRtp });
  }

  // ------------------------------------------------------------------------------------------------ plumbing

  protected nextDeadline(): number | null {
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
    if (this.rtcpDtls && !this.rtcpTx) {
      const o = this.rtcpDtls.pollOutput();
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

  protected emit(event: MediaEvent): void {
    this.outputs.push({ kind: 'event', event });
  }

  protected push(o: MediaOutput): void {
    if (this.outputs.length >= MAX_QUEUED_OUTPUTS) {
      const i = this.outputs.findIndex((x) => x.kind === 'datagram');
      if (i >= 0) this.outputs.splice(i, 1);
    }
    this.outputs.push(o);
  }

  protected rtcpFor(rtp: MediaAddress): MediaAddress {
    return this.rtcpMux ? rtp : { address: rtp.address, port: rtp.port + 1 };
  }

  protected randomU32(): number {
    return Math.floor(this.random() * 0x100000000) >>> 0;
  }
}

/** Writes a big-endian 32-bit word. */
export function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** Whether `a` is the address `b`. */
export function sameAddress(a: MediaAddress | undefined, b: MediaAddress): boolean {
  return a !== undefined && a.port === b.port && a.address === b.address;
}

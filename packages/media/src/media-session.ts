/**
 * The media of one call as a sans-I/O core (DESIGN principle 1, STYLE 5a): RFC 7983 demultiplexing, DTLS-SRTP
 * (RFC 5763/5764) or SDES (RFC 4568) keys, SRTP/SRTCP (RFC 3711), RTP and RTCP (RFC 3550) with rtcp-mux
 * (RFC 5761), a media timeout, and audio/DTMF for applications. Three calls drive it: `handleInput`,
 * `handleTimeout`, `pollOutput`; nothing inside opens a socket, starts a timer or reads a clock.
 */
import { Goodbye, isRtcpPacket, type RtcpPacket, RtpPacket, rtcpCompoundSize } from '@mdh/rtp';
import { g711Decode, g711Encode } from './audio/g711.js';
import { classifyPacket } from './demux.js';
import { MediaError } from './errors.js';
import { UDP_IP_OVERHEAD, writeU32 } from './session-base.js';
import { MediaSessionRtcp } from './session-rtcp.js';
import type {
  MediaAddress,
  MediaDirection,
  MediaOutput,
  MediaSessionOptions,
  MediaState,
  MediaStats,
} from './types.js';

export { DEFAULT_DTLS_SRTP_PROFILES } from './session-base.js';

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

const MEDIA_DIRECTIONS: readonly string[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

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
export class MediaSession extends MediaSessionRtcp {
  /** Creates the session. SDES/none sessions are active at once; DTLS ones start their handshake. */
  constructor(opts: MediaSessionOptions) {
    super(opts);
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

  /** Our negotiated media direction (RFC 3264 §6.1); see {@link MediaSession.setDirection}. */
  get direction(): MediaDirection {
    return this._direction;
  }

  /**
   * Sets our negotiated direction (RFC 3264 §6.1, §8.4 hold): with `recvonly` or `inactive` no RTP goes out
   * (`sendRtp`, `sendAudio`, `echoRtp` and DTMF return false and send nothing, while the media clock runs on), but
   * RTCP continues (§8.4: RTCP is still sent, so the session stays alive and the media timeout does not fire on
   * a held call). Back to `sendrecv`/`sendonly` the next audio frame starts a talkspurt (marker bit).
   */
  setDirection(direction: MediaDirection): void {
    if (!MEDIA_DIRECTIONS.includes(direction)) throw new MediaError('bad-argument', `direction ${direction}`);
    if (!this.sending && (direction === 'sendrecv' || direction === 'sendonly')) this.talkspurt = true;
    this._direction = direction;
  }

  /** Whether our direction lets RTP out. */
  private get sending(): boolean {
    return this._direction === 'sendrecv' || this._direction === 'sendonly';
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
    this.startRtcpDtls(now);
  }

  /**
   * Feeds one received datagram (from the RTP port, or the RTCP port when not muxed). Never throws: noise is
   * dropped and counted in {@link MediaSession.dropped}. With SRTP, the datagram is decrypted in place: the
   * caller hands over `datagram` and must not reuse it. `via` names the local socket it arrived on (default the
   * RTP one): without rtcp-mux, DTLS on the RTCP port is the RTCP component's own handshake (RFC 5764 §4.1).
   */
  handleInput(datagram: Uint8Array, from: MediaAddress, now: number, via: 'rtp' | 'rtcp' = 'rtp'): void {
    if (now > this.now) this.now = now;
    if (this._state === 'closed' || this._state === 'failed') return;
    try {
      switch (classifyPacket(datagram)) {
        case 'rtp':
          if (isRtcpPacket(datagram)) this.onRtcp(datagram, from, now);
          else this.onRtp(datagram, from, now);
          return;
        case 'dtls':
          if (via === 'rtcp' && this.rtcpDtls) {
            this.onRtcpDtls(datagram, from, now);
            return;
          }
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
      if (this.rtcpDtls) {
        this.rtcpDtls.handleTimeout(now);
        this.drainRtcpDtls(now);
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
   *
   * `inPlace`: when `rtp` is the packet just received with SRTP, protect it back into the datagram it arrived in
   * (its tag's room is there), so nothing is allocated per packet. The `rtp` event's bytes and packet then hold the
   * protected packet: use it only when the echo is the last thing done with the event (as `mdh echo` does).
   */
  echoRtp(rtp: Uint8Array, now?: number, inPlace = false): boolean {
    this.usable(now);
    const to = this.remoteRtp;
    if (this._state !== 'active' || to === undefined || rtp.length < 12 || !this.sending) return false;
    rtp[2] = this.seq >>> 8;
    rtp[3] = this.seq & 0xff;
    writeU32(rtp, 8, this._ssrc);
    let data = rtp;
    const rx = this.rxDatagram;
    if (
      this.tx &&
      inPlace &&
      rx !== undefined &&
      rtp.buffer === rx.buffer &&
      rtp.byteOffset === rx.byteOffset &&
      rtp.length + this.tx.rtpOverhead <= rx.length
    ) {
      const len = this.tx.protectInto(rtp, rx, 0);
      data = len === rx.length ? rx : rx.subarray(0, len);
    } else if (this.tx) {
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
   * Sends one frame of 16-bit linear PCM at {@link pcmRate} (160 samples = 20 ms at 8 kHz) as G.711 in the
   * negotiated law, encoded straight into the packet buffer, or as one Opus packet. The first frame of a talkspurt carries the marker
   * bit (RFC 3551 §4.1). While a DTMF event is being sent the frame is held back (its time still passes).
   * Returns whether a packet went out.
   */
  sendAudio(pcm: Int16Array, now?: number): boolean {
    this.usable(now);
    const timestamp = this.ts;
    this.ts = (this.ts + (pcm.length * this.clockRate) / this.pcmRate) >>> 0;
    if (this.dtmfTx?.sendingEvent) {
      this.talkspurt = true;
      return false;
    }
    if (this.opus) {
      const packet = this.opus.encode(pcm);
      const sent = this.emitRtp(this.payloadType, timestamp, this.talkspurt, packet.length, timestamp, (b, at) => {
        b.set(packet, at);
      });
      if (sent) this.talkspurt = false;
      return sent;
    }
    const codec = this.codec as 'PCMU' | 'PCMA';
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
    let polled = false;
    for (let p = tx.poll(now, this.mediaClock(now)); p; p = tx.poll(now, this.mediaClock(now))) {
      polled = true;
      const payload = p.payload;
      this.emitRtp(this.telephoneEventPt!, p.timestamp, p.marker, payload.length, this.mediaClock(now), (b, at) =>
        b.set(payload, at),
      );
    }
    // Audio after an event starts a new talkspurt (RFC 3551 §4.1); a timer with no event leaves the marker alone.
    if (polled && !tx.sendingEvent) this.talkspurt = true;
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
    if (this._state !== 'active' || to === undefined || !this.sending) return false;
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
      if (this.rtcpDtls) {
        this.rtcpDtls.close();
        this.drainRtcpDtls(now);
      }
      this.ice?.close();
      this.opus?.close();
    } catch {
      this.dropped.internal++;
    }
    this.tx?.close();
    this.rx?.close();
    this.rtcpTx?.close();
    this.rtcpRx?.close();
    this.emit({ type: 'closed', reason: reason ?? 'closed' });
  }

  // ------------------------------------------------------------------------------------------------ RTP receive

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
      this.rxDatagram = datagram;
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
    const frameSamples = (this.ptimeMs * this.pcmRate) / 1000;
    for (let f = this.jitter.pop(now); f; f = this.jitter.pop(now)) {
      if (f.kind === 'frame' && this.opus) {
        const pcm = this.opus.decode(f.payload);
        if (pcm) this.emit({ type: 'audio', pcm, timestamp: f.timestamp, concealed: false });
        else this.emit({ type: 'audio', pcm: new Int16Array(frameSamples), timestamp: f.timestamp, concealed: true });
      } else if (f.kind === 'frame') {
        const pcm = new Int16Array(f.payload.length);
        g711Decode(this.codec as 'PCMU' | 'PCMA', f.payload, pcm, 0);
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
}

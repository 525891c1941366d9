/**
 * An RTP session (RFC 3550 §6, §8) over @mdh/loop UDP sockets: sends and receives RTP, keeps per-source
 * {@link ReceiverStats} and our {@link SenderStats}, sends SR/RR + SDES CNAME compounds on the
 * {@link RtcpScheduler}'s schedule (A.7, driven by the Loop's timers, so it runs on a ManualClock too), and a
 * BYE on close. RTP and RTCP use separate ports (RTCP on RTP + 1 by default) or one port (rtcp-mux, RFC 5761).
 * An optional SRTP transform (structurally @mdh/srtp's SrtpSession) protects and unprotects every packet.
 */
import { utf8Encode } from '@mdh/bytes';
import { createUdpSocket, type Loop, type TimerId, type UdpMessage } from '@mdh/loop';
import { RtpParseError } from './errors.js';
import { ntpFromUnixMs, ntpMiddle32, roundTripTimeMs } from './ntp.js';
import { ReceiverStats } from './receiver-stats.js';
import { Goodbye } from './rtcp/bye.js';
import { isRtcpPacket, type RtcpPacket, rtcpCompoundSize, serializeRtcp, tryParseRtcp } from './rtcp/compound.js';
import type { ReportBlock } from './rtcp/report-block.js';
import { ReceiverReport } from './rtcp/rr.js';
import { SourceDescription } from './rtcp/sdes.js';
import { RtcpScheduler } from './rtcp-scheduler.js';
import { RtpPacket } from './rtp-packet.js';
import { SenderStats } from './sender-stats.js';

/**
 * An SRTP/SRTCP transform (RFC 3711). Structural, so @mdh/srtp's `SrtpSession` fits without this package
 * depending on it. `unprotect*` must throw on an authentication or replay failure (the packet is dropped).
 */
export interface SrtpTransform {
  /** RTP → SRTP (RFC 3711 §3.3). */
  protect(rtp: Uint8Array): Uint8Array;
  /** SRTP → RTP; throws when authentication or replay checks fail (the packet is then dropped). */
  unprotect(srtp: Uint8Array): Uint8Array;
  /** RTCP → SRTCP (RFC 3711 §3.4). */
  protectRtcp(rtcp: Uint8Array): Uint8Array;
  /** SRTCP → RTCP; throws when authentication or replay checks fail. */
  unprotectRtcp(srtcp: Uint8Array): Uint8Array;
}

/** The part of @mdh/loop's `UdpSocket` a session uses (so tests may pass an in-memory socket). */
export interface RtpDatagramSocket {
  readonly port: number;
  readonly address: string;
  /** Sends one datagram (fire and forget). */
  send(data: Uint8Array, port: number, address: string): void;
  /** Delivers every datagram received to `cb`; returns the unsubscribe function. */
  onMessage(cb: (m: UdpMessage) => void): () => void;
  /** Closes the socket. */
  close(): Promise<void>;
}

/** Where to send: the peer's RTP address and port, and its RTCP port (default RTP + 1, or RTP with rtcp-mux). */
export interface RtpRemote {
  address: string;
  rtpPort: number;
  rtcpPort?: number;
}

/** Options of {@link RtpSession}. */
export interface RtpSessionOptions {
  /** The loop whose timers drive RTCP. */
  loop: Loop;
  /** Socket for RTP (and RTCP when `rtcpSocket` is absent: rtcp-mux, RFC 5761). */
  rtpSocket: RtpDatagramSocket;
  /** Socket for RTCP; omit for rtcp-mux. */
  rtcpSocket?: RtpDatagramSocket;
  /** The peer. When omitted, the session latches onto the source of the first valid RTP packet. */
  remote?: RtpRemote;
  /** RTP clock rate of the payload we send and receive (default 8000). */
  clockRate?: number;
  /** Our SSRC (default random). */
  ssrc?: number;
  /** First RTP sequence number (default random, RFC 3550 §5.1). */
  initialSequenceNumber?: number;
  /** Our CNAME for SDES, 1..255 UTF-8 octets (default a random string); RangeError otherwise. */
  cname?: string;
  /** Session bandwidth in bits/s for the RTCP interval (default 64000 + IP/UDP/RTP overhead: 80000). */
  sessionBandwidth?: number;
  /** RTCP minimum interval in ms (default 5000, RFC 3550 §6.2). */
  rtcpMinIntervalMs?: number;
  /** SRTP transform applied to everything sent and received. */
  srtp?: SrtpTransform;
  /** Random source in [0, 1) for the SSRC, sequence start and RTCP intervals (default Math.random). */
  random?: () => number;
  /** Wall clock in Unix ms for SR NTP timestamps (default: Date.now() at start plus the loop clock's progress). */
  wallClock?: () => number;
  /** A.1 probation for new sources (default 2). */
  probation?: number;
  /** At most this many remote sources are tracked (default 64); packets of further SSRCs are dropped. */
  maxSources?: number;
  /** Close the sockets on {@link RtpSession.close} (default true for sessions made by {@link RtpSession.open}). */
  ownsSockets?: boolean;
}

/** Options of {@link RtpSession.open}: the session options minus the sockets, plus where to bind. */
export interface RtpSessionOpenOptions extends Omit<RtpSessionOptions, 'rtpSocket' | 'rtcpSocket' | 'ownsSockets'> {
  /** Local address (default 127.0.0.1). */
  address?: string;
  /** Use one port for RTP and RTCP (RFC 5761). Default false: RTP on an even port, RTCP on the next one. */
  rtcpMux?: boolean;
  /** Local RTP port (default: chosen by the OS; without rtcp-mux an even port whose successor is free). */
  rtpPort?: number;
}

/** Where a packet came from. */
export interface RtpPeerAddress {
  address: string;
  port: number;
}

/** Counters of a session. */
export interface RtpSessionCounters {
  rtpSent: number;
  rtcpSent: number;
  rtpReceived: number;
  rtcpReceived: number;
  /** RTP datagrams that failed to parse. */
  malformedRtp: number;
  /** RTCP datagrams that failed to parse. */
  malformedRtcp: number;
  /** Datagrams the SRTP transform rejected. */
  srtpFailures: number;
  /** Packets from another transport address carrying our SSRC (RFC 3550 §8.2); each makes us change SSRC. */
  ssrcCollisions: number;
  /** Our own packets coming back to us (a forwarding loop, RFC 3550 §8.2), dropped. */
  loopedPackets: number;
  /** Packets of new sources dropped because `maxSources` was reached. */
  droppedSources: number;
}

/** What a session knows about a remote participant's reports on us (from SR/RR blocks). */
export interface RemoteReport {
  /** The report block the peer sent about our stream. */
  block: ReportBlock;
  /** Round-trip time computed from LSR/DLSR (RFC 3550 §6.4.1), ms, when available. */
  rttMs: number | undefined;
  /** Loop time at which it arrived. */
  receivedAt: number;
}

/** IPv4 + UDP header octets, counted in the average RTCP packet size (RFC 3550 §6.2). */
const UDP_IP_OVERHEAD = 28;

/** An RTP session: send/receive, statistics, scheduled RTCP, BYE on close. */
export class RtpSession {
  private _ssrc: number;
  /** Our CNAME. */
  readonly cname: string;
  private _sender: SenderStats;
  /** Reception statistics per remote SSRC. */
  readonly sources = new Map<number, ReceiverStats>();
  /** The RTCP timer. */
  readonly scheduler: RtcpScheduler;
  /** Reports peers sent about our stream, by reporter SSRC. */
  readonly remoteReports = new Map<number, RemoteReport>();
  /** Counters. */
  readonly counters: RtpSessionCounters = {
    rtpSent: 0,
    rtcpSent: 0,
    rtpReceived: 0,
    rtcpReceived: 0,
    malformedRtp: 0,
    malformedRtcp: 0,
    srtpFailures: 0,
    ssrcCollisions: 0,
    loopedPackets: 0,
    droppedSources: 0,
  };

  private readonly loop: Loop;
  private readonly rtpSocket: RtpDatagramSocket;
  private readonly rtcpSocket: RtpDatagramSocket | undefined;
  private readonly srtp: SrtpTransform | undefined;
  private readonly wallClock: () => number;
  private readonly probation: number;
  private readonly maxSources: number;
  private readonly ownsSockets: boolean;
  private readonly clockRate: number;
  private readonly random: () => number;
  private readonly ssrcListeners = new Set<(newSsrc: number, oldSsrc: number) => void>();
  private remote: RtpRemote | undefined;
  private seq: number;
  private timer: TimerId | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private finishClose: (() => void) | undefined;
  private sentRtcp = false;
  private readonly lastHeard = new Map<number, number>();
  private readonly lastRtpFrom = new Map<number, number>();
  private readonly unsubscribes: (() => void)[] = [];
  private readonly rtpListeners = new Set<(p: RtpPacket, from: RtpPeerAddress) => void>();
  private readonly rtcpListeners = new Set<(p: RtcpPacket[], from: RtpPeerAddress) => void>();
  private readonly byeListeners = new Set<(ssrc: number, reason: string | undefined) => void>();

  /** Builds a session over sockets the caller opened. Starts the RTCP timer. */
  constructor(opts: RtpSessionOptions) {
    const random = opts.random ?? Math.random;
    this.loop = opts.loop;
    this.rtpSocket = opts.rtpSocket;
    this.rtcpSocket = opts.rtcpSocket;
    this.srtp = opts.srtp;
    this.remote = opts.remote;
    this.clockRate = opts.clockRate ?? 8000;
    this.probation = opts.probation ?? 2;
    this.maxSources = opts.maxSources ?? 64;
    this.ownsSockets = opts.ownsSockets ?? false;
    this.random = random;
    this._ssrc = opts.ssrc ?? Math.floor(random() * 0x100000000) >>> 0;
    this.cname = opts.cname ?? `mdh-${Math.floor(random() * 0x100000000).toString(16)}@rtp`;
    // RFC 3550 §6.5: an SDES item holds 1..255 octets. Refuse now rather than fail in every scheduled report.
    const cnameOctets = utf8Encode(this.cname).length;
    if (cnameOctets < 1 || cnameOctets > 255) {
      throw new RangeError(`cname must encode to 1..255 UTF-8 octets (RFC 3550 §6.5), got ${cnameOctets}`);
    }
    this.seq = Math.floor(random() * 0x10000) & 0xffff;
    if (opts.initialSequenceNumber !== undefined) this.seq = opts.initialSequenceNumber & 0xffff;
    const startWall = Date.now();
    const startLoop = this.loop.now();
    this.wallClock = opts.wallClock ?? (() => startWall + (this.loop.now() - startLoop));
    this._sender = new SenderStats({ ssrc: this._ssrc, clockRate: this.clockRate });
    const now = this.loop.now();
    this.scheduler = new RtcpScheduler({
      sessionBandwidth: opts.sessionBandwidth ?? 80000,
      random,
      now,
      initialAvgRtcpSize: UDP_IP_OVERHEAD + 28 + 8 + 4 + cnameOctets + 4,
      ...(opts.rtcpMinIntervalMs !== undefined ? { minIntervalMs: opts.rtcpMinIntervalMs } : {}),
    });
    this.unsubscribes.push(this.rtpSocket.onMessage((m) => this.onDatagram(m, this.rtcpSocket === undefined)));
    if (this.rtcpSocket) this.unsubscribes.push(this.rtcpSocket.onMessage((m) => this.onRtcpDatagram(m)));
    this.arm();
  }

  /** Opens sockets (RTP/RTCP pair or one rtcp-mux socket) on `address` and builds a session that owns them. */
  static async open(opts: RtpSessionOpenOptions): Promise<RtpSession> {
    const address = opts.address ?? '127.0.0.1';
    const type = address.includes(':') ? 'udp6' : 'udp4';
    if (opts.rtcpMux) {
      const s = await createUdpSocket({ type, address, port: opts.rtpPort ?? 0 });
      return new RtpSession({ ...opts, rtpSocket: s, ownsSockets: true });
    }
    if (opts.rtpPort !== undefined) {
      const a = await createUdpSocket({ type, address, port: opts.rtpPort });
      try {
        const b = await createUdpSocket({ type, address, port: opts.rtpPort + 1 });
        return new RtpSession({ ...opts, rtpSocket: a, rtcpSocket: b, ownsSockets: true });
      } catch (e) {
        await a.close();
        throw e;
      }
    }
    // RFC 3550 §11: RTP on an even port, RTCP on the next higher (odd) port. Bounded retries.
    for (let attempt = 0; attempt < 32; attempt++) {
      const a = await createUdpSocket({ type, address, port: 0 });
      if (a.port % 2 !== 0 || a.port >= 65535) {
        await a.close();
        continue;
      }
      try {
        const b = await createUdpSocket({ type, address, port: a.port + 1 });
        return new RtpSession({ ...opts, rtpSocket: a, rtcpSocket: b, ownsSockets: true });
      } catch {
        await a.close();
      }
    }
    throw new Error('RtpSession.open: could not bind an even/odd RTP/RTCP port pair in 32 attempts');
  }

  /** Our SSRC (it changes after an SSRC collision, RFC 3550 §8.2; see {@link RtpSession.onSsrcChange}). */
  get ssrc(): number {
    return this._ssrc;
  }

  /** Statistics of what we send (replaced, with fresh counts, when our SSRC changes). */
  get sender(): SenderStats {
    return this._sender;
  }

  /** Calls `cb(newSsrc, oldSsrc)` when a collision makes us pick a new SSRC. Returns an unsubscribe function. */
  onSsrcChange(cb: (newSsrc: number, oldSsrc: number) => void): () => void {
    this.ssrcListeners.add(cb);
    return () => this.ssrcListeners.delete(cb);
  }

  /** The sequence number the next {@link RtpSession.send} will use. */
  get nextSequenceNumber(): number {
    return this.seq;
  }

  /** Local RTP port. */
  get rtpPort(): number {
    return this.rtpSocket.port;
  }

  /** Local RTCP port (the RTP port with rtcp-mux). */
  get rtcpPort(): number {
    return (this.rtcpSocket ?? this.rtpSocket).port;
  }

  /** Whether RTP and RTCP share one port (RFC 5761). */
  get rtcpMux(): boolean {
    return this.rtcpSocket === undefined;
  }

  /** The peer we send to (given or latched), if known. */
  get remoteAddress(): RtpRemote | undefined {
    return this.remote;
  }

  /** Sets (or replaces) the peer. */
  setRemote(remote: RtpRemote): void {
    this.remote = remote;
  }

  /** Calls `cb` for every valid RTP packet received (after SRTP). Returns an unsubscribe function. */
  onRtp(cb: (packet: RtpPacket, from: RtpPeerAddress) => void): () => void {
    this.rtpListeners.add(cb);
    return () => this.rtpListeners.delete(cb);
  }

  /** Calls `cb` for every valid RTCP compound received. Returns an unsubscribe function. */
  onRtcp(cb: (packets: RtcpPacket[], from: RtpPeerAddress) => void): () => void {
    this.rtcpListeners.add(cb);
    return () => this.rtcpListeners.delete(cb);
  }

  /** Calls `cb` when a source says BYE. Returns an unsubscribe function. */
  onBye(cb: (ssrc: number, reason: string | undefined) => void): () => void {
    this.byeListeners.add(cb);
    return () => this.byeListeners.delete(cb);
  }

  /**
   * Sends one RTP packet with our SSRC and the next sequence number. Returns the packet sent (before SRTP).
   * Throws if the session is closed or no peer is known.
   */
  send(payload: Uint8Array, opts: { payloadType: number; timestamp: number; marker?: boolean }): RtpPacket {
    const p = new RtpPacket({
      payloadType: opts.payloadType,
      timestamp: opts.timestamp >>> 0,
      marker: opts.marker ?? false,
      ssrc: this.ssrc,
      sequenceNumber: this.seq,
      payload,
    });
    this.seq = (this.seq + 1) & 0xffff;
    this.sendPacket(p);
    return p;
  }

  /** Sends a caller-built RTP packet as is (its SSRC should be ours) and counts it in the sender statistics. */
  sendPacket(packet: RtpPacket): void {
    const remote = this.requireRemote('send RTP');
    let bytes = packet.serialize();
    if (this.srtp) bytes = this.srtp.protect(bytes);
    this.rtpSocket.send(bytes, remote.rtpPort, remote.address);
    this.counters.rtpSent++;
    this.sender.onPacketSent(packet.timestamp, packet.payloadLength, this.loop.now());
  }

  /** Sends RTCP packets as one compound right away (e.g. a NACK or PLI; RFC 4585 early feedback is the caller's). */
  sendRtcp(packets: RtcpPacket[]): void {
    const remote = this.requireRemote('send RTCP');
    let bytes = serializeRtcp(packets);
    if (this.srtp) bytes = this.srtp.protectRtcp(bytes);
    const port = remote.rtcpPort ?? (this.rtcpMux ? remote.rtpPort : remote.rtpPort + 1);
    (this.rtcpSocket ?? this.rtpSocket).send(bytes, port, remote.address);
    this.counters.rtcpSent++;
    this.sentRtcp = true;
  }

  /**
   * The SR or RR (by whether we sent RTP recently) with report blocks for our valid sources (more RRs when there
   * are over 31, §6.4.2), then SDES CNAME. Closes each source's fraction-lost interval.
   */
  buildReport(now: number = this.loop.now()): RtcpPacket[] {
    const blocks: ReportBlock[] = [];
    for (const s of this.sources.values()) if (s.valid) blocks.push(s.reportBlock(now));
    const first = blocks.slice(0, 31);
    const head = this.weSentRecently(now)
      ? this.sender.senderReport(now, this.wallClock(), first)
      : new ReceiverReport({ ssrc: this.ssrc, reports: first });
    const out: RtcpPacket[] = [head];
    // §6.4.2: with more than 31 sources, additional RR packets follow the first SR/RR.
    for (let i = 31; i < blocks.length; i += 31) {
      out.push(new ReceiverReport({ ssrc: this.ssrc, reports: blocks.slice(i, i + 31) }));
    }
    out.push(SourceDescription.cname(this.ssrc, this.cname));
    return out;
  }

  /**
   * Leaves the session: sends a BYE compound (when we sent anything, RFC 3550 §6.3.7; immediately with at most
   * 50 members, else after the BYE back-off), stops the timer and closes owned sockets. Idempotent.
   */
  close(reason?: string): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = new Promise<void>((resolve) => {
      this.finishClose = resolve;
    });
    const now = this.loop.now();
    const mayBye = this.remote !== undefined && (this.counters.rtpSent > 0 || this.sentRtcp);
    if (!mayBye) {
      void this.shutdown();
      return this.closing;
    }
    const bye = this.byeCompound(now, reason);
    if (this.scheduler.leave(now, rtcpCompoundSize(bye) + UDP_IP_OVERHEAD)) {
      this.trySendRtcp(bye);
      void this.shutdown();
    } else {
      this.byeReason = reason;
      this.arm();
    }
    return this.closing;
  }

  private byeReason: string | undefined;

  private byeCompound(now: number, reason: string | undefined): RtcpPacket[] {
    return [...this.buildReport(now), new Goodbye([this.ssrc], reason)];
  }

  private async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) this.loop.cancel(this.timer);
    this.timer = undefined;
    for (const u of this.unsubscribes) u();
    if (this.ownsSockets) {
      await Promise.allSettled([this.rtpSocket.close(), ...(this.rtcpSocket ? [this.rtcpSocket.close()] : [])]);
    }
    this.finishClose?.();
  }

  private requireRemote(what: string): RtpRemote {
    if (this.closed) throw new Error(`RtpSession is closed: cannot ${what}`);
    if (!this.remote) throw new Error(`RtpSession has no remote address yet: cannot ${what} (pass remote or wait)`);
    return this.remote;
  }

  private weSentRecently(now: number): boolean {
    // §6.3.8 / A.7 we_sent: an RTP packet went out within the last two report intervals.
    return this.sender.hasSent && now - this.sender.lastSentMs < 2 * this.scheduler.deterministicInterval();
  }

  private arm(): void {
    if (this.closed) return;
    if (this.timer !== undefined) this.loop.cancel(this.timer);
    const delay = Math.max(0, this.scheduler.nextDeadline - this.loop.now());
    this.timer = this.loop.after(delay, () => this.onTimer());
  }

  private onTimer(): void {
    this.timer = undefined;
    if (this.closed) return;
    let bye = false;
    try {
      const now = this.loop.now();
      this.expireMembers(now);
      // §6.3.7: during the BYE back-off we_sent stays false and members counts BYEs only.
      if (!this.scheduler.leaving) {
        this.scheduler.weSent = this.weSentRecently(now);
        this.updateMembership(now);
      }
      this.scheduler.handleTimeout(now);
      // Deadlines are read back by arm() from scheduler.nextDeadline; only the events matter here.
      for (let o = this.scheduler.pollOutput(); o; o = this.scheduler.pollOutput()) {
        if (o.kind !== 'event') continue;
        if (o.event.type === 'send-report') {
          const compound = this.buildReport(now);
          if (this.remote) this.trySendRtcp(compound);
          this.scheduler.reportSent(now, rtcpCompoundSize(compound) + UDP_IP_OVERHEAD);
        } else {
          bye = true;
          this.trySendRtcp(this.byeCompound(now, this.byeReason));
        }
      }
    } finally {
      // Whatever happened above, the session keeps its RTCP timer (or finishes closing).
      if (bye) void this.shutdown();
      else this.arm();
    }
  }

  private trySendRtcp(packets: RtcpPacket[]): void {
    try {
      this.sendRtcp(packets);
    } catch {
      // A socket error on a report is not fatal: the next report will try again.
    }
  }

  /** §6.3.5: a member not heard from for 5 Td (at least 5 × the minimum interval) is removed. */
  private expireMembers(now: number): void {
    const limit = 5 * Math.max(this.scheduler.deterministicInterval(), 5000 / 2);
    for (const [ssrc, t] of this.lastHeard) {
      if (now - t > limit) {
        this.lastHeard.delete(ssrc);
        this.lastRtpFrom.delete(ssrc);
        this.sources.delete(ssrc);
      }
    }
    // Sources still on probation (never validated, never heard over RTCP) do not hold a slot for long: random
    // SSRCs from noise must not fill the table.
    for (const [ssrc, st] of this.sources) {
      if (!st.valid && !this.lastHeard.has(ssrc) && now - st.firstSeenMs > limit) this.sources.delete(ssrc);
    }
  }

  private updateMembership(now: number): void {
    const senderWindow = 2 * this.scheduler.deterministicInterval();
    let senders = this.scheduler.weSent ? 1 : 0;
    for (const t of this.lastRtpFrom.values()) if (now - t < senderWindow) senders++;
    this.scheduler.setMembers(1 + this.lastHeard.size, senders, now);
  }

  private onDatagram(m: UdpMessage, mux: boolean): void {
    if (this.closed) return;
    if (mux && isRtcpPacket(m.data)) {
      this.onRtcpDatagram(m);
      return;
    }
    let data = m.data;
    if (this.srtp) {
      try {
        data = this.srtp.unprotect(data);
      } catch {
        this.counters.srtpFailures++;
        return;
      }
    }
    const p = RtpPacket.tryParse(data);
    if (p instanceof RtpParseError) {
      this.counters.malformedRtp++;
      return;
    }
    if (p.ssrc === this.ssrc) {
      this.ownSsrcSeen(m);
      return;
    }
    const now = this.loop.now();
    const st = this.sourceStats(p.ssrc);
    if (st === undefined) {
      this.counters.droppedSources++;
      return;
    }
    this.counters.rtpReceived++;
    if (!st.update(p.sequenceNumber, p.timestamp, now, p.payloadLength)) return;
    const newMember = !this.lastHeard.has(p.ssrc);
    this.lastHeard.set(p.ssrc, now);
    this.lastRtpFrom.set(p.ssrc, now);
    if (this.remote === undefined) this.remote = { address: m.address, rtpPort: m.port };
    if (newMember) this.updateMembership(now);
    const from = { address: m.address, port: m.port };
    for (const cb of this.rtpListeners) cb(p, from);
  }

  private onRtcpDatagram(m: UdpMessage): void {
    if (this.closed) return;
    let data = m.data;
    if (this.srtp) {
      try {
        data = this.srtp.unprotectRtcp(data);
      } catch {
        this.counters.srtpFailures++;
        return;
      }
    }
    const packets = tryParseRtcp(data);
    if (!Array.isArray(packets)) {
      this.counters.malformedRtcp++;
      return;
    }
    const now = this.loop.now();
    this.counters.rtcpReceived++;
    this.scheduler.rtcpReceived(data.length + UDP_IP_OVERHEAD);
    for (const p of packets) {
      switch (p.kind) {
        case 'sr': {
          if (p.ssrc === this.ssrc) {
            this.ownSsrcSeen(m);
            break;
          }
          // An SR may precede the source's first RTP packet (ffmpeg sends one before any media).
          const st = this.sourceStats(p.ssrc);
          st?.onSenderReport(p.ntpSeconds, p.ntpFraction, now);
          this.heard(p.ssrc, now);
          this.noteReports(p.ssrc, p.reports, now);
          break;
        }
        case 'rr':
          if (p.ssrc === this.ssrc) {
            this.ownSsrcSeen(m);
            break;
          }
          this.heard(p.ssrc, now);
          this.noteReports(p.ssrc, p.reports, now);
          break;
        case 'bye':
          // §6.3.7: while backing off, each BYE packet from another participant adds one member.
          if (this.scheduler.leaving && p.ssrcs.some((s) => s !== this.ssrc)) {
            this.scheduler.byeReceivedWhileLeaving(data.length + UDP_IP_OVERHEAD);
          }
          for (const s of p.ssrcs) {
            if (s === this.ssrc) continue;
            this.lastHeard.delete(s);
            this.lastRtpFrom.delete(s);
            this.sources.delete(s);
            for (const cb of this.byeListeners) cb(s, p.reason);
          }
          // §6.3.4 reverse reconsideration happens inside setMembers.
          this.updateMembership(now);
          if (!this.scheduler.leaving) this.arm();
          break;
        default:
          break;
      }
    }
    const from = { address: m.address, port: m.port };
    for (const cb of this.rtcpListeners) cb(packets, from);
  }

  /** Whether `m` came from one of our own sockets (a loop back to ourselves). */
  private fromSelf(m: UdpMessage): boolean {
    if (m.port !== this.rtpSocket.port && m.port !== this.rtcpSocket?.port) return false;
    const local = this.rtpSocket.address;
    return (
      m.address === local || local === '0.0.0.0' || local === '::' || m.address === '127.0.0.1' || m.address === '::1'
    );
  }

  /**
   * RFC 3550 §8.2: a packet carrying our SSRC. Our own packets looped back are dropped and counted; from anyone
   * else it is a collision: send a BYE for the old SSRC (if we sent anything), pick a new random SSRC not in use,
   * and restart the sender statistics.
   */
  private ownSsrcSeen(m: UdpMessage): void {
    if (this.fromSelf(m)) {
      this.counters.loopedPackets++;
      return;
    }
    this.counters.ssrcCollisions++;
    const old = this._ssrc;
    if (this.remote && (this.counters.rtpSent > 0 || this.sentRtcp)) {
      this.trySendRtcp([...this.buildReport(this.loop.now()), new Goodbye([old], 'SSRC collision')]);
    }
    let next = old;
    for (let i = 0; i < 16 && (next === old || this.sources.has(next)); i++) {
      next = Math.floor(this.random() * 0x100000000) >>> 0;
    }
    this._ssrc = next;
    this._sender = new SenderStats({ ssrc: next, clockRate: this.clockRate });
    for (const cb of this.ssrcListeners) cb(next, old);
  }

  /** The statistics of `ssrc`, created on first sight unless `maxSources` is reached. */
  private sourceStats(ssrc: number): ReceiverStats | undefined {
    let st = this.sources.get(ssrc);
    if (st === undefined) {
      if (this.sources.size >= this.maxSources) return undefined;
      st = new ReceiverStats({ ssrc, clockRate: this.clockRate, probation: this.probation });
      st.firstSeenMs = this.loop.now();
      this.sources.set(ssrc, st);
    }
    return st;
  }

  private heard(ssrc: number, now: number): void {
    if (ssrc === this.ssrc) return;
    const known = this.lastHeard.has(ssrc);
    if (known || this.lastHeard.size < this.maxSources) this.lastHeard.set(ssrc, now);
    if (!known && this.lastHeard.has(ssrc)) this.updateMembership(now); // §6.3.3: a new member
  }

  private noteReports(reporter: number, blocks: ReportBlock[], now: number): void {
    for (const b of blocks) {
      if (b.ssrc !== this.ssrc) continue;
      const ntp = ntpFromUnixMs(this.wallClock());
      const rttMs = roundTripTimeMs(ntpMiddle32(ntp.seconds, ntp.fraction), b.lsr, b.dlsr);
      if (this.remoteReports.has(reporter) || this.remoteReports.size < this.maxSources) {
        this.remoteReports.set(reporter, { block: b, rttMs, receivedAt: now });
      }
    }
  }
}

/**
 * The RTCP layer of {@link MediaSession} (RFC 3550 §6): received reports (RTT, the far end's loss and jitter),
 * BYE, remote sources and SSRC collisions, and the reports the scheduler (RFC 3550 §6.2, A.7) sends.
 */
import {
  Goodbye,
  ntpFromUnixMs,
  ntpMiddle32,
  ReceiverReport,
  ReceiverStats,
  type ReportBlock,
  type RtcpPacket,
  roundTripTimeMs,
  rtcpCompoundSize,
  SenderStats,
  SourceDescription,
  serializeRtcpInto,
  tryParseRtcp,
} from '@mdh/rtp';
import { type Source, sameAddress, UDP_IP_OVERHEAD } from './session-base.js';
import { MediaSessionKeying } from './session-keying.js';
import type { MediaAddress } from './types.js';

/**
 * RTCP of a {@link MediaSession}.
 *
 * @internal
 */
export abstract class MediaSessionRtcp extends MediaSessionKeying {
  /** RTCP datagrams that cannot be used (not keyed, SRTCP failure, malformed) count in `dropped.rtcp`. */
  protected onRtcp(datagram: Uint8Array, from: MediaAddress, now: number): void {
    let len = datagram.length;
    if (this.security.kind !== 'none') {
      const rx = this.rtcpDtls ? this.rtcpRx : this.rx;
      if (!rx) {
        this.dropped.rtcp++;
        return;
      }
      // RTCP is rare: the throwing *Into call is fine here (@mdh/srtp has no non-throwing SRTCP Into variant).
      try {
        len = rx.unprotectRtcpInto(datagram, datagram, 0);
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
  protected noteReports(reporter: number, blocks: readonly ReportBlock[], now: number): boolean {
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

  protected source(ssrc: number, now: number): Source | undefined {
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
  protected ownSsrcSeen(from: MediaAddress, now: number): void {
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
  protected weSent(now: number): boolean {
    const sch = this.scheduler;
    if (!sch || !this.sender.hasSent) return false;
    return now - this.sender.lastSentMs < 2 * sch.deterministicInterval();
  }

  /**
   * The SR (when we sent RTP since the report before last, §6.4) or RR, with a report block for each valid
   * source (§6.4.1, A.3; more RRs beyond 31, §6.4.2), then SDES CNAME (§6.5.1). Closes each source's interval.
   */
  protected buildReport(now: number): RtcpPacket[] {
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

  protected rtcpTimer(now: number): void {
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
  protected emitRtcp(packets: readonly RtcpPacket[], closing = false): boolean {
    const to = this.rtcpMux ? this.remoteRtp : this.remoteRtcpAddr;
    if ((this._state !== 'active' && !closing) || to === undefined) return false;
    // DTLS-SRTP without rtcp-mux: SRTCP is keyed by the RTCP component's own association (RFC 5764 §4.1); until
    // it connected no RTCP goes out (rather than SRTCP the peer cannot authenticate).
    const tx = this.rtcpDtls ? this.rtcpTx : this.tx;
    if (this.security.kind !== 'none' && !tx) return false;
    const n = rtcpCompoundSize(packets);
    const buf = new Uint8Array(n + (tx ? tx.rtcpOverhead : 0));
    serializeRtcpInto(packets, buf, 0);
    let len = n;
    if (tx) len = tx.protectRtcpInto(buf.subarray(0, n), buf, 0);
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
  protected expireSources(now: number): void {
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

  protected updateMembers(now: number): void {
    const sch = this.scheduler;
    if (!sch) return;
    const window = 2 * sch.deterministicInterval();
    let senders = sch.weSent ? 1 : 0;
    for (const s of this.sources.values()) if (s.lastRtp >= 0 && now - s.lastRtp < window) senders++;
    sch.setMembers(1 + this.sources.size, senders, now);
  }
}

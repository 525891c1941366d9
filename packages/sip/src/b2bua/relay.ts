/**
 * The RTP relay of an anchoring B2BUA: each leg has its own MediaSession (own SSRC, sequence numbers, SRTP keys
 * and RTCP, RFC 3550 §7 — we terminate RTCP per leg rather than translate it), and decrypted RTP of one leg is
 * re-sent on the other with the payload type mapped by codec (RFC 3264 §5.1: PTs are per-SDP) and the RTP
 * timestamp re-based when the source changes, so that the outgoing stream stays continuous (RFC 3550 §5.1).
 */
import type { MediaChannel } from '@mdh/media';

/** Counters of one relay direction. */
export interface RtpRelayStats {
  /** Packets re-sent on the other leg. */
  relayed: number;
  /** Packets dropped: an unmapped payload type, or the other leg not ready (keys, address). */
  dropped: number;
  /** Times the incoming source changed (new SSRC) and the timestamp was re-based. */
  rebased: number;
}

/**
 * Relays RTP from one {@link MediaChannel} to another, one direction.
 *
 * ```ts
 * const ab = new RtpRelay(legA, legB, new Map([[0, 0], [101, 96]]));
 * const ba = new RtpRelay(legB, legA, new Map([[0, 0], [96, 101]]));
 * ```
 */
export class RtpRelay {
  /** Counters. */
  readonly stats: RtpRelayStats = { relayed: 0, dropped: 0, rebased: 0 };
  /** Incoming payload type → outgoing payload type (update on a re-negotiation). */
  ptMap: Map<number, number>;
  private srcSsrc: number | undefined;
  private offset = 0;
  private lastOut: number | undefined;
  private readonly off: () => void;

  constructor(from: MediaChannel, to: MediaChannel, ptMap: Map<number, number>) {
    this.ptMap = ptMap;
    this.off = from.on('rtp', (e) => {
      const p = e.packet;
      const pt = this.ptMap.get(p.payloadType);
      if (pt === undefined || to.state === 'closed' || to.state === 'failed') {
        this.stats.dropped++;
        return;
      }
      let marker = p.marker;
      if (p.ssrc !== this.srcSsrc) {
        // A new source (first packet, or the peer changed SSRC, e.g. after a re-INVITE): continue our timestamp
        // one packet after the last one sent, and mark the discontinuity (RFC 3551 §4.1: M on a talkspurt start).
        if (this.lastOut !== undefined) {
          this.offset = (this.lastOut + to.session.ptimeMs * (to.session.clockRate / 1000) - p.timestamp) >>> 0;
          this.stats.rebased++;
        }
        this.srcSsrc = p.ssrc;
        marker = true;
      }
      const ts = (p.timestamp + this.offset) >>> 0;
      this.lastOut = ts;
      if (to.sendRtp(p.payload, { payloadType: pt, timestamp: ts, marker })) this.stats.relayed++;
      else this.stats.dropped++;
    });
  }

  /** Stops relaying. */
  stop(): void {
    this.off();
  }
}

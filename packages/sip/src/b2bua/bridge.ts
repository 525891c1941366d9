/**
 * A back-to-back user agent (RFC 3261 §6 "B2BUA", RFC 7092): an incoming call (leg A) is answered by bridging it
 * to a new outgoing call (leg B). Each leg is its own dialog; what one leg says (provisional and final responses,
 * CANCEL, BYE, re-INVITE offers) is re-said on the other. The SDP is either passed through unchanged, so that the
 * endpoints exchange media directly, or the media is anchored: each leg gets its own {@link CallMedia} (its own
 * port, SRTP keying — none, SDES or DTLS-SRTP — and RTCP) and an {@link RtpRelay} copies the decrypted RTP across.
 */
import type { MediaChannel } from '@mdh/media';
import { CallMedia } from '../media/call-media.js';
import type { SipResponse } from '../message/message.js';
import {
  answerSdpOffer,
  createSdpOffer,
  type MediaDirection,
  type NegotiatedMedia,
  parseSdp,
  readSdpAnswer,
  SdpNegotiationError,
  type SrtpMode,
} from '../sdp/offer-answer.js';
import type { Call } from '../ua/call.js';
import { SipCallError } from '../ua/targets.js';
import type { IncomingCall, OutgoingInvite, UserAgent } from '../ua/user-agent.js';
import { RtpRelay } from './relay.js';

/** How a bridge handles the media. */
export type BridgeMediaMode = 'pass' | 'relay';

/** Options of {@link bridge}. */
export interface BridgeOptions {
  /** 'pass': SDP passes through unchanged; 'relay': media is anchored here (two media sessions and an RTP relay). */
  media: BridgeMediaMode;
  /** Relay: the protection accepted on the incoming leg (default: whatever the caller's offer uses). */
  srtpIn?: SrtpMode;
  /** Relay: the protection offered on the outgoing leg (default: the incoming leg's). */
  srtpOut?: SrtpMode;
  /**
   * Relay: offer WebRTC-shaped SDP on the outgoing leg (ICE-lite, `UDP/TLS/RTP/SAVPF`, BUNDLE, rtcp-mux; with
   * `srtpOut: 'dtls'`), so that a plain SIP caller reaches a browser.
   */
  webrtcOut?: boolean;
  /** Relay: the address to bind the media ports to and advertise (default 127.0.0.1). */
  mediaHost?: string;
  /** How long to wait for the outgoing leg's final response (ms); then CANCEL and 408 to the caller. */
  timeoutMs?: number;
  /** Extra headers for the outgoing INVITE. */
  headers?: [string, string][];
}

/** Why a bridge failed to connect. */
export type BridgeErrorCode = 'rejected' | 'timeout' | 'cancelled' | 'sdp' | 'no-ack';

/** A bridge that did not connect: `status` is what the caller was answered. */
export class BridgeError extends Error {
  /** The final status sent to the caller (487 when the caller cancelled). */
  readonly status: number;
  /** What happened. */
  readonly code: BridgeErrorCode;
  /** The outgoing leg's final response, when there was one. */
  readonly response: SipResponse | undefined;
  constructor(code: BridgeErrorCode, status: number, message: string, response?: SipResponse) {
    super(message);
    this.name = 'BridgeError';
    this.code = code;
    this.status = status;
    this.response = response;
  }
}

/**
 * The status the caller gets for the outgoing leg's failure. The same status, except:
 * - 401/407 → 502: the challenge is for this B2BUA's credentials (it is the UAC of leg B, RFC 3261 §22); relaying it
 *   would ask the caller for credentials of a realm it does not talk to, and its answer could not be used anyway
 *   (a digest response covers the request of its own dialog). Give the user agent `credentials` to answer it.
 * - a real 503 → 500, as a proxy does (§16.7 item 6): a 503 would tell the caller that this B2BUA is overloaded.
 * - no response at all: 408 stays 408 (timeout, §8.1.3.1); a transport failure (503 made up locally) → 502.
 */
export function mapFailureStatus(status: number, response: SipResponse | undefined): number {
  if (status === 401 || status === 407) return 502;
  if (status === 503) return response ? 500 : 502;
  if (status < 300 || status > 699) return 500;
  return status;
}

/** One side of an anchored bridge. */
interface Leg {
  media: CallMedia;
  channel: MediaChannel | undefined;
  neg: NegotiatedMedia | undefined;
  version: number;
  sessionId: string;
}

/** The SRTP mode of an offer's first audio stream (by its transport protocol, RFC 3711 / RFC 5764). */
function srtpOfOffer(sdp: string): SrtpMode {
  const m = parseSdp(sdp).media.find((x) => x.type === 'audio');
  const p = String(m?.protocol ?? '').toUpperCase();
  if (p.startsWith('UDP/TLS/')) return 'dtls';
  if (p.includes('SAVP')) return 'sdes';
  return 'none';
}

/** The direction to offer toward the other leg when this leg's negotiation gave us `neg` (hold propagates). */
function towardOther(neg: NegotiatedMedia): MediaDirection {
  // what we may send to the other leg is what this leg sends to us, and the reverse
  return invert(neg.held && neg.direction === 'sendrecv' ? 'recvonly' : neg.direction);
}

function invert(d: MediaDirection): MediaDirection {
  return d === 'sendonly' ? 'recvonly' : d === 'recvonly' ? 'sendonly' : d;
}

/** Payload type map from one leg's negotiation to the other's, by codec (RFC 3264 §5.1: PTs are per-SDP). */
function ptMap(from: NegotiatedMedia, to: NegotiatedMedia): Map<number, number> {
  const m = new Map<number, number>();
  if (from.codec === to.codec) m.set(from.payloadType, to.payloadType);
  if (from.telephoneEventPt !== undefined && to.telephoneEventPt !== undefined)
    m.set(from.telephoneEventPt, to.telephoneEventPt);
  return m;
}

let sessionIds = 0;

/**
 * Two calls bridged back to back. `established` settles once both legs are up (or rejects with a
 * {@link BridgeError} after the caller got its final response); `done` resolves when both legs have ended and
 * every media port is closed.
 */
export class Bridge {
  /** The incoming leg's INVITE. */
  readonly incoming: IncomingCall;
  /** Leg A (the caller), once answered. */
  a: Call | undefined;
  /** Leg B (the callee), once it answered. */
  b: Call | undefined;
  /** Resolves when both legs are up; rejects with a {@link BridgeError} when the bridge did not connect. */
  readonly established: Promise<void>;
  /** Resolves when both legs have ended and the media ports are closed. */
  readonly done: Promise<void>;
  /** Relay mode: the two relay directions (A→B, B→A) once media runs. */
  readonly relays: RtpRelay[] = [];
  private readonly ua: UserAgent;
  private readonly target: string;
  private readonly o: BridgeOptions;
  private legA: Leg | undefined;
  private legB: Leg | undefined;
  private out: OutgoingInvite | undefined;
  private cancelled = false;
  private timedOut = false;
  private finish!: () => void;

  /** @internal use {@link bridge}. */
  constructor(ua: UserAgent, incoming: IncomingCall, target: string, o: BridgeOptions) {
    this.ua = ua;
    this.incoming = incoming;
    this.target = target;
    this.o = o;
    this.done = new Promise((r) => {
      this.finish = r;
    });
    incoming.on('cancel', () => {
      // RFC 3261 §9.2: the UA answered the INVITE 487; the pending outgoing leg is CANCELled (§9.1)
      this.cancelled = true;
      this.out?.cancel();
    });
    this.established = this.run();
    this.established.catch(() => {});
  }

  /** Ends both legs (BYE) and waits until everything is released. */
  async hangup(): Promise<void> {
    this.cancelled = true;
    this.out?.cancel();
    if (!this.a && !this.b) this.incoming.reject(480);
    await Promise.all([this.a?.hangup(), this.b?.hangup()]);
    await this.done;
  }

  private async run(): Promise<void> {
    try {
      await this.connect();
    } catch (e) {
      await this.release();
      const err =
        e instanceof BridgeError
          ? e
          : e instanceof SdpNegotiationError
            ? new BridgeError('sdp', 488, e.message)
            : new BridgeError('rejected', 500, String((e as Error)?.message ?? e));
      this.incoming.reject(err.status);
      throw err;
    }
  }

  private async connect(): Promise<void> {
    const inv = this.incoming;
    const offer = inv.remoteSdp;
    // A late offer (INVITE without SDP) passed through would need the caller's answer, which comes in its ACK, for
    // leg B's ACK; anchored, we make the offers on both legs (ours in the 200, the caller's answer in the ACK).
    if (offer === undefined && this.o.media === 'pass')
      throw new BridgeError('sdp', 488, 'INVITE without SDP (late offer) is not passed through');
    let { offerB, answerA } = await this.openRelayLegs(offer);
    const b = await this.callLegB(offerB, answerA);
    this.b = b;
    b.on('ended', () => void this.a?.hangup());
    if (this.cancelled) {
      // the caller's CANCEL crossed leg B's 2xx: end leg B (RFC 3261 §9.1 leaves the 2xx to be BYEd)
      await b.hangup();
      throw new BridgeError('cancelled', 487, 'caller cancelled');
    }
    if (this.o.media === 'relay') {
      try {
        this.startB(b.remoteSdp ?? '');
      } catch (e) {
        await b.hangup();
        throw e;
      }
      if (offer === undefined) {
        // our offer to the caller: leg B's codec and telephone-event
        const A = this.legA!;
        const negB = this.legB!.neg!;
        A.media.local.codecs = [negB.codec];
        A.media.local.telephoneEvent = negB.telephoneEventPt !== undefined;
        answerA = createSdpOffer(A.media.local, { sessionId: A.sessionId, version: 1 });
      }
    } else {
      answerA = b.remoteSdp;
    }
    let a: Call;
    try {
      a = await inv.answer(answerA);
    } catch (e) {
      await b.hangup();
      throw new BridgeError('no-ack', 408, String((e as Error).message));
    }
    this.a = a;
    if (this.o.media === 'relay' && offer === undefined) {
      try {
        this.legA!.neg = readSdpAnswer(a.remoteSdp ?? '', this.legA!.media.local);
      } catch (e) {
        // the ACK carried no usable answer: the call was answered, so it is ended with BYE on both legs
        await Promise.all([a.hangup(), b.hangup()]);
        throw new BridgeError('sdp', 488, `caller's answer in the ACK: ${(e as Error).message}`);
      }
    }
    if (this.o.media === 'relay') {
      this.startA();
      this.legA!.media.attach(a, this.legA!.neg!);
      this.legB!.media.attach(b, this.legB!.neg!);
      this.relink();
    }
    a.on('ended', () => void b.hangup());
    if (b.state === 'ended') void a.hangup();
    a.onOffer = (sdp, method) => this.reoffer(a, b, sdp, method);
    b.onOffer = (sdp, method) => this.reoffer(b, a, sdp, method);
    void Promise.all([a.whenEnded(), b.whenEnded()]).then(() => this.release());
  }

  /**
   * Relayed media: our ports for both legs, the answer to the caller's offer (leg A) and the offer of leg B (same
   * codec, no transcoding), or, for a late offer, leg B's offer only. Passed through: leg B gets the caller's offer.
   */
  private async openRelayLegs(
    offer: string | undefined,
  ): Promise<{ offerB: string | undefined; answerA: string | undefined }> {
    let offerB = offer;
    let answerA: string | undefined;
    if (this.o.media === 'relay' && offer === undefined) {
      const host = this.o.mediaHost ?? '127.0.0.1';
      const srtpIn = this.o.srtpIn ?? 'none';
      const mA = await CallMedia.open({ loop: this.ua.loop, srtp: srtpIn, host });
      this.legA = { media: mA, channel: undefined, neg: undefined, version: 1, sessionId: String(++sessionIds) };
      const mB = await CallMedia.open({ loop: this.ua.loop, srtp: this.o.srtpOut ?? srtpIn, host, ...this.webrtcB() });
      this.legB = { media: mB, channel: undefined, neg: undefined, version: 1, sessionId: String(++sessionIds) };
      offerB = createSdpOffer(mB.local, { sessionId: this.legB.sessionId, version: 1 });
    } else if (this.o.media === 'relay' && offer !== undefined) {
      const host = this.o.mediaHost ?? '127.0.0.1';
      const srtpIn = this.o.srtpIn ?? srtpOfOffer(offer);
      const mA = await CallMedia.open({ loop: this.ua.loop, srtp: srtpIn, host });
      this.legA = { media: mA, channel: undefined, neg: undefined, version: 1, sessionId: String(++sessionIds) };
      const ans = answerSdpOffer(offer, mA.local, { sessionId: this.legA.sessionId, version: 1 });
      answerA = ans.sdp;
      this.legA.neg = ans.media;
      const mB = await CallMedia.open({
        loop: this.ua.loop,
        srtp: this.o.srtpOut ?? srtpIn,
        host,
        codecs: [ans.media.codec], // no transcoding: leg B gets the codec leg A agreed on
        ...this.webrtcB(),
      });
      mB.local.telephoneEvent = ans.media.telephoneEventPt !== undefined;
      this.legB = { media: mB, channel: undefined, neg: undefined, version: 1, sessionId: String(++sessionIds) };
      offerB = createSdpOffer(mB.local, { sessionId: this.legB.sessionId, version: 1 });
    }
    return { offerB, answerA };
  }

  /** Leg B's INVITE with the offer, bounded by `timeoutMs`; its failure maps to a BridgeError for the caller. */
  private async callLegB(offerB: string | undefined, answerA: string | undefined): Promise<Call> {
    if (this.cancelled) throw new BridgeError('cancelled', 487, 'caller cancelled');
    const out = this.ua.invite(this.target, {
      ...(offerB !== undefined ? { sdp: offerB } : {}),
      ...(this.o.headers ? { headers: this.o.headers } : {}),
      onProgress: (res) => this.progress(res, answerA),
    });
    this.out = out;
    const timer =
      this.o.timeoutMs !== undefined
        ? this.ua.loop.after(this.o.timeoutMs, () => {
            this.timedOut = true;
            out.cancel();
          })
        : undefined;
    try {
      return await out.result;
    } catch (e) {
      const st = e instanceof SipCallError ? e.status : 500;
      const res = e instanceof SipCallError ? e.response : undefined;
      if (this.cancelled) throw new BridgeError('cancelled', 487, 'caller cancelled', res);
      if (this.timedOut) throw new BridgeError('timeout', 408, 'outgoing leg did not answer in time', res);
      throw new BridgeError(st === 408 ? 'timeout' : 'rejected', mapFailureStatus(st, res), `leg B: ${st}`, res);
    } finally {
      if (timer !== undefined) this.ua.loop.cancel(timer);
    }
  }

  /**
   * A provisional response of leg B: re-sent to the caller (with SDP: early media, RFC 3960). A reliable one
   * (RFC 3262: it carried RSeq; the user agent has PRACKed it on leg B already) is re-sent reliably when the
   * caller supports `100rel`: each leg has its own RSeq space and its own PRACK (the legs are two dialogs).
   */
  private progress(res: SipResponse, answerA: string | undefined): void {
    if (res.status <= 100 || this.cancelled) return;
    const sdp = res.body.length ? res.bodyText : undefined;
    const reliable = res.has('rseq');
    if (sdp === undefined || this.o.media === 'pass' || !this.legA?.neg) {
      this.incoming.ring(res.status, { ...(sdp !== undefined ? { sdp } : {}), reliable });
      return;
    }
    try {
      this.startB(sdp);
      this.startA();
      this.relink();
      this.incoming.ring(res.status, { ...(answerA !== undefined ? { sdp: answerA } : {}), reliable });
    } catch {
      // unusable early SDP: ring without early media; the 2xx's SDP decides
      this.incoming.ring(res.status, { reliable });
    }
  }

  /** Leg B's media options for {@link BridgeOptions.webrtcOut}. */
  private webrtcB(): { ice?: boolean; webrtc?: boolean } {
    return this.o.webrtcOut ? { ice: true, webrtc: true } : {};
  }

  private startA(): void {
    const l = this.legA!;
    l.channel ??= l.media.start(l.neg!);
  }

  private startB(answer: string): void {
    const l = this.legB!;
    const neg = readSdpAnswer(answer, l.media.local);
    if (!l.channel) {
      l.neg = neg;
      l.channel = l.media.start(neg);
    } else if (l.neg && (neg.remoteAddress !== l.neg.remoteAddress || neg.remotePort !== l.neg.remotePort)) {
      l.neg = neg;
      l.channel.setRemote({ address: neg.remoteAddress, port: neg.remotePort });
    }
  }

  /** (Re)creates the two relay directions from the current negotiations. */
  private relink(): void {
    const A = this.legA!;
    const B = this.legB!;
    if (!A.channel || !B.channel || !A.neg || !B.neg) return;
    if (this.relays.length === 0) {
      this.relays.push(new RtpRelay(A.channel, B.channel, ptMap(A.neg, B.neg)));
      this.relays.push(new RtpRelay(B.channel, A.channel, ptMap(B.neg, A.neg)));
    } else {
      this.relays[0]!.ptMap = ptMap(A.neg, B.neg);
      this.relays[1]!.ptMap = ptMap(B.neg, A.neg);
    }
  }

  /**
   * A new offer on one leg — a re-INVITE (hold/resume, RFC 3264 §8) or an UPDATE (RFC 3311 §5.2) — re-offered on
   * the other leg with the same method, whose answer (or failure status, e.g. 488 or 491) becomes this leg's.
   */
  private async reoffer(
    from: Call,
    to: Call,
    sdp: string | undefined,
    method: 'INVITE' | 'UPDATE' = 'INVITE',
  ): Promise<string | undefined> {
    const send = (offer: string) => (method === 'UPDATE' ? to.update(offer) : to.reinvite(offer));
    if (this.o.media === 'pass') {
      if (sdp === undefined) return from.localSdp;
      return send(sdp);
    }
    const fromLeg = from === this.a ? this.legA! : this.legB!;
    const toLeg = from === this.a ? this.legB! : this.legA!;
    if (sdp === undefined) return from.localSdp;
    const local = { ...fromLeg.media.local, direction: 'sendrecv' as MediaDirection };
    if (local.srtp === 'dtls' && fromLeg.neg?.dtlsRole)
      local.setup = fromLeg.neg.dtlsRole === 'client' ? 'active' : 'passive';
    const ans = answerSdpOffer(sdp, local, { sessionId: fromLeg.sessionId, version: ++fromLeg.version });
    const toLocal = { ...toLeg.media.local, direction: towardOther(ans.media) };
    if (toLocal.srtp === 'dtls' && toLeg.neg?.dtlsRole)
      toLocal.setup = toLeg.neg.dtlsRole === 'client' ? 'active' : 'passive';
    const offerOther = createSdpOffer(toLocal, { sessionId: toLeg.sessionId, version: ++toLeg.version });
    const answerOther = await send(offerOther);
    const negOther = readSdpAnswer(answerOther ?? '', toLocal);
    // what we send on this leg is what the other leg sends us (RFC 3264 §6.1): its answer bounds ours
    const final = answerSdpOffer(
      sdp,
      { ...local, direction: invert(negOther.direction) },
      { sessionId: fromLeg.sessionId, version: fromLeg.version },
    );
    this.renegotiated(toLeg, negOther);
    this.renegotiated(fromLeg, final.media);
    this.relink();
    return final.sdp;
  }

  /** A leg's new negotiation: a moved peer is followed (a held one's 0.0.0.0 is not). */
  private renegotiated(leg: Leg, neg: NegotiatedMedia): void {
    const old = leg.neg;
    leg.neg = neg;
    if (!leg.channel || !old || neg.remoteAddress === '0.0.0.0') return;
    if (neg.remoteAddress !== old.remoteAddress || neg.remotePort !== old.remotePort)
      leg.channel.setRemote({ address: neg.remoteAddress, port: neg.remotePort });
  }

  /** Stops the relay and closes both legs' media (idempotent). */
  private async release(): Promise<void> {
    for (const r of this.relays) r.stop();
    await Promise.allSettled([this.legA?.media.close('bridge ended'), this.legB?.media.close('bridge ended')]);
    this.finish();
  }
}

/**
 * Bridges an incoming call to `target` (a B2BUA, RFC 7092): places the outgoing leg on `ua`, relays its
 * provisional responses (with early-media SDP; reliable ones reliably, RFC 3262, PRACKed per leg), its final
 * response (failures mapped by {@link mapFailureStatus}), the caller's CANCEL, BYE, and re-INVITEs and UPDATEs
 * (RFC 3311) both ways as the same method; with `media: 'relay'` it anchors the media.
 *
 * ```ts typecheck
 * ua.on('invite', (inv) => {
 *   const br = bridge(ua, inv, 'sip:echo@127.0.0.1:5070', { media: 'relay', srtpOut: 'dtls' });
 *   br.established.catch((e) => console.log('not bridged:', e.status));
 * });
 * ```
 */
export function bridge(ua: UserAgent, incoming: IncomingCall, target: string, opts: BridgeOptions): Bridge {
  return new Bridge(ua, incoming, target, opts);
}

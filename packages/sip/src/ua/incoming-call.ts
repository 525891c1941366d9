import { EventEmitter } from 'node:events';
import { createResponse, newTag } from '../message/build.js';
import type { SipRequest } from '../message/message.js';
import { SdpNegotiationError } from '../sdp/offer-answer.js';
import type { Call } from './call.js';
import type { AnswerOptions } from './call-media-owner.js';
import { type ReliableProvisionals, reliability } from './prack.js';
import { pooledRandom } from './random.js';
import type { IncomingRequest } from './stack.js';
import { SipCallError } from './targets.js';
import type { UaServer } from './ua-server.js';

/**
 * An incoming INVITE waiting for an answer (RFC 3261 §13.3). `answer(sdp)` sends 200 OK, retransmits it
 * until the ACK arrives (§13.3.1.4) and resolves with the {@link Call}.
 */
export class IncomingCall extends EventEmitter<{ cancel: [] }> {
  /** The INVITE. */
  readonly request: SipRequest;
  /** The offer (undefined for a late offer). */
  readonly remoteSdp: string | undefined;
  /** The To tag of our responses. */
  readonly toTag: string;
  /** Whether a CANCEL arrived. */
  cancelled = false;
  private finalSent = false;
  /** RFC 3262: the reliable provisionals of this INVITE (set when the caller supports or requires `100rel`). */
  readonly reliableProvisionals: ReliableProvisionals | undefined;

  /** @internal */
  constructor(
    private readonly ua: UaServer,
    private readonly inc: IncomingRequest,
    private readonly receivedAt: number,
  ) {
    super({ captureRejections: true });
    this.request = inc.request;
    this.remoteSdp = inc.request.body.length ? inc.request.bodyText : undefined;
    this.toTag = newTag(pooledRandom);
    // --- RFC 3262 hook (prack.ts)
    const rel = reliability(inc.request);
    this.requires100rel = rel === 'required';
    if (rel) this.reliableProvisionals = ua._reliableFor(this, inc);
  }

  /** Whether the INVITE had `Require: 100rel` (every provisional but 100 is then sent reliably, RFC 3262 §3). */
  readonly requires100rel: boolean;

  /**
   * Sends 180 Ringing (or another provisional, e.g. 183 Session Progress with `sdp` for early media). It is
   * sent reliably (RFC 3262: `Require: 100rel`, `RSeq`, retransmitted until PRACK) when the caller requires
   * it, or supports it and `reliable` is true or the response carries SDP; `answer()` then waits for the
   * PRACK of a provisional that carried SDP (§3) and the 2xx repeats no SDP. `ring(183, sdp)` is short for
   * `ring(183, { sdp })`.
   */
  ring(status = 180, sdpOrOpts: string | { sdp?: string; reliable?: boolean } = {}): void {
    if (this.finalSent) return;
    const opts = typeof sdpOrOpts === 'string' ? { sdp: sdpOrOpts } : sdpOrOpts;
    const res = createResponse(this.request, status, {
      toTag: this.toTag,
      headers: [['Contact', this.ua.contactFor(this.inc.transport, /^sips:/i.test(this.request.uri))]],
      ...(opts.sdp !== undefined ? { body: opts.sdp, contentType: 'application/sdp' } : {}),
    });
    const rel = this.reliableProvisionals;
    if (rel && status > 100 && (this.requires100rel || opts.reliable === true || opts.sdp !== undefined)) {
      rel.send(res);
      return;
    }
    this.inc.respond(res);
  }

  /** Rejects the call with a final status (486, 603, 488...). */
  reject(status = 486, reason?: string, headers: [string, string][] = []): void {
    if (this.finalSent) return;
    this.finalSent = true;
    this.ua._finalSent(this); // RFC 3262 hook
    this.inc.respond(
      createResponse(this.request, status, { toTag: this.toTag, headers, ...(reason ? { reason } : {}) }),
    );
  }

  /**
   * Answers with 200 OK carrying `sdp`; resolves with the call once the ACK arrives. Without `sdp` on a user
   * agent with the `media` option, the UA answers the offer from a media port of its own (or offers one for a
   * late offer) and `call.media` runs (`opts`: per-call media settings and an `onMedia` callback).
   */
  answer(sdp?: string | AnswerOptions): Promise<Call> {
    // call-media-owner.ts hook
    if (typeof sdp !== 'string' && this.ua._media && sdp?.media !== false) {
      if (this.finalSent) return Promise.reject(new Error('INVITE already answered'));
      const answered = this.ua._media.answer(this, sdp ?? {});
      answered.catch((e) => {
        if (!this.finalSent)
          this.reject(e instanceof SdpNegotiationError ? 488 : e instanceof SipCallError ? e.status : 500);
      });
      return answered;
    }
    const body = typeof sdp === 'string' ? sdp : undefined;
    if (this.finalSent) return Promise.reject(new Error('INVITE already answered'));
    const rel = this.reliableProvisionals;
    if (rel?.sdpUnacknowledged) {
      // RFC 3262 §3: no 2xx while a reliable provisional with SDP is unacknowledged
      return rel.whenAcknowledged().then((ok) => {
        if (!ok || this.finalSent) throw new SipCallError(this.cancelled ? 487 : 500, 'no PRACK for the provisional');
        return this.answer(body ?? { media: false });
      });
    }
    this.finalSent = true;
    this.ua._finalSent(this);
    // the answer already went in a reliable provisional: the 2xx carries no SDP (RFC 3262 §5, RFC 6337 §3.1)
    return this.ua._answer(this, this.inc, body, this.receivedAt, rel?.answeredInProvisional === true);
  }

  /** @internal EventEmitter captureRejections hook: an async `cancel` listener rejected. */
  [Symbol.for('nodejs.rejection')](err: unknown, event: string | symbol): void {
    this.ua.handlerFailed(err, String(event));
  }

  /** @internal */
  _cancelled(): void {
    if (this.finalSent) return;
    this.cancelled = true;
    this.finalSent = true;
    this.ua._finalSent(this);
    // RFC 3261 §9.2: the INVITE is answered 487 Request Terminated.
    this.inc.respond(createResponse(this.request, 487, { toTag: this.toTag }));
    try {
      this.emit('cancel');
    } catch (e) {
      this.ua.handlerFailed(e, 'cancel');
    }
  }
}

import { EventEmitter } from 'node:events';
import type { MediaChannel } from '@mdh/media';
import type { Dialog } from '../dialog/dialog.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import { holdDirection, sdpDirection, withDirection } from './hold.js';
import { type CallDtmf, dtmfRelayBody } from './info-dtmf.js';
import type { ReferRequest, ReferVerdict } from './refer.js';
import type { SendTarget } from './stack.js';
import { SipCallError } from './targets.js';

/** Why a call ended. */
/**
 * Why a call ended; `ice-failed`: a WebRTC call's ICE checks never came, or consent expired (RFC 7675);
 * `media-timeout`: no RTP or RTCP from the peer for the media timeout (the call's `MediaSession`, default 30 s).
 */
export type CallEndReason =
  | 'local-bye'
  | 'remote-bye'
  | 'no-ack'
  | 'timeout'
  | 'media-timeout'
  | 'ice-failed'
  | 'error';

/** Hooks a {@link Call} uses to reach its user agent. @internal */
export interface CallOwner {
  sendInDialog(call: Call, method: string, opts?: { body?: string; contentType?: string }): Promise<SipResponse>;
  forget(call: Call): void;
  /** An application listener of the call threw or rejected (reported, never propagated). */
  handlerFailed?(err: unknown, event: string): void;
  /** Sends a REFER and resolves with the final status of the referred call (refer.ts). */
  transfer?(call: Call, target: string | Call): Promise<{ status: number; reason: string }>;
}

/** Events of a {@link Call}. */
export interface CallEvents {
  /**
   * The call ended (BYE either way, no ACK, or a failed refresh). Sticky: a listener added after the call
   * ended is called too (on the next microtask), so the end cannot be missed — e.g. when the ACK and a BYE
   * arrive together and the call ends before the application's `await inv.answer()` resumes.
   */
  ended: [reason: CallEndReason];
  /** The peer sent a re-INVITE or an UPDATE with SDP; `remoteSdp` is its new offer (hold/resume). */
  updated: [remoteSdp: string | undefined];
  /** Any other in-dialog request (INFO, OPTIONS...) after it was answered 200. */
  request: [req: SipRequest];
  /** A DTMF digit from the peer sent by SIP INFO (`application/dtmf-relay`, info-dtmf.ts). */
  dtmf: [e: CallDtmf];
  /**
   * The peer sent a REFER (RFC 3515): it was answered 202 and the user agent places the referred call, reporting
   * its progress to the peer in NOTIFYs (refer.ts).
   */
  refer: [e: ReferRequest];
}

/**
 * An established INVITE dialog (RFC 3261 §13-15): the SDP of both sides, re-INVITE (hold/resume) and BYE.
 *
 * ```ts
 * const call = await ua.invite('sip:echo@127.0.0.1:5060', { sdp: offer }).result;
 * await call.hangup();
 * ```
 */
export class Call extends EventEmitter<CallEvents> {
  /** 'outgoing' when we sent the INVITE. */
  readonly direction: 'outgoing' | 'incoming';
  readonly dialog: Dialog;
  /** Our current SDP. */
  localSdp: string | undefined;
  /** The peer's current SDP. */
  remoteSdp: string | undefined;
  /** Whether the call is up. */
  state: 'confirmed' | 'ended' = 'confirmed';
  /** Why the call ended (undefined while it is up). */
  endReason: CallEndReason | undefined;
  /** The INVITE that created the call. */
  readonly invite: SipRequest;
  /** Time (loop clock ms) from sending the INVITE to the 2xx (UAC) or from receiving it to the ACK (UAS). */
  setupMs = 0;
  /**
   * Answers a re-INVITE's offer (default: the current local SDP with its version bumped is not enough for
   * media changes, so media layers set this). Returns the answer SDP, or a promise of it (a B2BUA asks the other
   * leg; another re-INVITE meanwhile gets 491). A throw or rejection answers 488, or the rejection's `status`.
   * `method` says whether the offer came in a re-INVITE or an UPDATE (RFC 3311), so a B2BUA can re-offer it the
   * same way on its other leg.
   */
  onOffer:
    | ((offer: string | undefined, method: 'INVITE' | 'UPDATE') => string | undefined | Promise<string | undefined>)
    | undefined;
  /**
   * Decides on a REFER from the peer (RFC 3515 §2.4.2, refer.ts) before it is accepted: return `false` to
   * decline it with 603 Decline, a 3xx-6xx status (e.g. 403) to decline with that, `true` or nothing to accept
   * (202, the referred call, NOTIFYs). May return a promise (answered 603 if it takes over 30 s); a throw or
   * rejection declines with 603 and is reported as the UA's `error`. Unset: every valid REFER is accepted.
   */
  onRefer: ((e: ReferRequest) => ReferVerdict | void | Promise<ReferVerdict | void>) | undefined;
  /**
   * The call's media (an @mdh/media MediaChannel): opened by the user agent with its `media` option (or by
   * `CallMedia.attach` for a custom setup): `call.media.on('audio' | 'dtmf' | 'stats' | 'timeout', …)`,
   * `call.media.sendAudio(pcm)`, `sendDtmf('12#')`, `stats()`. It closes (RTCP BYE) when the call ends.
   */
  media: MediaChannel | undefined;
  /** @internal the media owner's hook: the answer to our own offer (re-INVITE/UPDATE) arrived. */
  onAnswer: ((answer: string | undefined) => void) | undefined;
  /** @internal whether our re-INVITE awaits its final response (an incoming one then gets 491, §14.2). */
  reinviting = false;
  /** @internal where in-dialog requests go when the peer is reached over a flow (stream transports). */
  flowTarget: SendTarget | undefined;
  private readonly owner: CallOwner;
  private endWaiters: ((r: CallEndReason) => void)[] = [];

  /** @internal */
  constructor(owner: CallOwner, direction: 'outgoing' | 'incoming', dialog: Dialog, invite: SipRequest) {
    // a rejected promise of an async listener goes to the rejection hook below, never unhandled
    super({ captureRejections: true });
    this.owner = owner;
    this.direction = direction;
    this.dialog = dialog;
    this.invite = invite;
    // 'ended' is sticky: a listener added once the call has ended still hears it
    (this as EventEmitter).on('newListener', (event: string | symbol, listener: (r: CallEndReason) => void) => {
      if (event !== 'ended' || this.endReason === undefined) return;
      const why = this.endReason;
      queueMicrotask(() => this.deliver(() => listener.call(this, why), 'ended'));
    });
  }

  /** Resolves with the reason once the call has ended (at once if it already has). */
  whenEnded(): Promise<CallEndReason> {
    if (this.endReason !== undefined) return Promise.resolve(this.endReason);
    return new Promise((resolve) => this.endWaiters.push(resolve));
  }

  /** Runs an application listener: a throw or a rejected promise is reported to the owner, never propagated. */
  private deliver(f: () => unknown, event: string): void {
    try {
      const r = f();
      if (r instanceof Promise) r.catch((e) => this.owner.handlerFailed?.(e, event));
    } catch (e) {
      this.owner.handlerFailed?.(e, event);
    }
  }

  /** @internal EventEmitter captureRejections hook: an async listener rejected. */
  [Symbol.for('nodejs.rejection')](err: unknown, event: string | symbol): void {
    this.owner.handlerFailed?.(err, String(event));
  }

  /** @internal Emits to application listeners; a listener that throws is reported, the others still run. */
  fire<K extends keyof CallEvents>(event: K, ...args: CallEvents[K]): void {
    const ls = this.rawListeners(event) as ((...a: CallEvents[K]) => unknown)[];
    if (ls.length === 0) return;
    // emit() would stop at the first throwing listener and throw to our caller (a SIP input handler)
    for (const l of ls) this.deliver(() => l.apply(this, args), event);
  }

  /** Dialog id. */
  get id(): string {
    return this.dialog.id;
  }

  /**
   * Sends BYE (RFC 3261 §15.1.1) and ends the call with `reason` (default 'local-bye'; 'timeout' when the media
   * timed out); resolves with the BYE's final response status.
   */
  async hangup(reason: 'local-bye' | 'timeout' | 'media-timeout' | 'ice-failed' = 'local-bye'): Promise<number> {
    if (this.state === 'ended') return 0;
    const bye = this.owner.sendInDialog(this, 'BYE'); // built synchronously, before the dialog ends
    this.end(reason);
    try {
      const res = await bye;
      return res.status;
    } catch {
      return 408;
    }
  }

  // ------------------------------------------------------------------ hold/resume, UPDATE (hold.ts)

  /** Whether we put the call on hold ({@link hold}); our answers to new offers then never send-and-receive. */
  localHold = false;

  /**
   * Puts the call on hold (RFC 3264 §8.4): offers our description with `a=sendonly` (`a=inactive` when the
   * peer holds us too) by re-INVITE (default) or UPDATE (RFC 3311); resolves with the answer SDP.
   */
  async hold(opts: { method?: 'INVITE' | 'UPDATE' } = {}): Promise<string | undefined> {
    if (this.localSdp === undefined) throw new Error('no local SDP to put on hold');
    const sdp = withDirection(this.localSdp, holdDirection(sdpDirection(this.localSdp)));
    const was = this.localHold;
    this.localHold = true;
    try {
      return await this.offer(sdp, opts.method);
    } catch (e) {
      this.localHold = was;
      throw e;
    }
  }

  /** Takes the call off hold: offers `a=sendrecv` by re-INVITE (default) or UPDATE; resolves with the answer. */
  async resume(opts: { method?: 'INVITE' | 'UPDATE' } = {}): Promise<string | undefined> {
    if (this.localSdp === undefined) throw new Error('no local SDP to resume');
    const was = this.localHold;
    this.localHold = false;
    try {
      return await this.offer(withDirection(this.localSdp, 'sendrecv'), opts.method);
    } catch (e) {
      this.localHold = was;
      throw e;
    }
  }

  private offer(sdp: string, method: 'INVITE' | 'UPDATE' = 'INVITE'): Promise<string | undefined> {
    return method === 'UPDATE' ? this.update(sdp) : this.reinvite(sdp);
  }

  /**
   * Sends an UPDATE with a new offer (RFC 3311 §5.1), e.g. hold, resume or a codec change without a new
   * INVITE transaction; resolves with the answer. A non-2xx leaves the session unchanged and rejects with a
   * SipCallError (its `status`).
   */
  async update(sdp: string): Promise<string | undefined> {
    if (this.state === 'ended') throw new Error('call has ended');
    const res = await this.owner.sendInDialog(this, 'UPDATE', { body: sdp, contentType: 'application/sdp' });
    if (res.status < 200 || res.status >= 300) throw new SipCallError(res.status, `UPDATE failed: ${res.reason}`, res);
    this.localSdp = sdp;
    if (res.body.length) this.remoteSdp = res.bodyText;
    this.onAnswer?.(res.body.length ? this.remoteSdp : undefined);
    return this.remoteSdp;
  }

  /**
   * Sends a re-INVITE with a new offer (RFC 3261 §14.1), e.g. to put the call on hold (a=sendonly) or resume;
   * resolves with the answer SDP. A non-2xx leaves the session unchanged (§14.1) and rejects with a SipCallError.
   */
  async reinvite(sdp: string): Promise<string | undefined> {
    if (this.state === 'ended') throw new Error('call has ended');
    const res = await this.owner.sendInDialog(this, 'INVITE', { body: sdp, contentType: 'application/sdp' });
    if (res.status < 200 || res.status >= 300) throw new SipCallError(res.status, res.reason, res);
    this.localSdp = sdp;
    if (res.body.length) this.remoteSdp = res.bodyText;
    this.onAnswer?.(res.body.length ? this.remoteSdp : undefined);
    return this.remoteSdp;
  }

  /**
   * Sends DTMF by SIP INFO (`application/dtmf-relay`, one INFO per digit, each after the previous one's final
   * response); resolves with the last status. For RFC 4733 in the media use `call.media.sendDtmf`.
   */
  async sendDtmfInfo(digits: string, durationMs = 160): Promise<number> {
    let status = 0;
    for (const d of digits.toUpperCase()) {
      if (!/^[0-9*#A-D]$/.test(d)) throw new RangeError(`not a DTMF digit: ${d}`);
      const res = await this.request('INFO', {
        data: dtmfRelayBody(d, durationMs),
        contentType: 'application/dtmf-relay',
      });
      status = res.status;
      if (status >= 300) break;
    }
    return status;
  }

  /**
   * Transfers the peer (RFC 3515 REFER, Referred-By RFC 3892): to `target` (blind), or to the peer of
   * `target` when it is another {@link Call} (attended: Replaces, RFC 3891). Resolves with the final status of
   * the call the peer placed, as its NOTIFYs report (408 when none came within 60 s). The call stays up:
   * hang up when the transfer succeeded.
   */
  transfer(target: string | Call): Promise<{ status: number; reason: string }> {
    if (this.state === 'ended') return Promise.reject(new Error('call has ended'));
    if (!this.owner.transfer) return Promise.reject(new Error('transfer is not supported by this owner'));
    return this.owner.transfer(this, target);
  }

  /** Sends another in-dialog request (INFO, OPTIONS, ...); resolves with the final response. */
  request(method: string, body?: { data: string; contentType: string }): Promise<SipResponse> {
    if (method === 'INVITE' || method === 'BYE' || method === 'ACK' || method === 'CANCEL') {
      throw new Error(`use the dedicated method for ${method}`);
    }
    return this.owner.sendInDialog(this, method, body ? { body: body.data, contentType: body.contentType } : {});
  }

  /** @internal */
  end(reason: CallEndReason): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.endReason = reason;
    this.dialog.terminate();
    this.owner.forget(this);
    for (const w of this.endWaiters.splice(0)) w(reason);
    this.fire('ended', reason);
  }
}

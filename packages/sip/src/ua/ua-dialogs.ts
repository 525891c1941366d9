import { dialogId } from '../dialog/dialog.js';
import { createResponse } from '../message/build.js';
import type { SipRequest } from '../message/message.js';
import type { Call } from './call.js';
import { defaultAnswer } from './hold.js';
import { isDtmfInfo, parseDtmfInfo } from './info-dtmf.js';
import { OPTION_TIMER, parseSessionExpires, SessionTimer, uasSessionTimer } from './session-timer.js';
import type { IncomingRequest } from './stack.js';
import { notAllowed, OPTIONS_HEADERS } from './ua-core.js';
import { UaServer } from './ua-server.js';

/**
 * Requests within the dialogs of a {@link UserAgent}: BYE, re-INVITE and UPDATE offers (glare, late answers),
 * session timers (RFC 4028), INFO, MESSAGE, REFER and NOTIFY.
 * @internal
 */
export abstract class UaDialogs extends UaServer {
  protected inDialog(r: IncomingRequest, toTag: string): void {
    const req = r.request;
    const id = dialogId(req.callId ?? '', toTag, req.from?.tag ?? '');
    const call = this.calls.get(id);
    if (!call) {
      // §12.2.2: no such dialog.
      r.reply(481);
      return;
    }
    try {
      call.dialog.handleRemoteRequest(req);
    } catch {
      r.reply(500, { reason: 'Server Internal Error (CSeq out of order)' });
      return;
    }
    switch (req.method) {
      case 'BYE':
        r.reply(200);
        call.end('remote-bye');
        return;
      case 'INVITE': {
        if (this.refreshRejected(r)) return; // RFC 4028 §9 hook (session-timer.ts)
        // re-INVITE (§14.2): answer the new offer. Glare — our own re-INVITE (or our 2xx awaiting its ACK) is
        // still in progress — is answered 491 Request Pending.
        if (this.pending.has(id) || call.reinviting || this.answering.has(id)) {
          r.reply(491);
          return;
        }
        const offer = req.body.length ? req.bodyText : undefined;
        let answer: string | undefined | Promise<string | undefined>;
        try {
          answer = this.answerOffer(call, offer);
        } catch {
          r.reply(488);
          return;
        }
        if (!(answer instanceof Promise)) {
          this.answerReinvite(r, call, id, offer, answer);
          return;
        }
        // An answer that comes later (a B2BUA asks the other leg): the server transaction absorbs retransmissions
        // meanwhile (§17.2.1) and another re-INVITE gets 491 (§14.2). A rejection with a SIP status (e.g. the other
        // leg's 488) is answered with it, anything else 488.
        // The call ending first (BYE) answers it 487 (§15.1.2).
        this.answering.add(id);
        let done = false;
        const settle = (f: () => void) => {
          if (done) return;
          done = true;
          this.answering.delete(id);
          if (call.state === 'ended') r.reply(487);
          else f();
        };
        void call.whenEnded().then(() => settle(() => {}));
        answer.then(
          (a) => settle(() => this.answerReinvite(r, call, id, offer, a)),
          (e: { status?: unknown }) => {
            const st = typeof e?.status === 'number' && e.status >= 400 && e.status < 700 ? e.status : 488;
            settle(() => r.reply(st));
          },
        );
        return;
      }
      case 'OPTIONS':
        r.reply(200, { headers: OPTIONS_HEADERS });
        call.fire('request', req);
        return;
      case 'UPDATE':
        this.onUpdate(r, call, id);
        return;
      case 'INFO':
        // info-dtmf.ts hook: DTMF by INFO becomes the call's `dtmf` event (400 when the body names no digit)
        if (isDtmfInfo(req)) {
          const e = parseDtmfInfo(req);
          r.reply(e ? 200 : 400);
          if (e) call.fire('dtmf', e);
          return;
        }
        r.reply(200);
        call.fire('request', req);
        return;
      case 'MESSAGE':
        r.reply(200);
        call.fire('request', req);
        return;
      case 'REFER':
        // refer.ts hook: 202, NOTIFY 100 Trying, the referred call, NOTIFY with its final status (400 w/o Refer-To)
        this.transfers.onRefer(r, call, (e) => call.fire('refer', e));
        return;
      case 'NOTIFY':
        // refer.ts hook: a NOTIFY of a REFER we sent gets 200; one of no subscription of ours 481 (RFC 6665)
        if (this.transfers.onNotify(r, call)) call.fire('request', req);
        return;
      default:
        notAllowed(r);
    }
  }

  /** Sends the 200 to a re-INVITE and waits for its ACK (RFC 3261 §14.2). */
  protected answerReinvite(
    r: IncomingRequest,
    call: Call,
    id: string,
    offer: string | undefined,
    answer: string | undefined,
  ): void {
    const req = r.request;
    if (offer !== undefined) call.remoteSdp = offer;
    if (answer !== undefined) call.localSdp = answer;
    const res = createResponse(req, 200, {
      headers: [['Contact', call.dialog.localContact], ...this.refreshedBy(call, req)],
      ...(answer !== undefined ? { body: answer, contentType: 'application/sdp' } : {}),
    });
    const bytes = r.respond(res);
    // a re-INVITE without SDP (late offer): our 200 carried the offer, the ACK brings the answer
    const p = this.pendingAnswer(
      call,
      bytes,
      r,
      () => call.fire('updated', offer ?? call.remoteSdp),
      () => {},
    );
    p.lateOffer = offer === undefined && answer !== undefined;
    this.pending.set(id, p);
  }

  // ------------------------------------------------------------------ transfer (refer.ts)

  /** @internal CallOwner: sends a REFER (blind or attended) and resolves with the final NOTIFY's status. */
  transfer(call: Call, target: string | Call): Promise<{ status: number; reason: string }> {
    return this.transfers.transfer(call, target);
  }

  // ------------------------------------------------------------------ session timers (session-timer.ts)

  /** The Session-Expires (and Require: timer) of our 2xx to an INVITE (RFC 4028 §9). */
  protected sessionHeaders(req: SipRequest): [string, string][] {
    const d = this.uasTimers.get(req);
    return d?.kind === 'use' ? d.headers : [];
  }

  /** Runs the session timer of a call: refreshes when we are the refresher, BYE when the session expires. */
  protected startSessionTimer(call: Call, interval: number, weRefresh: boolean): void {
    const cfg = this.st;
    if (!cfg) return;
    const timer = new SessionTimer(this.loop, interval, weRefresh, {
      refresh: async (iv) => {
        if (call.state === 'ended') return undefined;
        const invite = cfg.refreshMethod === 'INVITE';
        // §7.4 / §10: the refresh carries Session-Expires with refresher=uac (we, the requester, refresh)
        const res = await this.sendInDialog(call, invite ? 'INVITE' : 'UPDATE', {
          ...(invite && call.localSdp !== undefined ? { body: call.localSdp } : {}),
          headers: { 'Session-Expires': `${iv};refresher=uac`, 'Min-SE': String(cfg.minSE), Supported: OPTION_TIMER },
        });
        return res.status >= 200 && res.status < 300 ? res : undefined;
      },
      expire: () => void call.hangup('timeout'),
    });
    this.timers.set(call, timer);
  }

  /**
   * A session refresh (re-INVITE or UPDATE) is checked like an initial INVITE (RFC 4028 §9): a Session-Expires
   * below our Min-SE is answered 422 with our Min-SE (a malformed one 400), and the session is unchanged.
   */
  protected refreshRejected(r: IncomingRequest): boolean {
    const d = this.st ? uasSessionTimer(r.request, this.st) : undefined;
    if (d?.kind !== 'reject') return false;
    r.reply(d.status, { headers: d.headers });
    return true;
  }

  /**
   * A re-INVITE or UPDATE from the peer answered 2xx is a session refresh (RFC 4028 §10): the timer restarts,
   * with the interval and refresher it names (refresher=uac: the peer, which sent it; uas: us); the 2xx
   * repeats Session-Expires.
   */
  protected refreshedBy(call: Call, req: SipRequest): [string, string][] {
    const timer = this.timers.get(call);
    if (!timer) return [];
    const se = parseSessionExpires(req);
    if (se === undefined || se === 'bad') {
      timer.refreshed(timer.interval, timer.weRefresh);
      return [];
    }
    const weRefresh = se.refresher === 'uas';
    timer.refreshed(se.delta, weRefresh);
    return [['Session-Expires', `${se.delta};refresher=${weRefresh ? 'uas' : 'uac'}`]];
  }

  // ------------------------------------------------------------------ re-INVITE / UPDATE offers (hold.ts)

  /**
   * Our answer to a new offer in a call (RFC 3264 §8): the application's `call.onOffer`, else our last SDP with
   * the direction that answers the offer's (§8.4 hold: `a=sendonly` → `a=recvonly`). Throws → 488.
   */
  protected answerOffer(
    call: Call,
    offer: string | undefined,
    method: 'INVITE' | 'UPDATE' = 'INVITE',
  ): string | undefined | Promise<string | undefined> {
    if (call.onOffer) return call.onOffer(offer, method);
    if (offer === undefined || call.localSdp === undefined) return call.localSdp;
    return defaultAnswer(offer, call.localSdp, call.localHold ? 'sendonly' : 'sendrecv');
  }

  /**
   * UPDATE (RFC 3311 §5.2): with SDP it is a new offer, answered in the 200 (491 while an offer of ours is
   * outstanding, 488 when it cannot be answered); without, a target refresh / session refresh answered 200.
   */
  protected onUpdate(r: IncomingRequest, call: Call, id: string): void {
    const req = r.request;
    if (this.refreshRejected(r)) return; // RFC 4028 §9 hook (session-timer.ts)
    if (!req.body.length) {
      r.reply(200, { headers: [['Contact', call.dialog.localContact], ...this.refreshedBy(call, req)] });
      call.fire('request', req);
      return;
    }
    if (call.reinviting || this.pending.has(id)) {
      r.reply(491);
      return;
    }
    const offer = req.bodyText;
    let pending: string | undefined | Promise<string | undefined>;
    try {
      pending = this.answerOffer(call, offer, 'UPDATE');
    } catch {
      r.reply(488);
      return;
    }
    if (pending instanceof Promise) {
      // an answer that comes later (a B2BUA asks the other leg): the UPDATE waits for it
      pending.then(
        (a) => this.answerUpdate(r, call, offer, a),
        (e: { status?: unknown }) =>
          r.reply(typeof e?.status === 'number' && e.status >= 400 && e.status < 700 ? e.status : 488),
      );
      return;
    }
    this.answerUpdate(r, call, offer, pending);
  }

  /** The 200 (with the SDP answer) to an UPDATE's offer, or 488 without an answer (RFC 3311 §5.2). */
  protected answerUpdate(r: IncomingRequest, call: Call, offer: string, answer: string | undefined): void {
    const req = r.request;
    if (call.state === 'ended') {
      r.reply(487);
      return;
    }
    if (answer === undefined) {
      r.reply(488);
      return;
    }
    call.remoteSdp = offer;
    call.localSdp = answer;
    r.reply(200, {
      headers: [['Contact', call.dialog.localContact], ...this.refreshedBy(call, req)],
      body: answer,
      contentType: 'application/sdp',
    });
    call.fire('updated', offer);
  }
}

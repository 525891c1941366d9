import { Dialog, dialogId } from '../dialog/dialog.js';
import { createRequest, createResponse } from '../message/build.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import type { SipTransport } from '../transport/transport.js';
import { Call } from './call.js';
import { bumpVersion } from './hold.js';
import { OPTION_100REL } from './prack.js';
import { pooledRandom } from './random.js';
import { OPTION_TIMER, uacSessionHeaders, uacSessionTimer } from './session-timer.js';
import type { SendTarget } from './stack.js';
import { SipCallError } from './targets.js';
import { ALLOW, UaCore } from './ua-core.js';
import type { InviteOptions } from './user-agent.js';

/**
 * The UAC side of a {@link UserAgent}: outgoing INVITE (auth retry, forks, CANCEL, early dialogs and PRACK),
 * the ACK of each 2xx, in-dialog requests we send, the call a REFER asks for.
 * @internal
 */
export abstract class UaClient extends UaCore {
  protected buildInvite(target: string, t: SipTransport, opts: InviteOptions): SipRequest {
    const req = createRequest({
      random: pooledRandom,
      method: 'INVITE',
      uri: target,
      from: opts.from ? `<${opts.from}>` : `<${this.aor}>`,
      to: `<${target}>`,
      cseq: 1,
      contact: this.contactFor(t, /^sips:/i.test(target)),
      headers: [
        ['Allow', ALLOW],
        // RFC 3262 §4: we PRACK reliable provisionals; RFC 4028 §7.1: session timers
        ...(opts.headers?.some(([k]) => /^(supported|k)$/i.test(k))
          ? []
          : [['Supported', this.st ? `${OPTION_100REL}, ${OPTION_TIMER}` : OPTION_100REL] as [string, string]]),
        ...(this.st && !opts.headers?.some(([k]) => /^(session-expires|x)$/i.test(k))
          ? uacSessionHeaders(this.st.expires, this.st.minSE)
          : []),
        ...(opts.headers ?? []),
      ],
    });
    if (opts.sdp !== undefined) req.setBody(opts.sdp, 'application/sdp');
    return req;
  }

  protected inviteOnce(
    req: SipRequest,
    target: SendTarget,
    opts: InviteOptions,
    t0: number,
    setCancel: (f: () => void) => void,
  ): Promise<{ call: Call } | { status: number; response?: SipResponse }> {
    return new Promise((resolve) => {
      let settled = false;
      let gotProvisional = false;
      let wantCancel = false;
      let established: Call | undefined;
      let branch = '';
      let earlySdp: string | undefined;
      const doCancel = () => {
        if (settled || established) return;
        wantCancel = true;
        // §9.1: a CANCEL must not be sent before a provisional response arrived.
        if (!gotProvisional) return;
        const c = createRequest({
          method: 'CANCEL',
          uri: req.uri,
          from: req.get('from') ?? '',
          to: req.get('to') ?? '',
          callId: req.callId ?? '',
          cseq: req.cseq?.seq ?? 1,
          route: req.getAll('route'),
        });
        this.stack.sendRequest(c, target, { onResponse: () => {} }, branch);
      };
      setCancel(doCancel);
      const sent = this.stack.sendRequest(req, target, {
        onResponse: (res) => {
          if (res.status < 200) {
            gotProvisional = true;
            // RFC 3262 §4 hook: PRACK a reliable provisional; retransmissions and gaps go no further
            if (this.prackClient.onProvisional(req, res, (p, d) => this.sendPrack(p, d, target)) === 'drop') return;
            // a PRACK-less 183 with SDP (early media): the answer, when the 2xx does not repeat it
            if (res.body.length && res.status > 100) earlySdp = res.bodyText;
            if (wantCancel) doCancel();
            opts.onProgress?.(res);
            return;
          }
          if (res.status < 300) {
            this.on2xx(req, res, target, opts, t0, earlySdp, (call) => {
              if (!established) {
                established = call;
                settled = true;
                if (wantCancel) void call.hangup();
                resolve({ call });
              }
            });
            return;
          }
          this.prackClient.forget(req);
          if (!settled) {
            settled = true;
            resolve({ status: res.status, response: res });
          }
        },
        onFailure: (why) => {
          this.prackClient.forget(req);
          if (!settled) {
            settled = true;
            resolve({ status: why === 'timeout' ? 408 : 503 });
          }
        },
      });
      branch = sent.request.via?.branch ?? '';
      if (this.o.inviteTimeoutMs !== undefined) {
        this.loop.after(this.o.inviteTimeoutMs, () => {
          if (!settled && !established) doCancel();
        });
      }
    });
  }

  /** A 2xx to our INVITE: a dialog per To tag; ACK each (§13.2.2.4); BYE the forks we do not keep. */
  protected on2xx(
    req: SipRequest,
    res: SipResponse,
    target: SendTarget,
    opts: InviteOptions,
    t0: number,
    earlySdp: string | undefined,
    first: (c: Call) => void,
  ): void {
    const toTag = res.to?.tag;
    const fromTag = req.from?.tag;
    const callId = req.callId;
    if (!toTag || !fromTag || !callId) return;
    const id = dialogId(callId, fromTag, toTag);
    const rec = this.acks.get(id);
    if (rec) {
      // A retransmitted 2xx: the ACK is retransmitted, not rebuilt (§13.2.2.4).
      this.stack.post(rec.target, rec.bytes);
      return;
    }
    const dialog = Dialog.fromUacResponse(req, res);
    // RFC 3262: the confirmed dialog's CSeq continues above the PRACKs sent in its early dialog
    dialog.localSeq = Math.max(dialog.localSeq, this.prackClient.localSeq(id));
    this.later(64 * this.t.t1, () => this.prackClient.forget(req));
    const call = new Call(this, 'outgoing', dialog, req);
    call.localSdp = req.body.length ? req.bodyText : undefined;
    call.remoteSdp = res.body.length ? res.bodyText : req.body.length ? earlySdp : undefined;
    call.setupMs = this.loop.now() - t0;
    let ackBody: { contentType: string; data: string } | undefined;
    if (call.localSdp === undefined && call.remoteSdp !== undefined && opts.answerFor) {
      call.localSdp = opts.answerFor(call.remoteSdp);
      ackBody = { contentType: 'application/sdp', data: call.localSdp };
    }
    const ack = dialog.createAck(req.cseq?.seq ?? 1, ackBody);
    const ackTarget = this.inDialogTargetSync(call, target);
    call.flowTarget = target.transport.reliable ? target : undefined;
    const ackBytes = this.stack.sendStateless(ack, ackTarget);
    this.acks.set(id, { bytes: ackBytes, target: ackTarget, until: this.loop.now() + 64 * this.t.t1 });
    this.armAckSweep();
    this.calls.set(id, call);
    if (this.firstCall.has(req)) {
      // A forked 2xx after we kept another dialog: ACKed above, then ended with BYE (RFC 3261 §13.2.2.4).
      void call.hangup();
      return;
    }
    this.firstCall.add(req);
    // RFC 4028 §7.2 hook
    const t = this.st ? uacSessionTimer(res) : undefined;
    if (t) this.startSessionTimer(call, t.interval, t.weRefresh);
    first(call);
  }

  protected armAckSweep(): void {
    if (this.ackSweep !== undefined) return;
    this.ackSweep = this.loop.after(this.t.t1 * 8, () => {
      this.ackSweep = undefined;
      const now = this.loop.now();
      for (const [k, r] of this.acks) if (r.until <= now) this.acks.delete(k);
      if (this.acks.size) this.armAckSweep();
    });
  }

  protected onStray(res: SipResponse): void {
    // RFC 6026 §7.1: a 2xx retransmission after the client transaction ended still gets its ACK.
    if (res.status < 200 || res.status >= 300 || res.cseq?.method !== 'INVITE') return;
    const id = dialogId(res.callId ?? '', res.from?.tag ?? '', res.to?.tag ?? '');
    const rec = this.acks.get(id);
    if (rec) this.stack.post(rec.target, rec.bytes);
  }

  /** @internal CallOwner: sends an in-dialog request and resolves with its final response. */
  sendInDialog(
    call: Call,
    method: string,
    opts: { body?: string; contentType?: string; headers?: Record<string, string> } = {},
    attempt = 0,
  ): Promise<SipResponse> {
    const req = call.dialog.createRequest(method, {
      ...(opts.body !== undefined
        ? { body: { contentType: opts.contentType ?? 'application/sdp', data: opts.body } }
        : {}),
      ...(opts.headers ? { headers: opts.headers } : {}),
    });
    const target = call.flowTarget ?? this.inDialogTargetSync(call, this.fallbackTarget(call));
    // an offer of ours is outstanding (a re-INVITE, or an UPDATE with SDP): a new offer from the peer gets 491
    const offering = method === 'INVITE' || (method === 'UPDATE' && opts.body !== undefined);
    if (offering) call.reinviting = true;
    return new Promise((resolve) => {
      let final = false;
      this.stack.sendRequest(req, target, {
        onResponse: (res) => {
          if (res.status < 200) return;
          if (method === 'INVITE' && res.status < 300) {
            call.dialog.handleRefreshResponse(res);
            const ack = call.dialog.createAck(req.cseq?.seq ?? 1);
            this.stack.sendStateless(ack, target);
          }
          if (final) return; // a retransmitted 2xx: ACKed again above
          final = true;
          if (offering) call.reinviting = false;
          // RFC 3311 §5.1: a 491 to UPDATE is retried after the same back-off as a re-INVITE's
          if (offering && res.status === 491 && attempt < 2 && call.state !== 'ended') {
            // §14.1 glare: retry after a random wait — 2.1-4 s when we own the Call-ID, else 0-2 s.
            const ms = call.direction === 'outgoing' ? 2100 + Math.random() * 1900 : Math.random() * 2000;
            this.loop.after(ms, () => {
              if (call.state === 'ended') resolve(res);
              else void this.sendInDialog(call, method, opts, attempt + 1).then(resolve);
            });
            return;
          }
          // §12.2.1.2: a 481 or 408 to a request within a dialog ends the dialog — except for the requests of a
          // subscription usage, whose 481 ends only that usage (RFC 5057 §5.1, RFC 6665 §4.1.3).
          if ((res.status === 481 || res.status === 408) && !['BYE', 'NOTIFY', 'SUBSCRIBE'].includes(method))
            call.end('error');
          resolve(res);
        },
        onFailure: (why) => {
          if (offering) call.reinviting = false;
          // §12.2.1.2: a 408/481 or timeout on an in-dialog request ends the dialog; §14.1: a re-INVITE (or
          // UPDATE) that got no answer at all ends the session with BYE (built before the dialog ends).
          if (method !== 'BYE') {
            if (why === 'timeout' && offering) void this.sendInDialog(call, 'BYE');
            call.end('timeout');
          }
          resolve(createResponse(req, why === 'timeout' ? 408 : 503));
        },
      });
    });
  }

  /** Sends a PRACK (RFC 3262 §4) in an early dialog, to its remote target or the INVITE's next hop. */
  protected sendPrack(prack: SipRequest, dialog: Dialog, via: SendTarget): void {
    const target = this.inDialogTargetSync({ dialog, flowTarget: undefined }, via);
    this.stack.sendRequest(prack, target, { onResponse: () => {} });
  }

  /**
   * The call a REFER asks for: the application's offer (`ReferRequest.offer`) or our current SDP (a new
   * version), Referred-By/Replaces headers.
   */
  protected async placeReferredCall(
    from: Call,
    target: string,
    headers: [string, string][],
    offer?: string | Promise<string>,
  ): Promise<{ status: number; reason: string; call?: Call }> {
    try {
      const sdp =
        offer !== undefined ? await offer : from.localSdp !== undefined ? bumpVersion(from.localSdp) : undefined;
      const call = await this.invite(target, { ...(sdp !== undefined ? { sdp } : {}), headers, timeoutMs: 60_000 })
        .result;
      return { status: 200, reason: 'OK', call };
    } catch (e) {
      if (e instanceof SipCallError) return { status: e.status, reason: e.message.replace(/^\d+ /, '') };
      return { status: 500, reason: 'Server Internal Error' };
    }
  }
}

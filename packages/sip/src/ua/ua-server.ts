import { Dialog, dialogId } from '../dialog/dialog.js';
import { createResponse, newTag } from '../message/build.js';
import type { SipRequest } from '../message/message.js';
import { Call } from './call.js';
import { IncomingCall } from './incoming-call.js';
import { OPTION_100REL, ReliableProvisionals } from './prack.js';
import { pooledRandom } from './random.js';
import { replacesDialogId } from './refer.js';
import { uasSessionTimer } from './session-timer.js';
import type { IncomingRequest } from './stack.js';
import { SipCallError } from './targets.js';
import { UaClient } from './ua-client.js';
import { ALLOW, notAllowed, OPTIONS_HEADERS, type PendingAnswer } from './ua-core.js';

/**
 * The UAS side of a {@link UserAgent}: routing of new requests, incoming INVITE (auth, Require, session timer,
 * Replaces), the 2xx retransmitted until its ACK, reliable provisionals, the end of a call.
 * @internal
 */
export abstract class UaServer extends UaClient {
  /** @internal CallOwner */
  forget(call: Call): void {
    this.transfers.forget(call);
    this.timers.get(call)?.stop();
    const p = this.pending.get(call.id);
    if (p && p.call === call) {
      // The call ended before the ACK (e.g. a BYE overtook it): stop retransmitting the 2xx.
      this.pending.delete(call.id);
      this.stack.timerQueues.disarm(p);
      p.resolve(call);
    }
    if (this.calls.get(call.id) === call) {
      this.calls.delete(call.id);
      this.log?.('info', 'call.ended', {
        callId: call.dialog.callId,
        reason: call.endReason,
        direction: call.direction,
      });
      this.fire('callEnded', call);
    }
  }

  // ------------------------------------------------------------------ UAS

  protected onRequest(r: IncomingRequest): void {
    try {
      this.route(r);
    } catch (e) {
      // e.g. a registrar hook that threw: the request still gets its final response
      this.handlerFailed(e, r.request.method.toLowerCase(), r);
    }
  }

  protected route(r: IncomingRequest): void {
    const req = r.request;
    const toTag = req.to?.tag;
    // RFC 6665 hook (subscriptions.ts): NOTIFYs of our subscriptions, SUBSCRIBEs of the packages we serve
    if ((req.method === 'SUBSCRIBE' || req.method === 'NOTIFY') && this.subscriptions.route(r)) return;
    if (req.method === 'PRACK') {
      // RFC 3262 §3: matched against our reliable provisionals (200), else 481
      this.prackServer.handle(r);
      return;
    }
    if (toTag) {
      this.inDialog(r, toTag);
      return;
    }
    switch (req.method) {
      case 'INVITE':
        this.onInvite(r);
        return;
      case 'OPTIONS':
        r.reply(200, { headers: [...OPTIONS_HEADERS, ...this.subscriptions.allowEvents()] });
        return;
      case 'REGISTER':
        if (this.registrar) {
          const res = this.registrar.handle(req, `${r.source.address}:${r.source.port}`);
          // flows.ts hook: a contact registered over a connection is reached over it (RFC 7118 §5)
          if (res.status === 200 && r.transport.reliable)
            this.flows.note(this.registrar, req, this.stack.responseTarget(req, r.source, r.transport, r.flow));
          r.respond(res);
          return;
        }
        r.reply(405, { headers: [['Allow', ALLOW]] });
        return;
      case 'BYE':
        r.reply(481);
        return;
      default:
        if (this.listenerCount('request') > 0) this.fire('request', r, r);
        else notAllowed(r);
    }
  }

  protected onInvite(r: IncomingRequest): void {
    const req = r.request;
    if (this.o.authServer) {
      const v = this.o.authServer.verify(
        req.getAll('proxy-authorization').concat(req.getAll('authorization')),
        'INVITE',
      );
      if (!v.ok) {
        r.reply(401, {
          toTag: newTag(pooledRandom),
          headers: v.challenges.map((c) => ['WWW-Authenticate', c] as [string, string]),
        });
        return;
      }
    }
    const unsupported = req.require.filter((x) => x !== 'timer' && x !== OPTION_100REL);
    if (unsupported.length) {
      r.reply(420, { headers: [['Unsupported', unsupported.join(', ')]] });
      return;
    }
    // RFC 4028 §9 hook: 400 for a malformed Session-Expires, 422 + Min-SE for one below our Min-SE
    if (this.st) {
      const d = uasSessionTimer(req, this.st);
      if (d.kind === 'reject') {
        r.reply(d.status, { headers: d.headers, toTag: newTag(pooledRandom) });
        return;
      }
      if (d.kind === 'use') this.uasTimers.set(req, d);
    }
    // RFC 3891 §3 hook (refer.ts): Replaces names a confirmed call of ours (else 481; early-only on a confirmed
    // one: 486); once the new call is answered the replaced one gets BYE
    const rv = req.get('replaces');
    if (rv !== undefined) {
      const d = replacesDialogId(rv);
      const old = d ? this.calls.get(d.id) : undefined;
      if (!d || !old || old.state === 'ended') {
        r.reply(481, { toTag: newTag(pooledRandom) });
        return;
      }
      if (d.earlyOnly) {
        r.reply(486, { toTag: newTag(pooledRandom) });
        return;
      }
      this.replaced.set(req, old);
    }
    const call = new IncomingCall(this, r, this.loop.now());
    this.stack.watchServer(r, { onCancel: () => call._cancelled() });
    if (this.listenerCount('invite') === 0) {
      call.reject(480);
      return;
    }
    this.fire('invite', call, call);
  }

  /** @internal sends the 2xx and retransmits it until the ACK (RFC 3261 §13.3.1.4). */
  _answer(
    ic: IncomingCall,
    r: IncomingRequest,
    sdp: string | undefined,
    receivedAt: number,
    sdpSentEarly = false,
  ): Promise<Call> {
    const req = r.request;
    const contact = this.contactFor(r.transport, /^sips:/i.test(req.uri));
    const res = createResponse(req, 200, {
      toTag: ic.toTag,
      headers: [['Contact', contact], ['Allow', ALLOW], ...this.sessionHeaders(req)],
      ...(sdp !== undefined && !sdpSentEarly ? { body: this.sdpBytes(sdp), contentType: 'application/sdp' } : {}),
    });
    const dialog = Dialog.fromUasRequest(req, ic.toTag, contact);
    const call = new Call(this, 'incoming', dialog, req);
    call.remoteSdp = ic.remoteSdp;
    call.localSdp = sdp;
    call.flowTarget = r.transport.reliable ? this.stack.responseTarget(req, r.source, r.transport, r.flow) : undefined;
    this.calls.set(call.id, call);
    const st = this.uasTimers.get(req);
    if (st?.kind === 'use') this.startSessionTimer(call, st.interval, st.weRefresh);
    const old = this.replaced.get(req);
    if (old) void old.hangup(); // RFC 3891 §3: the replaced dialog ends with BYE
    // the bytes the transaction sent are the ones retransmitted (serialized once)
    const bytes = r.respond(res);
    const answered = new Promise<Call>((resolve, reject) => {
      const p = this.pendingAnswer(
        call,
        bytes,
        r,
        (c) => {
          c.setupMs = this.loop.now() - receivedAt;
          resolve(c);
        },
        reject,
      );
      this.pending.set(call.id, p);
    });
    // A caller that never ACKs rejects this promise (408); an application that did not wait for it (e.g.
    // `void inv.answer(sdp)`) must not crash on an unhandled rejection: the end is also `callEnded`/`whenEnded()`.
    answered.catch(() => {});
    return answered;
  }

  // ------------------------------------------------------------------ RFC 3262 hooks (prack.ts)

  /** @internal The reliable provisionals of an incoming INVITE (RFC 3262 §3). */
  _reliableFor(ic: IncomingCall, r: IncomingRequest): ReliableProvisionals {
    const target = this.stack.responseTarget(r.request, r.source, r.transport, r.flow);
    const rel = new ReliableProvisionals(r.request, {
      loop: this.loop,
      t1: this.t.t1,
      respond: (res) => r.respond(res),
      post: (bytes) => this.stack.post(target, bytes),
      // §3: no PRACK after 64*T1 → the INVITE is rejected with a 5xx
      giveUp: () => ic.reject(504, 'Reliable Provisional Not Acknowledged'),
      random: () => {
        const b = pooledRandom(4);
        return (((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0) / 2 ** 32;
      },
    });
    this.prackServer.add(r.request, ic.toTag, rel);
    return rel;
  }

  /** @internal A final response to an incoming INVITE: reliable provisionals stop; late PRACKs still match. */
  _finalSent(ic: IncomingCall): void {
    if (ic.reliableProvisionals) this.prackServer.release(ic.request, ic.toTag, 64 * this.t.t1);
  }

  /** Arms the 2xx retransmission (unreliable transports) and the 64×T1 wait for the ACK. */
  protected pendingAnswer(
    call: Call,
    bytes: Uint8Array,
    r: IncomingRequest,
    resolve: (c: Call) => void,
    reject: (e: Error) => void,
  ): PendingAnswer {
    const now = this.loop.now();
    const reliable = r.transport.reliable;
    const p: PendingAnswer = {
      resolve,
      reject,
      call,
      bytes,
      target: this.stack.responseTarget(r.request, r.source, r.transport, r.flow),
      interval: this.t.t1,
      deadline: now + 64 * this.t.t1,
      dueAt: undefined,
      onDue: (t) => {
        if (reliable || t >= p.deadline) {
          this.noAck(p);
          return;
        }
        this.stack.post(p.target, p.bytes);
        p.interval = Math.min(2 * p.interval, this.t.t2);
        this.stack.timerQueues.arm(p, Math.min(t + p.interval, p.deadline));
      },
    };
    this.stack.timerQueues.arm(p, reliable ? p.deadline : Math.min(now + p.interval, p.deadline));
    return p;
  }

  protected noAck(p: PendingAnswer): void {
    // §13.3.1.4: no ACK within 64*T1: the dialog is confirmed then terminated with a BYE.
    this.pending.delete(p.call.id);
    if (p.call.state !== 'ended') {
      const bye = this.sendInDialog(p.call, 'BYE');
      p.call.end('no-ack');
      void bye;
    }
    p.reject(new SipCallError(408, 'no ACK for 2xx'));
  }

  protected onAck(ack: SipRequest): void {
    const id = dialogId(ack.callId ?? '', ack.to?.tag ?? '', ack.from?.tag ?? '');
    const p = this.pending.get(id);
    if (!p) return; // retransmitted ACK, or ACK for an unknown dialog: absorbed
    this.pending.delete(id);
    this.stack.timerQueues.disarm(p);
    // RFC 3264 §4 / RFC 3261 §13.2.1: the answer to an offer we put in the 2xx comes in the ACK
    if (ack.body.length && (p.lateOffer || p.call.remoteSdp === undefined)) p.call.remoteSdp = ack.bodyText;
    p.resolve(p.call);
  }
}

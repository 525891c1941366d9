import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  answerSdpOffer,
  type Call,
  type CallEndReason,
  createRequest,
  parseMessage,
  SipCallError,
  UserAgent,
} from '../src/index.js';
import { offer, world } from './world.js';

// Issue #15 item 1 (handlers cannot crash the process) and #14 item 12 (call lifecycle events cannot be missed).

const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);
beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
});

const enc = new TextEncoder();

function pair() {
  const w = world();
  const uas = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)], user: 'bob' });
  const uac = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.1', 5060)], user: 'alice' });
  const errors: [unknown, string][] = [];
  uas.on('error', (e, ev) => errors.push([e, ev]));
  return { w, uas, uac, errors };
}

async function callStatus(w: ReturnType<typeof world>, uac: UserAgent, sdp = offer): Promise<number> {
  const out = uac.invite('sip:bob@127.0.0.2:5060', { sdp }).result.then(
    (c) => {
      void c.hangup();
      return 200;
    },
    (e) => (e instanceof SipCallError ? e.status : -1),
  );
  await w.run(1000);
  return out;
}

const local = { address: '127.0.0.2', port: 7000, srtp: 'none' as const };

describe('application handlers cannot crash the process (issue #15 item 1)', () => {
  it('an invite handler that throws: the caller gets 500, the error is reported, the next call succeeds', async () => {
    const { w, uas, uac, errors } = pair();
    let n = 0;
    uas.on('invite', (inv) => {
      if (++n === 1) throw new Error('boom');
      void inv.answer(answerSdpOffer(inv.remoteSdp!, local, { sessionId: '1', version: 1 }).sdp);
    });
    expect(await callStatus(w, uac)).toBe(500);
    expect(errors.map(([e, ev]) => [(e as Error).message, ev])).toEqual([['boom', 'invite']]);
    expect(await callStatus(w, uac)).toBe(200);
    expect(unhandled).toEqual([]);
  });

  it('an async invite handler that rejects: 500; an unanswerable offer (SdpNegotiationError): 488', async () => {
    const { w, uas, uac, errors } = pair();
    uas.on('invite', async (inv) => {
      await Promise.resolve();
      if (inv.remoteSdp?.includes('RTP/SAVP')) {
        // throws SdpNegotiationError: the offer is SRTP, we only do plain RTP
        answerSdpOffer(inv.remoteSdp, local, { sessionId: '1', version: 1 });
      }
      throw new TypeError('async boom');
    });
    expect(await callStatus(w, uac)).toBe(500);
    expect(await callStatus(w, uac, offer.replace('RTP/AVP', 'RTP/SAVP'))).toBe(488);
    expect(errors.map(([e]) => (e as Error).name)).toEqual(['TypeError', 'SdpNegotiationError']);
    expect(unhandled).toEqual([]);
  });

  it('a request handler (MESSAGE) that throws or rejects: 500; without an error listener it still never crashes', async () => {
    const w = world();
    const uas = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)], user: 'bob' });
    const uac = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.1', 5060)], user: 'alice' });
    const reported: unknown[] = [];
    uas.stack.onError = (e) => reported.push(e);
    let n = 0;
    uas.on('request', async (r) => {
      if (n === 2) throw new Error('async');
      if (n === 3) r.reply(202);
    });
    uas.prependListener('request', () => {
      n++;
      if (n === 1) throw new Error('sync');
    });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const req = createRequest({
        method: 'MESSAGE',
        uri: 'sip:bob@127.0.0.2:5060',
        from: '<sip:alice@127.0.0.1>',
        to: '<sip:bob@127.0.0.2>',
      });
      const p = uac.send(req);
      await w.run(200);
      statuses.push((await p).status);
    }
    // 1st: a sync listener throws; 2nd: an async one rejects; 3rd: answered 202
    expect(statuses).toEqual([500, 500, 202]);
    expect(reported.map((e) => (e as Error).message)).toEqual(['sync', 'async']);
    expect(unhandled).toEqual([]);
  });

  it('a throwing listener of a call event is reported and the other listeners still run', async () => {
    const { w, uas, uac, errors } = pair();
    const got: CallEndReason[] = [];
    uas.on('invite', (inv) => {
      void inv.answer(offer).then((c) => {
        c.on('ended', () => {
          throw new Error('listener');
        });
        c.on('ended', (r) => got.push(r));
      });
    });
    const out = uac.invite('sip:bob@127.0.0.2:5060', { sdp: offer }).result;
    await w.run(500);
    const call = await out;
    void call.hangup();
    await w.run(500);
    expect(got).toEqual(['remote-bye']);
    expect(errors.map(([e, ev]) => [(e as Error).message, ev])).toEqual([['listener', 'ended']]);
    expect(unhandled).toEqual([]);
  });
});

describe('call lifecycle events cannot be missed (issue #14 item 12)', () => {
  it('ACK and BYE in the same turn: `ended` reaches a listener added after `await inv.answer()`', async () => {
    const w = world();
    const uas = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)], user: 'bob' });
    const raw = w.net.attach('127.0.0.1', 5070);
    const ended: CallEndReason[] = [];
    const whenEnded: Promise<CallEndReason>[] = [];
    const callEnded: Call[] = [];
    uas.on('callEnded', (c) => callEnded.push(c));
    uas.on('invite', async (inv) => {
      const call = await inv.answer(offer);
      // by now the BYE has been handled already
      expect(call.state).toBe('ended');
      call.on('ended', (r) => ended.push(r));
      whenEnded.push(call.whenEnded());
    });
    const responses: string[] = [];
    raw.onPacket((p) => {
      const m = parseMessage(p.data);
      if (m.kind !== 'response') return;
      responses.push(`${m.status} ${m.get('cseq')}`);
      if (m.status === 200 && m.get('cseq') === '1 INVITE') {
        const common = (method: string, cseq: number, branch: string) =>
          [
            `${method} sip:bob@127.0.0.2:5060 SIP/2.0`,
            `Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK${branch}`,
            'From: <sip:raw@127.0.0.1>;tag=r1',
            `To: ${m.get('to')}`,
            'Call-ID: c1@raw',
            `CSeq: ${cseq} ${method}`,
            'Max-Forwards: 70',
            'Content-Length: 0',
            '',
            '',
          ].join('\r\n');
        // one after the other, before any promise continuation can run
        void raw.send(enc.encode(common('ACK', 1, 'ack1')), { address: '127.0.0.2', port: 5060 });
        void raw.send(enc.encode(common('BYE', 2, 'bye1')), { address: '127.0.0.2', port: 5060 });
      }
    });
    const inv = [
      'INVITE sip:bob@127.0.0.2:5060 SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKinv1',
      'From: <sip:raw@127.0.0.1>;tag=r1',
      'To: <sip:bob@127.0.0.2>',
      'Call-ID: c1@raw',
      'CSeq: 1 INVITE',
      'Contact: <sip:raw@127.0.0.1:5070>',
      'Max-Forwards: 70',
      'Content-Type: application/sdp',
      `Content-Length: ${offer.length}`,
      '',
      offer,
    ].join('\r\n');
    await raw.send(enc.encode(inv), { address: '127.0.0.2', port: 5060 });
    await w.run(100);
    expect(responses).toContain('200 2 BYE');
    expect(ended).toEqual(['remote-bye']);
    expect(await Promise.all(whenEnded)).toEqual(['remote-bye']);
    expect(callEnded.length).toBe(1);
    expect(uas.activeCalls).toBe(0);
  });

  it('`void inv.answer(sdp)` and a caller that never ACKs: no unhandled rejection, the end is still observable', async () => {
    const w = world();
    const uas = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)], user: 'bob' });
    const uac = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.1', 5060)], user: 'alice' });
    const ended: CallEndReason[] = [];
    uas.on('callEnded', (c) => ended.push(c.endReason!));
    uas.on('invite', (inv) => {
      void inv.answer(offer);
    });
    const t = uac.stack.transports[0]!;
    const orig = t.send.bind(t);
    t.send = (d, to, f) => (new TextDecoder().decode(d.subarray(0, 4)) === 'ACK ' ? Promise.resolve() : orig(d, to, f));
    void uac.invite('sip:bob@127.0.0.2:5060', { sdp: offer }).result.catch(() => {});
    await w.run(40_000, 100);
    await new Promise((r) => setTimeout(r, 10));
    expect(ended).toEqual(['no-ack']);
    expect(unhandled).toEqual([]);
  });

  it('whenEnded() resolves on every path (no ACK → BYE after 64×T1)', async () => {
    const w = world();
    const uas = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)], user: 'bob' });
    const uac = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.1', 5060)], user: 'alice' });
    let answer: Promise<Call> | undefined;
    const ends: Promise<CallEndReason>[] = [];
    uas.on('callEnded', (c) => ends.push(c.whenEnded()));
    uas.on('invite', (inv) => {
      answer = inv.answer(offer);
      answer.catch(() => {});
    });
    // drop the UAC's ACK: the UAS's 2xx is never acknowledged
    const orig = uac.stack.transports[0]!.send.bind(uac.stack.transports[0]!);
    uac.stack.transports[0]!.send = (d, to, f) =>
      new TextDecoder().decode(d.subarray(0, 4)) === 'ACK ' ? Promise.resolve() : orig(d, to, f);
    void uac.invite('sip:bob@127.0.0.2:5060', { sdp: offer }).result.catch(() => {});
    await w.run(40_000, 100);
    await expect(answer!).rejects.toBeInstanceOf(SipCallError);
    expect(uas.activeCalls).toBe(0);
    expect(await Promise.all(ends)).toEqual(['no-ack']);
  });
});

import { describe, expect, it } from 'vitest';
import {
  type Call,
  type IncomingCall,
  parseMessage,
  type SipCallError,
  type SipMessage,
  UserAgent,
} from '../src/index.js';
import { offer, world } from './world.js';

// RFC 3262 (reliable provisional responses, PRACK) on the memory network and the manual clock.

const enc = (s: string) => new TextEncoder().encode(s.split('\n').join('\r\n'));

/** A raw peer on the memory network that records every message with its arrival time. */
function rawPeer(w: ReturnType<typeof world>, address: string, port: number) {
  const t = w.net.attach(address, port);
  const got: { t: number; m: SipMessage }[] = [];
  t.onPacket((p) => got.push({ t: w.clock.now(), m: parseMessage(p.data) }));
  const send = (text: string, to = { address: '127.0.0.2', port: 5060 }) => t.send(enc(text), to);
  return { got, send };
}

const status = (m: SipMessage) => (m.kind === 'response' ? m.status : 0);
const method = (m: SipMessage) => (m.kind === 'request' ? m.method : '');

function invite(branch: string, extra: string[]): string {
  return [
    'INVITE sip:bob@127.0.0.2:5060 SIP/2.0',
    `Via: SIP/2.0/UDP 127.0.0.1:5070;branch=${branch}`,
    'From: <sip:raw@127.0.0.1>;tag=r1',
    'To: <sip:bob@127.0.0.2>',
    `Call-ID: ${branch}@raw`,
    'CSeq: 10 INVITE',
    'Contact: <sip:raw@127.0.0.1:5070>',
    'Max-Forwards: 70',
    ...extra,
    'Content-Type: application/sdp',
    `Content-Length: ${offer.length}`,
    '',
    offer,
  ].join('\n');
}

function prack(branch: string, toTag: string, rack: string, callId: string, cseq = 11): string {
  return [
    'PRACK sip:bob@127.0.0.2:5060 SIP/2.0',
    `Via: SIP/2.0/UDP 127.0.0.1:5070;branch=${branch}`,
    'From: <sip:raw@127.0.0.1>;tag=r1',
    `To: <sip:bob@127.0.0.2>;tag=${toTag}`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} PRACK`,
    `RAck: ${rack}`,
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ].join('\n');
}

describe('RFC 3262 reliable provisional responses', () => {
  it('our UAC ↔ our UAS: reliable 183 with SDP (early media), PRACK, then a 200 without SDP; BYE above PRACK', async () => {
    const w = world();
    const uas = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)], user: 'bob' });
    const uac = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.1', 5060)], user: 'alice' });
    const answerSdp = offer.replace('4000', '5000');
    let inc: IncomingCall | undefined;
    let answered: Promise<Call> | undefined;
    uas.on('invite', (inv) => {
      inc = inv;
      inv.ring(183, { sdp: answerSdp });
      answered = inv.answer(answerSdp); // waits for the PRACK (§3)
    });
    const progress: { status: number; rseq: string | undefined; body: string }[] = [];
    const out = uac.invite('sip:bob@127.0.0.2:5060', {
      sdp: offer,
      onProgress: (r) => progress.push({ status: r.status, rseq: r.get('rseq'), body: r.bodyText }),
    });
    await w.run(100);
    const call = await out.result;
    expect(inc?.request.supported).toContain('100rel');
    expect(progress.filter((p) => p.status === 183)).toHaveLength(1);
    expect(Number(progress.find((p) => p.status === 183)?.rseq)).toBeGreaterThan(0);
    expect(call.remoteSdp).toContain('m=audio 5000'); // from the reliable 183: the 200 had none
    const uasCall = await answered!;
    expect(uasCall.state).toBe('confirmed');
    const bye = call.hangup();
    await w.run(100);
    expect(await bye).toBe(200); // a BYE whose CSeq collided with the PRACK's would get 500
    expect(uasCall.endReason).toBe('remote-bye');
  });

  it('UAS: retransmits at T1, 2T1, 4T1… until PRACK; wrong RAck → 481; right → 200; retransmitted PRACK → 200', async () => {
    const w = world();
    const uas = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)], user: 'bob' });
    let inc: IncomingCall | undefined;
    uas.on('invite', (inv) => {
      inc = inv;
      inv.ring(180); // Require: 100rel from the caller → reliable
    });
    const raw = rawPeer(w, '127.0.0.1', 5070);
    await raw.send(invite('z9hG4bKp1', ['Require: 100rel']));
    await w.run(4000);
    const rel180 = raw.got.filter((g) => status(g.m) === 180);
    expect(rel180.map((g) => g.t)).toEqual([0, 500, 1500, 3500]);
    const first = rel180[0]!.m;
    expect(first.require).toContain('100rel');
    const rseq = Number(first.get('rseq'));
    expect(rseq).toBeGreaterThanOrEqual(1);
    expect(rel180.every((g) => g.m.get('rseq') === String(rseq))).toBe(true);
    const toTag = first.to?.tag ?? '';
    const cid = 'z9hG4bKp1@raw';
    // out-of-order RAck (the next RSeq) and a wrong CSeq: 481 (§3)
    await raw.send(prack('z9hG4bKpr1', toTag, `${rseq + 1} 10 INVITE`, cid));
    await raw.send(prack('z9hG4bKpr2', toTag, `${rseq} 9 INVITE`, cid, 12));
    await raw.send(prack('z9hG4bKpr3', toTag, 'garbage', cid, 13));
    await w.run(10);
    const prackAnswers = () => raw.got.filter((g) => g.m.cseq?.method === 'PRACK').map((g) => status(g.m));
    expect(prackAnswers()).toEqual([481, 481, 400]);
    await raw.send(prack('z9hG4bKpr4', toTag, `${rseq} 10 INVITE`, cid, 14));
    await w.run(10);
    expect(prackAnswers()).toEqual([481, 481, 400, 200]);
    // the same PRACK again (a retransmission, same branch): the transaction answers 200 again
    await raw.send(prack('z9hG4bKpr4', toTag, `${rseq} 10 INVITE`, cid, 14));
    await w.run(10);
    expect(prackAnswers()).toEqual([481, 481, 400, 200, 200]);
    // acknowledged: no more retransmissions of the 180
    await w.run(20_000, 100);
    expect(raw.got.filter((g) => status(g.m) === 180)).toHaveLength(4);
    // a second reliable provisional gets the next RSeq
    inc!.ring(183);
    await w.run(10);
    expect(raw.got.find((g) => status(g.m) === 183)?.m.get('rseq')).toBe(String(rseq + 1));
  });

  it('UAS: no PRACK within 64·T1 → the INVITE is rejected with a 5xx (§3)', async () => {
    const w = world();
    const uas = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)], user: 'bob' });
    let answer: Promise<unknown> | undefined;
    uas.on('invite', (inv) => {
      inv.ring(183, { sdp: offer });
      answer = inv.answer(offer).catch((e: unknown) => e);
    });
    const raw = rawPeer(w, '127.0.0.1', 5070);
    await raw.send(invite('z9hG4bKp2', ['Supported: 100rel']));
    await w.run(33_000, 100);
    const times = raw.got.filter((g) => status(g.m) === 183).map((g) => g.t);
    // T1 doubling without the T2 cap: 0, .5, 1.5, 3.5, 7.5, 15.5, 31.5 s
    expect(times).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    const final = raw.got.find((g) => status(g.m) >= 200);
    expect(status(final!.m)).toBeGreaterThanOrEqual(500);
    expect(status(final!.m)).toBeLessThan(600);
    expect(final!.t).toBe(32_000);
    expect(raw.got.some((g) => status(g.m) === 200)).toBe(false); // no 2xx before the PRACK
    expect(((await answer) as SipCallError).status).toBe(500);
  });

  it('a PRACK for no provisional at all → 481', async () => {
    const w = world();
    const uas = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)], user: 'bob' });
    void uas;
    const raw = rawPeer(w, '127.0.0.1', 5070);
    await raw.send(prack('z9hG4bKpx', 'nosuchtag', '1 1 INVITE', 'unknown@raw'));
    await w.run(10);
    expect(raw.got.map((g) => status(g.m))).toEqual([481]);
  });

  it('UAC: PRACKs in RSeq order with the right RAck; drops retransmissions and gaps; CSeq continues above', async () => {
    const w = world();
    const uac = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.1', 5060)], user: 'alice' });
    const raw = w.net.attach('127.0.0.2', 5060);
    const got: SipMessage[] = [];
    let inv: SipMessage | undefined;
    const reply = (code: number, extra: string[], body = '') => {
      const m = inv!;
      const text = [
        `SIP/2.0 ${code} ${code === 200 ? 'OK' : 'Session Progress'}`,
        ...m.getAll('via').map((v) => `Via: ${v}`),
        `From: ${m.get('from')}`,
        `To: ${m.get('to')};tag=uas1`,
        `Call-ID: ${m.callId}`,
        `CSeq: ${m.get('cseq')}`,
        'Contact: <sip:bob@127.0.0.2:5060>',
        ...extra,
        ...(body ? ['Content-Type: application/sdp'] : []),
        `Content-Length: ${body.length}`,
        '',
        body,
      ].join('\n');
      void raw.send(enc(text), { address: '127.0.0.1', port: 5060 });
    };
    raw.onPacket((p) => {
      const m = parseMessage(p.data);
      got.push(m);
      if (method(m) === 'INVITE') inv = m;
      if (method(m) === 'PRACK' || method(m) === 'BYE') {
        const text = [
          'SIP/2.0 200 OK',
          ...m.getAll('via').map((v) => `Via: ${v}`),
          `From: ${m.get('from')}`,
          `To: ${m.get('to')}`,
          `Call-ID: ${m.callId}`,
          `CSeq: ${m.get('cseq')}`,
          'Content-Length: 0',
          '',
          '',
        ].join('\n');
        void raw.send(enc(text), { address: '127.0.0.1', port: 5060 });
      }
    });
    const progress: string[] = [];
    const out = uac.invite('sip:bob@127.0.0.2:5060', {
      sdp: offer,
      onProgress: (r) => progress.push(`${r.status}/${r.get('rseq') ?? '-'}`),
    });
    await w.run(10);
    expect(inv?.supported).toContain('100rel');
    const early = offer.replace('4000', '6000');
    reply(183, ['Require: 100rel', 'RSeq: 7'], early);
    await w.run(10);
    reply(183, ['Require: 100rel', 'RSeq: 7'], early); // retransmission: no PRACK, not passed up
    reply(180, ['Require: 100rel', 'RSeq: 9']); // a gap: dropped
    await w.run(10);
    reply(180, ['Require: 100rel', 'RSeq: 8']);
    await w.run(10);
    reply(180, []); // unreliable: passed up, no PRACK
    await w.run(10);
    const pracks = got.filter((m) => method(m) === 'PRACK');
    expect(pracks.map((p) => p.get('rack'))).toEqual(['7 1 INVITE', '8 1 INVITE']);
    expect(pracks.map((p) => p.cseq?.seq)).toEqual([2, 3]);
    expect(pracks[0]!.to?.tag).toBe('uas1');
    expect(progress).toEqual(['183/7', '180/8', '180/-']);
    reply(200, []);
    await w.run(10);
    const call = await out.result;
    expect(call.remoteSdp).toContain('m=audio 6000'); // early media's answer
    const bye = call.hangup();
    await w.run(10);
    expect(await bye).toBe(200);
    expect(got.find((m) => method(m) === 'BYE')?.cseq?.seq).toBe(4);
  });
});

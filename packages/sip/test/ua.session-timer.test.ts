import { describe, expect, it } from 'vitest';
import { type Call, parseMessage, type SipMessage, type SipRequest, UserAgent } from '../src/index.js';
import { offer, world } from './world.js';

// Session timers (RFC 4028) on the memory network and the manual clock.

const enc = (s: string) => new TextEncoder().encode(s.split('\n').join('\r\n'));
const isReq = (m: SipMessage, method: string) => m.kind === 'request' && m.method === method;

/** A raw peer at 127.0.0.2:5060 that answers with `answer(m)` (text or nothing) and records what it got. */
function rawPeer(w: ReturnType<typeof world>, answer: (m: SipMessage) => string | undefined) {
  const t = w.net.attach('127.0.0.2', 5060);
  const got: { t: number; m: SipMessage }[] = [];
  t.onPacket((p) => {
    const m = parseMessage(p.data);
    got.push({ t: w.clock.now(), m });
    const text = answer(m);
    if (text !== undefined) void t.send(enc(text), { address: p.source.address, port: p.source.port });
  });
  const send = (text: string) => t.send(enc(text), { address: '127.0.0.1', port: 5060 });
  return { got, send };
}

/** A response to request `m` (its Via, From, To with our tag, Call-ID, CSeq). */
function resp(m: SipMessage, status: number, extra: string[] = [], body = ''): string {
  const to = m.get('to') ?? '';
  return [
    `SIP/2.0 ${status} X`,
    ...m.getAll('via').map((v) => `Via: ${v}`),
    `From: ${m.get('from')}`,
    `To: ${/;tag=/.test(to) ? to : `${to};tag=raw`}`,
    `Call-ID: ${m.callId}`,
    `CSeq: ${m.get('cseq')}`,
    'Contact: <sip:raw@127.0.0.2:5060>',
    ...extra,
    ...(body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${body.length}`,
    '',
    body,
  ].join('\n');
}

function rawInvite(extra: string[], callId = 'st1@raw'): string {
  return [
    'INVITE sip:bob@127.0.0.1:5060 SIP/2.0',
    `Via: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK${callId.replace(/\W/g, '')}`,
    'From: <sip:raw@127.0.0.2>;tag=r1',
    'To: <sip:bob@127.0.0.1>',
    `Call-ID: ${callId}`,
    'CSeq: 1 INVITE',
    'Contact: <sip:raw@127.0.0.2:5060>',
    'Max-Forwards: 70',
    ...extra,
    'Content-Type: application/sdp',
    `Content-Length: ${offer.length}`,
    '',
    offer,
  ].join('\n');
}

describe('RFC 4028 session timers', () => {
  it('our UAC ↔ our UAS: negotiated 90 s, refresher=uac; re-INVITE refreshes every 45 s keep the call up', async () => {
    const w = world();
    const uas = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)], user: 'bob' });
    const uac = new UserAgent({
      loop: w.loop,
      transports: [w.net.attach('127.0.0.1', 5060)],
      user: 'alice',
      sessionTimers: { expires: 90 },
    });
    let inv: SipRequest | undefined;
    let bob: Call | undefined;
    let t0 = -1;
    uas.on('invite', (i) => {
      inv = i.request;
      t0 = w.clock.now(); // the 2xx goes out (and arrives: no latency) now
      void i.answer(offer).then((c) => {
        bob = c;
      });
    });
    const refreshes: number[] = [];
    const out = uac.invite('sip:bob@127.0.0.2:5060', { sdp: offer });
    await w.run(20);
    const alice = await out.result;
    expect(inv?.supported).toContain('timer');
    expect(inv?.get('session-expires')).toBe('90');
    expect(inv?.get('min-se')).toBe('90');
    bob!.on('updated', () => refreshes.push(w.clock.now()));
    await w.run(200_000, 500);
    // every 45 s (the first counted from the 2xx, plus the network's delivery steps)
    expect(refreshes).toHaveLength(4);
    expect(refreshes[0]! - t0).toBeGreaterThanOrEqual(45_000);
    expect(refreshes[0]! - t0).toBeLessThan(45_100);
    expect(refreshes.slice(1).map((t, i) => t - refreshes[i]!)).toEqual([45_000, 45_000, 45_000]);
    expect(alice.state).toBe('confirmed');
    expect(bob!.state).toBe('confirmed');
  });

  it('422 with Min-SE: 1800 → the INVITE is sent again with Session-Expires 1800 (§7.4)', async () => {
    const w = world();
    const uas = new UserAgent({
      loop: w.loop,
      transports: [w.net.attach('127.0.0.2', 5060)],
      user: 'bob',
      sessionTimers: { minSE: 1800 },
    });
    const uac = new UserAgent({
      loop: w.loop,
      transports: [w.net.attach('127.0.0.1', 5060)],
      user: 'alice',
      sessionTimers: { expires: 90 },
    });
    const seen: string[] = [];
    uas.on('invite', (i) => {
      seen.push(`${i.request.get('session-expires')}/${i.request.get('min-se')}/${i.request.cseq?.seq}`);
      void i.answer(offer);
    });
    const out = uac.invite('sip:bob@127.0.0.2:5060', { sdp: offer });
    await w.run(50);
    const call = await out.result;
    expect(seen).toEqual(['1800/1800/2']);
    expect(call.state).toBe('confirmed');
    // the negotiated interval is 1800 s: no refresh at 45 s (half of the 90 s first asked for), one at 900 s
    let refreshes = 0;
    const uasCall = [...(uas as unknown as { calls: Map<string, Call> }).calls.values()][0]!;
    uasCall.on('updated', () => refreshes++);
    await w.run(899_000, 1000);
    expect(refreshes).toBe(0);
    await w.run(2000, 1000);
    expect(refreshes).toBe(1);
    expect(call.state).toBe('confirmed');
  });

  it('UAS: Session-Expires below Min-SE → 422 with Min-SE; malformed → 400; absent and unsupported → no timer', async () => {
    const w = world();
    const uas = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.1', 5060)], user: 'bob' });
    uas.on('invite', (i) => void i.answer(offer));
    const raw = rawPeer(w, () => undefined);
    await raw.send(rawInvite(['Supported: timer', 'Session-Expires: 60'], 'a@raw'));
    await raw.send(rawInvite(['Session-Expires: soon'], 'b@raw'));
    await raw.send(rawInvite([], 'c@raw'));
    await w.run(20);
    const finals = raw.got.filter((g) => g.m.kind === 'response' && g.m.status >= 200).map((g) => g.m);
    const by = (cid: string) => finals.find((m) => m.callId === cid)!;
    expect((by('a@raw') as { status: number }).status).toBe(422);
    expect(by('a@raw').get('min-se')).toBe('90');
    expect((by('b@raw') as { status: number }).status).toBe(400);
    expect((by('c@raw') as { status: number }).status).toBe(200);
    expect(by('c@raw').get('session-expires')).toBeUndefined();
  });

  it('UAS with Min-SE 300: an INVITE asking 120 s (≥ 90, below ours) → 422 with Min-SE: 300 (§9)', async () => {
    const w = world();
    const uas = new UserAgent({
      loop: w.loop,
      transports: [w.net.attach('127.0.0.1', 5060)],
      user: 'bob',
      sessionTimers: { minSE: 300 },
    });
    uas.on('invite', (i) => void i.answer(offer));
    const raw = rawPeer(w, () => undefined);
    await raw.send(rawInvite(['Supported: timer', 'Session-Expires: 120'], 'm1@raw'));
    await raw.send(rawInvite(['Supported: timer', 'Session-Expires: 300'], 'm2@raw'));
    await w.run(20);
    const finals = raw.got.filter((g) => g.m.kind === 'response' && g.m.status >= 200).map((g) => g.m);
    const by = (cid: string) => finals.find((m) => m.callId === cid)!;
    expect((by('m1@raw') as { status: number }).status).toBe(422);
    expect(by('m1@raw').get('min-se')).toBe('300');
    expect((by('m2@raw') as { status: number }).status).toBe(200);
    expect(by('m2@raw').get('session-expires')).toBe('300;refresher=uac');
  });

  it('session refreshes too: a re-INVITE or UPDATE with Session-Expires below Min-SE → 422 + Min-SE; the call stays up and a good refresh is answered 200', async () => {
    const w = world();
    const uas = new UserAgent({
      loop: w.loop,
      transports: [w.net.attach('127.0.0.1', 5060)],
      user: 'bob',
      sessionTimers: { minSE: 300 },
    });
    let call: Call | undefined;
    uas.on('invite', (i) => void i.answer(offer).then((c) => (call = c)));
    const raw = rawPeer(w, () => undefined);
    await raw.send(rawInvite(['Supported: timer', 'Session-Expires: 1800'], 'r@raw'));
    await w.run(10);
    const ok = raw.got.find((g) => g.m.kind === 'response' && g.m.status === 200)!.m;
    const toTag = ok.to?.tag ?? '';
    const inDialog = (method: string, cseq: number, branch: string, extra: string[], body = '') =>
      [
        `${method} sip:bob@127.0.0.1:5060 SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK${branch}`,
        'From: <sip:raw@127.0.0.2>;tag=r1',
        `To: <sip:bob@127.0.0.1>;tag=${toTag}`,
        'Call-ID: r@raw',
        `CSeq: ${cseq} ${method}`,
        'Contact: <sip:raw@127.0.0.2:5060>',
        'Max-Forwards: 70',
        ...extra,
        ...(body ? ['Content-Type: application/sdp'] : []),
        `Content-Length: ${body.length}`,
        '',
        body,
      ].join('\n');
    await raw.send(inDialog('ACK', 1, 'ack1', []));
    await w.run(10);
    const answers = () =>
      raw.got
        .filter((g) => g.m.kind === 'response' && g.m.cseq && g.m.cseq.seq > 1)
        .map((g) => `${g.m.cseq?.seq} ${(g.m as { status: number }).status} ${g.m.get('min-se') ?? '-'}`);
    // below 90 (RFC 4028 §5's floor) and below our 300, by re-INVITE (with SDP) and by UPDATE (with and without)
    await raw.send(inDialog('INVITE', 2, 'ri2', ['Supported: timer', 'Session-Expires: 60'], offer));
    await w.run(10);
    await raw.send(inDialog('ACK', 2, 'ri2', []));
    await raw.send(inDialog('INVITE', 3, 'ri3', ['Supported: timer', 'Session-Expires: 120;refresher=uac'], offer));
    await w.run(10);
    await raw.send(inDialog('ACK', 3, 'ri3', []));
    await raw.send(inDialog('UPDATE', 4, 'up4', ['Supported: timer', 'Session-Expires: 89'], offer));
    await raw.send(inDialog('UPDATE', 5, 'up5', ['Supported: timer', 'Session-Expires: 200']));
    await w.run(10);
    expect(answers()).toEqual(['2 422 300', '3 422 300', '4 422 300', '5 422 300']);
    expect(call?.state).toBe('confirmed');
    expect(uas.stats().awaitingAck).toBe(0);
    // a refresh at our Min-SE is fine, by either method
    await raw.send(inDialog('UPDATE', 6, 'up6', ['Supported: timer', 'Session-Expires: 300']));
    await raw.send(inDialog('INVITE', 7, 'ri7', ['Supported: timer', 'Session-Expires: 400;refresher=uac'], offer));
    await w.run(10);
    await raw.send(inDialog('ACK', 7, 'ri7', []));
    await w.run(10);
    expect(answers().slice(4)).toEqual(['6 200 -', '7 200 -']);
    const r7 = raw.got.find((g) => g.m.kind === 'response' && g.m.cseq?.seq === 7)!.m;
    expect(r7.get('session-expires')).toBe('400;refresher=uac');
    expect(uas.stats().awaitingAck).toBe(0);
    expect(call?.state).toBe('confirmed');
  });

  it('UAS, not the refresher: BYE at expiry − min(32 s, SE/3) without a refresh; an UPDATE refresh moves it', async () => {
    const w = world();
    const uas = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.1', 5060)], user: 'bob' });
    uas.on('invite', (i) => void i.answer(offer));
    const raw = rawPeer(w, (m) => (isReq(m, 'BYE') ? resp(m, 200) : undefined));
    await raw.send(rawInvite(['Supported: timer', 'Session-Expires: 90;refresher=uac'], 'd@raw'));
    await w.run(10);
    const ok = raw.got.find((g) => g.m.kind === 'response' && g.m.status === 200)!.m;
    expect(ok.get('session-expires')).toBe('90;refresher=uac');
    expect(ok.require).toContain('timer');
    const toTag = ok.to?.tag ?? '';
    await raw.send(
      [
        'ACK sip:bob@127.0.0.1:5060 SIP/2.0',
        'Via: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bKack',
        'From: <sip:raw@127.0.0.2>;tag=r1',
        `To: <sip:bob@127.0.0.1>;tag=${toTag}`,
        'Call-ID: d@raw',
        'CSeq: 1 ACK',
        'Content-Length: 0',
        '',
        '',
      ].join('\n'),
    );
    // a refresh by UPDATE (no SDP) at 40 s: answered 200 with Session-Expires; the expiry moves to 40 + 60 s
    w.loop.after(40_000 - 10, () => {
      void raw.send(
        [
          'UPDATE sip:bob@127.0.0.1:5060 SIP/2.0',
          'Via: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bKupd',
          'From: <sip:raw@127.0.0.2>;tag=r1',
          `To: <sip:bob@127.0.0.1>;tag=${toTag}`,
          'Call-ID: d@raw',
          'CSeq: 2 UPDATE',
          'Contact: <sip:raw@127.0.0.2:5060>',
          'Session-Expires: 90;refresher=uac',
          'Content-Length: 0',
          '',
          '',
        ].join('\n'),
      );
    });
    await w.run(120_000, 100);
    const upd = raw.got.find((g) => g.m.kind === 'response' && g.m.cseq?.method === 'UPDATE')!.m;
    expect(upd.get('session-expires')).toBe('90;refresher=uac');
    const updAt = raw.got.find((g) => g.m.kind === 'response' && g.m.cseq?.method === 'UPDATE')!.t;
    const bye = raw.got.find((g) => isReq(g.m, 'BYE'));
    expect(bye?.t).toBe(updAt + 60_000);
    expect(uas.activeCalls).toBe(0);
  });

  it('UAC, refresher: refresh at exactly SE/2; a UAS that ignores it gets BYE when the refresh times out (§10)', async () => {
    const w = world();
    const uac = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.1', 5060)], user: 'alice' });
    let n = 0;
    const raw = rawPeer(w, (m) => {
      if (isReq(m, 'INVITE') && n++ === 0) return resp(m, 200, ['Session-Expires: 90;refresher=uac'], offer);
      if (isReq(m, 'BYE')) return resp(m, 200);
      return undefined; // the refresh is ignored
    });
    const out = uac.invite('sip:bob@127.0.0.2:5060', { sdp: offer });
    await w.run(10);
    const call = await out.result;
    await w.run(100_000, 100);
    const t0 = raw.got.find((g) => isReq(g.m, 'ACK'))!.t; // sent when the 2xx was processed
    const refresh = raw.got.filter((g) => isReq(g.m, 'INVITE') && g.m.cseq?.seq !== 1);
    // SE/2 after the 2xx (t0 is when its ACK arrived; the loop's turn time may lag it by one 10 ms step)
    expect(refresh[0]!.t - t0).toBeGreaterThanOrEqual(45_000);
    expect(refresh[0]!.t - t0).toBeLessThanOrEqual(45_010);
    expect(refresh[0]?.m.get('session-expires')).toBe('90;refresher=uac');
    expect(refresh[0]?.m.body.length).toBeGreaterThan(0); // the unchanged SDP
    const bye = raw.got.find((g) => isReq(g.m, 'BYE'));
    expect(bye!.t - refresh[0]!.t).toBe(32_000); // Timer B (64·T1) of the refresh
    expect(call.state).toBe('ended');
  });

  it('UAC, refresher: a refresh answered 500 leaves the session to expire → BYE at the expiry', async () => {
    const w = world();
    const uac = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.1', 5060)], user: 'alice' });
    let n = 0;
    const raw = rawPeer(w, (m) => {
      if (isReq(m, 'INVITE'))
        return n++ === 0 ? resp(m, 200, ['Session-Expires: 120;refresher=uac'], offer) : resp(m, 500);
      if (isReq(m, 'BYE')) return resp(m, 200);
      return undefined;
    });
    const out = uac.invite('sip:bob@127.0.0.2:5060', { sdp: offer });
    await w.run(10);
    const call = await out.result;
    await w.run(130_000, 100);
    const t0 = raw.got.find((g) => isReq(g.m, 'ACK'))!.t;
    const refreshAt = raw.got.filter((g) => isReq(g.m, 'INVITE'))[1]!.t;
    const byeAt = raw.got.find((g) => isReq(g.m, 'BYE'))!.t;
    expect(byeAt - refreshAt).toBe(60_000); // the expiry, SE after the 2xx, SE/2 after the failed refresh
    expect(byeAt - t0).toBeGreaterThanOrEqual(120_000);
    expect(byeAt - t0).toBeLessThanOrEqual(120_010);
    expect(call.endReason).toBe('timeout');
  });
});

import { describe, expect, it } from 'vitest';
import { parseMessage, type SipCallError, type SipMessage, sipResolve, UserAgent } from '../src/index.js';
import { offer, world } from './world.js';

// Cancellation and time limits (AbortSignal, timeoutMs) on the manual clock.

const enc = (s: string) => new TextEncoder().encode(s.split('\n').join('\r\n'));

function resp(m: SipMessage, status: number, body = ''): string {
  const to = m.get('to') ?? '';
  return [
    `SIP/2.0 ${status} X`,
    ...m.getAll('via').map((v) => `Via: ${v}`),
    `From: ${m.get('from')}`,
    `To: ${/;tag=/.test(to) ? to : `${to};tag=raw`}`,
    `Call-ID: ${m.callId}`,
    `CSeq: ${m.get('cseq')}`,
    'Contact: <sip:raw@127.0.0.2:5060>',
    ...(body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${body.length}`,
    '',
    body,
  ].join('\n');
}

describe('AbortSignal and timeouts', () => {
  it('invite: abort after the 180 sends CANCEL; the result rejects with 487', async () => {
    const w = world();
    const uas = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)] });
    const uac = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.1', 5060)] });
    let cancelled = false;
    uas.on('invite', (i) => {
      i.ring();
      i.on('cancel', () => {
        cancelled = true;
      });
    });
    const ac = new AbortController();
    const r = uac.invite('sip:x@127.0.0.2', { sdp: offer, signal: ac.signal }).result.catch((e: unknown) => e);
    await w.run(100);
    ac.abort();
    await w.run(100);
    expect(cancelled).toBe(true);
    expect(((await r) as SipCallError).status).toBe(487);
    expect(uac.activeCalls + uas.activeCalls).toBe(0);
  });

  it('invite: timeoutMs cancels a call that rings for ever, exactly at the limit', async () => {
    const w = world();
    const uas = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)] });
    const uac = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.1', 5060)] });
    let cancelAt = -1;
    uas.on('invite', (i) => {
      i.ring();
      i.on('cancel', () => {
        cancelAt = w.clock.now();
      });
    });
    const r = uac.invite('sip:x@127.0.0.2', { sdp: offer, timeoutMs: 5000 }).result.catch((e: unknown) => e);
    await w.run(6000, 10);
    expect(cancelAt).toBeGreaterThanOrEqual(5000);
    expect(cancelAt).toBeLessThanOrEqual(5020);
    expect(((await r) as SipCallError).status).toBe(487);
  });

  it('invite: a 2xx that races the abort is ACKed and ended with BYE', async () => {
    const w = world();
    const uac = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.1', 5060)] });
    const raw = w.net.attach('127.0.0.2', 5060);
    const got: string[] = [];
    raw.onPacket((p) => {
      const m = parseMessage(p.data);
      const back = (t: string) => void raw.send(enc(t), { address: p.source.address, port: p.source.port });
      if (m.kind === 'request') {
        got.push(m.method);
        if (m.method === 'INVITE') back(resp(m, 180));
        if (m.method === 'CANCEL') back(resp(m, 200)); // …but the INVITE is answered anyway (the 2xx won)
        if (m.method === 'BYE') back(resp(m, 200));
        if (m.method === 'CANCEL') inviteMsg && back(resp(inviteMsg, 200, offer));
        if (m.method === 'INVITE') inviteMsg = m;
      }
    });
    let inviteMsg: SipMessage | undefined;
    const ac = new AbortController();
    const out = uac.invite('sip:x@127.0.0.2', { sdp: offer, signal: ac.signal });
    await w.run(50);
    ac.abort();
    await w.run(100);
    const call = await out.result;
    expect(got).toEqual(['INVITE', 'CANCEL', 'ACK', 'BYE']);
    expect(call.state).toBe('ended');
  });

  it('options / register: timeoutMs rejects with TimeoutError at the limit; abort with the reason', async () => {
    const w = world();
    const uac = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.1', 5060)] });
    let at = -1;
    const o = uac.options('sip:nobody@127.0.0.9', { timeoutMs: 2000 }).catch((e: Error) => {
      at = w.clock.now();
      return e;
    });
    await w.run(3000, 10);
    expect(((await o) as Error).name).toBe('TimeoutError');
    expect(at).toBeGreaterThanOrEqual(2000);
    expect(at).toBeLessThanOrEqual(2010);
    const ac = new AbortController();
    const reg = uac.register('sip:127.0.0.9', { signal: ac.signal }).catch((e: unknown) => e);
    await w.run(100);
    ac.abort(new Error('user gave up'));
    await w.run(10);
    expect(((await reg) as Error).message).toBe('user gave up');
  });

  it('sipResolve: an aborted signal rejects at once, a timeout with TimeoutError', async () => {
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(sipResolve('sip:example.invalid', { signal: ac.signal })).rejects.toThrow('stop');
    const hang = () => new Promise<never>(() => {});
    const never = { a: hang, aaaa: hang, srv: hang, naptr: hang }; // a DNS server that never answers
    await expect(sipResolve('sip:example.invalid', { resolver: never as never, timeoutMs: 30 })).rejects.toMatchObject({
      name: 'TimeoutError',
    });
  });
});

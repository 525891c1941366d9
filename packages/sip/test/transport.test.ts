import { connectTcp, createUdpSocket } from '@mdh/loop';
import { afterEach, describe, expect, it } from 'vitest';
import { listenTransport, type SipTransport, type TransportProtocol, UdpTransport, UserAgent } from '../src/index.js';

const offer = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
const opened: UserAgent[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((u) => u.close()));
});

async function pair(p: TransportProtocol) {
  const st = await listenTransport(p, { host: '127.0.0.1', port: 0 });
  const ct = await listenTransport(p, { host: '127.0.0.1', port: 0, insecure: true });
  const uas = new UserAgent({ transports: [st], user: 'bob' });
  const uac = new UserAgent({ transports: [ct], user: 'alice' });
  opened.push(uas, uac);
  return { st, ct, uas, uac };
}

describe('transports between our UAC and UAS', () => {
  for (const p of ['udp', 'tcp', 'tls', 'ws', 'wss'] as const) {
    it(`call, OPTIONS and BYE over ${p}`, async () => {
      const { st, uas, uac } = await pair(p);
      const ended = new Promise<string>((resolve) => {
        uas.on('invite', (inv) => {
          inv.ring();
          void inv.answer(offer).then((c) => c.on('ended', resolve));
        });
      });
      const scheme = p === 'tls' || p === 'wss' ? 'sips' : 'sip';
      const uri = `${scheme}:bob@127.0.0.1:${st.localPort};transport=${p}`;
      const call = await uac.invite(uri, { sdp: offer }).result;
      expect(call.remoteSdp).toContain('m=audio');
      expect((await uac.options(uri)).status).toBe(200);
      expect(await call.hangup()).toBe(200);
      expect(await ended).toBe('remote-bye');
      if (p !== 'udp') expect(st.stats.connections).toBeGreaterThan(0);
    });
  }

  it('reuses one connection for every request to the same peer (TCP)', async () => {
    const { st, ct, uac } = await pair('tcp');
    for (let i = 0; i < 5; i++)
      expect((await uac.options(`sip:bob@127.0.0.1:${st.localPort};transport=tcp`)).status).toBe(200);
    expect(st.stats.connections).toBe(1);
    expect(ct.stats.connections).toBe(1);
  });

  it('UDP: oversized and malformed datagrams are dropped and counted; a malformed request gets 400', async () => {
    const t = await UdpTransport.listen({ host: '127.0.0.1', port: 0, maxMessageBytes: 2000 });
    const ua = new UserAgent({ transports: [t] });
    opened.push(ua);
    const s = await createUdpSocket({ address: '127.0.0.1', port: 0 });
    const replies: string[] = [];
    s.onMessage((m) => replies.push(new TextDecoder().decode(m.data)));
    s.send(new Uint8Array(3000).fill(65), t.localPort, '127.0.0.1');
    s.send(new TextEncoder().encode('garbage\r\n\r\n'), t.localPort, '127.0.0.1');
    const bad = [
      'OPTIONS sip:x@127.0.0.1 SIP/2.0',
      `Via: SIP/2.0/UDP 127.0.0.1:${s.port};branch=z9hG4bKbad`,
      'From: <sip:a@b>;tag=1',
      'To: <sip:x@127.0.0.1>',
      'Call-ID: bad1',
      'CSeq: notanumber OPTIONS',
      'Max-Forwards: 70',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    s.send(new TextEncoder().encode(bad), t.localPort, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 200));
    expect(t.stats.dropped).toBeGreaterThanOrEqual(1);
    expect(ua.stack.stats.parseErrors).toBeGreaterThanOrEqual(2);
    expect(replies.some((r) => r.startsWith('SIP/2.0 400'))).toBe(true);
    await s.close();
  });

  it('TCP: a stream whose framing breaks is closed; keep-alive pings are answered', async () => {
    const t: SipTransport = await listenTransport('tcp', { host: '127.0.0.1', port: 0 });
    const ua = new UserAgent({ transports: [t] });
    opened.push(ua);
    const c = await connectTcp({ host: '127.0.0.1', port: t.localPort });
    const got: Uint8Array[] = [];
    c.onData((d) => got.push(d));
    await c.write(new TextEncoder().encode('\r\n\r\n'));
    await new Promise((r) => setTimeout(r, 100));
    expect(new TextDecoder().decode(got[0])).toBe('\r\n');
    const closed = new Promise<void>((r) => {
      c.onEnd(() => r());
      c.onClose(() => r());
    });
    await c.write(new TextEncoder().encode('OPTIONS sip:x SIP/2.0\r\nContent-Length: 99999999\r\n\r\n'));
    await closed;
    expect(t.stats.dropped).toBeGreaterThanOrEqual(1);
  });
});

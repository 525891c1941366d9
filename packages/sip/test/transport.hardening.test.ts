import net from 'node:net';
import tls from 'node:tls';
import { createLoop, ManualClock } from '@mdh/loop';
import { afterEach, describe, expect, it } from 'vitest';
import { listenTransport, StreamTransport, UserAgent } from '../src/index.js';

// Issue #14 item 2 and "Also": SIP over TCP closes what the peer closed, bounds slow and oversized input,
// limits connections (closing the idlest first), answers broken streams 413/400, and keeps serving others.

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** Resolves when `pred` holds, polling every 5 ms; rejects after `ms`. */
async function until(pred: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Client {
  sock: net.Socket;
  text: () => string;
  closed: () => boolean;
}

function connect(port: number, localAddress = '127.0.0.1'): Promise<Client> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port, localAddress });
    let data = '';
    let closed = false;
    sock.on('data', (d) => {
      data += d.toString('latin1');
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      closed = true;
    });
    sock.once('connect', () => resolve({ sock, text: () => data, closed: () => closed }));
    sock.once('error', reject);
    cleanup.push(() => sock.destroy());
  });
}

function options(port: number, n: number | string, extra = ''): string {
  return (
    `OPTIONS sip:x@127.0.0.1:${port} SIP/2.0\r\n` +
    `Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKopt${n}\r\n` +
    'Max-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\n' +
    `Call-ID: opt-${n}\r\nCSeq: 1 OPTIONS\r\n${extra}Content-Length: 0\r\n\r\n`
  );
}

async function tcpUa(o: Parameters<typeof StreamTransport.listen>[0] = {}) {
  const t = await StreamTransport.listen({ host: '127.0.0.1', port: 0, ...o });
  const ua = new UserAgent({ transports: [t] });
  cleanup.push(() => ua.close());
  return { t, ua };
}

describe('SIP over TCP under misbehaving peers (RFC 3261 §18.3, issue #14 item 2)', () => {
  it('closes every connection the peer closed: 100 opened and closed leave 0 sockets', async () => {
    const { t } = await tcpUa();
    const clients: Client[] = [];
    for (let i = 0; i < 100; i++) {
      const c = await connect(t.localPort);
      if (i % 2 === 0) c.sock.write(options(t.localPort, i));
      clients.push(c);
    }
    await until(() => t.connectionCount === 100, 5000, '100 connections');
    // half the clients asked something: they get their answer before the close
    for (const c of clients) c.sock.end(); // FIN; the client keeps reading until the server's FIN
    await until(() => clients.every((c) => c.closed()), 5000, 'the server to close its side of each connection');
    expect(t.connectionCount).toBe(0);
    expect(t.stats.connections).toBe(0);
    expect(t.defence.peerClosed).toBe(100);
    for (let i = 0; i < 100; i += 2) expect(clients[i]!.text()).toMatch(/^SIP\/2\.0 200 /);
  });

  it('TLS: the peer’s close (close_notify + FIN) closes our side too', async () => {
    const t = await listenTransport('tls', { host: '127.0.0.1', port: 0 });
    const ua = new UserAgent({ transports: [t] });
    cleanup.push(() => ua.close());
    const st = t as StreamTransport;
    const socks: tls.TLSSocket[] = [];
    let closed = 0;
    for (let i = 0; i < 10; i++) {
      const s = tls.connect({ host: '127.0.0.1', port: t.localPort, rejectUnauthorized: false });
      s.on('error', () => {});
      s.on('close', () => closed++);
      await new Promise<void>((r) => s.once('secureConnect', () => r()));
      socks.push(s);
    }
    cleanup.push(() => {
      for (const s of socks) s.destroy();
    });
    await until(() => st.connectionCount === 10, 5000, '10 TLS connections');
    for (const s of socks) s.end();
    await until(() => closed === 10, 5000, 'the server to close every TLS connection');
    expect(st.connectionCount).toBe(0);
  });

  it('closes a connection whose message is not complete within messageTimeoutMs (slow-loris, manual clock)', async () => {
    const clock = new ManualClock();
    const loop = createLoop({ clock });
    const { t } = await tcpUa({ loop, messageTimeoutMs: 1000 });
    const c = await connect(t.localPort);
    c.sock.write('OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;bra');
    await until(() => t.bufferedOctets > 0, 5000, 'the partial message');
    // more octets of the same message do not re-arm the timer
    clock.advance(600);
    c.sock.write('nch=z9hG4bK');
    const before = t.bufferedOctets;
    await until(() => t.bufferedOctets > before, 5000, 'more octets');
    clock.advance(399);
    expect(t.connectionCount).toBe(1);
    clock.advance(1);
    await until(() => c.closed(), 5000, 'the close');
    expect(t.defence.messageTimeouts).toBe(1);
    expect(t.connectionCount).toBe(0);
  });

  it('a complete message restarts the message timer (a busy connection is not a slow one)', async () => {
    const clock = new ManualClock();
    const loop = createLoop({ clock });
    const { t } = await tcpUa({ loop, messageTimeoutMs: 1000 });
    const c = await connect(t.localPort);
    for (let i = 0; i < 3; i++) {
      const m = options(t.localPort, `busy${i}`);
      c.sock.write(m.slice(0, 20));
      await until(() => t.bufferedOctets === 20, 5000, 'partial');
      clock.advance(900);
      c.sock.write(m.slice(20));
      await until(() => (c.text().match(/SIP\/2\.0 200/g) ?? []).length === i + 1, 5000, 'answer');
    }
    clock.advance(5000); // nothing buffered: no timer
    expect(t.connectionCount).toBe(1);
    expect(c.closed()).toBe(false);
  });

  it('per-IP limit: a new connection closes that address’s idlest one', async () => {
    const { t } = await tcpUa({ maxConnectionsPerIp: 3 });
    const a = await connect(t.localPort);
    const b = await connect(t.localPort);
    const c = await connect(t.localPort);
    await until(() => t.connectionCount === 3, 5000, '3 connections');
    // b and c are active after a: a is the idlest
    b.sock.write(options(t.localPort, 'b'));
    await until(() => b.text().includes('200 OK'), 5000, 'b answered');
    c.sock.write(options(t.localPort, 'c'));
    await until(() => c.text().includes('200 OK'), 5000, 'c answered');
    // another address is not limited by 127.0.0.1's count
    const other = await connect(t.localPort, '127.0.0.2');
    await until(() => t.connectionCount === 4, 5000, '4 connections');
    const d = await connect(t.localPort);
    await until(() => a.closed(), 5000, 'the idlest connection closed');
    expect(b.closed() || c.closed() || other.closed()).toBe(false);
    d.sock.write(options(t.localPort, 'd'));
    await until(() => d.text().includes('200 OK'), 5000, 'the newcomer answered');
    expect(t.defence.evicted).toBe(1);
  });

  it('total limit: the idlest connection of any address makes room', async () => {
    const { t } = await tcpUa({ maxConnections: 3 });
    const a = await connect(t.localPort, '127.0.0.2');
    const b = await connect(t.localPort);
    await until(() => t.connectionCount === 2, 5000, '2');
    a.sock.write(options(t.localPort, 'a'));
    await until(() => a.text().includes('200 OK'), 5000, 'a answered');
    const c = await connect(t.localPort);
    await until(() => t.connectionCount === 3, 5000, '3');
    const d = await connect(t.localPort, '127.0.0.3');
    await until(() => b.closed(), 5000, 'b (idlest) closed');
    d.sock.write(options(t.localPort, 'd'));
    await until(() => d.text().includes('200 OK'), 5000, 'd answered');
    expect(a.closed() || c.closed()).toBe(false);
  });

  it('answers an oversized header section 413 (with the request’s Via, Call-ID, CSeq) and closes', async () => {
    const { t } = await tcpUa();
    const c = await connect(t.localPort);
    const head = options(t.localPort, 'big').replace('Content-Length: 0\r\n\r\n', '');
    c.sock.write(`${head}X-Pad: ${'a'.repeat(70_000)}\r\n`);
    await until(() => c.closed(), 5000, 'close after 413');
    const res = c.text();
    expect(res).toMatch(/^SIP\/2\.0 413 /);
    expect(res).toContain('Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKoptbig\r\n');
    expect(res).toContain('Call-ID: opt-big\r\n');
    expect(res).toContain('CSeq: 1 OPTIONS\r\n');
    expect(res).toMatch(/To: <sip:x@127\.0\.0\.1>;tag=\w+/);
    expect(t.defence.rejectedStreams).toBe(1);
  });

  it('answers a Content-Length beyond the limit 413 and a malformed one 400, then closes', async () => {
    const { t } = await tcpUa({ maxMessageBytes: 1000 });
    const big = await connect(t.localPort);
    big.sock.write(options(t.localPort, 'cl').replace('Content-Length: 0', 'Content-Length: 5000'));
    const bad = await connect(t.localPort);
    bad.sock.write(options(t.localPort, 'bad').replace('Content-Length: 0', 'Content-Length: 12abc'));
    await until(() => big.closed() && bad.closed(), 5000, 'both closed');
    expect(big.text()).toMatch(/^SIP\/2\.0 413 Request Entity Too Large\r\n/);
    expect(big.text()).toContain('Call-ID: opt-cl\r\n');
    expect(bad.text()).toMatch(/^SIP\/2\.0 400 Bad Request\r\n/);
    expect(bad.text()).toContain('Call-ID: opt-bad\r\n');
  });

  it('keeps answering another client while 500 idle connections, a slow-loris, a 10 MB header line and an endless body are open', async () => {
    const { t } = await tcpUa();
    const port = t.localPort;
    const idle: Client[] = [];
    for (let i = 0; i < 500; i++) idle.push(await connect(port));
    await until(() => t.connectionCount === 500, 10_000, '500 connections');
    // slow-loris: one octet every 10 ms
    const loris = await connect(port);
    const lorisText = options(port, 'loris');
    let li = 0;
    const lorisTimer = setInterval(() => {
      if (li < lorisText.length - 10) loris.sock.write(lorisText[li++]!);
    }, 10);
    cleanup.push(() => clearInterval(lorisTimer));
    // a 10 MB header line, written as fast as the socket takes it
    const flood = await connect(port);
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    const pump = () => {
      while (sent < 10 * 1024 * 1024 && !flood.sock.destroyed) {
        sent += chunk.length;
        if (!flood.sock.write(chunk)) {
          flood.sock.once('drain', pump);
          return;
        }
      }
    };
    flood.sock.write('INVITE sip:x@127.0.0.1 SIP/2.0\r\nX-Long: ');
    pump();
    // an endless body: a Content-Length within the limit whose body trickles in
    const body = await connect(port);
    body.sock.write(options(port, 'body').replace('Content-Length: 0', 'Content-Length: 60000'));
    const bodyTimer = setInterval(() => body.sock.write(Buffer.alloc(100, 0x62)), 5);
    cleanup.push(() => clearInterval(bodyTimer));
    await until(() => t.defence.rejectedStreams >= 1, 10_000, 'the 10 MB line rejected');
    // the well-behaved client, five times: each answered promptly while all the above goes on
    const good = await connect(port, '127.0.0.2');
    const lat: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      good.sock.write(options(port, `good${i}`));
      await until(() => (good.text().match(/SIP\/2\.0 200/g) ?? []).length === i + 1, 5000, 'good answered');
      lat.push(performance.now() - t0);
    }
    lat.sort((x, y) => x - y);
    // the attacks were still going on while the good client was served
    expect(loris.closed()).toBe(false);
    expect(body.closed()).toBe(false);
    expect(idle.every((c) => !c.closed())).toBe(true);
    expect(flood.text()).toMatch(/^SIP\/2\.0 413 /);
    expect(lat[2]!).toBeLessThan(50);
  }, 60_000);
});

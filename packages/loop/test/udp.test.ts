import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createLoop,
  createUdpSocket,
  SocketError,
  type UdpMessage,
  type UdpSocket,
  UnsupportedError,
} from '../src/index.js';

const open: UdpSocket[] = [];
async function sock(opts: Parameters<typeof createUdpSocket>[0] = {}): Promise<UdpSocket> {
  const s = await createUdpSocket({ address: '127.0.0.1', ...opts });
  open.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

const bytes = (...xs: number[]) => Uint8Array.from(xs);

describe('UdpSocket', () => {
  it('binds port 0 to a real port and exchanges datagrams in queue mode', async () => {
    const a = await sock();
    const b = await sock();
    expect(a.port).toBeGreaterThan(0);
    expect(a.address).toBe('127.0.0.1');
    expect(a.family).toBe('IPv4');
    a.send(bytes(1, 2, 3), b.port, '127.0.0.1');
    const m = await b.recv(2000);
    expect(m.data).toEqual(bytes(1, 2, 3));
    expect(Object.getPrototypeOf(m.data)).toBe(Uint8Array.prototype);
    expect(m).toMatchObject({ address: '127.0.0.1', port: a.port, family: 'IPv4' });
    await a.sendAsync(bytes(9), b.port, '127.0.0.1');
    expect((await b.recv(2000)).data).toEqual(bytes(9));
    expect(a.stats.sent).toBe(2);
    expect(b.stats.received).toBe(2);
  });

  it('sends to an IP literal at once and to a host name through the resolver; an unknown name fails typed', async () => {
    const a = await sock();
    const b = await sock();
    a.send(bytes(4), b.port, '127.0.0.1');
    expect(a.stats.sent).toBe(1);
    expect((await b.recv(2000)).data).toEqual(bytes(4));
    // a name still goes through dns.lookup (RFC 6761 §6.3: localhost is the loopback address)
    await a.sendAsync(bytes(5), b.port, 'localhost');
    expect((await b.recv(2000)).data).toEqual(bytes(5));
    // RFC 6761 §6.4: .invalid never resolves
    await expect(a.sendAsync(bytes(6), b.port, 'no-such-host.invalid')).rejects.toBeInstanceOf(SocketError);
  });

  it('IPv6 on ::1', async () => {
    const a = await sock({ address: '::1' });
    const b = await sock({ type: 'udp6', address: '::1' });
    expect(a.family).toBe('IPv6');
    a.send(bytes(6), b.port, '::1');
    const m = await b.recv(2000);
    expect(m).toMatchObject({ address: '::1', family: 'IPv6', port: a.port });
  });

  it('callback mode delivers every datagram; a throwing callback is counted, not thrown', async () => {
    const a = await sock();
    const b = await sock();
    const got: UdpMessage[] = [];
    const off = b.onMessage((m) => {
      got.push(m);
      if (m.data[0] === 2) throw new Error('user bug');
    });
    for (let i = 1; i <= 3; i++) a.send(bytes(i), b.port, '127.0.0.1');
    for (let i = 0; i < 200 && got.length < 3; i++) await new Promise((r) => setTimeout(r, 5));
    expect(got.map((m) => m.data[0])).toEqual([1, 2, 3]);
    expect(b.stats.callbackErrors).toBe(1);
    off();
    a.send(bytes(4), b.port, '127.0.0.1');
    expect((await b.recv(2000)).data).toEqual(bytes(4)); // back to queue mode
  });

  it('async iterator yields datagrams and ends on close', async () => {
    const a = await sock();
    const b = await sock();
    for (let i = 0; i < 3; i++) a.send(bytes(i), b.port, '127.0.0.1');
    const seen: number[] = [];
    for await (const m of b) {
      seen.push(m.data[0]!);
      if (seen.length === 3) void b.close();
    }
    expect(seen).toEqual([0, 1, 2]);
  });

  it('bounded queue drops the oldest and counts it', async () => {
    const a = await sock();
    const b = await sock({ queueLimit: 4 });
    for (let i = 0; i < 10; i++) await a.sendAsync(bytes(i), b.port, '127.0.0.1');
    for (let i = 0; i < 200 && b.stats.received < 10; i++) await new Promise((r) => setTimeout(r, 5));
    expect(b.stats.received).toBe(10);
    expect(b.queued).toBe(4);
    expect(b.stats.dropped).toBe(6);
    const rest = [b.tryRecv(), b.tryRecv(), b.tryRecv(), b.tryRecv()].map((m) => m?.data[0]);
    expect(rest).toEqual([6, 7, 8, 9]);
    expect(b.tryRecv()).toBeUndefined();
  });

  it('recv times out with a typed error', async () => {
    const b = await sock();
    const e = await b.recv(20).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SocketError);
    expect((e as SocketError).code).toBe('ETIMEDOUT');
    expect((e as SocketError).op).toBe('recv');
  });

  it('connected mode filters the peer and sends without a destination', async () => {
    const a = await sock();
    const b = await sock();
    const c = await sock();
    await a.connect(b.port, '127.0.0.1');
    expect(a.remoteAddress).toEqual({ port: b.port, address: '127.0.0.1' });
    a.send(bytes(1));
    expect((await b.recv(2000)).data).toEqual(bytes(1));
    expect(() => a.send(bytes(1), b.port, '127.0.0.1')).toThrow(TypeError);
    c.send(bytes(0xcc), a.port, '127.0.0.1'); // not from the connected peer: the kernel filters it
    b.send(bytes(0xbb), a.port, '127.0.0.1');
    expect((await a.recv(2000)).data).toEqual(bytes(0xbb));
    a.disconnect();
    expect(a.remoteAddress).toBeUndefined();
  });

  it('ICMP port unreachable on a connected socket is counted, never thrown', async () => {
    const dead = await createUdpSocket({ address: '127.0.0.1' });
    const port = dead.port;
    await dead.close();
    const a = await sock();
    await a.connect(port, '127.0.0.1');
    a.send(bytes(1));
    for (let i = 0; i < 100 && a.stats.sendErrors === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
      if (i % 10 === 9) a.send(bytes(1));
    }
    expect(a.stats.sendErrors).toBeGreaterThan(0);
    expect(a.lastError).toBeInstanceOf(SocketError);
    expect(a.lastError?.code).toBe('ECONNREFUSED');
  });

  it('misuse throws clearly: bad port, bad host, closed socket', async () => {
    const a = await sock();
    expect(() => a.send(bytes(1), 0, '127.0.0.1')).toThrow(RangeError);
    expect(() => a.send(bytes(1), 70000, '127.0.0.1')).toThrow(RangeError);
    expect(() => a.send(bytes(1), 5000, '')).toThrow(TypeError);
    await expect(createUdpSocket({ port: -1 })).rejects.toThrow(RangeError);
    await a.close();
    const e = (() => {
      try {
        a.send(bytes(1), 5000, '127.0.0.1');
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(SocketError);
    expect((e as SocketError).code).toBe('ERR_SOCKET_CLOSED');
    await expect(a.recv(10)).rejects.toMatchObject({ code: 'ERR_SOCKET_CLOSED' });
    await a.close(); // idempotent
  });

  it('EADDRINUSE is typed with the errno and the operation', async () => {
    const a = await sock();
    const e = await createUdpSocket({ address: '127.0.0.1', port: a.port }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SocketError);
    expect((e as SocketError).code).toBe('EADDRINUSE');
    expect((e as SocketError).op).toBe('bind');
    expect((e as SocketError).errno).toBeGreaterThan(0);
  });

  it('options are settable at creation and later, and read back', async () => {
    const a = await sock({ reuseAddr: true, ttl: 32, recvBufferSize: 65536, sendBufferSize: 65536, multicastTtl: 4 });
    let o = a.getOptions();
    expect(o.reuseAddr).toBe(true);
    expect(o.ttl).toBe(32);
    expect(o.multicastTtl).toBe(4);
    expect(o.recvBufferSize).toBeGreaterThanOrEqual(65536);
    expect(o.sendBufferSize).toBeGreaterThanOrEqual(65536);
    a.setTtl(7);
    a.setMulticastTtl(9);
    a.setMulticastLoopback(false);
    a.setBroadcast(true);
    a.setRecvBufferSize(131072);
    o = a.getOptions();
    expect(o).toMatchObject({ ttl: 7, multicastTtl: 9, multicastLoopback: false, broadcast: true, reusePort: false });
    expect(o.recvBufferSize).toBeGreaterThanOrEqual(131072);
    expect(() => a.setTtl(0)).toThrow(RangeError);
    expect(() => a.setTtl(256)).toThrow(RangeError);
    expect(() => a.setRecvBufferSize(-1)).toThrow(RangeError);
    expect(() => a.setReusePort(true)).toThrow(UnsupportedError);
    expect(() => a.setReuseAddr(false)).toThrow(UnsupportedError);
    a.setReuseAddr(true); // no change: fine
    await expect(createUdpSocket({ reusePort: true })).rejects.toBeInstanceOf(UnsupportedError);
  });

  it('multicast membership is recorded (joined on the any address)', async () => {
    const a = await createUdpSocket({ reuseAddr: true });
    open.push(a);
    try {
      a.addMembership('239.255.0.1', '127.0.0.1');
    } catch (e) {
      // Some sandboxes have no multicast route on lo: then the OS error must be typed.
      expect(e).toBeInstanceOf(SocketError);
      return;
    }
    expect(a.getOptions().memberships).toEqual(['239.255.0.1%127.0.0.1']);
    a.dropMembership('239.255.0.1', '127.0.0.1');
    expect(a.getOptions().memberships).toEqual([]);
    expect(() => a.addMembership('not-an-ip')).toThrow(TypeError);
  });

  it('is watchable by a Loop: poll reports readable while data is queued (level-triggered)', async () => {
    const a = await sock();
    const b = await sock();
    const loop = createLoop();
    const id = loop.watchRead(b, 'b');
    expect(b.readable).toBe(false);
    a.send(bytes(1), b.port, '127.0.0.1');
    const ev1 = await loop.poll(2000);
    expect(ev1).toEqual([{ kind: 'read', watch: id, source: b, token: 'b' }]);
    const ev2 = await loop.poll(0); // not read yet: reported again
    expect(ev2.map((e) => e.kind)).toEqual(['read']);
    b.tryRecv();
    expect(b.readable).toBe(false);
    expect(await loop.poll(0)).toEqual([]);
    const w = loop.watchWrite(a);
    expect((await loop.poll(0)).map((e) => [e.kind, 'watch' in e ? e.watch : undefined])).toEqual([['write', w]]);
    loop.unwatch(id);
    loop.unwatch(w);
    loop.close();
  });

  it('interoperates with bare node:dgram', async () => {
    const raw = dgram.createSocket('udp4');
    await new Promise<void>((r) => raw.bind(0, '127.0.0.1', () => r()));
    const rawPort = raw.address().port;
    raw.on('message', (msg, rinfo) => raw.send(msg, rinfo.port, rinfo.address));
    const a = await sock();
    a.send(bytes(5, 5), rawPort, '127.0.0.1');
    expect((await a.recv(2000)).data).toEqual(bytes(5, 5));
    await new Promise<void>((r) => raw.close(() => r()));
  });
});

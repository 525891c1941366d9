import { afterEach, describe, expect, it } from 'vitest';
import {
  connectTcp,
  createLoop,
  listenTcp,
  SocketError,
  type StreamConnection,
  type StreamServer,
  UnsupportedError,
} from '../src/index.js';

const servers: StreamServer[] = [];
const conns: StreamConnection[] = [];
afterEach(async () => {
  for (const c of conns.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

async function readAll(c: StreamConnection, timeoutMs = 5000): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < 100_000; i++) {
    const ch = await c.read(timeoutMs);
    if (ch.length === 0) break;
    parts.push(ch.slice());
  }
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('TCP', () => {
  it('echo through listen callback + connect, with addresses filled in', async () => {
    const srv = await listenTcp({ host: '127.0.0.1' }, (c) => {
      c.onData((d) => void c.write(d));
      c.onEnd(() => c.end());
    });
    servers.push(srv);
    expect(srv.port).toBeGreaterThan(0);
    const c = await connectTcp({ host: '127.0.0.1', port: srv.port });
    conns.push(c);
    expect(c.remotePort).toBe(srv.port);
    expect(c.localAddress).toBe('127.0.0.1');
    await c.write(enc('hello '));
    await c.write(enc('world'));
    c.end(); // half-close: we can still read the echo
    expect(dec(await readAll(c))).toBe('hello world');
    await c.whenClosed();
    expect(c.closed).toBe(true);
    expect(c.error).toBeUndefined();
  });

  it('pull-mode accept, half-close in both directions and EOF as an empty chunk', async () => {
    const srv = await listenTcp({ host: '127.0.0.1' });
    servers.push(srv);
    const c = await connectTcp({ host: '127.0.0.1', port: srv.port });
    conns.push(c);
    const s = await srv.accept(5000);
    conns.push(s);
    expect(srv.connections).toBe(1);
    await c.write(enc('ping'));
    c.end();
    expect(dec(await readAll(s))).toBe('ping');
    expect(s.ended).toBe(true);
    expect((await s.read()).length).toBe(0); // EOF again
    await s.write(enc('pong')); // server can still write after the client's FIN
    s.end();
    expect(dec(await readAll(c))).toBe('pong');
    await expect(srv.accept(10)).rejects.toMatchObject({ code: 'ETIMEDOUT', op: 'accept' });
  });

  it('read(timeout, maxBytes) returns at most maxBytes and keeps the rest (tcp_recv semantics)', async () => {
    const srv = await listenTcp({ host: '127.0.0.1' });
    servers.push(srv);
    const c = await connectTcp({ host: '127.0.0.1', port: srv.port });
    conns.push(c);
    const s = await srv.accept(5000);
    conns.push(s);
    await c.write(enc('abcdefgh'));
    c.end();
    let got = '';
    const sizes: number[] = [];
    for (let i = 0; i < 20; i++) {
      const ch = await s.read(2000, 3);
      if (ch.length === 0) break;
      sizes.push(ch.length);
      got += dec(ch);
    }
    expect(got).toBe('abcdefgh');
    expect(Math.max(...sizes)).toBeLessThanOrEqual(3);
    await expect(s.read(10, 0)).rejects.toThrow(RangeError);
  });

  it('a full accept queue refuses newcomers and keeps the queued ones', async () => {
    const srv = await listenTcp({ host: '127.0.0.1', acceptQueueLimit: 2 });
    servers.push(srv);
    const clients: StreamConnection[] = [];
    for (let i = 0; i < 4; i++) {
      const c = await connectTcp({ host: '127.0.0.1', port: srv.port });
      conns.push(c);
      clients.push(c);
    }
    for (let i = 0; i < 200 && srv.stats.accepted + srv.stats.rejected < 4; i++)
      await new Promise((r) => setTimeout(r, 5));
    expect(srv.stats.rejected).toBe(2);
    const a = srv.tryAccept();
    const b = srv.tryAccept();
    expect(a?.remotePort).toBe(clients[0]!.localPort);
    expect(b?.remotePort).toBe(clients[1]!.localPort);
    expect(srv.tryAccept()).toBeUndefined();
    // The refused client sees its peer go away (FIN or RST).
    await new Promise<void>((r) => {
      clients[3]!.onEnd(r);
      clients[3]!.onClose(() => r());
    });
    conns.push(a!, b!);
  });

  it('the peer closing is an event with no error; writes after close reject with a typed error', async () => {
    const srv = await listenTcp({ host: '127.0.0.1' });
    servers.push(srv);
    const c = await connectTcp({ host: '127.0.0.1', port: srv.port });
    conns.push(c);
    const s = await srv.accept(5000);
    const closed = new Promise<SocketError | undefined>((r) => c.onClose(r));
    const ended = new Promise<void>((r) => c.onEnd(r));
    s.end();
    await ended;
    c.end();
    expect(await closed).toBeUndefined();
    await expect(c.write(enc('x'))).rejects.toMatchObject({ code: 'ERR_SOCKET_CLOSED' });
  });

  it('allowHalfOpen: false closes our side when the peer ends', async () => {
    const srv = await listenTcp({ host: '127.0.0.1' });
    servers.push(srv);
    const c = await connectTcp({ host: '127.0.0.1', port: srv.port, allowHalfOpen: false });
    conns.push(c);
    const s = await srv.accept(5000);
    conns.push(s);
    await s.write(enc('bye'));
    s.end();
    const closed = new Promise<SocketError | undefined>((r) => c.onClose(r));
    expect(dec(await readAll(c))).toBe('bye');
    expect(await closed).toBeUndefined();
    expect(c.closed).toBe(true);
  });

  it('a reset by the peer reaches onClose as ECONNRESET', async () => {
    const srv = await listenTcp({ host: '127.0.0.1' });
    servers.push(srv);
    const c = await connectTcp({ host: '127.0.0.1', port: srv.port });
    conns.push(c);
    const s = await srv.accept(5000);
    const closed = new Promise<SocketError | undefined>((r) => c.onClose(r));
    (s as unknown as { sock: { resetAndDestroy(): void } }).sock.resetAndDestroy();
    const err = await closed;
    expect(err).toBeInstanceOf(SocketError);
    expect(err?.code).toBe('ECONNRESET');
  });

  it('write back-pressure: a promise that waits for the reader to drain', async () => {
    const srv = await listenTcp({ host: '127.0.0.1', highWaterMark: 64 * 1024 });
    servers.push(srv);
    const c = await connectTcp({ host: '127.0.0.1', port: srv.port });
    conns.push(c);
    const s = await srv.accept(5000);
    conns.push(s);
    const chunk = new Uint8Array(256 * 1024).fill(1);
    let resolvedWrites = 0;
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 64; i++) writes.push(c.write(chunk).then(() => void resolvedWrites++));
    await new Promise((r) => setTimeout(r, 100));
    // The reader has not read: the kernel buffers and our high-water mark fill, writes stay pending.
    expect(resolvedWrites).toBeLessThan(64);
    expect(c.writable).toBe(false);
    let got = 0;
    while (got < 64 * chunk.length) got += (await s.read(5000)).length;
    await Promise.all(writes);
    expect(got).toBe(64 * chunk.length);
    expect(c.writable).toBe(true);
  });

  it('idle timeout closes the connection with ETIMEDOUT (op idle)', async () => {
    const srv = await listenTcp({ host: '127.0.0.1' });
    servers.push(srv);
    const c = await connectTcp({ host: '127.0.0.1', port: srv.port, idleTimeoutMs: 30 });
    conns.push(c);
    conns.push(await srv.accept(5000));
    const err = await new Promise<SocketError | undefined>((r) => c.onClose(r));
    expect(err).toMatchObject({ code: 'ETIMEDOUT', op: 'idle' });
  });

  it('ECONNREFUSED and EADDRINUSE are typed; bad arguments throw', async () => {
    const srv = await listenTcp({ host: '127.0.0.1' });
    const port = srv.port;
    const dup = await listenTcp({ host: '127.0.0.1', port }).catch((e: unknown) => e);
    expect(dup).toMatchObject({ code: 'EADDRINUSE', op: 'listen' });
    await srv.close();
    const e = await connectTcp({ host: '127.0.0.1', port }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SocketError);
    expect(e).toMatchObject({ code: 'ECONNREFUSED', op: 'connect' });
    expect((e as SocketError).errno).toBeGreaterThan(0);
    expect(() => connectTcp({ host: '127.0.0.1', port: 0 })).toThrow(RangeError);
    expect(() => connectTcp({ host: '', port: 80 })).toThrow(TypeError);
    await expect(srv.accept()).rejects.toMatchObject({ code: 'ERR_SOCKET_CLOSED' });
  });

  it('options: no-delay and keep-alive readable back; unsupported ones say so', async () => {
    const srv = await listenTcp({ host: '127.0.0.1' });
    servers.push(srv);
    const c = await connectTcp({
      host: '127.0.0.1',
      port: srv.port,
      noDelay: false,
      keepAlive: true,
      keepAliveInitialDelayMs: 5000,
    });
    conns.push(c);
    expect(c.getOptions()).toEqual({
      noDelay: false,
      keepAlive: true,
      keepAliveInitialDelayMs: 5000,
      idleTimeoutMs: 0,
    });
    c.setNoDelay(true);
    c.setKeepAlive(false);
    c.setIdleTimeout(60_000);
    expect(c.getOptions()).toEqual({
      noDelay: true,
      keepAlive: false,
      keepAliveInitialDelayMs: 0,
      idleTimeoutMs: 60_000,
    });
    expect(() => c.setTtl(64)).toThrow(UnsupportedError);
    expect(() => c.setRecvBufferSize(1)).toThrow(UnsupportedError);
    expect(srv.getOptions()).toMatchObject({ reuseAddr: true, reusePort: false, acceptQueueLimit: 128 });
    await expect(listenTcp({ host: '127.0.0.1', reusePort: true })).rejects.toBeInstanceOf(UnsupportedError);
    await expect(listenTcp({ host: '127.0.0.1', reuseAddr: false })).rejects.toBeInstanceOf(UnsupportedError);
  });

  it('connections and servers are watchable (readable data, pending accepts)', async () => {
    const srv = await listenTcp({ host: '127.0.0.1' });
    servers.push(srv);
    const loop = createLoop();
    const ws = loop.watchRead(srv, 'srv');
    const c = await connectTcp({ host: '127.0.0.1', port: srv.port });
    conns.push(c);
    const ev = await loop.poll(2000);
    expect(ev.map((e) => ('token' in e ? e.token : undefined))).toEqual(['srv']);
    const s = srv.tryAccept()!;
    conns.push(s);
    loop.unwatch(ws);
    const wr = loop.watchRead(s, 's');
    expect(await loop.poll(0)).toEqual([]);
    await c.write(enc('x'));
    expect((await loop.poll(2000)).map((e) => ('token' in e ? e.token : undefined))).toEqual(['s']);
    expect(dec(s.tryRead()!)).toBe('x');
    expect(s.tryRead()).toBeUndefined();
    loop.unwatch(wr);
    loop.close();
  });

  it('IPv6 loopback', async () => {
    const srv = await listenTcp({ host: '::1' }, (c) => c.onData((d) => void c.write(d)));
    servers.push(srv);
    const c = await connectTcp({ host: '::1', port: srv.port });
    conns.push(c);
    expect(c.family).toBe('IPv6');
    await c.write(enc('v6'));
    expect(dec(await c.read(2000))).toBe('v6');
  });
});

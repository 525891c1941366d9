import type { Loop } from '@mdh/loop';
import { describe, expect, it } from 'vitest';
import {
  type Binding,
  createProxy,
  type IncomingCall,
  type LocationStore,
  MemoryLocationStore,
  parseMessage,
  Registrar,
  UserAgent,
} from '../src/index.js';
import { offer, world } from './world.js';

const enc = new TextEncoder();
let sent = 0;

/**
 * A location store that answers every call later (a round trip to "Redis" of `latency` ms on the test's loop),
 * keeps copies (as a remote store would: nothing shared by reference) and logs the operations.
 */
class SlowStore implements LocationStore {
  readonly kv = new Map<string, Map<string, Binding>>();
  readonly ops: string[] = [];
  constructor(
    private readonly loop: Loop,
    private readonly latency: number,
  ) {}
  private later<T>(op: string, f: () => T): Promise<T> {
    this.ops.push(op);
    return new Promise((resolve) => this.loop.after(this.latency, () => resolve(f())));
  }
  get(aor: string): Promise<Binding[]> {
    return this.later(`get ${aor}`, () => [...(this.kv.get(aor)?.values() ?? [])].map((b) => structuredClone(b)));
  }
  put(aor: string, b: Binding): Promise<void> {
    return this.later(`put ${aor} ${b.contact}`, () => {
      const m = this.kv.get(aor) ?? new Map<string, Binding>();
      m.set(b.contact, structuredClone(b));
      this.kv.set(aor, m);
    });
  }
  remove(aor: string, contact?: string): Promise<void> {
    return this.later(`remove ${aor} ${contact ?? '*'}`, () => {
      if (contact === undefined) this.kv.delete(aor);
      else {
        this.kv.get(aor)?.delete(contact);
        if (!this.kv.get(aor)?.size) this.kv.delete(aor);
      }
    });
  }
  expire(now: number): Promise<number> {
    return this.later('expire', () => {
      let n = 0;
      for (const [aor, m] of this.kv) {
        for (const [c, b] of m)
          if (b.expiresAt <= now) {
            m.delete(c);
            n++;
          }
        if (!m.size) this.kv.delete(aor);
      }
      return n;
    });
  }
  count(): Promise<number> {
    return this.later('count', () => this.kv.size);
  }
}

/** A REGISTER for bob@example.com binding `contact` (with its q and Expires), as a device would send it. */
function register(callId: string, cseq: number, contact: string, expires: number, extra: string[] = []): Uint8Array {
  return enc.encode(
    [
      'REGISTER sip:example.com SIP/2.0',
      `Via: SIP/2.0/UDP 127.0.0.9:5060;branch=z9hG4bK${callId}.${++sent}`,
      'Max-Forwards: 70',
      'From: <sip:bob@example.com>;tag=r1',
      'To: <sip:bob@example.com>',
      `Call-ID: ${callId}`,
      `CSeq: ${cseq} REGISTER`,
      `Contact: ${contact}`,
      `Expires: ${expires}`,
      ...extra,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
}

function setup() {
  const w = world();
  const store = new SlowStore(w.loop, 20);
  const registrar = new Registrar({ now: () => w.loop.now(), store });
  const proxy = createProxy({
    loop: w.loop,
    transports: [w.net.attach('127.0.0.3', 5060)],
    registrar,
    registrarSweep: 10_000,
    domains: ['example.com'],
  });
  const device = w.net.attach('127.0.0.9', 5060);
  const replies: number[] = [];
  device.onPacket((p) => {
    const m = parseMessage(p.data);
    if (m.kind === 'response') replies.push(m.status);
  });
  const viaProxy = async () => [{ protocol: 'udp' as const, address: '127.0.0.3', port: 5060 }];
  const alice = new UserAgent({
    loop: w.loop,
    transports: [w.net.attach('127.0.0.1', 5060)],
    user: 'alice',
    resolver: viaProxy,
  });
  const low = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)], user: 'bob' });
  const high = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.4', 5060)], user: 'bob' });
  const to = { address: '127.0.0.3', port: 5060 };
  return { w, store, registrar, proxy, device, replies, alice, low, high, to };
}

describe('proxy with a pluggable location store (RFC 3261 §10.3, §16.5)', () => {
  it('an asynchronous store: register → route → sequential fork by q → expiry on the manual clock', async () => {
    const { w, store, registrar, proxy, device, replies, alice, low, high, to } = setup();
    const order: string[] = [];
    high.on('invite', (inv: IncomingCall) => {
      order.push('high');
      inv.reject(486);
    });
    low.on('invite', (inv: IncomingCall) => {
      order.push('low');
      void inv.answer(offer);
    });
    // Two devices of bob, each with its own registration (Call-ID), q=0.3 and q=0.9; one with a Path.
    await device.send(register('dev-low', 1, '<sip:bob@127.0.0.2:5060>;q=0.3', 120), to);
    await device.send(
      register('dev-high', 1, '<sip:bob@127.0.0.4:5060>;q=0.9', 600, ['Path: <sip:127.0.0.4:5060;lr>']),
      to,
    );
    await w.run(500);
    expect(replies).toEqual([200, 200]);
    // the bindings are in the custom store (written through it, not in a registrar-private map)
    const stored = [...(store.kv.get('sip:bob@example.com')?.values() ?? [])];
    expect(stored.map((b) => [b.contact, b.q, b.callId, b.cseq])).toEqual([
      ['sip:bob@127.0.0.2:5060', 0.3, 'dev-low', 1],
      ['sip:bob@127.0.0.4:5060', 0.9, 'dev-high', 1],
    ]);
    expect(stored[1]?.path).toEqual(['<sip:127.0.0.4:5060;lr>']);
    expect(() => registrar.lookup('sip:bob@example.com')).toThrow(/synchronous/);
    const found = registrar.find('sip:bob@example.com');
    await w.run(100); // the store answers on the manual clock
    expect(await found).toHaveLength(2);

    // A call to the AOR: q=0.9 first (486), then q=0.3 answers (RFC 3261 §16.6, sequential by q).
    const call1 = alice.invite('sip:bob@example.com', { sdp: offer });
    let c1: { hangup(): unknown } | undefined;
    call1.result.then(
      (c) => (c1 = c),
      () => {},
    );
    await w.run(1000);
    expect(order).toEqual(['high', 'low']);
    expect(c1).toBeDefined();
    const c = c1!;
    void c.hangup();
    await w.run(500);

    // §10.3 step 7: a refresh with an older CSeq of the same Call-ID is refused; a newer one refreshes.
    await device.send(register('dev-low', 1, '<sip:bob@127.0.0.2:5060>;q=0.3', 120), to);
    await device.send(register('dev-low', 2, '<sip:bob@127.0.0.2:5060>;q=0.3', 120), to);
    await w.run(500);
    expect(replies.slice(2)).toEqual([500, 200]);

    // 135 s later the 120 s binding has expired and a sweep (every 10 s) removed it from the store; only q=0.9 is left.
    await w.run(135_000, 500);
    expect([...(store.kv.get('sip:bob@example.com')?.keys() ?? [])]).toEqual(['sip:bob@127.0.0.4:5060']);
    expect(store.ops).toContain('expire');
    order.length = 0;
    const call2 = alice.invite('sip:bob@example.com', { sdp: offer });
    const st2 = call2.result.then(
      () => 200,
      (e: { status?: number }) => e.status ?? -1,
    );
    await w.run(1000);
    expect(order).toEqual(['high']);
    expect(await st2).toBe(486);

    // Past the second expiry nothing is bound: 404, and the store is empty.
    await w.run(480_000, 1000);
    expect(store.kv.size).toBe(0);
    const call3 = alice.invite('sip:bob@example.com', { sdp: offer });
    const st3 = call3.result.then(
      () => 200,
      (e: { status?: number }) => e.status ?? -1,
    );
    await w.run(1000);
    expect(await st3).toBe(404);
    expect(proxy.stats().liveContexts).toBe(0);
    await proxy.close();
  });

  it('Contact: * with Expires: 0 removes every binding of the AOR through the store', async () => {
    const { w, store, device, replies, to } = setup();
    await device.send(register('a', 1, '<sip:bob@127.0.0.2:5060>', 300), to);
    await w.run(300);
    expect(store.kv.size).toBe(1);
    await device.send(register('a', 2, '*', 0), to);
    await w.run(300);
    expect(replies).toEqual([200, 200]);
    expect(store.kv.size).toBe(0);
    expect(store.ops).toContain('remove sip:bob@example.com *');
  });

  it('a failing store answers 500 and is reported; the proxy keeps serving', async () => {
    const w = world();
    const errors: unknown[] = [];
    const broken = new MemoryLocationStore();
    broken.put = () => {
      throw new Error('store down');
    };
    const registrar = new Registrar({ now: () => w.loop.now(), store: broken });
    const proxy = createProxy({
      loop: w.loop,
      transports: [w.net.attach('127.0.0.3', 5060)],
      registrar,
      domains: ['example.com'],
      onError: (e) => errors.push(e),
    });
    const device = w.net.attach('127.0.0.9', 5060);
    const replies: number[] = [];
    device.onPacket((p) => {
      const m = parseMessage(p.data);
      if (m.kind === 'response') replies.push(m.status);
    });
    await device.send(register('x', 1, '<sip:bob@127.0.0.2:5060>', 300), { address: '127.0.0.3', port: 5060 });
    await w.run(300);
    expect(replies).toEqual([500]);
    expect(String(errors[0])).toMatch(/store down/);
    expect(proxy.stats().liveContexts).toBe(0);
  });

  it('the default memory store keeps the synchronous API (handle/lookup) and counts AORs', () => {
    let now = 0;
    const registrar = new Registrar({ now: () => now, maxAors: 1 });
    const res = registrar.handle(
      parseMessage(register('s', 1, '<sip:bob@127.0.0.2:5060>;q=0.5', 60)) as never,
      '127.0.0.9:5060',
    );
    expect(res.status).toBe(200);
    expect(registrar.size).toBe(1);
    expect(registrar.lookup('sip:bob@example.com').map((b) => b.q)).toEqual([0.5]);
    now = 61_000;
    expect(registrar.lookup('sip:bob@example.com')).toEqual([]);
  });
});

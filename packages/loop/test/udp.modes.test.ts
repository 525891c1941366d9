import { afterEach, describe, expect, it } from 'vitest';
import { createUdpSocket, type UdpSocket } from '../src/index.js';

const open: UdpSocket[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

describe('UdpSocket receive modes', () => {
  it('recv()/tryRecv() in callback mode fail at once instead of waiting for datagrams that never queue', async () => {
    const a = await createUdpSocket({ address: '127.0.0.1' });
    const b = await createUdpSocket({ address: '127.0.0.1' });
    open.push(a, b);
    const seen: number[] = [];
    const off = b.onMessage((m) => seen.push(m.data[0]!));
    // No timeout given: before the fix this promise never settled.
    const r = await Promise.race([
      b.recv().then(
        () => 'resolved',
        (e: unknown) => e,
      ),
      new Promise((res) => setTimeout(() => res('pending'), 300)),
    ]);
    expect(r).toBeInstanceOf(TypeError);
    expect(() => b.tryRecv()).toThrow(TypeError);
    // Back to queue mode once the callback is removed.
    off();
    a.send(Uint8Array.of(7), b.port, '127.0.0.1');
    const m = await b.recv(2000);
    expect(m.data[0]).toBe(7);
    expect(seen).toEqual([]);
  });
});

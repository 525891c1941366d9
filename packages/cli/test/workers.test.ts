import { describe, expect, it } from 'vitest';
import { ownerOf, workerCount } from '../src/workers.js';

const enc = (s: string) => new TextEncoder().encode(s);
const msg = (headers: string[]) => enc(['INVITE sip:a@b SIP/2.0', ...headers, '', 'body: call-id: nope'].join('\r\n'));

describe('ownerOf: the worker that owns a message by its Call-ID', () => {
  it('is the same for the long and compact forms, any case and surrounding whitespace', () => {
    const n = 7;
    const a = ownerOf(msg(['Via: SIP/2.0/UDP x', 'Call-ID: abc123@host']), n);
    expect(a).toBeTypeOf('number');
    expect(ownerOf(msg(['call-id:abc123@host  ']), n)).toBe(a);
    expect(ownerOf(msg(['CALL-ID \t:  abc123@host']), n)).toBe(a);
    expect(ownerOf(msg(['i: abc123@host']), n)).toBe(a);
    // a response of the same dialog
    expect(ownerOf(enc('SIP/2.0 200 OK\r\nI: abc123@host\r\n\r\n'), n)).toBe(a);
  });

  it('spreads different Call-IDs over the workers', () => {
    const counts = [0, 0];
    for (let i = 0; i < 2000; i++) counts[ownerOf(msg([`Call-ID: ${i}-4242@127.0.0.1`]), 2)!]!++;
    expect(Math.abs(counts[0]! - 1000)).toBeLessThan(100);
  });

  it('is undefined without a Call-ID (headers end at the empty line; the body is not searched)', () => {
    expect(ownerOf(msg(['Via: SIP/2.0/UDP x', 'X-Call-ID: no']), 2)).toBeUndefined();
    expect(ownerOf(msg(['Call-ID:   ']), 2)).toBeUndefined();
    expect(ownerOf(enc(''), 2)).toBeUndefined();
    expect(ownerOf(enc('garbage without newline'), 2)).toBeUndefined();
    expect(ownerOf(new Uint8Array(1000).fill(0x3a), 2)).toBeUndefined();
  });
});

describe('workerCount', () => {
  it('takes 1..64, or one per core for a bare flag and auto', () => {
    expect(workerCount('2')).toBe(2);
    expect(workerCount(true)).toBeGreaterThanOrEqual(1);
    expect(workerCount('auto')).toBe(workerCount(true));
    for (const bad of ['0', '65', '1.5', 'x', '-1']) expect(() => workerCount(bad)).toThrow(/--workers/);
  });
});

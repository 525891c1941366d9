import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FramerEvent, parseMessage, StreamFramer, serializeMessage } from '../src/message-layer.js';

const DIR = fileURLToPath(new URL('../../../tests/vectors/sip-torture/', import.meta.url));
const valid = [
  'wsinv.dat',
  'esc01.dat',
  'longreq.dat',
  'mpart01.dat',
  'unreason.dat',
  'noreason.dat',
  'transports.dat',
];
const wire = valid.map((f) => serializeMessage(parseMessage(new Uint8Array(readFileSync(DIR + f)))));

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
const crlf = new Uint8Array([13, 10]);
const ping = new Uint8Array([13, 10, 13, 10]);

function feed(f: StreamFramer, data: Uint8Array, cuts: number[]): FramerEvent[] {
  const pts = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const ev: FramerEvent[] = [];
  let last = 0;
  for (const p of [...pts, data.length]) {
    ev.push(...f.push(data.subarray(last, p)));
    last = p;
  }
  return ev;
}

describe('StreamFramer (RFC 3261 §18.3, RFC 5626 §4.4.1)', () => {
  it('frames back-to-back messages fed in one chunk, byte-exact', () => {
    const ev = new StreamFramer().push(concat(wire));
    expect(ev.map((e) => e.type)).toEqual(wire.map(() => 'message'));
    ev.forEach((e, i) => {
      if (e.type === 'message') expect(e.bytes).toEqual(wire[i]);
    });
  });

  it('frames one octet at a time (binary body with bare CR/LF and NUL)', () => {
    const f = new StreamFramer();
    const all = concat(wire);
    const ev: FramerEvent[] = [];
    for (let i = 0; i < all.length; i++) ev.push(...f.push(all.subarray(i, i + 1)));
    expect(ev.filter((e) => e.type === 'message').length).toBe(wire.length);
    expect(f.buffered).toBe(0);
  });

  it('reports keep-alive pings and pongs between messages', () => {
    const ev = new StreamFramer().push(concat([ping, wire[0]!, crlf, wire[1]!]));
    expect(ev.map((e) => (e.type === 'keepalive' ? e.kind : e.type))).toEqual(['ping', 'message', 'pong', 'message']);
  });

  it('sans-I/O: handleInput/pollOutput yield the events and a CRLF pong datagram after each ping', () => {
    const f = new StreamFramer();
    f.handleInput(concat([ping, wire[0]!, crlf]));
    f.handleInput(ping.subarray(0, 3)); // half a ping: nothing yet
    const out: string[] = [];
    const drain = (): void => {
      for (let o = f.pollOutput(); o; o = f.pollOutput()) {
        if (o.kind === 'datagram') {
          expect(o.data).toEqual(crlf);
          out.push('datagram');
        } else if (o.kind === 'event') out.push(o.event.type === 'keepalive' ? o.event.kind : o.event.type);
        else out.push('deadline');
      }
    };
    drain();
    expect(out).toEqual(['ping', 'datagram', 'message', 'pong']);
    f.handleInput(ping.subarray(3));
    drain();
    expect(out.slice(4)).toEqual(['ping', 'datagram']);
    expect(f.pollOutput()).toBeUndefined();
  });

  it('same messages under any random chunking, with keep-alives interleaved', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(wire.length - 1), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(20000), { maxLength: 40 }),
        fc.boolean(),
        (idx, cuts, withPing) => {
          const parts: Uint8Array[] = [];
          for (const i of idx) {
            if (withPing) parts.push(ping);
            parts.push(wire[i]!);
          }
          const f = new StreamFramer();
          const msgs = feed(f, concat(parts), cuts).filter((e) => e.type === 'message');
          expect(msgs.length).toBe(idx.length);
          msgs.forEach((m, k) => {
            if (m.type === 'message') expect(m.bytes).toEqual(wire[idx[k]!]);
          });
          expect(f.buffered).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('skips an unparsable but well-framed message and resynchronises', () => {
    const bad = new TextEncoder().encode('GARBAGE LINE\r\nno colon here\r\nContent-Length: 3\r\n\r\nabc');
    const ev = new StreamFramer().push(concat([wire[0]!, bad, wire[1]!]));
    expect(ev.map((e) => e.type)).toEqual(['message', 'error', 'message']);
    expect(ev[1]).toMatchObject({ type: 'error', fatal: false });
  });

  it('closes on a header section that never ends (bounded buffer)', () => {
    const f = new StreamFramer({ maxHeaderBytes: 1024 });
    const junk = new Uint8Array(600).fill(65);
    expect(f.push(junk)).toEqual([]);
    const ev = f.push(junk);
    expect(ev).toMatchObject([{ type: 'error', fatal: true }]);
    expect((ev[0] as { error: { status: number } }).error.status).toBe(413);
    expect(f.closed).toBe(true);
    expect(f.buffered).toBe(0);
    expect(f.push(wire[0]!)).toEqual([]);
  });

  it('closes on an oversized Content-Length without buffering it', () => {
    const f = new StreamFramer({ maxBodyBytes: 1000 });
    const ev = f.push(new TextEncoder().encode('MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 5000\r\n\r\nxx'));
    expect(ev).toMatchObject([{ type: 'error', fatal: true }]);
  });

  it('waits for a body that has not arrived yet, then delivers it', () => {
    const f = new StreamFramer();
    const m = wire[0]!;
    expect(f.push(m.subarray(0, m.length - 10))).toEqual([]);
    expect(f.push(m.subarray(m.length - 10)).map((e) => e.type)).toEqual(['message']);
  });

  it('rejects a message without Content-Length on streams (RFC 3261 §18.3) and keeps framing', () => {
    const noCl =
      'OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n';
    const ok = noCl.replace('CSeq: 1 OPTIONS\r\n', 'CSeq: 2 OPTIONS\r\nContent-Length: 0\r\n');
    const ev = new StreamFramer().push(new TextEncoder().encode(noCl + ok));
    expect(ev).toMatchObject([
      { type: 'error', fatal: false, error: { reason: 'missing-content-length', status: 400 } },
      { type: 'message' },
    ]);
    const m = ev[1];
    expect(m?.type === 'message' && m.message.cseq?.seq).toBe(2);
  });

  it('never throws and stays bounded on random bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), (chunks) => {
        const f = new StreamFramer({ maxHeaderBytes: 2048, maxBodyBytes: 4096 });
        for (const c of chunks) f.push(c);
        expect(f.buffered).toBeLessThanOrEqual(2048 + 4096 + 300 + 4);
      }),
      { numRuns: 200 },
    );
  });
});

describe('StreamFramer is linear (issue #14 item 7)', () => {
  /** A request whose header section is about `size` octets, fed one octet at a time. */
  function scanned(size: number): { octets: number; scanned: number; messages: number } {
    const pad = 'X-Pad: ' + 'a'.repeat(60) + '\r\n';
    let head = 'OPTIONS sip:x@h SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n';
    while (head.length + pad.length < size - 40) head += pad;
    const msg = new TextEncoder().encode(`${head}Content-Length: 4\r\n\r\nbody`);
    const f = new StreamFramer({ maxHeaderBytes: 128 * 1024 });
    let messages = 0;
    for (let i = 0; i < msg.length; i++) messages += f.push(msg.subarray(i, i + 1)).length;
    return { octets: msg.length, scanned: f.stats.scannedOctets, messages };
  }

  it('a 64 KB header fed one octet at a time is scanned about once (work ∝ size, not size²)', () => {
    const small = scanned(16 * 1024);
    const big = scanned(64 * 1024);
    expect(small.messages).toBe(1);
    expect(big.messages).toBe(1);
    // each octet is looked at a bounded number of times (resume at most 2 octets back)
    expect(big.scanned).toBeLessThanOrEqual(3 * big.octets);
    // 4× the input is ~4× the work (a rescan from the start would be ~16×)
    expect(big.scanned / small.scanned).toBeLessThan(5);
  });
});

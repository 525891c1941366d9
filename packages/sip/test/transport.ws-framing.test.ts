import { createLoop, ManualClock } from '@mdh/loop';
import { describe, expect, it } from 'vitest';
import { SipStack } from '../src/index.js';
import { MemoryNetwork } from '../src/testing.js';

const enc = (s: string) => new TextEncoder().encode(s);

// OPTIONS with no Content-Length header at all.
const noLength = enc(
  [
    'OPTIONS sip:x@127.0.0.2 SIP/2.0',
    'Via: SIP/2.0/WS 127.0.0.1:5070;branch=z9hG4bKws1',
    'From: <sip:a@127.0.0.1>;tag=f1',
    'To: <sip:x@127.0.0.2>',
    'Call-ID: ws-1',
    'CSeq: 1 OPTIONS',
    'Max-Forwards: 70',
    '',
    '',
  ].join('\r\n'),
);

function stackWith(protocol: 'ws' | 'tcp') {
  const loop = createLoop({ clock: new ManualClock(0) });
  const net = new MemoryNetwork();
  const base = net.attach('127.0.0.2', 5060);
  // The same in-memory transport, presented as a reliable WS or TCP transport.
  const t = Object.assign(Object.create(Object.getPrototypeOf(base)), base, { protocol, reliable: true });
  const stack = new SipStack({ loop, transports: [t] });
  let requests = 0;
  stack.onRequest = () => {
    requests++;
  };
  stack.receive({ data: noLength, source: { address: '127.0.0.1', port: 5070 }, transport: t });
  return { stack, requests };
}

describe('message framing by transport', () => {
  it('a WebSocket message is one whole SIP message: no Content-Length means "to the end" (RFC 7118 §5)', () => {
    const { stack, requests } = stackWith('ws');
    expect(requests).toBe(1);
    expect(stack.stats.parseErrors).toBe(0);
  });

  it('on a byte stream (TCP) a missing Content-Length is an error (RFC 3261 §18.3)', () => {
    const { stack, requests } = stackWith('tcp');
    expect(requests).toBe(0);
    expect(stack.stats.parseErrors).toBe(1);
  });
});

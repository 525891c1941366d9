import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMessage, type SipMessage, serializeMessage } from '../src/message-layer.js';

// Issue #14 item 8: parse ∘ serialize ∘ parse is the identity on everything the parser accepts, strict or not.

const DIR = fileURLToPath(new URL('../../../tests/vectors/sip-torture/', import.meta.url));
const manifest = JSON.parse(readFileSync(`${DIR}manifest.json`, 'utf8')) as { messages: { file: string }[] };
const seeds = manifest.messages.map((m) => new Uint8Array(readFileSync(DIR + m.file)));
const enc = new TextEncoder();

function startLine(m: SipMessage): string {
  return m.kind === 'request' ? `${m.method} ${m.uri} ${m.version}` : `${m.version} ${m.status} ${m.reason}`;
}

function view(m: SipMessage) {
  return {
    start: startLine(m),
    headers: m.headers.filter((h) => h.name !== 'Content-Length'),
    body: [...m.body],
  };
}

/** When `input` parses, its serialisation parses to the same message and serialises to the same octets. */
function roundTrip(input: Uint8Array, strict: boolean, expand = false): boolean {
  let m: SipMessage;
  try {
    m = parseMessage(input, { strict });
  } catch {
    return false; // not accepted: nothing to check
  }
  // reading the headers (as an application does) splits the lazily kept lists before serialising
  if (expand) void m.headers;
  const wire = serializeMessage(m).slice();
  const again = parseMessage(wire, { strict }); // must not throw
  // serialize ∘ parse is stable on its own output, octet for octet
  expect(serializeMessage(again).slice()).toEqual(wire);
  expect(view(again)).toEqual(view(m));
  return true;
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('del' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
  fc.record({
    kind: fc.constant('ins' as const),
    at: fc.nat(),
    text: fc.oneof(
      fc.constantFrom(', ', ',', '\r\n ', '\r\n\t', ' ', ';', '=', '"', '<', '>', '\u00e9', '\u20ac', '%', '\\'),
      fc.constantFrom('\r\nSupported: a, b, c', '\r\nAllow: INVITE,ACK', '\r\nX: \u00ff', '\r\nAccept: a/b;q=0.5'),
    ),
  }),
);

function mutate(seed: Uint8Array, ms: (typeof mutation extends fc.Arbitrary<infer T> ? T : never)[]): Uint8Array {
  let b = seed;
  for (const m of ms) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    if (m.kind === 'byte') {
      b = b.slice();
      if (b.length) b[at] = m.value;
    } else if (m.kind === 'del') {
      b = new Uint8Array([...b.subarray(0, at), ...b.subarray(at + m.len)]);
    } else {
      b = new Uint8Array([...b.subarray(0, at), ...enc.encode(m.text), ...b.subarray(at)]);
    }
  }
  return b;
}

describe('parse ∘ serialize ∘ parse is the identity (issue #14 item 8)', () => {
  it('a non-ASCII Request-URI (not strict) does not grow: Latin-1 octets are read as UTF-8, as headers are', () => {
    const req = enc.encode(
      'OPTIONS sip:j\u00f6rg@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\n' +
        'To: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
    );
    let wire: Uint8Array = req;
    for (let i = 0; i < 3; i++) {
      const m = parseMessage(wire, { strict: false });
      expect(m.kind === 'request' && m.uri).toBe('sip:j\u00f6rg@example.com');
      wire = serializeMessage(m).slice();
      expect(wire.length).toBe(req.length);
    }
    // octets that are not UTF-8 are kept as Latin-1 characters and then stay stable
    const bad = new Uint8Array([...req]);
    bad[bad.indexOf(0xc3)] = 0xe9;
    bad[bad.indexOf(0xb6)] = 0x78;
    expect(roundTrip(bad, false)).toBe(true);
  });

  it('600 Supported tokens on 8 lines serialise into a message the parser accepts', () => {
    const tokens = Array.from({ length: 600 }, (_, i) => `ext${i}`);
    const lines = Array.from({ length: 8 }, (_, l) => `Supported: ${tokens.slice(l * 75, l * 75 + 75).join(', ')}`);
    const req = enc.encode(
      'OPTIONS sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\n' +
        `To: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n${lines.join('\r\n')}\r\n` +
        'Content-Length: 0\r\n\r\n',
    );
    const m = parseMessage(req);
    expect(m.supported.length).toBe(600); // expands the list
    const again = parseMessage(serializeMessage(m));
    expect(again.supported).toEqual(m.supported);
    expect(roundTrip(req, true)).toBe(true);
  });

  for (const strict of [true, false]) {
    it(`property (${strict ? 'strict' : 'not strict'}): every accepted mutation of the RFC 4475 corpus round-trips`, () => {
      let accepted = 0;
      fc.assert(
        fc.property(
          fc.constantFrom(...seeds),
          fc.array(mutation, { maxLength: 4 }),
          fc.boolean(),
          (seed, ms, expand) => {
            if (roundTrip(mutate(seed, ms), strict, expand)) accepted++;
          },
        ),
        { numRuns: 2000, seed: 14_8 },
      );
      expect(accepted).toBeGreaterThan(200);
    });
  }
});

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMessage, parseUri, SipParseError, serializeMessage, tryParseMessage } from '../src/message-layer.js';

const DIR = fileURLToPath(new URL('../../../tests/vectors/sip-torture/', import.meta.url));
const manifest = JSON.parse(readFileSync(`${DIR}manifest.json`, 'utf8')) as { messages: { file: string }[] };
const seeds = manifest.messages.map((m) => new Uint8Array(readFileSync(DIR + m.file)));

function onlyParseErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof SipParseError)) throw e;
  }
}

function touch(b: Uint8Array): void {
  const m = parseMessage(b);
  for (const get of [
    () => m.vias,
    () => m.from?.uri,
    () => m.to?.uri,
    () => m.contacts.map((c) => c.uri),
    () => m.cseq,
    () => m.callId,
    () => m.maxForwards,
    () => m.routes,
    () => m.recordRoutes,
    () => m.contentType,
    () => m.expires,
    () => m.allow,
    () => m.supported,
    () => m.require,
    () => m.authorization,
    () => m.wwwAuthenticate,
  ]) {
    onlyParseErrors(get);
  }
  // parse → serialize → parse is stable
  const again = parseMessage(serializeMessage(m));
  const noCl = (h: { name: string }[]) => h.filter((x) => x.name !== 'Content-Length');
  expect(noCl(again.headers)).toEqual(noCl(m.headers));
  expect(again.body).toEqual(m.body);
  expect(serializeMessage(again)).toEqual(serializeMessage(m));
}

describe('fuzz: random and mutated messages', () => {
  it('random bytes: only SipParseError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
        onlyParseErrors(() => touch(b));
        expect(tryParseMessage(b)).toBeDefined();
      }),
      { numRuns: 500 },
    );
  });

  it('mutated torture messages: only SipParseError, round trip stable when accepted', () => {
    fc.assert(
      fc.property(
        fc.nat(seeds.length - 1),
        fc.array(fc.tuple(fc.nat(4000), fc.uint8Array({ minLength: 0, maxLength: 4 }), fc.nat(4)), {
          minLength: 1,
          maxLength: 6,
        }),
        (si, muts) => {
          let b = seeds[si]!;
          for (const [at, ins, del] of muts) {
            const p = at % (b.length + 1);
            const n = new Uint8Array(b.length - Math.min(del, b.length - p) + ins.length);
            n.set(b.subarray(0, p), 0);
            n.set(ins, p);
            n.set(b.subarray(p + Math.min(del, b.length - p)), p + ins.length);
            b = n;
          }
          onlyParseErrors(() => touch(b));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('random strings as URIs: only SipParseError; accepted URIs reformat stably', async () => {
    const { formatUri } = await import('../src/message-layer.js');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 60 }),
          fc.string({ maxLength: 40 }).map((s) => `sip:${s}`),
        ),
        (s) => {
          try {
            const u = parseUri(s);
            expect(parseUri(formatUri(u))).toEqual(u);
          } catch (e) {
            if (!(e instanceof SipParseError)) throw e;
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('a huge header section is refused with 413, quickly', () => {
    const big = new TextEncoder().encode(`OPTIONS sip:a@b SIP/2.0\r\nX: ${'a'.repeat(70000)}\r\n\r\n`);
    const e = tryParseMessage(big);
    expect(e).toBeInstanceOf(SipParseError);
    expect((e as SipParseError).status).toBe(413);
  });
});

import dns2 from 'dns2';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DnsFormatError,
  type DnsMessage,
  decodeMessage,
  decodeName,
  decodeNaptrRdata,
  encodeMessage,
  encodeNaptrRdata,
  encodeQuery,
  RRType,
} from '../src/index.js';
import { NAPTR_TYPE, registerNaptrWithDns2 } from './dns2-naptr.js';

const hex = (s: string) =>
  Uint8Array.from(
    s
      .replace(/\s+/g, '')
      .match(/../g)!
      .map((b) => Number.parseInt(b, 16)),
  );

// RFC 3263 §4.1 / RFC 3403 §4.1 example record:
//   example.com. IN NAPTR 100 10 "S" "SIP+D2U" "" _sip._udp.example.com.
const NAPTR_RDATA = hex(`
  0064 000a
  01 53
  07 5349502b443255
  00
  04 5f736970 04 5f756470 07 6578616d706c65 03 636f6d 00`);

describe('NAPTR RDATA (RFC 3403 §4.1)', () => {
  it('decodes the RFC example byte-exact and re-encodes it identically', () => {
    const n = decodeNaptrRdata(NAPTR_RDATA, 0, NAPTR_RDATA.length, decodeName);
    expect(n).toEqual({
      order: 100,
      preference: 10,
      flags: 'S',
      services: 'SIP+D2U',
      regexp: '',
      replacement: '_sip._udp.example.com',
    });
    expect(encodeNaptrRdata(n)).toEqual(NAPTR_RDATA);
  });

  it('a root REPLACEMENT with a REGEXP (RFC 3403 §6.2 style)', () => {
    const n = {
      order: 100,
      preference: 50,
      flags: 'u',
      services: 'E2U+sip',
      regexp: '!^.*$!sip:info@example.com!',
      replacement: '',
    };
    const b = encodeNaptrRdata(n);
    expect(b[b.length - 1]).toBe(0);
    expect(decodeNaptrRdata(b, 0, b.length, decodeName)).toEqual(n);
  });

  it('rejects overruns and trailing bytes with DnsFormatError', () => {
    expect(() => decodeNaptrRdata(NAPTR_RDATA, 0, 8, decodeName)).toThrow(DnsFormatError);
    const extra = new Uint8Array(NAPTR_RDATA.length + 1);
    extra.set(NAPTR_RDATA);
    expect(() => decodeNaptrRdata(extra, 0, extra.length, decodeName)).toThrow(DnsFormatError);
    expect(() =>
      encodeNaptrRdata({ order: 70000, preference: 0, flags: '', services: '', regexp: '', replacement: '' }),
    ).toThrow(RangeError);
    expect(() =>
      encodeNaptrRdata({ order: 1, preference: 0, flags: 'x'.repeat(256), services: '', regexp: '', replacement: '' }),
    ).toThrow(RangeError);
  });

  it('interoperates with dns2 once registered: dns2 encodes, we decode, and back', () => {
    registerNaptrWithDns2();
    registerNaptrWithDns2(); // idempotent
    const P = (dns2 as unknown as { Packet: any }).Packet;
    expect(P.TYPE.NAPTR).toBe(NAPTR_TYPE);
    const res = new P();
    res.header.id = 0x1234;
    res.header.qr = 1;
    res.questions.push({ name: 'example.com', type: NAPTR_TYPE, class: 1 });
    res.answers.push({
      name: 'example.com',
      type: NAPTR_TYPE,
      class: 1,
      ttl: 600,
      order: 100,
      preference: 10,
      flags: 'S',
      services: 'SIP+D2U',
      regexp: '',
      replacement: '_sip._udp.example.com',
    });
    const wire = new Uint8Array(res.toBuffer());
    const m = decodeMessage(wire);
    expect(m.id).toBe(0x1234);
    expect(m.answers[0]!.rdata).toEqual(NAPTR_RDATA); // dns2 wrote it uncompressed, byte-exact
    expect(m.answers[0]!.naptr?.replacement).toBe('_sip._udp.example.com');
    const back = P.parse(Buffer.from(encodeMessage(m)));
    expect(back.answers[0]).toMatchObject({
      order: 100,
      preference: 10,
      flags: 'S',
      services: 'SIP+D2U',
      regexp: '',
      replacement: '_sip._udp.example.com',
      ttl: 600,
    });
  });
});

describe('DNS message codec (RFC 1035 §4.1)', () => {
  it('builds a standard query byte-exact', () => {
    const q = encodeQuery(0xbeef, 'example.com', RRType.NAPTR);
    expect(q).toEqual(hex('beef 0100 0001 0000 0000 0000 07 6578616d706c65 03 636f6d 00 0023 0001'));
    const e = encodeQuery(1, 'a.b', RRType.A, 1232);
    expect(decodeMessage(e).additionals[0]).toMatchObject({ type: RRType.OPT, class: 1232 });
    expect(() => encodeQuery(1, 'a..b', RRType.A)).toThrow(RangeError);
    expect(() => encodeQuery(1, `${'x'.repeat(64)}.com`, RRType.A)).toThrow(RangeError);
  });

  it('follows compression pointers and rejects forward pointers and loops', () => {
    // header, question "a.example" A IN, answer name = pointer to offset 12, A 1.2.3.4
    const msg = hex(
      '0001 8180 0001 0001 0000 0000 01 61 07 6578616d706c65 00 0001 0001 c00c 0001 0001 0000003c 0004 01020304',
    );
    const m = decodeMessage(msg);
    expect(m.answers[0]).toMatchObject({ name: 'a.example', address: '1.2.3.4', ttl: 60 });
    const loop = hex('0001 8180 0001 0000 0000 0000 c00c 0001 0001');
    expect(() => decodeMessage(loop)).toThrow(DnsFormatError);
    const fwd = hex('0001 8180 0001 0000 0000 0000 c00e 0001 0001 00');
    expect(() => decodeMessage(fwd)).toThrow(DnsFormatError);
  });

  it('decodes AAAA to RFC 5952 text, clamps a TTL with the top bit set to 0 (RFC 2181 §8)', () => {
    const m: DnsMessage = {
      id: 7,
      qr: true,
      opcode: 0,
      aa: true,
      tc: false,
      rd: true,
      ra: true,
      rcode: 0,
      questions: [{ name: 'h.test', type: RRType.AAAA, class: 1 }],
      answers: [
        {
          name: 'h.test',
          type: RRType.AAAA,
          class: 1,
          ttl: 0x80000001,
          rdata: new Uint8Array(0),
          address: '2001:db8:0:0:1:0:0:1',
        },
      ],
      authorities: [],
      additionals: [],
    };
    const d = decodeMessage(encodeMessage(m));
    expect(d.answers[0]!.address).toBe('2001:db8::1:0:0:1');
    expect(d.answers[0]!.ttl).toBe(0);
  });

  it('fuzz: random bytes only ever raise DnsFormatError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
        try {
          decodeMessage(b);
        } catch (e) {
          expect(e).toBeInstanceOf(DnsFormatError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('fuzz: mutated valid answers never crash and decode → encode → decode is stable', () => {
    registerNaptrWithDns2();
    const base: DnsMessage = {
      id: 42,
      qr: true,
      opcode: 0,
      aa: false,
      tc: false,
      rd: true,
      ra: true,
      rcode: 0,
      questions: [{ name: 'example.com', type: RRType.NAPTR, class: 1 }],
      answers: [
        {
          name: 'example.com',
          type: RRType.NAPTR,
          class: 1,
          ttl: 60,
          rdata: new Uint8Array(0),
          naptr: {
            order: 10,
            preference: 1,
            flags: 's',
            services: 'SIP+D2T',
            regexp: '',
            replacement: '_sip._tcp.example.com',
          },
        },
        {
          name: '_sip._tcp.example.com',
          type: RRType.SRV,
          class: 1,
          ttl: 60,
          rdata: new Uint8Array(0),
          srv: { priority: 1, weight: 2, port: 5060, target: 'sip.example.com' },
        },
        { name: 'sip.example.com', type: RRType.A, class: 1, ttl: 60, rdata: new Uint8Array(0), address: '192.0.2.7' },
      ],
      authorities: [
        {
          name: 'example.com',
          type: RRType.SOA,
          class: 1,
          ttl: 60,
          rdata: new Uint8Array(0),
          soa: {
            mname: 'ns.example.com',
            rname: 'h.example.com',
            serial: 1,
            refresh: 2,
            retry: 3,
            expire: 4,
            minimum: 5,
          },
        },
      ],
      additionals: [
        { name: 'x.example.com', type: RRType.TXT, class: 1, ttl: 1, rdata: new Uint8Array(0), txt: ['a', 'bc'] },
      ],
    };
    const wire = encodeMessage(base);
    const d0 = decodeMessage(wire);
    expect(encodeMessage(d0)).toEqual(wire);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(wire.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.nat(wire.length),
        (muts, cut) => {
          const b = wire.slice(0, Math.max(12, cut));
          for (const [i, v] of muts) if (i < b.length) b[i] = v;
          let d: DnsMessage;
          try {
            d = decodeMessage(b);
          } catch (e) {
            expect(e).toBeInstanceOf(DnsFormatError);
            return;
          }
          let again: Uint8Array;
          try {
            again = encodeMessage(d);
          } catch (e) {
            // A decoded name with escapes or a TTL may not re-encode only via RangeError.
            expect(e).toBeInstanceOf(RangeError);
            return;
          }
          const d2 = decodeMessage(again);
          expect(d2.answers.map((r) => [r.type, r.name, r.address, r.srv, r.naptr])).toEqual(
            d.answers.map((r) => [r.type, r.name, r.address, r.srv, r.naptr]),
          );
        },
      ),
      { numRuns: 3000 },
    );
  });
});

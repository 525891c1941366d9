import dgram from 'node:dgram';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DnsError,
  type DnsMessage,
  decodeMessage,
  encodeMessage,
  listenTcp,
  Resolver,
  RRType,
  type StreamServer,
} from '../src/index.js';

// Misbehaving peers: a server answering with random bytes, and a UDP+TCP pair where the UDP answer
// is truncated and the TCP answer arrives one byte at a time.

let garbageSock: dgram.Socket;
let garbagePort = 0;
let nextGarbage: Uint8Array = new Uint8Array(0);
let tcSock: dgram.Socket;
let tcp: StreamServer;
let tcPort = 0;

function bigAnswer(q: DnsMessage): Uint8Array {
  return encodeMessage({
    ...q,
    qr: true,
    ra: true,
    answers: Array.from({ length: 40 }, (_, i) => ({
      name: q.questions[0]!.name,
      type: RRType.A,
      class: 1,
      ttl: 60,
      rdata: new Uint8Array(0),
      address: `10.0.${i}.1`,
    })),
  });
}

beforeAll(async () => {
  garbageSock = dgram.createSocket('udp4');
  await new Promise<void>((r) => garbageSock.bind(0, '127.0.0.1', () => r()));
  garbagePort = garbageSock.address().port;
  garbageSock.on('message', (m, rinfo) => {
    // Keep the query's ID half of the time so the bytes are taken as "the answer".
    const b = nextGarbage.slice();
    if (b.length >= 2 && b[0]! & 1) {
      b[0] = m[0]!;
      b[1] = m[1]!;
    }
    garbageSock.send(b, rinfo.port, rinfo.address);
  });

  // TCP first (port 0), then UDP on the same port number.
  tcp = await listenTcp({ host: '127.0.0.1' }, async (c) => {
    const parts: Uint8Array[] = [];
    let have = 0;
    c.onData(async (d) => {
      parts.push(d.slice());
      have += d.length;
      const all = new Uint8Array(have);
      let o = 0;
      for (const p of parts) {
        all.set(p, o);
        o += p.length;
      }
      if (have < 2 || have < 2 + ((all[0]! << 8) | all[1]!)) return;
      const ans = bigAnswer(decodeMessage(all.subarray(2)));
      const framed = new Uint8Array(ans.length + 2);
      framed[0] = ans.length >> 8;
      framed[1] = ans.length & 0xff;
      framed.set(ans, 2);
      for (const byte of framed) {
        await c.write(Uint8Array.of(byte));
        await new Promise((r) => setImmediate(r));
      }
      c.end();
    });
  });
  tcPort = tcp.port;
  tcSock = dgram.createSocket('udp4');
  await new Promise<void>((r) => tcSock.bind(tcPort, '127.0.0.1', () => r()));
  tcSock.on('message', (m, rinfo) => {
    const q = decodeMessage(new Uint8Array(m));
    tcSock.send(encodeMessage({ ...q, qr: true, tc: true }), rinfo.port, rinfo.address);
  });
});

afterAll(async () => {
  garbageSock.close();
  tcSock.close();
  await tcp.close();
});

describe('Resolver robustness', () => {
  it('random answers end in a typed DnsError (never a crash, never a hang)', async () => {
    const r = new Resolver({
      servers: [`127.0.0.1:${garbagePort}`],
      timeoutMs: 40,
      retries: 0,
      cache: false,
      hostsFile: false,
    });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 300 }), async (bytes) => {
        nextGarbage = bytes;
        try {
          await r.a('fuzz.test');
        } catch (e) {
          expect(e).toBeInstanceOf(DnsError);
          expect(['BADRESPONSE', 'TIMEOUT', 'NXDOMAIN', 'NODATA', 'SERVFAIL', 'REFUSED', 'FORMERR']).toContain(
            (e as DnsError).code,
          );
        }
      }),
      { numRuns: 60 },
    );
  }, 30_000);

  it('TC over UDP → TCP, with the answer delivered one byte at a time', async () => {
    const r = new Resolver({ servers: [`127.0.0.1:${tcPort}`], timeoutMs: 5000, retries: 0, hostsFile: false });
    const a = await r.a('split.test');
    expect(a.length).toBe(40);
    expect(a[39]).toEqual({ address: '10.0.39.1', ttl: 60 });
    expect(r.stats.truncated).toBe(1);
    expect(r.stats.tcpQueries).toBe(1);
  });

  it('without tcpOnTruncation an empty truncated UDP answer is BADRESPONSE, not NODATA', async () => {
    const r = new Resolver({
      servers: [`127.0.0.1:${tcPort}`],
      timeoutMs: 1000,
      retries: 0,
      hostsFile: false,
      tcpOnTruncation: false,
    });
    await expect(r.a('split.test')).rejects.toMatchObject({ code: 'BADRESPONSE' });
  });
});

describe('decode∘encode is lossless for binary character-strings (found by pnpm fuzz dns, issue #14)', () => {
  const header = (an: number) => Uint8Array.of(0x12, 0x34, 0x85, 0x80, 0, 0, 0, an, 0, 0, 0, 0);
  const withRecord = (type: number, rdata: Uint8Array) =>
    Uint8Array.from([
      ...header(1),
      1,
      0x78,
      0,
      0,
      type,
      0,
      1,
      0,
      0,
      1,
      0x2c,
      rdata.length >> 8,
      rdata.length & 0xff,
      ...rdata,
    ]);

  it('a TXT string of 255 non-UTF-8 octets keeps its raw RDATA and re-encodes byte-exact', () => {
    const rdata = Uint8Array.from([255, ...new Array(255).fill(0xff)]);
    const wire = withRecord(RRType.TXT, rdata);
    const m = decodeMessage(wire);
    expect(m.answers[0]?.txt).toBeUndefined();
    expect(() => encodeMessage(m)).not.toThrow();
    expect(encodeMessage(m)).toEqual(wire);
    const ok = decodeMessage(withRecord(RRType.TXT, Uint8Array.of(2, 0x68, 0x69)));
    expect(ok.answers[0]?.txt).toEqual(['hi']);
  });

  it('a NAPTR whose regexp is not UTF-8 keeps its raw RDATA only', () => {
    const rdata = Uint8Array.of(0, 10, 0, 20, 1, 0x53, 7, ...new TextEncoder().encode('SIP+D2U'), 2, 0xc3, 0x28, 0);
    const m = decodeMessage(withRecord(RRType.NAPTR, rdata));
    expect(m.answers[0]?.naptr).toBeUndefined();
    expect(decodeMessage(encodeMessage(m)).answers[0]?.rdata).toEqual(rdata);
  });
});

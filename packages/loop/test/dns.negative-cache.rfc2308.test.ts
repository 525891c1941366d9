import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DnsCache, decodeMessage, encodeMessage, ManualClock, Resolver, RRType } from '../src/index.js';

// RFC 2308 §5: an NXDOMAIN answer is cached for <QNAME, QCLASS> — whatever the type asked next — while a
// NODATA answer is cached for <QNAME, QTYPE, QCLASS> only.

const SOA = {
  name: 'neg.test',
  type: RRType.SOA,
  class: 1,
  ttl: 120,
  rdata: new Uint8Array(0),
  soa: { mname: 'ns.neg.test', rname: 'h.neg.test', serial: 1, refresh: 60, retry: 60, expire: 600, minimum: 60 },
};

let sock: dgram.Socket | undefined;
let server = '';
const asked: string[] = [];

beforeAll(async () => {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  s.on('message', (m, rinfo) => {
    const q = decodeMessage(new Uint8Array(m));
    const qq = q.questions[0]!;
    asked.push(`${qq.name}|${qq.type}`);
    const exists = qq.name === 'host.neg.test';
    const answers =
      exists && qq.type === RRType.A
        ? [{ name: qq.name, type: RRType.A, class: 1, ttl: 300, rdata: new Uint8Array(0), address: '192.0.2.7' }]
        : [];
    const res = encodeMessage({
      ...q,
      qr: true,
      aa: true,
      ra: true,
      rcode: exists ? 0 : 3,
      answers,
      authorities: answers.length > 0 ? [] : [SOA],
      additionals: [],
    });
    s.send(res, rinfo.port, rinfo.address);
  });
  sock = s;
  server = `127.0.0.1:${s.address().port}`;
});

afterAll(() => {
  sock?.close();
});

describe('negative caching scope (RFC 2308 §5)', () => {
  it('NXDOMAIN for a name answers every type from the cache until it expires', async () => {
    const clock = new ManualClock(0);
    const r = new Resolver({ servers: [server], timeoutMs: 2000, retries: 0, hostsFile: false, clock });
    asked.length = 0;
    await expect(r.a('gone.neg.test')).rejects.toMatchObject({ code: 'NXDOMAIN' });
    await expect(r.aaaa('gone.neg.test')).rejects.toMatchObject({ code: 'NXDOMAIN' });
    await expect(r.srv('GONE.neg.test.')).rejects.toMatchObject({ code: 'NXDOMAIN' });
    expect(asked).toEqual([`gone.neg.test|${RRType.A}`]);
    clock.advance(60_001); // min(SOA TTL 120, MINIMUM 60) = 60 s
    await expect(r.aaaa('gone.neg.test')).rejects.toMatchObject({ code: 'NXDOMAIN' });
    expect(asked).toEqual([`gone.neg.test|${RRType.A}`, `gone.neg.test|${RRType.AAAA}`]);
  });

  it('NODATA is cached for its type only', async () => {
    const clock = new ManualClock(0);
    const r = new Resolver({ servers: [server], timeoutMs: 2000, retries: 0, hostsFile: false, clock });
    asked.length = 0;
    await expect(r.aaaa('host.neg.test')).rejects.toMatchObject({ code: 'NODATA' });
    await expect(r.aaaa('host.neg.test')).rejects.toMatchObject({ code: 'NODATA' });
    expect(await r.a('host.neg.test')).toEqual([{ address: '192.0.2.7', ttl: 300 }]);
    expect(asked).toEqual([`host.neg.test|${RRType.AAAA}`, `host.neg.test|${RRType.A}`]);
  });

  it('DnsCache: a name error covers all types, a no-data answer only its own', () => {
    const clock = new ManualClock(0);
    const c = new DnsCache(clock);
    c.putNegative('x.test', RRType.A, 'NXDOMAIN', 30);
    expect(c.get('x.test', RRType.TXT)).toMatchObject({ kind: 'negative', code: 'NXDOMAIN' });
    c.putNegative('y.test', RRType.A, 'NODATA', 30);
    expect(c.get('y.test', RRType.TXT)).toBeUndefined();
    clock.advance(30_000);
    expect(c.get('x.test', RRType.TXT)).toBeUndefined();
  });
});

import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dns2 from 'dns2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DnsError,
  type DnsMessage,
  decodeMessage,
  encodeMessage,
  ManualClock,
  orderSrv,
  parseResolvConf,
  parseServer,
  Resolver,
  RRType,
} from '../src/index.js';
import { NAPTR_TYPE, registerNaptrWithDns2 } from './dns2-naptr.js';

// An in-process dns2 server (UDP + TCP on the same port) with a small zone, plus raw UDP servers
// that misbehave (silent, spoofing, malformed, refusing).
registerNaptrWithDns2();
const P = (dns2 as unknown as { Packet: any }).Packet;
const T = P.TYPE;

const SOA = {
  name: 'example.test',
  type: T.SOA,
  class: 1,
  ttl: 60,
  primary: 'ns.example.test',
  admin: 'h.example.test',
  serial: 1,
  refresh: 60,
  retry: 60,
  expiration: 600,
  minimum: 30,
};
type Rec = Record<string, unknown>;
const zone = new Map<string, Rec[]>();
const add = (r: Rec) => {
  const k = `${String(r.name).toLowerCase()}|${r.type}`;
  zone.set(k, [...(zone.get(k) ?? []), r]);
};
add({ name: 'example.test', type: T.A, class: 1, ttl: 300, address: '192.0.2.1' });
add({ name: 'example.test', type: T.A, class: 1, ttl: 100, address: '192.0.2.2' });
add({ name: 'example.test', type: T.AAAA, class: 1, ttl: 300, address: '2001:db8::1' });
add({
  name: 'example.test',
  type: NAPTR_TYPE,
  class: 1,
  ttl: 300,
  order: 20,
  preference: 50,
  flags: 's',
  services: 'SIP+D2U',
  regexp: '',
  replacement: '_sip._udp.example.test',
});
add({
  name: 'example.test',
  type: NAPTR_TYPE,
  class: 1,
  ttl: 300,
  order: 10,
  preference: 50,
  flags: 's',
  services: 'SIPS+D2T',
  regexp: '',
  replacement: '_sips._tcp.example.test',
});
add({
  name: '_sip._udp.example.test',
  type: T.SRV,
  class: 1,
  ttl: 300,
  priority: 20,
  weight: 0,
  port: 5070,
  target: 'sip2.example.test',
});
add({
  name: '_sip._udp.example.test',
  type: T.SRV,
  class: 1,
  ttl: 300,
  priority: 10,
  weight: 60,
  port: 5060,
  target: 'sip1.example.test',
});
add({ name: 'alias.example.test', type: T.CNAME, class: 1, ttl: 300, domain: 'example.test' });
add({ name: 'dangling.example.test', type: T.CNAME, class: 1, ttl: 300, domain: 'example.test' });
add({ name: 'v4only.example.test', type: T.A, class: 1, ttl: 300, address: '192.0.2.9' });
for (let i = 0; i < 60; i++)
  add({ name: 'big.example.test', type: T.A, class: 1, ttl: 300, address: `198.51.100.${i}` });

const counts = new Map<string, number>();
function handle(req: any, send: (r: any) => void): void {
  const q = req.questions[0];
  const name = String(q.name).toLowerCase();
  counts.set(`${name}|${q.type}`, (counts.get(`${name}|${q.type}`) ?? 0) + 1);
  const res = P.createResponseFromRequest(req);
  res.header.aa = 1;
  if (name === 'servfail.example.test') {
    res.header.rcode = 2;
    send(res);
    return;
  }
  const direct = zone.get(`${name}|${q.type}`);
  const cname = zone.get(`${name}|${T.CNAME}`);
  if (direct) res.answers.push(...direct);
  else if (cname) {
    res.answers.push(...cname);
    // dangling.*: the server leaves the target's data out, so the client must ask again.
    if (!name.startsWith('dangling')) res.answers.push(...(zone.get(`${String(cname[0]!.domain)}|${q.type}`) ?? []));
  } else if ([...zone.keys()].some((k) => k.startsWith(`${name}|`))) {
    res.authorities.push(SOA); // NODATA
  } else {
    res.header.rcode = 3; // NXDOMAIN
    res.authorities.push(SOA);
  }
  send(res);
}

let server: any;
let good = '';
let port = 0;
const raw: dgram.Socket[] = [];
let silent = '';
let spoof = '';
let garbage = '';
let refuser = '';
let dir = '';

async function rawServer(onMsg: (s: dgram.Socket, q: DnsMessage, rinfo: dgram.RemoteInfo) => void): Promise<string> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  s.on('message', (m, rinfo) => onMsg(s, decodeMessage(new Uint8Array(m)), rinfo));
  raw.push(s);
  return `127.0.0.1:${s.address().port}`;
}

function answerFor(q: DnsMessage, id: number): Uint8Array {
  return encodeMessage({
    ...q,
    id,
    qr: true,
    ra: true,
    answers: [
      {
        name: q.questions[0]!.name,
        type: RRType.A,
        class: 1,
        ttl: 5,
        rdata: new Uint8Array(0),
        address: '203.0.113.5',
      },
    ],
  });
}

beforeAll(async () => {
  // Find a port free for both UDP and TCP.
  for (let i = 0; i < 20 && !server; i++) {
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', () => r()));
    const p = probe.address().port;
    await new Promise<void>((r) => probe.close(() => r()));
    const s = dns2.createServer({ udp: true, tcp: true, handle } as any);
    try {
      s.on('error', () => {});
      await Promise.race([
        s.listen({ udp: { port: p, address: '127.0.0.1' }, tcp: { port: p, address: '127.0.0.1' } } as any),
        new Promise((_, rej) => setTimeout(() => rej(new Error('listen')), 2000)),
      ]);
      server = s;
      port = p;
    } catch {
      await s.close().catch(() => {});
    }
  }
  good = `127.0.0.1:${port}`;
  silent = await rawServer(() => {});
  spoof = await rawServer((s, q, rinfo) => {
    // First a datagram with the wrong ID, then one for another question, then the real answer.
    s.send(answerFor(q, (q.id + 1) & 0xffff), rinfo.port, rinfo.address);
    const other = { ...q, questions: [{ name: 'evil.test', type: RRType.A, class: 1 }] };
    s.send(answerFor(other, q.id), rinfo.port, rinfo.address);
    s.send(answerFor(q, q.id), rinfo.port, rinfo.address);
  });
  garbage = await rawServer((s, q, rinfo) => {
    const ok = answerFor(q, q.id);
    s.send(ok.subarray(0, ok.length - 3), rinfo.port, rinfo.address); // RDATA cut short
  });
  refuser = await rawServer((s, q, rinfo) => {
    s.send(encodeMessage({ ...q, qr: true, rcode: 5 }), rinfo.port, rinfo.address);
  });
  dir = mkdtempSync(join(tmpdir(), 'mdh-dns-'));
  writeFileSync(
    join(dir, 'hosts'),
    '# test hosts\n10.1.2.3   MyHost.test  alias-h\n::1 myhost.test\n127.0.0.1 localhost\n',
  );
});

afterAll(async () => {
  await server?.close();
  for (const s of raw) s.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const mk = (servers: string[], extra: Partial<ConstructorParameters<typeof Resolver>[0]> = {}) =>
  new Resolver({ servers, timeoutMs: 2000, retries: 0, hostsFile: false, ...extra });

describe('Resolver against an in-process dns2 server', () => {
  it('A and AAAA with TTLs', async () => {
    const r = mk([good]);
    expect(await r.a('example.test')).toEqual([
      { address: '192.0.2.1', ttl: 300 },
      { address: '192.0.2.2', ttl: 100 },
    ]);
    expect(await r.aaaa('example.test')).toEqual([{ address: '2001:db8::1', ttl: 300 }]);
  });

  it('SRV sorted by priority, targets without a trailing dot', async () => {
    const r = mk([good]);
    expect(await r.srv('_sip._udp.example.test')).toEqual([
      { priority: 10, weight: 60, port: 5060, target: 'sip1.example.test', ttl: 300 },
      { priority: 20, weight: 0, port: 5070, target: 'sip2.example.test', ttl: 300 },
    ]);
  });

  it('NAPTR sorted by order then preference (RFC 3403 §4.1)', async () => {
    const r = mk([good]);
    expect(await r.naptr('example.test')).toEqual([
      {
        order: 10,
        preference: 50,
        flags: 's',
        services: 'SIPS+D2T',
        regexp: '',
        replacement: '_sips._tcp.example.test',
        ttl: 300,
      },
      {
        order: 20,
        preference: 50,
        flags: 's',
        services: 'SIP+D2U',
        regexp: '',
        replacement: '_sip._udp.example.test',
        ttl: 300,
      },
    ]);
  });

  it('NXDOMAIN vs NODATA vs SERVFAIL are distinct typed errors', async () => {
    const r = mk([good]);
    await expect(r.a('missing.example.test')).rejects.toMatchObject({
      name: 'DnsError',
      code: 'NXDOMAIN',
      hostname: 'missing.example.test',
      rrtype: 'A',
    });
    await expect(r.aaaa('v4only.example.test')).rejects.toMatchObject({ code: 'NODATA' });
    await expect(r.a('servfail.example.test')).rejects.toMatchObject({ code: 'SERVFAIL' });
  });

  it('follows a CNAME in the answer, and re-asks for a dangling one', async () => {
    const r = mk([good]);
    expect((await r.a('alias.example.test')).map((x) => x.address)).toEqual(['192.0.2.1', '192.0.2.2']);
    expect((await r.a('dangling.example.test')).map((x) => x.address)).toEqual(['192.0.2.1', '192.0.2.2']);
  });

  it('a truncated UDP answer is retried over TCP (RFC 7766)', async () => {
    const r = mk([good]);
    const a = await r.a('big.example.test');
    expect(a.length).toBe(60);
    expect(a[59]!.address).toBe('198.51.100.59');
    expect(r.stats.truncated).toBe(1);
    expect(r.stats.tcpQueries).toBe(1);
  });

  it('with EDNS(0) advertising 4096 octets the same answer fits in UDP (RFC 6891)', async () => {
    const r = mk([good], { ednsUdpSize: 4096 });
    expect((await r.a('big.example.test')).length).toBe(60);
    expect(r.stats.truncated).toBe(0);
    expect(r.stats.tcpQueries).toBe(0);
  });

  it('caches answers for their TTL and negative answers per RFC 2308 (on a ManualClock)', async () => {
    const clock = new ManualClock(0);
    const r = mk([good], { clock });
    const key = `example.test|${T.A}`;
    const before = counts.get(key) ?? 0;
    expect((await r.a('example.test'))[0]!.ttl).toBe(300);
    clock.advance(40_000);
    const cached = await r.a('example.test');
    expect(counts.get(key)).toBe(before + 1);
    expect(cached.map((x) => x.ttl)).toEqual([260, 60]); // aged by 40 s
    clock.advance(60_001); // past the smallest TTL (100 s)
    await r.a('example.test');
    expect(counts.get(key)).toBe(before + 2);

    // Negative: min(SOA TTL 60, MINIMUM 30) = 30 s.
    const nk = `missing.example.test|${T.A}`;
    const n0 = counts.get(nk) ?? 0;
    await expect(r.a('missing.example.test')).rejects.toMatchObject({ code: 'NXDOMAIN' });
    clock.advance(29_000);
    await expect(r.a('missing.example.test')).rejects.toMatchObject({ code: 'NXDOMAIN' });
    expect(counts.get(nk)).toBe(n0 + 1);
    clock.advance(1_001);
    await expect(r.a('missing.example.test')).rejects.toMatchObject({ code: 'NXDOMAIN' });
    expect(counts.get(nk)).toBe(n0 + 2);
    expect(r.stats.cacheHits).toBeGreaterThanOrEqual(2);
    r.clearCache();
  });

  it('times out with TIMEOUT when nobody answers, after retries', async () => {
    const r = mk([silent], { timeoutMs: 50, retries: 1 });
    const t0 = performance.now();
    const e = await r.a('example.test').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DnsError);
    expect((e as DnsError).code).toBe('TIMEOUT');
    expect(r.stats.udpSent).toBe(2);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(90);
  });

  it('fails over to the next server on timeout, REFUSED and malformed answers', async () => {
    for (const bad of [silent, refuser, garbage]) {
      const r = mk([bad, good], { timeoutMs: 500 });
      expect((await r.a('example.test')).length).toBe(2);
    }
    await expect(mk([refuser]).a('example.test')).rejects.toMatchObject({ code: 'REFUSED' });
    await expect(mk([garbage]).a('example.test')).rejects.toMatchObject({ code: 'BADRESPONSE' });
  });

  it('ignores answers with the wrong ID or question (RFC 5452) and takes the matching one', async () => {
    const r = mk([spoof]);
    expect(await r.a('x.test')).toEqual([{ address: '203.0.113.5', ttl: 5 }]);
    expect(r.stats.mismatched).toBe(2);
  });

  it('lookup: IP literals, the hosts file, then A + AAAA', async () => {
    const r = mk([good], { hostsFile: join(dir, 'hosts') });
    expect(await r.lookup('192.0.2.44')).toEqual([{ address: '192.0.2.44', family: 4 }]);
    expect(await r.lookup('::1')).toEqual([{ address: '::1', family: 6 }]);
    expect(await r.lookup('myhost.TEST.')).toEqual([
      { address: '10.1.2.3', family: 4 },
      { address: '::1', family: 6 },
    ]);
    expect(await r.lookup('myhost.test', { family: 6 })).toEqual([{ address: '::1', family: 6 }]);
    expect(await r.lookup('alias-h')).toEqual([{ address: '10.1.2.3', family: 4 }]);
    expect(await r.lookup('example.test')).toEqual([
      { address: '192.0.2.1', family: 4 },
      { address: '192.0.2.2', family: 4 },
      { address: '2001:db8::1', family: 6 },
    ]);
    expect(await r.lookup('v4only.example.test')).toEqual([{ address: '192.0.2.9', family: 4 }]);
    await expect(r.lookup('missing.example.test')).rejects.toMatchObject({ code: 'NXDOMAIN' });
    await expect(r.lookup('')).rejects.toThrow(TypeError);
  });

  it('configuration parsing and misuse', () => {
    expect(parseServer('127.0.0.1:5353')).toEqual({ address: '127.0.0.1', port: 5353 });
    expect(parseServer('[::1]:53')).toEqual({ address: '::1', port: 53 });
    expect(parseServer('::1')).toEqual({ address: '::1', port: 53 });
    expect(parseServer('10.0.0.1')).toEqual({ address: '10.0.0.1', port: 53 });
    expect(() => parseServer('dns.example:53')).toThrow(TypeError);
    expect(() => parseServer('1.2.3.4:0')).toThrow(RangeError);
    expect(
      parseResolvConf(
        '# c\nnameserver 10.0.0.2\nnameserver ::1\nnameserver bogus\noptions timeout:3 attempts:4 rotate\nsearch x\n',
      ),
    ).toEqual({
      servers: [
        { address: '10.0.0.2', port: 53 },
        { address: '::1', port: 53 },
      ],
      timeoutMs: 3000,
      attempts: 4,
    });
    const rc = join(dir, 'resolv.conf');
    writeFileSync(rc, 'nameserver 127.0.0.53\noptions timeout:1 attempts:2\n');
    const r = new Resolver({ resolvConf: rc });
    expect(r.servers).toEqual([{ address: '127.0.0.53', port: 53 }]);
    expect(r.timeoutMs).toBe(1000);
    expect(r.retries).toBe(1);
    expect(new Resolver({ resolvConf: join(dir, 'none') }).servers).toEqual([{ address: '127.0.0.1', port: 53 }]);
    expect(() => new Resolver({ servers: [] })).toThrow(TypeError);
    expect(() => new Resolver({ servers: [good], timeoutMs: 0 })).toThrow(RangeError);
    return expect(mk([good]).query('', RRType.A)).rejects.toThrow(TypeError);
  });

  it("dns2's own client decodes NAPTR through the registered codec", async () => {
    const resolve = (dns2 as unknown as { UDPClient: (o: object) => (n: string, t: string) => Promise<any> }).UDPClient(
      {
        dns: '127.0.0.1',
        port,
      },
    );
    const res = await resolve('example.test', 'NAPTR');
    const recs = res.answers.map((a: any) => [a.order, a.preference, a.flags, a.services, a.regexp, a.replacement]);
    expect(recs).toContainEqual([10, 50, 's', 'SIPS+D2T', '', '_sips._tcp.example.test']);
    expect(recs).toContainEqual([20, 50, 's', 'SIP+D2U', '', '_sip._udp.example.test']);
  });

  it('queries a server over IPv6 (::1)', async () => {
    const s = dgram.createSocket('udp6');
    await new Promise<void>((r) => s.bind(0, '::1', () => r()));
    s.on('message', (m, rinfo) =>
      s.send(
        answerFor(decodeMessage(new Uint8Array(m)), decodeMessage(new Uint8Array(m)).id),
        rinfo.port,
        rinfo.address,
      ),
    );
    try {
      const r = mk([`[::1]:${s.address().port}`]);
      expect(await r.a('v6.test')).toEqual([{ address: '203.0.113.5', ttl: 5 }]);
    } finally {
      s.close();
    }
  });
});

describe('orderSrv (RFC 2782 usage rules)', () => {
  const recs = [
    { priority: 20, weight: 0, port: 1, target: 'c', ttl: 1 },
    { priority: 10, weight: 90, port: 1, target: 'a', ttl: 1 },
    { priority: 10, weight: 10, port: 1, target: 'b', ttl: 1 },
  ];

  it('keeps priority order and picks by weight', () => {
    let firstA = 0;
    let seed = 12345;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 2000; i++) {
      const o = orderSrv(recs, rnd);
      expect(o.map((r) => r.priority)).toEqual([10, 10, 20]);
      expect(new Set(o.map((r) => r.target)).size).toBe(3);
      if (o[0]!.target === 'a') firstA++;
    }
    // 'a' has 90 of 100 weight: chosen first about 90% of the time.
    expect(firstA / 2000).toBeGreaterThan(0.85);
    expect(firstA / 2000).toBeLessThan(0.95);
  });

  it('a lone "." target means the service is not available', () => {
    expect(orderSrv([{ priority: 0, weight: 0, port: 0, target: '' }])).toEqual([]);
    expect(orderSrv([])).toEqual([]);
  });
});

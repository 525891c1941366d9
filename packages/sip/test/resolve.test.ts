import { orderSrv } from '@mdh/loop';
import { afterAll, describe, expect, it } from 'vitest';
import { type SipDnsResolver, sipResolve } from '../src/message-layer.js';

type Zone = {
  naptr?: Record<
    string,
    {
      order: number;
      preference: number;
      flags: string;
      services: string;
      regexp: string;
      replacement: string;
      ttl: number;
    }[]
  >;
  srv?: Record<string, { priority: number; weight: number; port: number; target: string; ttl: number }[]>;
  a?: Record<string, string[]>;
  aaaa?: Record<string, string[]>;
};

function fakeResolver(z: Zone, log: string[] = []): SipDnsResolver {
  const nx = () => Object.assign(new Error('NXDOMAIN'), { code: 'NXDOMAIN' });
  return {
    async a(n) {
      log.push(`A ${n}`);
      const r = z.a?.[n];
      if (!r) throw nx();
      return r.map((address) => ({ address, ttl: 300 }));
    },
    async aaaa(n) {
      log.push(`AAAA ${n}`);
      return (z.aaaa?.[n] ?? []).map((address) => ({ address, ttl: 300 }));
    },
    async srv(n) {
      log.push(`SRV ${n}`);
      const r = z.srv?.[n];
      if (!r) throw nx();
      return r;
    },
    async naptr(n) {
      log.push(`NAPTR ${n}`);
      return z.naptr?.[n] ?? [];
    },
  };
}

const naptr = (order: number, preference: number, services: string, replacement: string) => ({
  order,
  preference,
  flags: 's',
  services,
  regexp: '',
  replacement,
  ttl: 120,
});
const zone: Zone = {
  naptr: {
    'example.com': [
      naptr(20, 10, 'SIP+D2U', '_sip._udp.example.com'),
      naptr(10, 20, 'SIP+D2T', '_sip._tcp.example.com'),
      naptr(10, 10, 'SIPS+D2T', '_sips._tcp.example.com'),
      naptr(5, 10, 'SIP+D2X', '_sip._sctp.example.com'),
      naptr(30, 10, 'SIP+D2W', '_sip._ws.example.com'),
    ],
  },
  srv: {
    '_sip._udp.example.com': [{ priority: 10, weight: 0, port: 5060, target: 'udp.example.com', ttl: 60 }],
    '_sip._tcp.example.com': [{ priority: 10, weight: 0, port: 5060, target: 'tcp.example.com', ttl: 60 }],
    '_sips._tcp.example.com': [{ priority: 10, weight: 0, port: 5061, target: 'tls.example.com', ttl: 30 }],
    '_sip._ws.example.com': [{ priority: 10, weight: 0, port: 8080, target: 'ws.example.com', ttl: 60 }],
    '_sip._tcp.nonaptr.org': [
      { priority: 20, weight: 0, port: 5070, target: 'b.nonaptr.org', ttl: 60 },
      { priority: 10, weight: 0, port: 5060, target: 'a.nonaptr.org', ttl: 60 },
    ],
  },
  a: {
    'udp.example.com': ['192.0.2.1'],
    'tcp.example.com': ['192.0.2.2'],
    'tls.example.com': ['192.0.2.3'],
    'ws.example.com': ['192.0.2.4'],
    'a.nonaptr.org': ['198.51.100.1'],
    'b.nonaptr.org': ['198.51.100.2'],
    'plain.net': ['203.0.113.5'],
  },
  aaaa: { 'tls.example.com': ['2001:db8::3'] },
};

describe('sipResolve (RFC 3263)', () => {
  it('NAPTR order then preference, only supported services, SRV then A/AAAA', async () => {
    const r = await sipResolve('sip:example.com', { resolver: fakeResolver(zone) });
    expect(r.map((t) => [t.transport, t.host, t.port])).toEqual([
      ['tls', '192.0.2.3', 5061],
      ['tls', '2001:db8::3', 5061],
      ['tcp', '192.0.2.2', 5060],
      ['udp', '192.0.2.1', 5060],
    ]);
    expect(r[0]).toMatchObject({ target: 'tls.example.com', ttl: 30, priority: 10, weight: 0 });
  });
  it('WebSocket NAPTRs only when enabled (RFC 7118)', async () => {
    const r = await sipResolve('sip:example.com', { resolver: fakeResolver(zone), websocket: true });
    expect(r.at(-1)).toMatchObject({ transport: 'ws', host: '192.0.2.4', port: 8080 });
  });
  it('sips: keeps only TLS', async () => {
    const r = await sipResolve('sips:alice@example.com', { resolver: fakeResolver(zone) });
    expect(new Set(r.map((t) => t.transport))).toEqual(new Set(['tls']));
  });
  it('numeric IP: used directly, no DNS', async () => {
    const log: string[] = [];
    expect(await sipResolve('sip:192.0.2.9', { resolver: fakeResolver(zone, log) })).toMatchObject([
      { host: '192.0.2.9', port: 5060, transport: 'udp' },
    ]);
    expect(await sipResolve('sips:[2001:db8::9]:5071', { resolver: fakeResolver(zone, log) })).toMatchObject([
      { host: '2001:db8::9', port: 5071, transport: 'tls' },
    ]);
    expect(log).toEqual([]);
  });
  it('explicit port skips NAPTR and SRV', async () => {
    const log: string[] = [];
    const r = await sipResolve('sip:plain.net:5080;transport=tcp', { resolver: fakeResolver(zone, log) });
    expect(r).toMatchObject([{ host: '203.0.113.5', port: 5080, transport: 'tcp' }]);
    expect(log.some((l) => l.startsWith('NAPTR') || l.startsWith('SRV'))).toBe(false);
  });
  it('explicit transport skips NAPTR and uses its SRV', async () => {
    const log: string[] = [];
    const r = await sipResolve('example.com', { resolver: fakeResolver(zone, log), transport: 'tcp' });
    expect(r).toMatchObject([{ host: '192.0.2.2', transport: 'tcp' }]);
    expect(log[0]).toBe('SRV _sip._tcp.example.com');
  });
  it('no NAPTR: SRV per transport, priority ascending', async () => {
    const r = await sipResolve('sip:nonaptr.org', { resolver: fakeResolver(zone) });
    expect(r.map((t) => [t.host, t.port, t.transport])).toEqual([
      ['198.51.100.1', 5060, 'tcp'],
      ['198.51.100.2', 5070, 'tcp'],
    ]);
  });
  it('no NAPTR nor SRV: A/AAAA on 5060 (5061 for sips)', async () => {
    expect(await sipResolve('sip:plain.net', { resolver: fakeResolver(zone) })).toMatchObject([
      { host: '203.0.113.5', port: 5060, transport: 'udp' },
    ]);
    expect(await sipResolve('sips:plain.net', { resolver: fakeResolver(zone) })).toMatchObject([
      { host: '203.0.113.5', port: 5061, transport: 'tls' },
    ]);
  });
  it('nothing resolves: empty list', async () => {
    expect(await sipResolve('sip:nowhere.invalid', { resolver: fakeResolver(zone) })).toEqual([]);
  });
});

describe('orderSrv (RFC 2782)', () => {
  it('sorts by priority and follows the injected random source', () => {
    const recs = [
      { priority: 2, weight: 0, id: 'z' },
      { priority: 1, weight: 10, id: 'a' },
      { priority: 1, weight: 90, id: 'b' },
    ];
    expect(orderSrv(recs, () => 0).map((r) => r.id)).toEqual(['a', 'b', 'z']);
    expect(orderSrv(recs, () => 0.5).map((r) => r.id)).toEqual(['b', 'a', 'z']);
  });
  it('weighted selection: first pick frequency follows the weights (not ascending weight)', () => {
    let seed = 42;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const recs = [
      { priority: 0, weight: 10, id: 'light' },
      { priority: 0, weight: 60, id: 'heavy' },
      { priority: 0, weight: 30, id: 'mid' },
    ];
    const first: Record<string, number> = { light: 0, heavy: 0, mid: 0 };
    for (let i = 0; i < 3000; i++) first[orderSrv(recs, rnd)[0]!.id]!++;
    expect(first.heavy! / 3000).toBeCloseTo(0.6, 1);
    expect(first.mid! / 3000).toBeCloseTo(0.3, 1);
    expect(first.light! / 3000).toBeCloseTo(0.1, 1);
  });
});

describe('sipResolve over the wire (in-process DNS server + @mdh/loop Resolver)', async () => {
  const { createSocket } = await import('node:dgram');
  const { decodeMessage, encodeMessage, ManualClock, Resolver, RRType } = await import('@mdh/loop');
  type Rec = Parameters<typeof encodeMessage>[0]['answers'][number];
  const zoneRecords: Rec[] = [
    {
      name: 'wire.test',
      type: RRType.NAPTR,
      class: 1,
      ttl: 300,
      rdata: new Uint8Array(0),
      naptr: {
        order: 10,
        preference: 10,
        flags: 'S',
        services: 'SIP+D2T',
        regexp: '',
        replacement: '_sip._tcp.wire.test',
      },
    },
    {
      name: 'wire.test',
      type: RRType.NAPTR,
      class: 1,
      ttl: 300,
      rdata: new Uint8Array(0),
      naptr: {
        order: 20,
        preference: 10,
        flags: 's',
        services: 'SIP+D2U',
        regexp: '',
        replacement: '_sip._udp.wire.test',
      },
    },
    {
      name: '_sip._tcp.wire.test',
      type: RRType.SRV,
      class: 1,
      ttl: 120,
      rdata: new Uint8Array(0),
      srv: { priority: 1, weight: 0, port: 5070, target: 'a.wire.test' },
    },
    {
      name: '_sip._udp.wire.test',
      type: RRType.SRV,
      class: 1,
      ttl: 120,
      rdata: new Uint8Array(0),
      srv: { priority: 1, weight: 0, port: 5080, target: 'b.wire.test' },
    },
    { name: 'a.wire.test', type: RRType.A, class: 1, ttl: 60, rdata: new Uint8Array(0), address: '192.0.2.51' },
    { name: 'a.wire.test', type: RRType.AAAA, class: 1, ttl: 60, rdata: new Uint8Array(0), address: '2001:db8::51' },
    { name: 'b.wire.test', type: RRType.A, class: 1, ttl: 60, rdata: new Uint8Array(0), address: '192.0.2.52' },
    { name: 'b.wire.test', type: RRType.AAAA, class: 1, ttl: 90, rdata: new Uint8Array(0), address: '2001:db8::52' },
  ];
  const sock = createSocket('udp4');
  let queries = 0;
  sock.on('message', (msg, rinfo) => {
    queries++;
    const q = decodeMessage(new Uint8Array(msg));
    const question = q.questions[0]!;
    const answers = zoneRecords.filter((r) => r.name === question.name.replace(/\.$/, '') && r.type === question.type);
    const known = zoneRecords.some((r) => r.name === question.name.replace(/\.$/, ''));
    const res = encodeMessage({
      ...q,
      qr: true,
      aa: true,
      ra: false,
      rcode: known ? 0 : 3,
      answers,
      authorities: [],
      additionals: [],
    });
    sock.send(res, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const port = sock.address().port;
  const clock = new ManualClock(0);
  const resolver = new Resolver({
    servers: [`127.0.0.1:${port}`],
    timeoutMs: 1000,
    retries: 1,
    clock,
    hostsFile: false,
  });

  it('NAPTR → SRV → A/AAAA with the smallest TTL of the chain', async () => {
    const r = await sipResolve('sip:wire.test', { resolver });
    expect(r).toEqual([
      { host: '192.0.2.51', port: 5070, transport: 'tcp', priority: 1, weight: 0, ttl: 60, target: 'a.wire.test' },
      { host: '2001:db8::51', port: 5070, transport: 'tcp', priority: 1, weight: 0, ttl: 60, target: 'a.wire.test' },
      { host: '192.0.2.52', port: 5080, transport: 'udp', priority: 1, weight: 0, ttl: 60, target: 'b.wire.test' },
      { host: '2001:db8::52', port: 5080, transport: 'udp', priority: 1, weight: 0, ttl: 90, target: 'b.wire.test' },
    ]);
  });

  it('honours TTLs through the resolver cache (no queries until they expire)', async () => {
    await sipResolve('sip:wire.test', { resolver });
    const before = queries;
    clock.advance(30_000);
    const again = await sipResolve('sip:wire.test', { resolver });
    expect(queries).toBe(before);
    expect(again[0]?.ttl).toBe(30);
    clock.advance(31_000);
    await sipResolve('sip:wire.test', { resolver });
    expect(queries).toBeGreaterThan(before);
  });
  afterAll(() => {
    sock.close();
  });
});

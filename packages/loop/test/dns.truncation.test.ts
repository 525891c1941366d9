import dgram from 'node:dgram';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DnsMessage, decodeMessage, encodeMessage, Resolver, RRType } from '../src/index.js';

// RFC 1035 §4.1.1 / RFC 2181 §9: a server may set TC and cut the datagram in the middle of a record, so
// the header's counts promise more than the datagram holds. The resolver must retry over TCP
// (RFC 7766 §5), not call the answer malformed.

const N = 40;
function fullAnswer(q: DnsMessage): Uint8Array {
  const answers = [];
  for (let i = 0; i < N; i++) {
    answers.push({
      name: q.questions[0]!.name,
      type: RRType.A,
      class: 1,
      ttl: 60,
      rdata: new Uint8Array(0),
      address: `198.51.100.${i}`,
    });
  }
  return encodeMessage({ ...q, qr: true, ra: true, answers, authorities: [], additionals: [] });
}

let udp: dgram.Socket | undefined;
let tcp: net.Server | undefined;
let server = '';
let udpQueries = 0;
let tcpQueries = 0;

beforeAll(async () => {
  for (let i = 0; i < 20 && !tcp; i++) {
    const u = dgram.createSocket('udp4');
    await new Promise<void>((r) => u.bind(0, '127.0.0.1', () => r()));
    const port = u.address().port;
    const t = net.createServer((c) => {
      let buf = Buffer.alloc(0);
      c.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
        tcpQueries++;
        const q = decodeMessage(new Uint8Array(buf.subarray(2, 2 + buf.readUInt16BE(0))));
        const a = fullAnswer(q);
        const out = Buffer.alloc(2 + a.length);
        out.writeUInt16BE(a.length, 0);
        out.set(a, 2);
        c.end(out);
      });
      c.on('error', () => {});
    });
    const ok = await new Promise<boolean>((r) => {
      t.once('error', () => r(false));
      t.listen(port, '127.0.0.1', () => r(true));
    });
    if (!ok) {
      u.close();
      continue;
    }
    udp = u;
    tcp = t;
    server = `127.0.0.1:${port}`;
    u.on('message', (m, rinfo) => {
      udpQueries++;
      const a = fullAnswer(decodeMessage(new Uint8Array(m)));
      const cut = a.slice(0, 512 - 7); // ends inside a record; ANCOUNT still says N
      cut[2] = cut[2]! | 0x02; // TC
      u.send(cut, rinfo.port, rinfo.address);
    });
  }
});

afterAll(async () => {
  udp?.close();
  await new Promise<void>((r) => (tcp ? tcp.close(() => r()) : r()));
});

describe('truncated UDP answers cut inside a record', () => {
  it('are retried over TCP and give the full answer', async () => {
    const r = new Resolver({ servers: [server], timeoutMs: 2000, retries: 0, hostsFile: false });
    const a = await r.a('big.trunc.test');
    expect(a.length).toBe(N);
    expect(a[N - 1]!.address).toBe(`198.51.100.${N - 1}`);
    expect(r.stats.truncated).toBe(1);
    expect(r.stats.tcpQueries).toBe(1);
    expect(udpQueries).toBeGreaterThanOrEqual(1);
    expect(tcpQueries).toBe(1);
  });

  it('without TCP fallback end in a typed BADRESPONSE, not a crash', async () => {
    const r = new Resolver({
      servers: [server],
      timeoutMs: 2000,
      retries: 0,
      hostsFile: false,
      tcpOnTruncation: false,
    });
    await expect(r.a('big2.trunc.test')).rejects.toMatchObject({ name: 'DnsError', code: 'BADRESPONSE' });
  });
});

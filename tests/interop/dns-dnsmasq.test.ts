import { type ChildProcess, execFileSync } from 'node:child_process';
import { DnsError, Resolver } from '@mdh/loop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsmasq } from './helpers.js';
import { hasPeer } from './peers.js';

// Interop: our Resolver against dnsmasq (a real DNS server) run as a child on 127.0.0.1, with
// `dig` as the reference client for the same questions.
const HAVE = hasPeer('dnsmasq');
const HAVE_DIG = HAVE && hasPeer('dig');

let child: ChildProcess | undefined;
let port = 0;

const BIG = Array.from({ length: 60 }, (_, i) => `--host-record=big.example.test,198.51.100.${i + 1}`);

function dig(type: string, name: string): string[] {
  const out = execFileSync('dig', [`@127.0.0.1`, '-p', String(port), type, name, '+short', '+time=2', '+tries=1'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  return out.split('\n').filter((l) => l.trim().length > 0);
}

describe.skipIf(!HAVE)('Resolver ↔ dnsmasq', () => {
  beforeAll(async () => {
    const started = await startDnsmasq(
      [
        '--local=/example.test/',
        '--naptr-record=example.test,20,50,s,SIP+D2U,,_sip._udp.example.test',
        '--naptr-record=example.test,10,50,s,SIPS+D2T,,_sips._tcp.example.test',
        '--naptr-record=enum.example.test,100,10,u,E2U+sip,!^.*$!sip:info@example.test!,',
        '--srv-host=_sip._udp.example.test,sip1.example.test,5060,10,60',
        '--srv-host=_sip._udp.example.test,sip2.example.test,5070,20,0',
        '--srv-host=_sips._tcp.example.test,sip1.example.test,5061,0,0',
        '--host-record=sip1.example.test,192.0.2.10,2001:db8::10',
        '--host-record=sip2.example.test,192.0.2.20',
        '--cname=alias.example.test,sip1.example.test',
        ...BIG,
      ],
      'sip2.example.test',
      100,
    );
    child = started?.child;
    port = started?.port ?? 0;
    expect(child).toBeDefined();
  }, 30_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const done = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([done, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  const mk = () => new Resolver({ servers: [`127.0.0.1:${port}`], timeoutMs: 1000, retries: 1, hostsFile: false });

  it('NAPTR: sorted, fields identical to dig', async () => {
    const got = await mk().naptr('example.test');
    expect(got.map(({ ttl: _t, ...r }) => r)).toEqual([
      {
        order: 10,
        preference: 50,
        flags: 's',
        services: 'SIPS+D2T',
        regexp: '',
        replacement: '_sips._tcp.example.test',
      },
      { order: 20, preference: 50, flags: 's', services: 'SIP+D2U', regexp: '', replacement: '_sip._udp.example.test' },
    ]);
    const enumRec = await mk().naptr('enum.example.test');
    expect(enumRec[0]).toMatchObject({
      order: 100,
      preference: 10,
      flags: 'u',
      services: 'E2U+sip',
      regexp: '!^.*$!sip:info@example.test!',
      replacement: '',
    });
    if (HAVE_DIG) {
      const ref = dig('NAPTR', 'example.test').sort();
      const ours = got
        .map((r) => `${r.order} ${r.preference} "${r.flags}" "${r.services}" "${r.regexp}" ${r.replacement}.`)
        .sort();
      expect(ours).toEqual(ref);
    }
  });

  it('SRV matches dig', async () => {
    const got = await mk().srv('_sip._udp.example.test');
    expect(got.map((r) => [r.priority, r.weight, r.port, r.target])).toEqual([
      [10, 60, 5060, 'sip1.example.test'],
      [20, 0, 5070, 'sip2.example.test'],
    ]);
    if (HAVE_DIG) {
      const ref = dig('SRV', '_sip._udp.example.test').sort();
      expect(got.map((r) => `${r.priority} ${r.weight} ${r.port} ${r.target}.`).sort()).toEqual(ref);
    }
  });

  it('A / AAAA / CNAME chain / lookup', async () => {
    const r = mk();
    expect((await r.a('sip1.example.test')).map((x) => x.address)).toEqual(['192.0.2.10']);
    expect((await r.aaaa('sip1.example.test')).map((x) => x.address)).toEqual(['2001:db8::10']);
    expect((await r.a('alias.example.test')).map((x) => x.address)).toEqual(['192.0.2.10']);
    expect(await r.lookup('sip1.example.test')).toEqual([
      { address: '192.0.2.10', family: 4 },
      { address: '2001:db8::10', family: 6 },
    ]);
    if (HAVE_DIG) expect(dig('AAAA', 'sip1.example.test')).toEqual(['2001:db8::10']);
  });

  it('NXDOMAIN and NODATA are told apart', async () => {
    const r = mk();
    const nx = await r.a('nope.example.test').catch((e: unknown) => e);
    expect(nx).toBeInstanceOf(DnsError);
    expect((nx as DnsError).code).toBe('NXDOMAIN');
    await expect(r.aaaa('sip2.example.test')).rejects.toMatchObject({ code: 'NODATA' });
    await expect(r.srv('_sip._tcp.example.test')).rejects.toMatchObject({ code: 'NXDOMAIN' });
  });

  it('a truncated UDP answer (60 A records) is fetched again over TCP', async () => {
    const r = mk();
    const a = await r.a('big.example.test');
    expect(a.length).toBe(60);
    expect(new Set(a.map((x) => x.address)).size).toBe(60);
    expect(r.stats.truncated).toBe(1);
    expect(r.stats.tcpQueries).toBe(1);
    if (HAVE_DIG) expect(dig('A', 'big.example.test').length).toBe(60);
  });

  it('with EDNS(0) (1232 octets) the 60-record answer comes over UDP', async () => {
    const r = new Resolver({ servers: [`127.0.0.1:${port}`], timeoutMs: 1000, hostsFile: false, ednsUdpSize: 1232 });
    expect((await r.a('big.example.test')).length).toBe(60);
    expect(r.stats.truncated).toBe(0);
  });
});

import { type ChildProcess, spawn } from 'node:child_process';
import { Resolver } from '@mdh/loop';
import { sipResolve } from '@mdh/sip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeUdpPort } from './helpers.js';
import { hasPeer } from './peers.js';

describe.skipIf(!hasPeer('dnsmasq'))('sipResolve against dnsmasq (NAPTR → SRV → A/AAAA)', () => {
  let proc: ChildProcess | undefined;
  let resolver: Resolver;

  beforeAll(async () => {
    const port = await freeUdpPort();
    proc = spawn(
      'dnsmasq',
      [
        '-k',
        '-p',
        String(port),
        '--no-resolv',
        '--no-hosts',
        '--listen-address=127.0.0.1',
        '--bind-interfaces',
        '--conf-file=/dev/null',
        '--local-ttl=60',
        '--naptr-record=sip.test,10,20,s,SIP+D2T,,_sip._tcp.sip.test',
        '--naptr-record=sip.test,10,10,s,SIPS+D2T,,_sips._tcp.sip.test',
        '--naptr-record=sip.test,20,10,s,SIP+D2U,,_sip._udp.sip.test',
        '--naptr-record=sip.test,5,10,s,SIP+D2X,,_sip._sctp.sip.test',
        '--srv-host=_sips._tcp.sip.test,tls1.sip.test,5061,10,0',
        '--srv-host=_sip._tcp.sip.test,tcp1.sip.test,5060,10,0',
        '--srv-host=_sip._udp.sip.test,udp1.sip.test,5060,10,50',
        '--srv-host=_sip._udp.sip.test,udp2.sip.test,5062,10,50',
        '--srv-host=_sip._udp.sip.test,udp3.sip.test,5064,20,0',
        '--srv-host=_sip._tcp.srvonly.test,tcp9.srvonly.test,5090,1,0',
        '--host-record=tls1.sip.test,192.0.2.10,2001:db8::10',
        '--host-record=tcp1.sip.test,192.0.2.11',
        '--host-record=udp1.sip.test,192.0.2.12',
        '--host-record=udp2.sip.test,192.0.2.13',
        '--host-record=udp3.sip.test,192.0.2.14',
        '--host-record=tcp9.srvonly.test,192.0.2.90',
        '--host-record=aonly.test,192.0.2.99',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    resolver = new Resolver({ servers: [`127.0.0.1:${port}`], timeoutMs: 500, retries: 1 });
    // wait (bounded) until dnsmasq answers
    for (let i = 0; i < 40; i++) {
      try {
        if ((await resolver.a('aonly.test')).length > 0) break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }, 20000);

  afterAll(() => {
    proc?.kill('SIGTERM');
  });

  it('follows NAPTR order/preference, SRV priority, and returns A and AAAA', async () => {
    const r = await sipResolve('sip:sip.test', { resolver, random: () => 0 });
    expect(r.map((t) => [t.transport, t.host, t.port])).toEqual([
      ['tls', '192.0.2.10', 5061],
      ['tls', '2001:db8::10', 5061],
      ['tcp', '192.0.2.11', 5060],
      ['udp', '192.0.2.12', 5060],
      ['udp', '192.0.2.13', 5062],
      ['udp', '192.0.2.14', 5064],
    ]);
    expect(r[0]?.target).toBe('tls1.sip.test');
    for (const t of r) expect(t.ttl).toBeGreaterThan(0);
  });

  it('weighted random within a priority is driven by the random source', async () => {
    const r = await sipResolve('sip:sip.test', { resolver, transport: 'udp', random: () => 0.99 });
    expect(r.map((t) => t.host)).toEqual(['192.0.2.13', '192.0.2.12', '192.0.2.14']);
  });

  it('sips: only TLS', async () => {
    const r = await sipResolve('sips:sip.test', { resolver });
    expect(new Set(r.map((t) => t.transport))).toEqual(new Set(['tls']));
  });

  it('no NAPTR: SRV per transport; no SRV: A on 5060', async () => {
    expect(await sipResolve('sip:srvonly.test', { resolver })).toMatchObject([
      { host: '192.0.2.90', port: 5090, transport: 'tcp' },
    ]);
    expect(await sipResolve('sip:aonly.test', { resolver })).toMatchObject([
      { host: '192.0.2.99', port: 5060, transport: 'udp' },
    ]);
  });
});

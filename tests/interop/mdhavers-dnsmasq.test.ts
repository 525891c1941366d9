import type { ChildProcess } from 'node:child_process';
import { Interpreter } from '@mdh/mdhavers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsmasq } from './helpers.js';
import { hasPeer } from './peers.js';

// Interop: stdlib/sip `sip_resolve` (NAPTR → SRV → address, RFC 3263) and the dns_srv / dns_naptr
// builtins, from an mdhavers script, against dnsmasq serving real records on 127.0.0.1.
const HAVE = hasPeer('dnsmasq');
let child: ChildProcess | undefined;
let port = 0;

async function script(src: string): Promise<string> {
  let out = '';
  const it = new Interpreter({ write: (s) => (out += s), env: { MDH_DNS_SERVERS: `127.0.0.1:${port}` } });
  try {
    await it.runSource(src);
  } finally {
    await it.close();
  }
  return out;
}

describe.skipIf(!HAVE)('mdhavers sip_resolve ↔ dnsmasq', () => {
  beforeAll(async () => {
    const started = await startDnsmasq(
      [
        '--local=/mdh.test/',
        '--naptr-record=mdh.test,20,50,s,SIP+D2U,,_sip._udp.mdh.test',
        '--naptr-record=mdh.test,10,50,s,SIPS+D2T,,_sips._tcp.mdh.test',
        '--naptr-record=mdh.test,5,50,u,E2U+sip,!^.*$!sip:x@mdh.test!,',
        '--srv-host=_sip._udp.mdh.test,b.mdh.test,5070,20,0',
        '--srv-host=_sip._udp.mdh.test,a.mdh.test,5060,10,5',
        '--srv-host=_sips._tcp.mdh.test,tls.mdh.test,5061,0,0',
        '--srv-host=_sip._tcp.plain.mdh.test,tcp.mdh.test,5090,1,1',
        '--host-record=a.mdh.test,192.0.2.10',
      ],
      'a.mdh.test',
      50,
    );
    child = started?.child;
    port = started?.port ?? 0;
    if (!child) throw new Error('dnsmasq did not start');
  });

  afterAll(() => {
    child?.kill('SIGKILL');
  });

  it('dns_naptr and dns_srv return the contract dicts', async () => {
    const out = await script(`ken n = dns_naptr("mdh.test")
blether n["ok"]
blether keys(n["value"][0])
blether len(n["value"])
ken s = dns_srv("_sip._udp", "mdh.test")
blether keys(s["value"][0])
blether sort(gaun(s["value"], |r| r["target"]))
blether dns_srv("", "_sips._tcp.mdh.test")["value"][0]["port"]
blether dns_srv("_sip._udp.", ".nothing.mdh.test")["ok"]
`);
    expect(out).toBe(
      'aye\n[order, preference, flags, service, regexp, replacement]\n3\n[priority, weight, port, target]\n[a.mdh.test., b.mdh.test.]\n5061\nnae\n',
    );
  });

  it('sip_resolve follows NAPTR for the transport, then SRV in RFC 2782 order, then addresses', async () => {
    const out = await script(`fetch "stdlib/sip"
blether sip_resolve("mdh.test", "udp")
blether sip_resolve("mdh.test", "tls")
blether sip_resolve("plain.mdh.test", "tcp")
ken fallback = sip_resolve("localhost", "udp")
blether [fallback[0]["port"], fallback[0]["priority"]]
`);
    expect(out).toBe(
      '[{"target": a.mdh.test, "port": 5060, "priority": 10, "weight": 5, "transport": udp}, {"target": b.mdh.test, "port": 5070, "priority": 20, "weight": 0, "transport": udp}]\n' +
        '[{"target": tls.mdh.test, "port": 5061, "priority": 0, "weight": 0, "transport": tls}]\n' +
        '[{"target": tcp.mdh.test, "port": 5090, "priority": 1, "weight": 1, "transport": tcp}]\n' +
        '[5060, 0]\n',
    );
  });
});

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EchoCallRecord, type EchoServer, placeCall, startEcho } from '@mdh/cli';
import { afterAll, describe, expect, it } from 'vitest';
import { freeUdpPort } from './helpers.js';
import { hasPeer } from './peers.js';
import { killSipps, sipp, sippServer, uacArgs } from './sipp-helpers.js';

const dirs: string[] = [];

afterAll(() => {
  killSipps();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!hasPeer('sipp'))('sipp against mdh', () => {
  it('sipp -sn uac: 1000 calls at 200 cps over UDP, 0 failed', async () => {
    const echo: EchoServer = await startEcho({ host: '127.0.0.1', port: 0 });
    try {
      const r = await sipp(['-sn', 'uac', ...uacArgs(echo.port, 1000, 200, '60s'), '-max_recv_loops', '1000']);
      expect(r.failed, r.out.slice(-2000)).toBe(0);
      expect(r.successful).toBe(1000);
      expect(r.code).toBe(0);
      expect(echo.totals.answered).toBe(1000);
      expect(echo.ua.activeCalls).toBe(0);
    } finally {
      await echo.stop();
    }
  }, 90_000);

  it('sipp -sn uac -t t1: 1000 calls at 200 cps over TCP, 0 failed', async () => {
    const echo: EchoServer = await startEcho({ host: '127.0.0.1', port: 0, transport: 'tcp' });
    try {
      const r = await sipp([
        '-sn',
        'uac',
        '-t',
        't1',
        ...uacArgs(echo.port, 1000, 200, '60s'),
        '-max_recv_loops',
        '1000',
      ]);
      expect(r.failed, r.out.slice(-2000)).toBe(0);
      expect(r.successful).toBe(1000);
      expect(r.code).toBe(0);
      expect(echo.totals.answered).toBe(1000);
    } finally {
      await echo.stop();
    }
  }, 90_000);

  it('REGISTER with [authentication] against our registrar (digest MD5, qop=auth)', async () => {
    const echo = await startEcho({ host: '127.0.0.1', port: 0, auth: { username: 'alice', password: 'secret' } });
    const dir = mkdtempSync(join(tmpdir(), 'mdh-sipp-'));
    dirs.push(dir);
    const req = (cseq: number, auth: string) => `
      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:alice@[remote_ip]>;tag=[call_number]
      To: <sip:alice@[remote_ip]>
      Call-ID: [call_id]
      CSeq: ${cseq} REGISTER
      Contact: <sip:alice@[local_ip]:[local_port]>
      ${auth}
      Max-Forwards: 70
      Expires: 3600
      Content-Length: 0
`;
    writeFileSync(
      join(dir, 'register.xml'),
      `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="register with digest">
  <send retrans="500"><![CDATA[${req(1, '')}]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[${req(2, '[authentication username=alice password=secret]')}]]></send>
  <recv response="200"/>
</scenario>
`,
    );
    try {
      const r = await sipp(['-sf', join(dir, 'register.xml'), ...uacArgs(echo.port, 5, 5, '20s')]);
      expect(r.failed, r.out.slice(-2000)).toBe(0);
      expect(r.successful).toBe(5);
      expect(echo.totals.registrations).toBe(5);
      expect(echo.ua.registrar?.lookup('sip:alice@127.0.0.1')).toHaveLength(1);
    } finally {
      await echo.stop();
    }
  }, 40_000);

  it('late offer: sipp INVITE without SDP; the 200 carries the offer, the ACK the answer; BYE ends it', async () => {
    const calls: { ended: string }[] = [];
    const echo = await startEcho({ host: '127.0.0.1', port: 0, media: false, onCall: (c) => calls.push(c) });
    const dir = mkdtempSync(join(tmpdir(), 'mdh-sipp-'));
    dirs.push(dir);
    const head = (method: string, cseq: number, to: string) => `
      ${method} sip:echo@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:sipp@[local_ip]:[local_port]>;tag=[call_number]
      To: ${to}
      Call-ID: [call_id]
      CSeq: ${cseq} ${method}
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Max-Forwards: 70`;
    const answer = [
      'v=0',
      'o=sipp 1 1 IN IP[local_ip_type] [local_ip]',
      's=-',
      'c=IN IP[media_ip_type] [media_ip]',
      't=0 0',
      'm=audio [media_port] RTP/AVP 0',
      'a=rtpmap:0 PCMU/8000',
    ].join('\n      ');
    writeFileSync(
      join(dir, 'late.xml'),
      `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="late offer">
  <send retrans="500"><![CDATA[${head('INVITE', 1, '<sip:echo@[remote_ip]:[remote_port]>')}
      Content-Length: 0

]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rrs="true">
    <action>
      <ereg regexp="m=audio [0-9]+ RTP/AVP" search_in="body" check_it="true" assign_to="offer"/>
    </action>
  </recv>
  <send><![CDATA[${head('ACK', 1, '<sip:echo@[remote_ip]:[remote_port]>[peer_tag_param]')}
      X-Offer: [$offer]
      Content-Type: application/sdp
      Content-Length: [len]

      ${answer}
]]></send>
  <pause milliseconds="200"/>
  <send retrans="500"><![CDATA[${head('BYE', 2, '<sip:echo@[remote_ip]:[remote_port]>[peer_tag_param]')}
      Content-Length: 0

]]></send>
  <recv response="200" crlf="true"/>
</scenario>
`,
    );
    try {
      const r = await sipp(['-sf', join(dir, 'late.xml'), ...uacArgs(echo.port, 5, 5, '20s')]);
      expect(r.failed, r.out.slice(-3000)).toBe(0);
      expect(r.successful).toBe(5);
      expect(echo.totals.answered).toBe(5);
      expect(echo.totals.rejected).toBe(0);
      await new Promise((res) => setTimeout(res, 100));
      expect(calls.map((c) => c.ended)).toEqual(Array(5).fill('remote-bye'));
    } finally {
      await echo.stop();
    }
  }, 40_000);

  it('sipp plays its RFC 2833/4733 DTMF pcaps in a call to mdh echo, which reports exactly those digits', async () => {
    const pcaps = [1, 2, 3, 4, 5].map((d) => `/usr/share/sip-tester/dtmf_2833_${d}.pcap`);
    if (!pcaps.every((f) => existsSync(f))) throw new Error("sipp's DTMF pcaps (package sip-tester) are missing");
    const digits: string[] = [];
    const calls: EchoCallRecord[] = [];
    const echo = await startEcho({
      host: '127.0.0.1',
      port: 0,
      srtp: 'none',
      onDigit: (d) => digits.push(d.digit),
      onCall: (c) => calls.push(c),
    });
    const dir = mkdtempSync(join(tmpdir(), 'mdh-sipp-'));
    dirs.push(dir);
    const head = (method: string, cseq: number, to: string) => `
      ${method} sip:echo@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:sipp@[local_ip]:[local_port]>;tag=[call_number]
      To: ${to}
      Call-ID: [call_id]
      CSeq: ${cseq} ${method}
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Max-Forwards: 70`;
    const offer = [
      'v=0',
      'o=sipp 1 1 IN IP[local_ip_type] [local_ip]',
      's=-',
      'c=IN IP[media_ip_type] [media_ip]',
      't=0 0',
      'm=audio [media_port] RTP/AVP 0 101',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-15',
    ].join('\n      ');
    const play = pcaps
      .map((f) => `  <nop><action><exec play_pcap_audio="${f}"/></action></nop>\n  <pause milliseconds="400"/>`)
      .join('\n');
    writeFileSync(
      join(dir, 'dtmf.xml'),
      `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="dtmf">
  <send retrans="500"><![CDATA[${head('INVITE', 1, '<sip:echo@[remote_ip]:[remote_port]>')}
      Content-Type: application/sdp
      Content-Length: [len]

      ${offer}
]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rrs="true"/>
  <send><![CDATA[${head('ACK', 1, '<sip:echo@[remote_ip]:[remote_port]>[peer_tag_param]')}
      Content-Length: 0

]]></send>
${play}
  <pause milliseconds="1200"/>
  <send retrans="500"><![CDATA[${head('BYE', 2, '<sip:echo@[remote_ip]:[remote_port]>[peer_tag_param]')}
      Content-Length: 0

]]></send>
  <recv response="200" crlf="true"/>
</scenario>
`,
    );
    try {
      const mp = await freeUdpPort();
      const r = await sipp([
        '-sf',
        join(dir, 'dtmf.xml'),
        ...uacArgs(echo.port, 1, 1, '30s'),
        '-mi',
        '127.0.0.1',
        '-mp',
        String(mp),
      ]);
      expect(r.failed, r.out.slice(-3000)).toBe(0);
      expect(r.successful).toBe(1);
      await new Promise((res) => setTimeout(res, 200));
      // dtmf_2833_N.pcap carries the digit N (Wireshark's dissector agrees: see dtmf-sipp-pcap.test.ts).
      expect(digits.join('')).toBe('12345');
      expect(calls).toHaveLength(1);
      expect(calls[0]!.media!.dropped).toBe(0);
    } finally {
      await echo.stop();
    }
  }, 60_000);

  it('mdh call against sipp -sn uas (with -rtp_echo): the call succeeds and the tone comes back', async () => {
    const port = await freeUdpPort();
    const mp = await freeUdpPort();
    sippServer([
      '-sn',
      'uas',
      '-i',
      '127.0.0.1',
      '-p',
      String(port),
      '-mp',
      String(mp),
      '-rtp_echo',
      '-m',
      '1',
      '-timeout',
      '30s',
    ]);
    await new Promise((r) => setTimeout(r, 500));
    const report = await placeCall({ target: `sip:service@127.0.0.1:${port}`, durationS: 1.5 });
    expect(report.ok, JSON.stringify(report)).toBe(true);
    expect(report.status).toBe(200);
    expect(report.byeStatus).toBe(200);
    expect(report.media?.packetsSent).toBeGreaterThan(60);
    expect(report.media?.packetsReceived).toBeGreaterThan(60);
    expect(Math.abs((report.media?.receivedToneHz ?? 0) - 440)).toBeLessThan(3);
  }, 40_000);
});

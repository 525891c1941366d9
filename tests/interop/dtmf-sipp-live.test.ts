/**
 * Interop, live: sipp places a call and plays its RFC 2833/4733 DTMF captures with `play_pcap_audio` (real
 * time, real UDP on loopback) to a minimal in-test UAS whose RTP socket feeds a DtmfReceiver. The digits
 * reported must be those Wireshark's dissector (`tshark -Y rtpevent`) reads from the same files, in play order
 * — including a file played twice, whose RTP timestamps repeat.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DtmfReceiver } from '@mdh/media';
import { RtpPacket } from '@mdh/rtp';
import { afterAll, describe, expect, it } from 'vitest';
import { hasPeer } from './peers.js';

const DIR = '/usr/share/sip-tester';
const CODES = '0123456789*#ABCD';
const PLAY = ['dtmf_2833_1.pcap', 'dtmf_2833_pound.pcap', 'dtmf_2833_0.pcap', 'dtmf_2833_1.pcap'];
const havePcaps = PLAY.every((f) => existsSync(join(DIR, f)));
if (!havePcaps) console.warn(`\n*** sipp's DTMF pcaps (${DIR}) are missing: the live sipp DTMF test is SKIPPED ***\n`);

const children: ChildProcess[] = [];
const sockets: Socket[] = [];
const dir = mkdtempSync(join(tmpdir(), 'mdh-dtmf-live-'));
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const s of sockets) s.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The digits tshark dissects in a capture, one per (SSRC, timestamp). */
function tsharkDigits(file: string): string {
  const r = spawnSync(
    'tshark',
    [
      '-r',
      file,
      '-o',
      'rtp.heuristic_rtp:TRUE',
      '-Y',
      'rtpevent',
      '-T',
      'fields',
      '-E',
      'separator=,',
      '-e',
      'rtp.ssrc',
      '-e',
      'rtp.timestamp',
      '-e',
      'rtpevent.event_id',
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  const seen = new Map<string, string>();
  for (const line of r.stdout.split('\n').filter((l) => l.trim())) {
    const [ssrc, ts, id] = line.split(',');
    if (!seen.has(`${ssrc}/${ts}`)) seen.set(`${ssrc}/${ts}`, CODES[Number(id)] ?? '!');
  }
  return [...seen.values()].join('');
}

async function bind(): Promise<Socket> {
  const s = createSocket('udp4');
  sockets.push(s);
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
}

/** A header's value from a SIP request (first occurrence, case-insensitive, compact forms ignored). */
function header(msg: string, name: string): string {
  const m = new RegExp(`^${name}\\s*:\\s*(.*)$`, 'im').exec(msg);
  return m ? m[1]!.trim() : '';
}

describe.skipIf(!hasPeer('sipp') || !hasPeer('tshark') || !havePcaps)(
  'RFC 4733 receiver, live from sipp play_pcap_audio',
  () => {
    it('reports exactly the digits sipp plays, in order', async () => {
      const sip = await bind();
      const rtp = await bind();
      const rtpPort = rtp.address().port;
      const rx = new DtmfReceiver();
      const digits: string[] = [];
      const t0 = Date.now();
      let rtpPackets = 0;
      rtp.on('message', (m) => {
        const now = Date.now() - t0;
        const p = RtpPacket.tryParse(new Uint8Array(m));
        if (p instanceof Error || p.payloadType !== 101) return;
        rtpPackets++;
        rx.handleTimeout(now);
        rx.handlePayload(p.payload, p.timestamp, p.marker, now);
        for (let e = rx.poll(); e; e = rx.poll()) digits.push(e.digit!);
      });
      // the smallest UAS that sipp's scenario needs: 200 OK with an SDP answer to INVITE, 200 OK to BYE
      sip.on('message', (m, from) => {
        const req = m.toString('latin1');
        const method = req.slice(0, req.indexOf(' '));
        if (method !== 'INVITE' && method !== 'BYE') return;
        const sdp =
          method === 'INVITE'
            ? `v=0\r\no=mdh 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${rtpPort} RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n`
            : '';
        const to = header(req, 'To');
        const lines = [
          'SIP/2.0 200 OK',
          ...req.split('\r\n').filter((l) => /^Via\s*:/i.test(l)),
          `From: ${header(req, 'From')}`,
          `To: ${/;tag=/.test(to) ? to : `${to};tag=mdh1`}`,
          `Call-ID: ${header(req, 'Call-ID')}`,
          `CSeq: ${header(req, 'CSeq')}`,
          `Contact: <sip:mdh@127.0.0.1:${sip.address().port}>`,
          ...(sdp ? ['Content-Type: application/sdp'] : []),
          `Content-Length: ${sdp.length}`,
          '',
          sdp,
        ];
        sip.send(Buffer.from(lines.join('\r\n'), 'latin1'), from.port, from.address);
      });

      const plays = PLAY.map(
        (f) =>
          `  <nop><action><exec play_pcap_audio="${join(DIR, f)}"/></action></nop>\n  <pause milliseconds="1500"/>`,
      ).join('\n');
      const req = (method: string, cseq: number, body: string) => `
      ${method} sip:mdh@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag[call_number]
      To: <sip:mdh@[remote_ip]:[remote_port]>${method === 'INVITE' ? '' : '[peer_tag_param]'}
      Call-ID: [call_id]
      CSeq: ${cseq} ${method}
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      ${body ? 'Content-Type: application/sdp\n      ' : ''}Content-Length: [len]

${body}`;
      const offer = `v=0
o=sipp 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 8 101
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
`;
      const scenario = join(dir, 'dtmf.xml');
      writeFileSync(
        scenario,
        `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="play RFC 2833 pcaps">
  <send retrans="500"><![CDATA[${req('INVITE', 1, offer)}]]></send>
  <recv response="200" rtd="true"/>
  <send><![CDATA[${req('ACK', 1, '')}]]></send>
${plays}
  <send retrans="500"><![CDATA[${req('BYE', 2, '')}]]></send>
  <recv response="200"/>
</scenario>
`,
      );
      const proc = spawn(
        'sipp',
        [
          `127.0.0.1:${sip.address().port}`,
          '-sf',
          scenario,
          '-m',
          '1',
          '-i',
          '127.0.0.1',
          '-mi',
          '127.0.0.1',
          '-p',
          '0',
          '-timeout',
          '40s',
          '-timeout_error',
          '-nostdin',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      children.push(proc);
      let out = '';
      proc.stdout?.on('data', (d) => {
        out = (out + d).slice(-20_000);
      });
      proc.stderr?.on('data', (d) => {
        out = (out + d).slice(-20_000);
      });
      const code = await new Promise<number | null>((resolve) => {
        const kill = setTimeout(() => proc.kill('SIGKILL'), 50_000);
        proc.on('exit', (c) => {
          clearTimeout(kill);
          resolve(c);
        });
      });
      expect(code, out).toBe(0);
      // an event whose end packets were lost would still end by timeout
      rx.handleTimeout(Date.now() - t0 + 10_000);
      for (let e = rx.poll(); e; e = rx.poll()) digits.push(e.digit!);
      const expected = PLAY.map((f) => tsharkDigits(join(DIR, f))).join('');
      expect(expected.length).toBe(PLAY.length);
      expect(rtpPackets).toBeGreaterThan(PLAY.length * 5);
      expect(digits.join('')).toBe(expected);
    }, 60_000);
  },
);

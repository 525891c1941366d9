/**
 * Hold pauses our RTP, against sipp (RFC 3264 §8.4): sipp calls an echoing user agent (public API, UA-owned media),
 * streams a PCMA capture at it with `play_pcap_audio`, and in the middle of the stream puts the call on hold by a
 * re-INVITE with `a=sendonly` (answered `a=recvonly`), then resumes with `a=sendrecv`. The echo sends back what it
 * receives before the hold, nothing while held (it still receives, RTCP goes on), and again after the resume.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MediaChannel } from '@mdh/media';
import { type Call, listenTransport, sdpDirection, UserAgent } from '@mdh/sip';
import { afterAll, describe, expect, it } from 'vitest';
import { hasPeer } from './peers.js';
import { killSipps, sipp, uacArgs } from './sipp-helpers.js';

const PCAP = '/usr/share/sip-tester/g711a.pcap'; // 236 PCMA packets over 7 s (package sip-tester)
const dir = mkdtempSync(join(tmpdir(), 'mdh-hold-rtp-'));
afterAll(() => {
  killSipps();
  rmSync(dir, { recursive: true, force: true });
});

const req = (method: string, cseq: number, body: string) => {
  const initial = method === 'INVITE' && cseq === 1;
  return `
      ${method} ${initial ? 'sip:echo@[remote_ip]:[remote_port]' : '[next_url]'} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag[call_number]
      ${initial ? 'To: <sip:echo@[remote_ip]:[remote_port]>' : '[last_To:]'}
      Call-ID: [call_id]
      CSeq: ${cseq} ${method}
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Max-Forwards: 70
      ${body ? 'Content-Type: application/sdp\n      ' : ''}Content-Length: [len]

${body}`;
};
const sdp = (version: number, dir: string) => `v=0
o=sipp 1 ${version} IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 8
a=rtpmap:8 PCMA/8000
a=${dir}
`;
const offerAnswer = (cseq: number, version: number, dir: string, expect: string) => `
  <send retrans="500"><![CDATA[${req('INVITE', cseq, sdp(version, dir))}]]></send>
  <recv response="100" optional="true"/>
  <recv response="200" rrs="true">
    <action><ereg regexp="a=${expect}" search_in="body" check_it="true" assign_to="d${cseq}"/></action>
  </recv>
  <send><![CDATA[${req('ACK', cseq, '')}]]></send>`;

describe.skipIf(!hasPeer('sipp'))('hold pauses our RTP (sipp play_pcap_audio)', () => {
  it('echoes before the hold, nothing while held (still receiving), again after the resume', async () => {
    const ua = new UserAgent({
      transports: [await listenTransport('udp', { host: '127.0.0.1', port: 0 })],
      user: 'echo',
      media: { session: { decodeAudio: false } },
      sessionTimers: false,
    });
    ua.stack.onError = () => {};
    let media: MediaChannel | undefined;
    let call: Call | undefined;
    // [direction, packets received, packets sent] each time an offer of sipp's was answered
    const marks: [string, number, number][] = [];
    ua.on('invite', async (inv) => {
      call = await inv.answer({
        onMedia: (m) => {
          media = m;
          m.on('rtp', (e) => m.echoRtp(e.bytes));
        },
      });
      call.on('updated', () => {
        const s = media!.stats();
        marks.push([sdpDirection(call!.localSdp ?? ''), s.received.packets, s.sent.packets]);
      });
    });
    const scenario = join(dir, 'hold-rtp.xml');
    writeFileSync(
      scenario,
      `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="hold during a stream">
${offerAnswer(1, 1, 'sendrecv', 'sendrecv')}
  <nop><action><exec play_pcap_audio="${PCAP}"/></action></nop>
  <pause milliseconds="2000"/>
${offerAnswer(2, 2, 'sendonly', 'recvonly')}
  <pause milliseconds="2500"/>
${offerAnswer(3, 3, 'sendrecv', 'sendrecv')}
  <pause milliseconds="2000"/>
  <send retrans="500"><![CDATA[${req('BYE', 4, '')}]]></send>
  <recv response="200"/>
  <Reference variables="d1,d2,d3"/>
</scenario>
`,
    );
    try {
      const r = await sipp(['-sf', scenario, ...uacArgs(ua.stack.transports[0]!.localPort, 1, 1, '40s')]);
      expect(r.code, r.out.slice(-6000)).toBe(0);
      expect(marks.map((m) => m[0])).toEqual(['recvonly', 'sendrecv']);
      const [[, recvAtHold, sentAtHold], [, recvAtResume, sentAtResume]] = marks as [
        [string, number, number],
        [string, number, number],
      ];
      const end = media!.stats();
      // before the hold: everything received was echoed (about 2 s of 30 ms packets)
      expect(recvAtHold).toBeGreaterThan(40);
      expect(sentAtHold).toBeGreaterThanOrEqual(recvAtHold - 2);
      // while held: the stream kept coming, nothing went back
      expect(recvAtResume - recvAtHold).toBeGreaterThan(50);
      expect(sentAtResume - sentAtHold).toBeLessThanOrEqual(2); // packets in flight as the 200 went out
      // resumed: echoing again
      expect(end.sent.packets - sentAtResume).toBeGreaterThan(40);
      expect(end.dropped.malformed).toBe(0);
      expect(call!.state).toBe('ended');
      expect(call!.endReason).toBe('remote-bye');
    } finally {
      await ua.close();
    }
  }, 60_000);
});

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killMdh, mdh, mdhEcho, stopMdh, tshark } from './cli-process.js';
import { readPcapUdp } from './pcap.js';
import { hasPeer } from './peers.js';

// Issue #17 item 6: `mdh call --pcap` and `mdh echo --pcap` write every SIP message and media packet; tshark
// decodes the dialog and the RTP stream with the right ports, and the capture holds every packet (counted).

const dir = mkdtempSync(join(tmpdir(), 'mdh-pcap-'));
afterAll(() => {
  killMdh();
  rmSync(dir, { recursive: true, force: true });
});

interface Report {
  ok: boolean;
  media: { packetsSent: number; packetsReceived: number; rtcpSent: number; rtcpReceived: number };
}

/** One line per frame: the fields asked for, tab-separated. */
function fields(file: string, filter: string, names: string[]): string[][] {
  const out = tshark(['-r', file, '-Y', filter, '-T', 'fields', ...names.flatMap((n) => ['-e', n])]);
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.split('\t'));
}

describe.skipIf(!hasPeer('tshark'))('--pcap read by tshark', () => {
  it('a plain call: the SIP dialog, the RTP stream in both directions, every packet counted', async () => {
    const echoPcap = join(dir, 'echo.pcap');
    const callPcap = join(dir, 'call.pcap');
    const echo = await mdhEcho(['--json', '--pcap', echoPcap]);
    const call = mdh(['call', `sip:echo@127.0.0.1:${echo.port}`, '--duration', '1', '--json', '--pcap', callPcap]);
    expect(await call.exited).toBe(0);
    const report = JSON.parse(call.out()) as Report;
    expect(report.ok).toBe(true);
    // the echo reports the call once it ended (BYE); then stop it, which closes its capture
    const t0 = Date.now();
    while (!/"n":1/.test(echo.out()) && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 50));
    expect(await stopMdh(echo)).toBe(0);
    const echoRecord = JSON.parse(
      echo
        .out()
        .split('\n')
        .find((l) => l.includes('"n":1'))!,
    ) as Report;

    for (const [file, rep, sipSrc] of [
      [callPcap, report, 'caller'],
      [echoPcap, echoRecord, 'echo'],
    ] as const) {
      // SIP: the INVITE dialog, on the echo's SIP port
      const sip = fields(file, 'sip', [
        'sip.Method',
        'sip.Status-Code',
        'sip.CSeq.method',
        'udp.srcport',
        'udp.dstport',
      ]);
      const seen = sip.map(([m, st, cm]) => (m ? m : `${st} ${cm}`));
      for (const want of ['INVITE', '200 INVITE', 'ACK', 'BYE', '200 BYE'])
        expect(seen, `${sipSrc}: ${want}`).toContain(want);
      for (const [, , , sp, dp] of sip) expect([sp, dp]).toContain(String(echo.port));
      // the media ports the SDP offer and answer name
      const sdpPorts = fields(file, 'sdp', ['sdp.media.port']).map(([p]) => p);
      expect(sdpPorts.length).toBeGreaterThanOrEqual(2);
      // RTP both ways between those ports: as many as the report says were sent and received
      const rtp = fields(file, 'rtp', ['rtp.ssrc', 'udp.srcport', 'udp.dstport']);
      expect(rtp.length, sipSrc).toBe(rep.media.packetsSent + rep.media.packetsReceived);
      expect(rep.media.packetsSent).toBeGreaterThan(20);
      for (const [, sp, dp] of rtp) {
        expect(sdpPorts).toContain(sp);
        expect(sdpPorts).toContain(dp);
      }
      // RTCP: the compounds the report counted, plus at most the BYE compounds (RFC 3550 §6.3.7) sent or received
      // as the media closed, which the report (taken as the call ends) may not count
      const rtcp = fields(file, 'rtcp', ['rtcp.pt']);
      const bye = rtcp.filter(([pts]) => (pts ?? '').split(',').includes('203')).length;
      const counted = rep.media.rtcpSent + rep.media.rtcpReceived;
      expect(bye).toBeLessThanOrEqual(2);
      expect(rtcp.length, sipSrc).toBeGreaterThanOrEqual(counted);
      expect(rtcp.length, sipSrc).toBeLessThanOrEqual(counted + bye);
      // nothing else in the file, and every record is a well-formed IP/UDP packet (our own reader agrees)
      const all = tshark(['-r', file])
        .split('\n')
        .filter((l) => l.trim() !== '').length;
      expect(all).toBe(sip.length + rtp.length + rtcp.length);
      const bad = tshark([
        '-r',
        file,
        '-o',
        'udp.check_checksum:TRUE',
        '-o',
        'ip.check_checksum:TRUE',
        '-Y',
        'udp.checksum.status == 0 || ip.checksum.status == 0',
      ]);
      expect(bad.trim(), 'synthesized IP/UDP checksums').toBe('');
      expect(readPcapUdp(new Uint8Array(readFileSync(file))).length).toBe(all);
    }
  }, 90_000);

  it('SDES-SRTP: tshark shows the media as SRTP (RTP header, encrypted payload), every packet counted', async () => {
    const callPcap = join(dir, 'sdes.pcap');
    const echo = await mdhEcho([]);
    const call = mdh([
      'call',
      `sip:echo@127.0.0.1:${echo.port}`,
      '--srtp',
      'sdes',
      '--duration',
      '1',
      '--json',
      '--pcap',
      callPcap,
    ]);
    expect(await call.exited).toBe(0);
    const report = JSON.parse(call.out()) as Report;
    expect(await stopMdh(echo)).toBe(0);
    const srtp = fields(callPcap, 'rtp', ['_ws.col.Protocol', 'rtp.p_type', 'rtp.ssrc']);
    expect(srtp.length).toBe(report.media.packetsSent + report.media.packetsReceived);
    expect(report.media.packetsSent).toBeGreaterThan(20);
    for (const [proto, pt] of srtp) {
      expect(proto).toBe('SRTP');
      expect(pt).toBe('0');
    }
  }, 90_000);
});

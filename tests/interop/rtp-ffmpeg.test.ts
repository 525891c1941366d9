/**
 * Interop: ffmpeg sends a 3 s PCMU tone as RTP to an RtpSession (RFC 3550), with its RTCP Sender Reports to the
 * RTCP port (RTP + 1). The session must see ~150 packets, no loss, continuous sequence numbers and timestamps
 * (step 160), small jitter, and parse ffmpeg's SRs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createLoop, createUdpSocket, type Loop } from '@mdh/loop';
import {
  ntpMiddle32,
  type ReceiverStats,
  type RtcpPacket,
  type RtpPacket,
  RtpSession,
  type SenderReport,
} from '@mdh/rtp';
import { afterAll, describe, expect, it } from 'vitest';
import { hasPeer } from './peers.js';

/** A local even port whose successor is free too (for ffmpeg's localrtpport / localrtcpport). */
async function freeEvenPort(): Promise<number> {
  for (let i = 0; i < 32; i++) {
    const a = await createUdpSocket({ address: '127.0.0.1', port: 0 });
    const p = a.port;
    if (p % 2 === 0 && p < 65534) {
      try {
        const b = await createUdpSocket({ address: '127.0.0.1', port: p + 1 });
        await b.close();
        await a.close();
        return p;
      } catch {
        // taken, try again
      }
    }
    await a.close();
  }
  throw new Error('no free even/odd port pair');
}

const children: ChildProcess[] = [];
let loop: Loop | undefined;
let session: RtpSession | undefined;

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await session?.close();
  loop?.stop();
});

describe.skipIf(!hasPeer('ffmpeg'))('RTP interop with ffmpeg (PCMU tone)', () => {
  it('receives ~150 continuous packets with no loss and parses ffmpeg RTCP SRs', async () => {
    loop = createLoop();
    const s = await RtpSession.open({ loop, clockRate: 8000 });
    session = s;
    const lport = await freeEvenPort();
    const packets: { seq: number; ts: number; ssrc: number; pt: number; len: number }[] = [];
    const srs: SenderReport[] = [];
    const rtcpKinds: string[] = [];
    let stats: ReceiverStats | undefined;
    let byeFrom: number | undefined;
    let resolveBye: () => void = () => {};
    const bye = new Promise<void>((r) => {
      resolveBye = r;
    });
    s.onRtp((p: RtpPacket) => {
      packets.push({ seq: p.sequenceNumber, ts: p.timestamp, ssrc: p.ssrc, pt: p.payloadType, len: p.payloadLength });
      stats ??= s.sources.get(p.ssrc);
    });
    s.onRtcp((pk: RtcpPacket[]) => {
      for (const p of pk) {
        rtcpKinds.push(p.kind);
        if (p.kind === 'sr') srs.push(p);
      }
    });
    s.onBye((ssrc) => {
      byeFrom = ssrc;
      resolveBye();
    });

    const args = [
      '-nostdin',
      '-loglevel',
      'error',
      '-re',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=8000:duration=3:samples_per_frame=160',
      '-c:a',
      'pcm_mulaw',
      '-f',
      'rtp',
      '-payload_type',
      '0',
      `rtp://127.0.0.1:${s.rtpPort}?localrtpport=${lport}`,
    ];
    const ff = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(ff);
    let stderr = '';
    ff.stderr!.on('data', (d) => {
      stderr += String(d);
    });
    ff.stdout!.resume();
    const code = await new Promise<number | null>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`ffmpeg did not finish in 20 s: ${stderr}`)), 20_000);
      ff.on('exit', (c) => {
        clearTimeout(t);
        resolve(c);
      });
    });
    expect(code, stderr).toBe(0);
    // Some ffmpeg versions send a final SR + BYE from the trailer; give it a moment (bounded).
    await Promise.race([bye, new Promise((r) => setTimeout(r, 1000))]);

    // ~150 packets: 3 s of 20 ms frames. The first is the A.1 probation packet, not delivered to onRtp.
    expect(s.counters.rtpReceived).toBeGreaterThanOrEqual(148);
    expect(s.counters.rtpReceived).toBeLessThanOrEqual(152);
    expect(packets.length).toBe(s.counters.rtpReceived - 1);
    expect(s.counters.malformedRtp).toBe(0);
    const ssrc = packets[0]!.ssrc;
    for (let i = 1; i < packets.length; i++) {
      const a = packets[i - 1]!;
      const b = packets[i]!;
      expect(b.ssrc).toBe(ssrc);
      expect(b.pt).toBe(0);
      expect(b.len).toBe(160);
      expect(b.seq).toBe((a.seq + 1) & 0xffff);
      expect(b.ts).toBe((a.ts + 160) >>> 0);
    }
    expect(stats).toBeDefined();
    expect(stats!.cumulativeLost).toBe(0);
    expect(stats!.expected).toBe(stats!.received);
    // -re paces in real time on a shared machine: allow up to 50 ms of jitter (400 units at 8 kHz).
    expect(stats!.jitter).toBeLessThan(400);

    // ffmpeg's RTCP: at least one SR for the same SSRC, NTP time near now, counts consistent with what we saw.
    expect(s.counters.malformedRtcp).toBe(0);
    expect(srs.length).toBeGreaterThanOrEqual(1);
    const last = srs[srs.length - 1]!;
    expect(last.ssrc).toBe(ssrc);
    const ntpNowS = Date.now() / 1000 + 2208988800;
    expect(Math.abs(last.ntpSeconds - ntpNowS)).toBeLessThan(60);
    expect(last.packetCount).toBeLessThanOrEqual(152);
    expect(last.octetCount).toBe(last.packetCount * 160);
    expect(rtcpKinds[0]).toBe('sr');
    // ffmpeg 5.x sends its first SR before any media; its NTP time becomes our LSR for the RR (§6.4.1).
    const block = stats!.reportBlock(loop.now());
    expect(block.lsr).toBe(ntpMiddle32(last.ntpSeconds, last.ntpFraction));
    expect(block.highestSeq & 0xffff).toBe(packets[packets.length - 1]!.seq);
    // If ffmpeg said BYE at the end (some versions do), it was for its own SSRC.
    if (byeFrom !== undefined) expect(byeFrom).toBe(ssrc);
  });
});

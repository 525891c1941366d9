/**
 * Interop: ffmpeg sends a 3 s PCMU tone as RTP to a MediaSession (@mdh/media's `openMediaSession`, RFC 3550), with
 * its RTCP Sender Reports to the RTCP port (RTP + 1). The session must see ~150 packets, no loss, continuous
 * sequence numbers and timestamps (step 160), small jitter, and parse ffmpeg's SRs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLoop, createUdpSocket, type Loop } from '@mdh/loop';
import { type MediaChannel, openMediaSession } from '@mdh/media';
import type { RtcpPacket, RtpPacket, SenderReport } from '@mdh/rtp';
import { formatSdesCrypto, generateSdesCrypto } from '@mdh/srtp';
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
const loops: Loop[] = [];
const sessions: MediaChannel[] = [];
const tmpDirs: string[] = [];

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const s of sessions) await s.close();
  for (const l of loops) l.stop();
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

/** The ffmpeg options for a 440 Hz PCMU tone of `seconds` as RTP (payload type 0, 20 ms frames, real time). */
function toneArgs(seconds: number): string[] {
  return [
    '-nostdin',
    '-loglevel',
    'error',
    '-re',
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:sample_rate=8000:duration=${seconds}:samples_per_frame=160`,
    '-c:a',
    'pcm_mulaw',
    '-f',
    'rtp',
    '-payload_type',
    '0',
  ];
}

/** Runs ffmpeg (killed in afterAll if still running); resolves with its exit code and stderr, rejects after 20 s. */
function ffmpeg(args: string[], onStdout?: (d: Buffer) => void): Promise<{ code: number | null; stderr: string }> {
  const ff = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(ff);
  let stderr = '';
  ff.stderr!.on('data', (d) => {
    stderr += String(d);
  });
  if (onStdout) ff.stdout!.on('data', onStdout);
  else ff.stdout!.resume();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`ffmpeg did not finish in 20 s: ${stderr}`)), 20_000);
    ff.on('exit', (c) => {
      clearTimeout(t);
      resolve({ code: c, stderr });
    });
  });
}

/** G.711 μ-law expansion (ITU-T G.711, the table every decoder uses). */
function ulawToLinear(u: number): number {
  const v = ~u & 0xff;
  const t = (((v & 0x0f) << 3) + 0x84) << ((v & 0x70) >> 4);
  return v & 0x80 ? 0x84 - t : t - 0x84;
}

describe.skipIf(!hasPeer('ffmpeg'))('RTP interop with ffmpeg (PCMU tone)', () => {
  it('receives ~150 continuous packets with no loss and parses ffmpeg RTCP SRs', async () => {
    const loop = createLoop();
    loops.push(loop);
    const s = await openMediaSession({ loop, rtcpMux: false, decodeAudio: false });
    sessions.push(s);
    const lport = await freeEvenPort();
    const packets: { seq: number; ts: number; ssrc: number; pt: number; len: number }[] = [];
    const srs: SenderReport[] = [];
    const rtcpKinds: string[] = [];
    let byeFrom: number | undefined;
    let resolveBye: () => void = () => {};
    const bye = new Promise<void>((r) => {
      resolveBye = r;
    });
    s.on('rtp', ({ packet: p }: { packet: RtpPacket }) => {
      packets.push({ seq: p.sequenceNumber, ts: p.timestamp, ssrc: p.ssrc, pt: p.payloadType, len: p.payloadLength });
    });
    s.on('rtcp', (e: { packets: readonly RtcpPacket[] }) => {
      for (const p of e.packets) {
        rtcpKinds.push(p.kind);
        if (p.kind === 'sr') srs.push(p);
      }
    });
    s.on('bye', (e) => {
      byeFrom = e.ssrc;
      resolveBye();
    });

    const { code, stderr } = await ffmpeg([...toneArgs(3), `rtp://127.0.0.1:${s.local.port}?localrtpport=${lport}`]);
    expect(code, stderr).toBe(0);
    // Some ffmpeg versions send a final SR + BYE from the trailer; give it a moment (bounded).
    await Promise.race([bye, new Promise((r) => setTimeout(r, 1000))]);

    // ~150 packets: 3 s of 20 ms frames, each delivered as an `rtp` event.
    const st = s.stats();
    expect(st.received.packets).toBeGreaterThanOrEqual(148);
    expect(st.received.packets).toBeLessThanOrEqual(152);
    expect(packets.length).toBe(st.received.packets);
    expect(st.dropped.malformed).toBe(0);
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
    expect(st.received.ssrc).toBe(packets[0]!.ssrc);
    expect(st.received.lost).toBe(0);
    expect(st.received.expected).toBe(st.received.packets);
    // -re paces in real time on a shared machine: allow up to 50 ms of jitter.
    expect(st.received.jitterMs).toBeLessThan(50);

    // ffmpeg's RTCP: at least one SR for the same SSRC, NTP time near now, counts consistent with what we saw.
    expect(st.dropped.rtcp).toBe(0);
    expect(srs.length).toBeGreaterThanOrEqual(1);
    const last = srs[srs.length - 1]!;
    expect(last.ssrc).toBe(ssrc);
    const ntpNowS = Date.now() / 1000 + 2208988800;
    expect(Math.abs(last.ntpSeconds - ntpNowS)).toBeLessThan(60);
    expect(last.packetCount).toBeLessThanOrEqual(152);
    expect(last.octetCount).toBe(last.packetCount * 160);
    expect(rtcpKinds[0]).toBe('sr');
    // the session keeps the far end's sender counts from its last SR (§6.4.1)
    expect(st.remoteSender?.ssrc).toBe(ssrc);
    expect(st.remoteSender?.packetCount).toBe(last.packetCount);
    // If ffmpeg said BYE at the end (some versions do), it was for its own SSRC.
    if (byeFrom !== undefined) expect(byeFrom).toBe(ssrc);
  });

  it('ffmpeg decodes the PCMU stream a MediaSession sends (in order, no loss, exact samples)', async () => {
    const loop = createLoop();
    loops.push(loop);
    const port = await freeEvenPort();
    const s = await openMediaSession({ loop, rtcpMux: false, remote: { address: '127.0.0.1', port } });
    sessions.push(s);
    const dir = mkdtempSync(join(tmpdir(), 'mdh-rtp-'));
    tmpDirs.push(dir);
    const sdp = join(dir, 'in.sdp');
    writeFileSync(
      sdp,
      [
        'v=0',
        'o=- 0 0 IN IP4 127.0.0.1',
        's=mdh',
        'c=IN IP4 127.0.0.1',
        't=0 0',
        `m=audio ${port} RTP/AVP 0`,
        'a=rtpmap:0 PCMU/8000',
        '',
      ].join('\r\n'),
    );
    // 2 s of output = 100 packets of 160 samples; ffmpeg exits when it has them.
    const chunks: Buffer[] = [];
    const exited = ffmpeg(
      [
        '-nostdin',
        '-loglevel',
        'error',
        '-protocol_whitelist',
        'file,udp,rtp',
        '-i',
        sdp,
        '-t',
        '2',
        '-f',
        's16le',
        '-',
      ],
      (d) => chunks.push(d),
    );
    // Packet i carries 160 copies of the μ-law octet (i mod 256), so the decoded audio says which packet it was.
    let i = 0;
    const timer = loop.every(20, () => {
      if (i >= 600) return;
      s.sendRtp(new Uint8Array(160).fill(i & 0xff), { payloadType: 0, timestamp: (i * 160) >>> 0, marker: i === 0 });
      i++;
    });
    const { code, stderr } = await exited;
    loop.cancel(timer);
    expect(code, stderr).toBe(0);
    const pcm = Buffer.concat(chunks);
    expect(pcm.length).toBe(2 * 8000 * 2);
    const samples = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length / 2);
    const byLinear = new Map<number, number>();
    for (let u = 0; u < 256; u++) if (!byLinear.has(ulawToLinear(u))) byLinear.set(ulawToLinear(u), u);
    // Blocks of 160 identical samples, each the μ-law expansion of the next octet value (mod 256; 0x7f/0xff both
    // decode to 0, the only ambiguity).
    const octets: number[] = [];
    for (let b = 0; b < samples.length / 160; b++) {
      const v = samples[b * 160]!;
      for (let k = 1; k < 160; k++) expect(samples[b * 160 + k]).toBe(v);
      const u = byLinear.get(v);
      expect(u, `sample ${v} is not a μ-law value`).toBeDefined();
      octets.push(u!);
    }
    for (let b = 1; b < octets.length; b++) {
      const prev = octets[b - 1]!;
      const next = octets[b]!;
      const ok = next === ((prev + 1) & 0xff) || ulawToLinear(next) === ulawToLinear((prev + 1) & 0xff);
      expect(ok, `block ${b}: ${prev} then ${next}`).toBe(true);
    }
    expect(s.stats().sent.packets).toBeGreaterThanOrEqual(100);
  });

  it('rtcp-mux (RFC 5761): ffmpeg sends RTCP to the RTP port and the session demultiplexes it', async () => {
    const loop = createLoop();
    loops.push(loop);
    const s = await openMediaSession({ loop, rtcpMux: true, decodeAudio: false });
    sessions.push(s);
    const lport = await freeEvenPort();
    const srs: SenderReport[] = [];
    s.on('rtcp', (e) => {
      for (const p of e.packets) if (p.kind === 'sr') srs.push(p);
    });
    const { code, stderr } = await ffmpeg([
      ...toneArgs(1),
      `rtp://127.0.0.1:${s.local.port}?localrtpport=${lport}&rtcpport=${s.local.port}`,
    ]);
    expect(code, stderr).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(s.session.rtcpMux).toBe(true);
    const st = s.stats();
    expect(st.received.packets).toBeGreaterThanOrEqual(48);
    expect(st.dropped.malformed).toBe(0);
    expect(st.dropped.rtcp).toBe(0);
    expect(srs.length).toBeGreaterThanOrEqual(1);
    expect(st.received.ssrc).toBe(srs[0]!.ssrc);
    expect(st.received.lost).toBe(0);
  });

  it('SRTP: ffmpeg protects with AES_CM_128_HMAC_SHA1_80 and the session unprotects (SDES keys)', async () => {
    const loop = createLoop();
    loops.push(loop);
    const key = new Uint8Array(16).map((_, i) => i * 7 + 1);
    const salt = new Uint8Array(14).map((_, i) => 0xa0 + i);
    const params = Buffer.concat([key, salt]).toString('base64');
    const s = await openMediaSession({
      loop,
      rtcpMux: false,
      decodeAudio: false,
      security: {
        kind: 'sdes',
        local: formatSdesCrypto(generateSdesCrypto('AES_CM_128_HMAC_SHA1_80', { tag: 1 })),
        remote: `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${params}`,
      },
    });
    sessions.push(s);
    const lport = await freeEvenPort();
    const srs: SenderReport[] = [];
    s.on('rtcp', (e) => {
      for (const p of e.packets) if (p.kind === 'sr') srs.push(p);
    });
    const seqs: number[] = [];
    const lengths = new Set<number>();
    s.on('rtp', ({ packet: p }) => {
      seqs.push(p.sequenceNumber);
      lengths.add(p.payloadLength);
    });
    const { code, stderr } = await ffmpeg([
      ...toneArgs(1),
      '-srtp_out_suite',
      'AES_CM_128_HMAC_SHA1_80',
      '-srtp_out_params',
      params,
      `srtp://127.0.0.1:${s.local.port}?localrtpport=${lport}`,
    ]);
    expect(code, stderr).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    const st = s.stats();
    expect(st.dropped.unauthenticated).toBe(0);
    expect(st.dropped.malformed).toBe(0);
    expect(st.received.packets).toBeGreaterThanOrEqual(48);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe((seqs[i - 1]! + 1) & 0xffff);
    expect([...lengths]).toEqual([160]);
    // ffmpeg's SR arrives as SRTCP on RTP + 1 and authenticates too.
    expect(srs.length).toBeGreaterThanOrEqual(1);
  });
});

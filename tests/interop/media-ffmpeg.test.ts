/**
 * Interop: ffmpeg sends a PCMU tone as RTP with its RTCP Sender Reports (on the RTP port + 1, RFC 3550 §11), in
 * plain RTP and in SDES-SRTP, to an @mdh/media session opened with `openMediaSession` (no rtcp-mux). ffmpeg's SRs
 * must update the session's statistics (the far end's sender counts), its RTP the reception statistics, and the
 * session must answer with its own RTCP to the port the SRs came from.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { toBase64 } from '@mdh/bytes';
import { createLoop, createUdpSocket, type Loop } from '@mdh/loop';
import { type MediaChannel, type MediaEvent, openMediaSession } from '@mdh/media';
import type { SenderReport } from '@mdh/rtp';
import { formatSdesCrypto, generateSdesCrypto } from '@mdh/srtp';
import { afterAll, describe, expect, it } from 'vitest';
import { hasPeer } from './peers.js';

const children: ChildProcess[] = [];
const loops: Loop[] = [];
const channels: MediaChannel[] = [];

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const m of channels) await m.close();
  for (const l of loops) l.stop();
});

/** A local even port whose successor is free too (ffmpeg's localrtpport / localrtcpport). */
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
        // taken
      }
    }
    await a.close();
  }
  throw new Error('no free even/odd port pair');
}

function ffmpeg(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const ff = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(ff);
  let stderr = '';
  ff.stderr!.on('data', (d) => {
    stderr += String(d);
  });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`ffmpeg did not finish in 20 s: ${stderr}`)), 20_000);
    ff.on('exit', (c) => {
      clearTimeout(t);
      resolve({ code: c, stderr });
    });
  });
}

const tone = (seconds: number) => [
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

describe.skipIf(!hasPeer('ffmpeg'))('@mdh/media with ffmpeg (RTCP from a real RTP sender)', () => {
  for (const srtp of [false, true]) {
    it(`ffmpeg's SRs update the session's statistics; the session reports back (${srtp ? 'SDES-SRTP' : 'RTP'})`, async () => {
      const loop = createLoop();
      loops.push(loop);
      const ours = generateSdesCrypto('AES_CM_128_HMAC_SHA1_80');
      const theirs = generateSdesCrypto('AES_CM_128_HMAC_SHA1_80');
      const m = await openMediaSession({
        loop,
        rtcpMux: false,
        security: srtp
          ? { kind: 'sdes', local: formatSdesCrypto(ours), remote: formatSdesCrypto(theirs) }
          : { kind: 'none' },
      });
      channels.push(m);
      const srs: SenderReport[] = [];
      const audio: MediaEvent[] = [];
      m.on('rtcp', (e) => {
        for (const p of e.packets) if (p.kind === 'sr') srs.push(p);
      });
      m.on('audio', (e) => audio.push(e));
      const lport = await freeEvenPort();
      const key = theirs.keyParams[0]!;
      const keySalt = new Uint8Array([...key.key, ...key.salt]);
      const out = srtp
        ? ['-srtp_out_suite', 'AES_CM_128_HMAC_SHA1_80', '-srtp_out_params', toBase64(keySalt), 'srtp://']
        : ['rtp://'];
      const url = `${out.pop()}127.0.0.1:${m.local.port}?localrtpport=${lport}&localrtcpport=${lport + 1}`;
      const { code, stderr } = await ffmpeg([...tone(3), ...out, url]);
      expect(code, stderr).toBe(0);
      await new Promise((r) => setTimeout(r, 300)); // let the last datagrams in (bounded)

      const st = m.stats();
      expect(st.dropped.unauthenticated).toBe(0);
      expect(st.dropped.malformed).toBe(0);
      expect(st.dropped.rtcp).toBe(0); // every SRTCP/RTCP from ffmpeg authenticated and parsed
      // ~150 packets of 20 ms; the first is A.1 probation (not counted by ReceiverStats).
      expect(st.received.packets).toBeGreaterThanOrEqual(145);
      expect(st.received.lost).toBe(0);
      expect(st.received.jitterMs).toBeLessThan(50);
      // ffmpeg's RTCP: SRs of the RTP sender's SSRC, with consistent counts, recorded as the far end's sender.
      expect(srs.length).toBeGreaterThanOrEqual(1);
      expect(st.rtcp.received).toBeGreaterThanOrEqual(srs.length);
      expect(st.remoteSender).toBeDefined();
      expect(st.remoteSender!.ssrc).toBe(st.received.ssrc);
      const last = srs.at(-1)!;
      expect(st.remoteSender!.packetCount).toBe(last.packetCount);
      expect(st.remoteSender!.octetCount).toBe(last.packetCount * 160);
      expect(Math.abs(last.ntpSeconds - (Date.now() / 1000 + 2208988800))).toBeLessThan(60);
      // We reported back (RR: we sent no RTP) to where ffmpeg's RTCP came from.
      expect(st.rtcp.sent).toBeGreaterThanOrEqual(1);
      expect(m.session.remoteRtcp).toEqual({ address: '127.0.0.1', port: lport + 1 });
      // The audio came out of the jitter buffer as decoded frames.
      expect(audio.filter((e) => e.type === 'audio' && !e.concealed).length).toBeGreaterThanOrEqual(140);
    });
  }
});

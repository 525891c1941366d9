/**
 * Interop: SRTP with ffmpeg (libavformat's own SRTP, AES_CM_128_HMAC_SHA1_80 and _32).
 *  1. ffmpeg encodes a 1 s PCMU tone and sends it as SRTP (+ SRTCP SR) to us: every packet must unprotect and
 *     the payloads, in order, must be exactly the PCMU bytes ffmpeg produces for the same tone.
 *  2. We protect that PCMU stream and send it, with an SRTCP SR+BYE, to ffmpeg reading an SDP with a=crypto:
 *     ffmpeg must decode it to exactly the audio it decodes from the clear PCMU bytes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatSdesCrypto, generateSdesCrypto, SrtpSession } from '@mdh/srtp';
import { afterAll, describe, expect, it } from 'vitest';
import { hasPeer } from './peers.js';

const SUITES = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32', 'SRTP_AES128_CM_HMAC_SHA1_32'] as const;

/**
 * ffmpeg (libavformat/srtp.c) applies the 32-bit tag to SRTCP too when the suite has its SDES name
 * AES_CM_128_HMAC_SHA1_32, but 80-bit SRTCP tags under the DTLS-SRTP name (RFC 5764 §4.1.2), as libsrtp does
 * for both: match it with the srtcpTagLength option.
 */
function srtcpTag(suite: string): { srtcpTagLength?: 4 } {
  return suite === 'AES_CM_128_HMAC_SHA1_32' ? { srtcpTagLength: 4 } : {};
}
const TONE = ['-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=8000:duration=1', '-ac', '1', '-c:a', 'pcm_mulaw'];
const children: ChildProcess[] = [];
const sockets: Socket[] = [];
const dir = mkdtempSync(join(tmpdir(), 'mdh-srtp-'));

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const s of sockets) {
    try {
      s.close();
    } catch {
      // already closed
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

function run(args: string[], timeoutMs = 20_000): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args]);
    children.push(c);
    const out: Buffer[] = [];
    let err = '';
    c.stdout.on('data', (d: Buffer) => out.push(d));
    c.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const t = setTimeout(() => {
      c.kill('SIGINT');
      setTimeout(() => c.kill('SIGKILL'), 2000).unref();
    }, timeoutMs);
    c.on('error', reject);
    c.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    });
  });
}

function bind(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(port, '127.0.0.1', () => {
      s.off('error', reject);
      resolve(s);
    });
  });
}

function close(s: Socket): Promise<void> {
  return new Promise((r) => s.close(() => r()));
}

/** Two sockets on an even port and its successor (RTP, RTCP). */
async function rtpPair(): Promise<[Socket, Socket]> {
  for (let i = 0; i < 50; i++) {
    const a = await bind(0);
    const p = a.address().port;
    if (p % 2 === 0 && p < 65534) {
      try {
        const b = await bind(p + 1);
        return [a, b];
      } catch {
        // successor taken
      }
    }
    await close(a);
  }
  throw new Error('no free even/odd UDP port pair');
}

/** The clear PCMU bytes ffmpeg makes from the tone. */
async function referencePcmu(): Promise<Buffer> {
  const r = await run([...TONE, '-f', 'mulaw', '-']);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

function inlineKey(line: string): string {
  return /inline:([A-Za-z0-9+/=]+)/.exec(line)![1]!;
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!hasPeer('ffmpeg'))('SRTP interop with ffmpeg', () => {
  for (const suite of SUITES) {
    it(`ffmpeg → @mdh/srtp: ${suite}, every packet unprotects to the PCMU tone`, async () => {
      const ref = await referencePcmu();
      expect(ref.length).toBe(8000);
      const sdes = generateSdesCrypto(suite);
      const line = formatSdesCrypto(sdes);
      const rx = new SrtpSession({
        profile: suite,
        key: sdes.keyParams[0]!.key,
        salt: sdes.keyParams[0]!.salt,
        ...srtcpTag(suite),
      });
      const [rtpSock, rtcpSock] = await rtpPair();
      sockets.push(rtpSock, rtcpSock);
      const port = rtpSock.address().port;
      const got: { seq: number; payload: Uint8Array }[] = [];
      const rtcp: Uint8Array[] = [];
      const failures: string[] = [];
      rtpSock.on('message', (m: Buffer) => {
        const r = rx.tryUnprotect(new Uint8Array(m));
        if (r instanceof Uint8Array) got.push({ seq: (r[2]! << 8) | r[3]!, payload: r.subarray(12) });
        else failures.push(r.message);
      });
      rtcpSock.on('message', (m: Buffer) => {
        const r = rx.tryUnprotectRtcp(new Uint8Array(m));
        if (r instanceof Uint8Array) rtcp.push(r);
        else failures.push(`rtcp: ${r.message}`);
      });
      const f = await run([
        ...TONE,
        '-f',
        'rtp',
        '-srtp_out_suite',
        suite,
        '-srtp_out_params',
        inlineKey(line),
        `srtp://127.0.0.1:${port}`,
      ]);
      expect(f.code, f.stderr).toBe(0);
      for (let i = 0; i < 50 && got.length * 1024 < ref.length; i++) await delay(20);
      await delay(100);
      expect(failures).toEqual([]);
      const tag = suite.endsWith('_80') ? 10 : 4;
      expect(rx.rtcpOverhead).toBe(4 + (suite === 'SRTP_AES128_CM_HMAC_SHA1_32' || tag === 10 ? 10 : 4));
      expect(rx.profile.srtpTagLength).toBe(tag);
      got.sort((a, b) => ((a.seq - b.seq + 0x8000) & 0xffff) - 0x8000);
      const payload = Buffer.concat(got.map((g) => g.payload));
      expect(payload.length).toBe(ref.length);
      expect(payload.equals(ref)).toBe(true);
      expect(rx.stats.rtpUnprotected).toBe(got.length);
      // ffmpeg's RTCP Sender Report came through SRTCP
      expect(rtcp.length).toBeGreaterThanOrEqual(1);
      expect(rtcp[0]![1]).toBe(200);
    });

    it(`@mdh/srtp → ffmpeg: ${suite}, ffmpeg decodes exactly the audio we sent`, async () => {
      const ref = await referencePcmu();
      writeFileSync(join(dir, 'ref.ulaw'), ref);
      const decodedRef = await run([
        '-f',
        'mulaw',
        '-ar',
        '8000',
        '-ac',
        '1',
        '-i',
        join(dir, 'ref.ulaw'),
        '-f',
        's16le',
        '-',
      ]);
      expect(decodedRef.code, decodedRef.stderr).toBe(0);
      expect(decodedRef.stdout.length).toBe(16000);

      const sdes = generateSdesCrypto(suite);
      const tx = new SrtpSession({
        profile: suite,
        key: sdes.keyParams[0]!.key,
        salt: sdes.keyParams[0]!.salt,
        ...srtcpTag(suite),
      });
      // a free even/odd pair for ffmpeg to bind
      const [a, b] = await rtpPair();
      const port = a.address().port;
      await close(a);
      await close(b);
      const sdp = [
        'v=0',
        'o=- 0 0 IN IP4 127.0.0.1',
        's=mdh srtp interop',
        'c=IN IP4 127.0.0.1',
        't=0 0',
        `m=audio ${port} RTP/SAVP 0`,
        'a=rtpmap:0 PCMU/8000',
        // a=crypto with the suite name ffmpeg should use (the DTLS-SRTP spelling selects 80-bit SRTCP tags there)
        formatSdesCrypto({ ...sdes, suite }),
        '',
      ].join('\r\n');
      const sdpFile = join(dir, `in-${suite}.sdp`);
      writeFileSync(sdpFile, sdp);
      const out = join(dir, `out-${suite}.raw`);
      const ff = run(
        [
          '-protocol_whitelist',
          'file,crypto,data,udp,rtp,srtp',
          '-i',
          sdpFile,
          '-f',
          's16le',
          '-acodec',
          'pcm_s16le',
          '-y',
          out,
        ],
        40_000,
      );
      let ffDone = false;
      void ff.then(() => {
        ffDone = true;
      });
      // wait until ffmpeg has bound the RTP port (bounded: 20 s; ffmpeg starts slowly on a loaded machine)
      let bound = false;
      for (let i = 0; i < 800 && !bound && !ffDone; i++) {
        try {
          await close(await bind(port));
          await delay(25);
        } catch {
          bound = true;
        }
      }
      expect(bound, ffDone ? `ffmpeg exited before binding: ${(await ff).stderr}` : 'ffmpeg did not bind').toBe(true);
      const sock = await bind(0);
      sockets.push(sock);
      const ssrc = 0x4d444821;
      const send = (d: Uint8Array, p: number) =>
        new Promise<void>((r, j) => sock.send(d, p, '127.0.0.1', (e) => (e ? j(e) : r())));
      // 50 packets of 20 ms (160 samples), starting near the sequence-number wrap
      for (let i = 0; i < 50; i++) {
        const seq = (65520 + i) & 0xffff;
        const p = new Uint8Array(12 + 160);
        p[0] = 0x80;
        p[1] = i === 0 ? 0x80 : 0; // marker on the first packet, PT 0
        p[2] = seq >> 8;
        p[3] = seq & 0xff;
        const ts = 1000 + i * 160;
        p[4] = ts >>> 24;
        p[5] = (ts >>> 16) & 0xff;
        p[6] = (ts >>> 8) & 0xff;
        p[7] = ts & 0xff;
        p[8] = ssrc >>> 24;
        p[9] = (ssrc >>> 16) & 0xff;
        p[10] = (ssrc >>> 8) & 0xff;
        p[11] = ssrc & 0xff;
        p.set(ref.subarray(i * 160, i * 160 + 160), 12);
        await send(tx.protect(p), port);
        await delay(4);
      }
      expect(tx.getRoc(ssrc)).toBe(1);
      // SR + BYE compound over SRTCP: ffmpeg ends the input on BYE
      const sr = new Uint8Array(28 + 8);
      sr.set([0x80, 200, 0, 6]);
      sr.set([0x81, 203, 0, 1], 28);
      for (const o of [4, 32]) {
        sr[o] = ssrc >>> 24;
        sr[o + 1] = (ssrc >>> 16) & 0xff;
        sr[o + 2] = (ssrc >>> 8) & 0xff;
        sr[o + 3] = ssrc & 0xff;
      }
      await delay(50);
      await send(tx.protectRtcp(sr), port + 1);
      const r = await ff;
      expect(r.stderr).not.toMatch(/auth|HMAC|Failed/i);
      const pcm = readFileSync(out);
      expect(pcm.length).toBe(decodedRef.stdout.length);
      expect(pcm.equals(decodedRef.stdout)).toBe(true);
    }, 90_000);
  }
});

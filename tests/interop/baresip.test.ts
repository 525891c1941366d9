import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCertificate, privateKeyPem, toPem } from '@mdh/dtls';
import { dominantFrequency } from '@mdh/media';
import type { SrtpMode } from '@mdh/sip';
import { afterAll, describe, expect, it } from 'vitest';
import { placeCall } from '../../packages/cli/src/commands/call.js';
import { type EchoCallRecord, startEcho } from '../../packages/cli/src/commands/echo.js';
import { hasPeer } from './peers.js';

const children = new Set<ChildProcess>();
const dirs: string[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A TCP port p such that p and p+1 are free (baresip listens UDP+TCP on p and TLS on p+1). */
async function freePortPair(): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  for (let i = 0; i < 50; i++) {
    const p = 20000 + Math.floor(Math.random() * 20000) * 2;
    if ((await tryListen(p)) && (await tryListen(p + 1))) return p;
  }
  throw new Error('no free port pair');
}

function toneWav(hz: number, seconds: number): Buffer {
  const n = 8000 * seconds;
  const b = Buffer.alloc(44 + n * 2);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + n * 2, 4);
  b.write('WAVE', 8);
  b.write('fmt ', 12);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(8000, 24);
  b.writeUInt32LE(16000, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) b.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / 8000)), 44 + 2 * i);
  return b;
}

/** The samples of the `data` chunk of a 16-bit PCM WAV file. */
function wavSamples(file: string): Int16Array {
  const b = readFileSync(file);
  let o = 12;
  while (o + 8 <= b.length) {
    const id = b.toString('latin1', o, o + 4);
    const len = b.readUInt32LE(o + 4);
    if (id === 'data') {
      const end = Math.min(b.length, o + 8 + len);
      return new Int16Array(b.buffer.slice(b.byteOffset + o + 8, b.byteOffset + end - ((end - o - 8) % 2)));
    }
    o += 8 + len + (len % 2);
  }
  return new Int16Array(0);
}

const ENC: Record<SrtpMode, string> = { none: '', sdes: ';mediaenc=srtp-mand', dtls: ';mediaenc=dtls_srtp' };

/** A baresip config dir of the test's own: auto-answer, a tone file as the microphone, decoded audio dumped. */
function baresipDir(port: number, srtp: SrtpMode, tls: boolean, toneHz: number, extra: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'mdh-baresip-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'tone.wav'), toneWav(toneHz, 10));
  const cert = generateCertificate({ commonName: '127.0.0.1', keyType: 'rsa-2048' });
  writeFileSync(join(dir, 'sip.pem'), `${toPem(cert.chain[0]!)}${privateKeyPem(cert)}`);
  writeFileSync(
    join(dir, 'config'),
    [
      'poll_method epoll',
      `sip_listen 127.0.0.1:${port}`,
      `sip_certificate ${join(dir, 'sip.pem')}`,
      `audio_source aufile,${join(dir, 'tone.wav')}`,
      `audio_player aufile,${join(dir, 'played.wav')}`,
      'audio_alert aufile,/dev/null',
      'audio_srate 8000',
      'audio_channels 1',
      'module_path /usr/lib/baresip/modules',
      'module g711.so',
      'module aufile.so',
      'module sndfile.so',
      'module srtp.so',
      'module dtls_srtp.so',
      'module_app account.so',
      'module_app menu.so',
      `snd_path ${dir}`,
      ...extra,
      '',
    ].join('\n'),
  );
  const tp = tls ? ';transport=tls' : '';
  writeFileSync(
    join(dir, 'accounts'),
    `<sip:br@127.0.0.1${tp}>;regint=0;answermode=auto;audio_codecs=PCMU${ENC[srtp]}\n`,
  );
  return dir;
}

/** Runs baresip (bounded by -t and a hard kill); `ready` resolves once it printed "baresip is ready". */
function baresip(dir: string, seconds: number, dial?: string): { done: Promise<string>; ready: Promise<void> } {
  const args = ['-f', dir, '-t', String(seconds), ...(dial ? ['-e', `/dial ${dial}`] : [])];
  const p = spawn('baresip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(p);
  let out = '';
  let markReady: () => void = () => {};
  const ready = new Promise<void>((r) => {
    markReady = r;
  });
  const onData = (d: Buffer) => {
    if (out.length < 100_000) out += d;
    if (out.includes('baresip is ready')) markReady();
  };
  p.stdout?.on('data', onData);
  p.stderr?.on('data', onData);
  const kill = setTimeout(() => p.kill('SIGKILL'), (seconds + 10) * 1000);
  const done = new Promise<string>((resolve) => {
    p.on('exit', () => {
      clearTimeout(kill);
      children.delete(p);
      markReady();
      resolve(out);
    });
  });
  return { done, ready };
}

function decodedFrequency(dir: string): number {
  const f = readdirSync(dir).find((x) => x.endsWith('-dec.wav'));
  if (!f) return 0;
  const s = wavSamples(join(dir, f));
  // skip the first half second (jitter buffer start-up)
  return dominantFrequency(s.subarray(Math.min(4000, s.length >> 1)));
}

const cases: { srtp: SrtpMode; tls: boolean }[] = [
  { srtp: 'none', tls: false },
  { srtp: 'sdes', tls: false },
  { srtp: 'dtls', tls: false },
  { srtp: 'none', tls: true },
];

describe.skipIf(!hasPeer('baresip'))('baresip interop', () => {
  for (const c of cases) {
    const name = `${c.tls ? 'SIP over TLS' : 'UDP'}, media ${c.srtp}`;

    it(`baresip calls mdh echo (${name}): established, and its tone comes back`, async () => {
      const records: EchoCallRecord[] = [];
      const echo = await startEcho({
        host: '127.0.0.1',
        port: 0,
        transport: c.tls ? 'tls' : 'udp',
        onCall: (r) => records.push(r),
      });
      try {
        const port = await freePortPair();
        const dir = baresipDir(port, c.srtp, c.tls, 440);
        const log = await baresip(dir, 4, `sip:echo@127.0.0.1:${echo.port}`).done;
        await new Promise((r) => setTimeout(r, 300));
        expect(log, log.slice(-3000)).toContain('Call established');
        expect(records).toHaveLength(1);
        expect(records[0]!.srtp).toBe(c.srtp);
        expect(records[0]!.media?.packetsReceived).toBeGreaterThan(50);
        expect(records[0]!.media?.dropped).toBe(0);
        if (c.srtp !== 'none') expect(records[0]!.media?.srtpProfile).toBeTruthy();
        expect(Math.abs(decodedFrequency(dir) - 440)).toBeLessThan(5);
      } finally {
        await echo.stop();
      }
    }, 30_000);

    if (!c.tls) {
      it(`RTCP with baresip (${name}): baresip's reports carry the LSR of mdh's SRs (RTT), and its SRs reach mdh`, async () => {
        const records: EchoCallRecord[] = [];
        const echo = await startEcho({ host: '127.0.0.1', port: 0, onCall: (r) => records.push(r) });
        try {
          const port = await freePortPair();
          // With DTLS-SRTP, RTCP on its own port would need a second DTLS association (RFC 5764 §4.1), which
          // MediaSession does not run: baresip offers rtcp-mux (RFC 5761) here, and mdh accepts it.
          const dir = baresipDir(port, c.srtp, false, 440, c.srtp === 'dtls' ? ['rtcp_mux yes'] : []);
          const log = await baresip(dir, 13, `sip:echo@127.0.0.1:${echo.port}`).done;
          await new Promise((r) => setTimeout(r, 300));
          expect(log, log.slice(-3000)).toContain('Call established');
          expect(records).toHaveLength(1);
          const m = records[0]!.media!;
          expect(m.dropped).toBe(0);
          // baresip sends an RTCP APP "PING" keepalive in the clear even on SRTP sessions: unauthenticated, so
          // dropped (RFC 3711 §3.4) and counted. No other RTCP is dropped.
          expect(m.rtcpDropped).toBeLessThanOrEqual(c.srtp === 'none' ? 0 : 1);
          // baresip's RTCP (SRTCP with SDES/DTLS) authenticated and parsed: its SR counts reached us.
          expect(m.rtcpReceived).toBeGreaterThanOrEqual(1);
          expect(m.remotePacketsSent).toBeGreaterThan(0);
          // An RTT exists only if baresip's report block echoed the NTP middle bits of an SR of ours (LSR) with
          // its delay since (DLSR): baresip parsed our SR. Loopback: well under 100 ms.
          expect(m.rttMs).toBeDefined();
          expect(m.rttMs!).toBeGreaterThanOrEqual(0);
          expect(m.rttMs!).toBeLessThan(100);
          expect(m.remoteCumulativeLost).toBe(0);
          expect(m.rtcpSent).toBeGreaterThanOrEqual(2);
        } finally {
          await echo.stop();
        }
      }, 40_000);
    }

    it(`mdh call calls baresip (${name}): established, tones cross both ways`, async () => {
      const port = await freePortPair();
      const dir = baresipDir(port, c.srtp, c.tls, 600);
      const { done, ready } = baresip(dir, 6);
      await ready;
      await new Promise((r) => setTimeout(r, 200));
      const target = c.tls ? `sip:br@127.0.0.1:${port + 1};transport=tls` : `sip:br@127.0.0.1:${port}`;
      const r = await placeCall({ target, srtp: c.srtp, durationS: 2, toneHz: 440, insecure: true });
      const log = await done;
      expect(r.ok, `${JSON.stringify(r)}\n${log.slice(-3000)}`).toBe(true);
      expect(r.byeStatus).toBe(200);
      expect(r.media?.packetsReceived).toBeGreaterThan(50);
      expect(Math.abs((r.media?.receivedToneHz ?? 0) - 600)).toBeLessThan(5);
      expect(Math.abs(decodedFrequency(dir) - 440)).toBeLessThan(5);
    }, 30_000);
  }
});

// baresip driving for the interop tests: a config dir of the test's own (auto-answer, a tone file as the
// microphone, decoded audio dumped to a WAV), a bounded baresip process, and the dominant frequency it decoded.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCertificate, privateKeyPem, toPem } from '@mdh/dtls';
import { dominantFrequency } from '@mdh/media';
import type { SrtpMode } from '@mdh/sip';

const children = new Set<ChildProcess>();
const dirs: string[] = [];

/** Kills the baresip processes still running and removes their config dirs (call from afterAll). */
export function cleanupBaresip(): void {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

/** A TCP port p such that p and p+1 are free (baresip listens UDP+TCP on p and TLS on p+1). */
export async function freePortPair(): Promise<number> {
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

export function toneWav(hz: number, seconds: number): Buffer {
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
export function wavSamples(file: string): Int16Array {
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

/**
 * A baresip config dir of the test's own: auto-answer, a tone file (`toneSeconds` long) as the microphone, decoded
 * audio dumped.
 */
export function baresipDir(
  port: number,
  srtp: SrtpMode,
  tls: boolean,
  toneHz: number,
  extra: string[] = [],
  toneSeconds = 10,
): string {
  const dir = mkdtempSync(join(tmpdir(), 'mdh-baresip-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'tone.wav'), toneWav(toneHz, toneSeconds));
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
export function baresip(dir: string, seconds: number, dial?: string): { done: Promise<string>; ready: Promise<void> } {
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

export function decodedFrequency(dir: string): number {
  const f = readdirSync(dir).find((x) => x.endsWith('-dec.wav'));
  if (!f) return 0;
  const s = wavSamples(join(dir, f));
  // skip the first half second (jitter buffer start-up)
  return dominantFrequency(s.subarray(Math.min(4000, s.length >> 1)));
}

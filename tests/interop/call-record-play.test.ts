/**
 * `mdh call --record FILE.wav` and `--play FILE.wav`, run as a user runs them (the built binary) against a
 * `mdh echo` process: the recording is the echoed tone (440 Hz, the call's length), ffmpeg decodes it to the same
 * samples; a WAV played instead of the tone comes back in the recording; a WAV of another format is a usage error.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dominantFrequency, readWav, ToneGenerator, writeWav } from '@mdh/media';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasPeer } from './peers.js';

const BIN = join(import.meta.dirname, '../../packages/cli/dist/bin.js');
const dir = mkdtempSync(join(tmpdir(), 'mdh-record-'));
let echo: ChildProcess | undefined;
let port = 0;

beforeAll(async () => {
  const p = spawn(process.execPath, [BIN, 'echo', '--sip', '127.0.0.1:0', '--quiet'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  echo = p;
  let err = '';
  port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`mdh echo did not start: ${err}`)), 30_000);
    p.stderr!.on('data', (d) => {
      err += d;
      const m = /listening on udp 127\.0\.0\.1:(\d+)/.exec(err);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
  });
}, 40_000);

afterAll(() => {
  echo?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function mdhCall(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, 'call', `sip:echo@127.0.0.1:${port}`, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`mdh call did not exit: ${stderr}`));
    }, 40_000);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

/** RMS of a range of samples. */
function rms(s: Int16Array, from: number, to: number): number {
  let e = 0;
  for (let i = from; i < to; i++) e += s[i]! * s[i]!;
  return Math.sqrt(e / Math.max(1, to - from));
}

describe('mdh call --record / --play against mdh echo', () => {
  it('--record writes the echoed 440 Hz tone as 8 kHz mono 16-bit WAV, as long as the call', async () => {
    const file = join(dir, 'rec.wav');
    const r = await mdhCall(['--duration', '3', '--record', file, '--json', '--srtp', 'sdes']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { media: { packetsReceived: number } };
    const w = readWav(new Uint8Array(readFileSync(file)));
    expect(w.sampleRate).toBe(8000);
    expect(w.channels).toBe(1);
    // from the first frame heard to the end of the call (3 s plus the 300 ms drain, minus the setup round trip)
    expect(w.samples.length / 8000).toBeGreaterThan(2.7);
    expect(w.samples.length / 8000).toBeLessThan(3.8);
    // every received packet is a 20 ms frame of the recording (concealed gaps are silence frames on top)
    expect(w.samples.length).toBeGreaterThanOrEqual(report.media.packetsReceived * 160);
    const mid = w.samples.subarray(8000, 16000);
    expect(Math.abs(dominantFrequency(mid) - 440)).toBeLessThan(3);
    expect(rms(w.samples, 8000, 16000)).toBeGreaterThan(1000);
    if (hasPeer('ffmpeg')) {
      // ffmpeg reads it as the same 8 kHz mono s16 samples
      const raw = join(dir, 'rec.raw');
      const f = spawnSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-i', file, '-f', 's16le', raw], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(f.status, f.stderr).toBe(0);
      const probe = spawnSync('ffprobe', ['-v', 'error', '-show_streams', file], { encoding: 'utf8' });
      expect(probe.stdout).toMatch(/sample_rate=8000/);
      expect(probe.stdout).toMatch(/channels=1/);
      expect(probe.stdout).toMatch(/codec_name=pcm_s16le/);
      const back = new Int16Array(new Uint8Array(readFileSync(raw)).buffer);
      expect(back.length).toBe(w.samples.length);
      expect(back.every((x, i) => x === w.samples[i])).toBe(true);
    }
  }, 60_000);

  it('--play sends the WAV instead of the tone; it comes back in the recording', async () => {
    // 1.5 s of 1000 Hz, then the call goes on in silence
    const pcm = new Int16Array(12000);
    new ToneGenerator({ frequency: 1000 }).fill(pcm);
    const inFile = join(dir, 'in.wav');
    writeFileSync(inFile, writeWav(pcm));
    const out = join(dir, 'out.wav');
    const r = await mdhCall(['--duration', '3', '--play', inFile, '--record', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { media: { packetsSent: number; receivedToneHz: number } };
    // only the file's frames were sent (75 packets of 20 ms), not 3 s of tone
    expect(report.media.packetsSent).toBe(75);
    expect(Math.abs(report.media.receivedToneHz - 1000)).toBeLessThan(3);
    const w = readWav(new Uint8Array(readFileSync(out)));
    expect(Math.abs(dominantFrequency(w.samples.subarray(1600, 9600)) - 1000)).toBeLessThan(3);
    expect(rms(w.samples, 1600, 9600)).toBeGreaterThan(1000);
    // after the file ended: silence
    expect(rms(w.samples, 14400, Math.min(w.samples.length, 20000))).toBeLessThan(50);
  }, 60_000);

  it('--play with a WAV that is not 8 kHz mono 16-bit is a usage error (exit 2), no call is placed', async () => {
    const wav = writeWav(new Int16Array(800));
    const dv = new DataView(wav.buffer, wav.byteOffset);
    dv.setUint32(24, 16000, true); // sample rate
    dv.setUint32(28, 32000, true); // byte rate
    const f = join(dir, 'wide.wav');
    writeFileSync(f, wav);
    const r = await mdhCall(['--play', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--play .*wide\.wav: not an 8 kHz mono 16-bit PCM WAV file/);
    expect(r.stderr).not.toMatch(/mdh call: trying/);
    const missing = await mdhCall(['--play', join(dir, 'nope.wav')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--play .*nope\.wav: ENOENT/);
  }, 30_000);
});

/**
 * Interop: WAV files with ffmpeg. A WAV ffmpeg writes (pcm_s16le, mono, 8 kHz) reads to exactly the samples
 * ffmpeg decodes to raw s16le; a WAV we write decodes in ffmpeg to exactly our samples; the formats ffmpeg
 * writes that we do not take (stereo, 44.1 kHz, 8-bit, float) are refused as unsupported-format.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWav, tryReadWav, WavError, writeWav } from '@mdh/media';
import { afterAll, describe, expect, it } from 'vitest';
import { hasPeer } from './peers.js';

const dir = mkdtempSync(join(tmpdir(), 'mdh-wav-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ffmpeg(args: string[], out: string): Uint8Array {
  const r = spawnSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', ...args, out], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (r.status !== 0) throw new Error(`ffmpeg failed (${r.status}): ${r.stderr}`);
  return new Uint8Array(readFileSync(out));
}
const s16 = (b: Uint8Array) => new Int16Array(new Uint8Array(b).buffer);
const SINE = ['-f', 'lavfi', '-i', 'sine=frequency=697:sample_rate=8000:duration=0.5'];

describe.skipIf(!hasPeer('ffmpeg'))('WAV vs ffmpeg', () => {
  it('reads the WAV ffmpeg writes', () => {
    const wav = ffmpeg([...SINE, '-ac', '1', '-c:a', 'pcm_s16le'], join(dir, 'a.wav'));
    const raw = s16(ffmpeg([...SINE, '-ac', '1', '-f', 's16le'], join(dir, 'a.raw')));
    const r = readWav(wav);
    expect(r.samples.length).toBe(4000);
    expect([...r.samples]).toEqual([...raw]);
  });
  it('ffmpeg reads the WAV we write', () => {
    const samples = new Int16Array(1600).map((_, i) => Math.round(9000 * Math.sin(i / 3)) + (i % 7));
    const f = join(dir, 'ours.wav');
    writeFileSync(f, writeWav(samples));
    const back = s16(ffmpeg(['-i', f, '-f', 's16le'], join(dir, 'ours.raw')));
    expect([...back]).toEqual([...samples]);
  });
  it('refuses what ffmpeg writes in other formats', () => {
    const cases: [string, string[]][] = [
      ['stereo', ['-ac', '2', '-c:a', 'pcm_s16le']],
      ['44k', ['-ac', '1', '-ar', '44100', '-c:a', 'pcm_s16le']],
      ['u8', ['-ac', '1', '-c:a', 'pcm_u8']],
      ['float', ['-ac', '1', '-c:a', 'pcm_f32le']],
      ['alaw', ['-ac', '1', '-c:a', 'pcm_alaw']],
    ];
    for (const [name, args] of cases) {
      const r = tryReadWav(ffmpeg([...SINE, ...args], join(dir, `${name}.wav`)));
      expect(r).toBeInstanceOf(WavError);
      expect([name, (r as WavError).reason]).toEqual([name, 'unsupported-format']);
    }
  });
});

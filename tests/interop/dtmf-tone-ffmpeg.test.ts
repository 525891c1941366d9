/**
 * Interop: in-band DTMF made by ffmpeg (its `aevalsrc` source: the two Q.23 sines of each key, 90 ms, with
 * 60 ms pauses), G.711 A-law encoded by ffmpeg as on a call leg, decoded by us and fed to DtmfToneDetector:
 * the keys come out in order, each once.
 */
import { spawnSync } from 'node:child_process';
import { DtmfToneDetector, dtmfFrequencies, g711Decode } from '@mdh/media';
import { describe, expect, it } from 'vitest';
import { hasPeer } from './peers.js';

/** ffmpeg's A-law bytes of one key press (90 ms) followed by 60 ms of silence. */
function keyAlaw(digit: string): Uint8Array {
  const [lo, hi] = dtmfFrequencies(digit)!;
  const expr = `if(lt(t\\,0.09)\\, 0.2*sin(2*PI*${lo}*t)+0.2*sin(2*PI*${hi}*t)\\, 0)`;
  const r = spawnSync(
    'ffmpeg',
    [
      '-nostdin',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      `aevalsrc=${expr}:s=8000:d=0.15`,
      '-ac',
      '1',
      '-f',
      'alaw',
      '-',
    ],
    { timeout: 20_000, maxBuffer: 1 << 20 },
  );
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
  return new Uint8Array(r.stdout);
}

describe.skipIf(!hasPeer('ffmpeg'))('in-band DTMF from ffmpeg', () => {
  it('detects the keys ffmpeg sounds, through G.711 A-law', () => {
    const digits = '159#0*D';
    const det = new DtmfToneDetector();
    const pcm = new Int16Array(160);
    let samples = 0;
    for (const d of digits) {
      const a = keyAlaw(d);
      expect(a.length).toBe(1200);
      for (let i = 0; i < a.length; i += 160) {
        const n = g711Decode('PCMA', a.subarray(i, i + 160), pcm);
        det.push(pcm.subarray(0, n));
        samples += n;
      }
    }
    det.flush();
    const got = [];
    for (let e = det.poll(); e; e = det.poll()) got.push(e);
    expect(samples).toBe(1200 * digits.length);
    expect(got.map((e) => e.digit).join('')).toBe(digits);
    for (const e of got) expect(Math.abs(e.durationSamples - 720)).toBeLessThanOrEqual(2 * 205);
  });
});

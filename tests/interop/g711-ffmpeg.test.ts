/**
 * Interop: G.711 against ffmpeg's pcm_mulaw / pcm_alaw codecs, byte for byte.
 *  - every 16-bit input (−32768..32767) encoded by `ffmpeg -f s16le -ar 8000 -ac 1 -i x -f mulaw|alaw` equals
 *    our encoder with `'nearest'` decisions (ffmpeg's thresholds); our default `'itu'` decisions differ from
 *    ffmpeg only where G.711's decision value and the midpoint between reconstruction values disagree;
 *  - every one of the 256 codes decoded by ffmpeg (`-f mulaw|alaw -i x -f s16le`) equals our decoder;
 *  - a real signal (ffmpeg's own sine source) decodes to the same PCM through both.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type G711Codec, g711Decode, g711Encode } from '@mdh/media';
import { afterAll, describe, expect, it } from 'vitest';
import { hasPeer } from './peers.js';

const dir = mkdtempSync(join(tmpdir(), 'mdh-g711-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FORMAT: Record<G711Codec, string> = { PCMU: 'mulaw', PCMA: 'alaw' };

/** Runs ffmpeg with `args` and returns the bytes it wrote to `out`. */
function ffmpeg(args: string[], out: string): Uint8Array {
  const r = spawnSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', ...args, out], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (r.status !== 0) throw new Error(`ffmpeg failed (${r.status}): ${r.stderr}`);
  return new Uint8Array(readFileSync(out));
}

function int16FromBytes(b: Uint8Array): Int16Array {
  const copy = new Uint8Array(b); // aligned
  return new Int16Array(copy.buffer, 0, copy.length >> 1);
}

describe.skipIf(!hasPeer('ffmpeg'))('G.711 vs ffmpeg', () => {
  const all = new Int16Array(65536).map((_, i) => i - 32768);
  const allFile = join(dir, 'all.s16');
  writeFileSync(allFile, new Uint8Array(all.buffer));

  for (const codec of ['PCMU', 'PCMA'] as const) {
    it(`${codec}: encodes all 65536 inputs exactly as ffmpeg (nearest decisions)`, () => {
      const theirs = ffmpeg(
        ['-f', 's16le', '-ar', '8000', '-ac', '1', '-i', allFile, '-f', FORMAT[codec]],
        join(dir, `${codec}.enc`),
      );
      expect(theirs.length).toBe(65536);
      const ours = new Uint8Array(65536);
      g711Encode(codec, all, ours, 0, 'nearest');
      expect(Buffer.from(ours).equals(Buffer.from(theirs))).toBe(true);
      // the G.711 decision values differ from ffmpeg's midpoints on a few inputs only, by one code step
      const itu = new Uint8Array(65536);
      g711Encode(codec, all, itu, 0, 'itu');
      const a = new Int16Array(65536);
      const b = new Int16Array(65536);
      g711Decode(codec, itu, a);
      g711Decode(codec, theirs, b);
      let differ = 0;
      for (let i = 0; i < 65536; i++) {
        if (itu[i] !== theirs[i]) {
          differ++;
          // adjacent reconstruction values, both bracketing the input within one step
          expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(1024);
        }
      }
      expect(differ).toBeLessThan(1024);
    });

    it(`${codec}: decodes all 256 codes exactly as ffmpeg`, () => {
      const codes = new Uint8Array(256).map((_, i) => i);
      const f = join(dir, `${codec}.codes`);
      writeFileSync(f, codes);
      const theirs = int16FromBytes(
        ffmpeg(['-f', FORMAT[codec], '-ar', '8000', '-ac', '1', '-i', f, '-f', 's16le'], join(dir, `${codec}.dec`)),
      );
      const ours = new Int16Array(256);
      expect(g711Decode(codec, codes, ours)).toBe(256);
      expect([...ours]).toEqual([...theirs]);
    });

    it(`${codec}: a 1 s sine from ffmpeg's source encodes to ffmpeg's bytes`, () => {
      const src = ['-f', 'lavfi', '-i', 'sine=frequency=1004:sample_rate=8000:duration=1', '-ac', '1'];
      const pcm = int16FromBytes(ffmpeg([...src, '-f', 's16le'], join(dir, `${codec}.sine.s16`)));
      const theirs = ffmpeg([...src, '-f', FORMAT[codec]], join(dir, `${codec}.sine.g711`));
      expect(pcm.length).toBe(8000);
      const ours = new Uint8Array(pcm.length);
      g711Encode(codec, pcm, ours, 0, 'nearest');
      expect(Buffer.from(ours).equals(Buffer.from(theirs))).toBe(true);
    });
  }
});

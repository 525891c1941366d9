// Opus (RFC 6716) in a MediaSession: RTP clock 48 kHz (RFC 7587 §4.1), the PCM API at 8 kHz (libopus converts).
import { RtpPacket } from '@mdh/rtp';
import { describe, expect, it } from 'vitest';
import {
  dominantFrequency,
  type MediaAddress,
  type MediaEvent,
  MediaSession,
  OPUS_CLOCK_RATE,
  OpusCodec,
  opusAvailable,
  ToneGenerator,
} from '../src/index.js';
import { TestNet } from './net.js';

const A: MediaAddress = { address: '10.0.0.1', port: 4000 };
const B: MediaAddress = { address: '10.0.0.2', port: 6000 };

describe('OpusCodec (opusscript, libopus in WebAssembly)', () => {
  it('is available here', () => {
    expect(opusAvailable()).toBe(true);
  });

  it('a 440 Hz tone survives encode + decode at 8 kHz PCM; packets are far smaller than G.711', () => {
    const c = new OpusCodec();
    const tone = new ToneGenerator({ frequency: 440 });
    const heard: number[] = [];
    let bytes = 0;
    for (let f = 0; f < 50; f++) {
      const pcm = new Int16Array(160);
      tone.fill(pcm);
      const packet = c.encode(pcm);
      bytes += packet.length;
      const out = c.decode(packet)!;
      expect(out.length).toBe(160);
      if (f >= 10) heard.push(...out);
    }
    expect(bytes / 50).toBeLessThan(80); // G.711: 160 bytes per 20 ms
    expect(Math.abs(dominantFrequency(heard, 8000) - 440)).toBeLessThan(10);
    c.close();
  });

  it('garbage and empty packets are counted, not thrown', () => {
    const c = new OpusCodec();
    expect(c.decode(new Uint8Array(0))).toBeUndefined();
    expect(c.decode(new Uint8Array(5000))).toBeUndefined();
    expect(c.decodeErrors).toBe(2);
    c.close();
    expect(() => c.encode(new Int16Array(160))).toThrow(/closed/);
  });
});

describe('MediaSession with Opus', () => {
  it('timestamps advance 960 per 20 ms frame (48 kHz clock); the peer decodes the tone', () => {
    const net = new TestNet();
    const opts = { codec: 'opus' as const, clockRate: OPUS_CLOCK_RATE, payloadType: 111, random: () => 0.5 };
    const a = net.add(new MediaSession({ now: 0, remote: B, ssrc: 1, initialTimestamp: 0, ...opts }), A);
    const b = net.add(new MediaSession({ now: 0, remote: A, ssrc: 2, ...opts }), B);
    expect(a.session.pcmRate).toBe(8000);
    const tone = new ToneGenerator({ frequency: 440 });
    net.run(2000, (now) => {
      if (now % 20 === 0 && now < 1500) {
        const pcm = new Int16Array(160);
        tone.fill(pcm);
        a.session.sendAudio(pcm, now);
      }
    });
    const rtp = a.sent.filter((s) => s.data[1]! < 192 || s.data[1]! > 223).map((s) => RtpPacket.parse(s.data));
    expect(rtp.length).toBeGreaterThan(50);
    expect(rtp[1]!.timestamp - rtp[0]!.timestamp).toBe(960);
    expect(rtp[0]!.payloadType).toBe(111);
    const audio = b.events
      .map((e) => e.event)
      .filter((e): e is Extract<MediaEvent, { type: 'audio' }> => e.type === 'audio' && !e.concealed);
    expect(audio.length).toBeGreaterThan(50);
    expect(audio[0]!.pcm.length).toBe(160);
    const heard = audio.slice(10).flatMap((e) => [...e.pcm]);
    expect(Math.abs(dominantFrequency(heard, 8000) - 440)).toBeLessThan(10);
    a.session.close(2000);
    b.session.close(2000);
  });
});

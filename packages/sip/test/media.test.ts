import { describe, expect, it } from 'vitest';
import {
  alawToLinear,
  answerSdpOffer,
  createSdpOffer,
  decodeG711,
  dominantFrequency,
  encodeG711,
  linearToAlaw,
  linearToUlaw,
  MediaEndpoint,
  readSdpAnswer,
  type SrtpMode,
  ToneGenerator,
  ulawToLinear,
} from '../src/index.js';

describe('G.711 and the tone', () => {
  it('μ-law and A-law round trip within the companding error', () => {
    for (const x of [0, 1, 100, 1000, 8000, 32000, -5, -1000, -32768]) {
      expect(Math.abs(ulawToLinear(linearToUlaw(x)) - x)).toBeLessThanOrEqual(Math.max(8, Math.abs(x) / 16));
      expect(Math.abs(alawToLinear(linearToAlaw(x)) - x)).toBeLessThanOrEqual(Math.max(16, Math.abs(x) / 16));
    }
    expect(linearToUlaw(0)).toBe(0xff);
    expect(linearToAlaw(0)).toBe(0xd5);
  });

  it('a 440 Hz PCMU tone in 20 ms frames decodes back to 440 Hz', () => {
    const g = new ToneGenerator({ frequency: 440 });
    const frames = Array.from({ length: 50 }, () => g.nextFrame());
    expect(frames[0]).toHaveLength(160);
    const pcm = frames.flatMap((f) => Array.from(decodeG711(f, 'PCMU')));
    expect(Math.abs(dominantFrequency(pcm) - 440)).toBeLessThan(2);
    const a = encodeG711(pcm, 'PCMA');
    expect(Math.abs(dominantFrequency(decodeG711(a, 'PCMA')) - 440)).toBeLessThan(2);
    expect(dominantFrequency(new Array(8000).fill(0))).toBe(0);
  });
});

async function echoCall(srtp: SrtpMode) {
  const caller = await MediaEndpoint.open({ srtp });
  const echo = await MediaEndpoint.open({ srtp });
  const offer = createSdpOffer(caller.local, { sessionId: '1', version: 1 });
  const ans = answerSdpOffer(offer, echo.local, { sessionId: '2', version: 1 });
  const neg = readSdpAnswer(ans.sdp, caller.local);
  await Promise.all([echo.start(ans.media, 'echo'), caller.start(neg, 'tone')]);
  await new Promise((r) => setTimeout(r, 1200));
  caller.stopSending();
  await new Promise((r) => setTimeout(r, 150));
  const st = caller.stats();
  const es = echo.stats();
  await caller.close();
  await echo.close();
  return { st, es };
}

describe('media echo over loopback', () => {
  for (const mode of ['none', 'sdes', 'dtls'] as const) {
    it(`tone → echo → tone with srtp=${mode}`, async () => {
      const { st, es } = await echoCall(mode);
      expect(st.packetsSent).toBeGreaterThan(40);
      expect(st.packetsReceived).toBeGreaterThan(40);
      expect(st.lost).toBeLessThanOrEqual(2);
      expect(es.packetsReceived).toBe(es.packetsSent);
      expect(Math.abs(st.receivedToneHz - 440)).toBeLessThan(3);
      expect(st.rttMs?.avg).toBeGreaterThanOrEqual(0);
      expect(st.dropped).toBe(0);
      if (mode !== 'none') expect(st.srtpProfile).toBeTruthy();
      else expect(st.srtpProfile).toBeUndefined();
    });
  }
});

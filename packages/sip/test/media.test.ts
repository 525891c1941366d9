import { createLoop } from '@mdh/loop';
import { afterAll, describe, expect, it } from 'vitest';
import {
  answerSdpOffer,
  CallMedia,
  callMediaReport,
  createSdpOffer,
  mediaOptionsFor,
  readSdpAnswer,
  type SrtpMode,
} from '../src/index.js';

const loop = createLoop();
afterAll(() => loop.stop());

/** Offer/answer between two CallMedia, then a tone one way and an echo back, over loopback. */
async function echoCall(srtp: SrtpMode) {
  const caller = await CallMedia.open({ loop, srtp });
  const echo = await CallMedia.open({ loop, srtp });
  const offer = createSdpOffer(caller.local, { sessionId: '1', version: 1 });
  const ans = answerSdpOffer(offer, echo.local, { sessionId: '2', version: 1 });
  const neg = readSdpAnswer(ans.sdp, caller.local);
  const e = echo.start(ans.media);
  e.on('rtp', (ev) => {
    const p = ev.packet;
    e.sendRtp(p.payload, { payloadType: p.payloadType, timestamp: p.timestamp, marker: p.marker });
  });
  const c = caller.start(neg);
  let digits = '';
  e.on('dtmf', (d) => {
    digits += d.digit;
  });
  const frame = new Int16Array(160).fill(1000);
  const t = loop.every(20, () => c.sendAudio(frame));
  loop.after(300, () => c.sendDtmf('9*'));
  await new Promise((r) => setTimeout(r, 1500));
  loop.cancel(t);
  await new Promise((r) => setTimeout(r, 150));
  const st = callMediaReport(c.stats());
  const es = callMediaReport(e.stats());
  await caller.close();
  await echo.close();
  return { st, es, digits };
}

describe('CallMedia: a call’s MediaSession configured from SDP offer/answer, over loopback', () => {
  for (const mode of ['none', 'sdes', 'dtls'] as const) {
    it(`tone → echo → back, DTMF across, srtp=${mode}`, async () => {
      const { st, es, digits } = await echoCall(mode);
      expect(st.packetsSent).toBeGreaterThan(50);
      expect(st.packetsReceived).toBeGreaterThan(50);
      expect(st.lost).toBeLessThanOrEqual(2);
      expect(es.packetsReceived).toBe(es.packetsSent);
      expect(digits).toBe('9*');
      expect(st.dropped).toBe(0);
      if (mode !== 'none') expect(st.srtpProfile).toBeTruthy();
      else expect(st.srtpProfile).toBeUndefined();
    });
  }

  it('maps the negotiation onto MediaSession options (SDES lines, DTLS role and fingerprint, rtcp-mux)', async () => {
    const a = await CallMedia.open({ loop, srtp: 'dtls', rtcpMux: false });
    const b = await CallMedia.open({ loop, srtp: 'dtls' });
    const offer = createSdpOffer(a.local, { sessionId: '1', version: 1 });
    const ans = answerSdpOffer(offer, b.local, { sessionId: '2', version: 1 });
    const o = mediaOptionsFor(ans.media);
    expect(o.security?.kind).toBe('dtls');
    if (o.security?.kind === 'dtls') {
      expect(o.security.role).toBe(ans.media.dtlsRole);
      expect(o.security.remoteFingerprints).toEqual([`sha-256 ${a.local.fingerprint!.value}`]);
    }
    expect(o.remote).toEqual({ address: '127.0.0.1', port: a.local.port });
    // The offer had no a=rtcp-mux: RTCP goes to the peer's RTP port + 1.
    expect(ans.media.rtcpMux).toBe(false);
    expect(o.remoteRtcp).toEqual({ address: '127.0.0.1', port: a.local.port + 1 });
    expect(o.telephoneEventPt).toBe(101);
    await a.close();
    await b.close();
  });
});

// Opus in SDP offer/answer (RFC 7587 §7: `opus/48000/2`, a 48 kHz clock; RFC 4733 §2.1: telephone-event at the
// audio codec's clock rate). Opus is only used when asked for in LocalMedia.codecs.
import { describe, expect, it } from 'vitest';
import { answerSdpOffer, createSdpOffer, readSdpAnswer } from '../src/index.js';

// the audio part of a browser's offer (Chromium lists Opus first, then G.711, with a telephone-event per clock rate)
const browserOffer = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'c=IN IP4 127.0.0.1',
  'm=audio 40000 RTP/AVP 111 63 9 0 8 13 110 126',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:63 red/48000/2',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:13 CN/8000',
  'a=rtpmap:110 telephone-event/48000',
  'a=rtpmap:126 telephone-event/8000',
  'a=rtcp-mux',
  '',
].join('\r\n');

const local = { address: '127.0.0.1', port: 50000, srtp: 'none' as const };
const info = { sessionId: '1', version: 1 };

describe('Opus offer/answer', () => {
  it('by default Opus is declined cleanly: PCMU with the 8 kHz telephone-event', () => {
    const a = answerSdpOffer(browserOffer, local, info);
    expect(a.media.codec).toBe('PCMU');
    expect(a.media.clockRate).toBe(8000);
    expect(a.media.telephoneEventPt).toBe(126);
    expect(a.sdp).not.toMatch(/opus/i);
    expect(a.sdp).toMatch(/^m=audio 50000 RTP\/AVP 0 8 126\r$/m);
  });

  it('with Opus enabled the offer order picks it: 48 kHz clock, the 48 kHz telephone-event, no G.711 beside it', () => {
    const a = answerSdpOffer(browserOffer, { ...local, codecs: ['opus', 'PCMU', 'PCMA'] }, info);
    expect(a.media.codec).toBe('opus');
    expect(a.media.payloadType).toBe(111);
    expect(a.media.clockRate).toBe(48000);
    expect(a.media.telephoneEventPt).toBe(110);
    expect(a.sdp).toMatch(/^m=audio 50000 RTP\/AVP 111 110\r$/m);
    expect(a.sdp).toMatch(/^a=rtpmap:111 opus\/48000\/2\r$/m);
    expect(a.sdp).toMatch(/^a=rtpmap:110 telephone-event\/48000\r$/m);
  });

  it('an Opus rtpmap at another clock rate is not Opus (RFC 7587 §7 says 48000)', () => {
    const bad = browserOffer.replace('opus/48000/2', 'opus/16000/2');
    expect(() => answerSdpOffer(bad, { ...local, codecs: ['opus'] }, info)).toThrow(/no common codec/);
    expect(answerSdpOffer(bad, { ...local, codecs: ['opus', 'PCMU'] }, info).media.codec).toBe('PCMU');
  });

  it('our Opus offer and its answer', () => {
    const offer = createSdpOffer({ ...local, codecs: ['opus'] }, info);
    expect(offer).toMatch(/^m=audio 50000 RTP\/AVP 111 101\r$/m);
    expect(offer).toMatch(/^a=rtpmap:111 opus\/48000\/2\r$/m);
    expect(offer).toMatch(/^a=rtpmap:101 telephone-event\/48000\r$/m);
    const answer = offer.replace('m=audio 50000', 'm=audio 40000');
    const n = readSdpAnswer(answer, { ...local, codecs: ['opus'] });
    expect(n.codec).toBe('opus');
    expect(n.clockRate).toBe(48000);
    expect(n.telephoneEventPt).toBe(101);
  });
});

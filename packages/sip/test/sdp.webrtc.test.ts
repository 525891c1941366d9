// WebRTC-shaped SDP (issue #13 item 3) against a real Chromium offer: captured from Chromium 156's
// RTCPeerConnection.createOffer() (one audio transceiver, ICE gathering complete) on this machine.
import { parse } from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { answerSdpOffer, createSdpOffer, type LocalMedia, readSdpAnswer, SdpNegotiationError } from '../src/index.js';

const CHROMIUM_OFFER = [
  'v=0',
  'o=- 660648519544119688 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=extmap-allow-mixed',
  'a=msid-semantic: WMS',
  'm=audio 40070 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126',
  'c=IN IP4 192.0.2.2',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=candidate:1640978429 1 udp 2113937151 192.0.2.2 40070 typ host generation 0 network-cost 999',
  'a=candidate:2863240733 1 udp 2113942271 fd00::2 46578 typ host generation 0 network-cost 999',
  'a=ice-ufrag:IplV',
  'a=ice-pwd:+IOCi7kV3xFsDVD3kJ8oWuLA',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 F3:94:DC:95:68:B2:AC:CE:FD:9D:60:D8:5C:E7:0D:D0:28:9E:CB:F9:9C:04:83:0A:47:61:83:02:53:11:EA:67',
  'a=setup:actpass',
  'a=mid:0',
  'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  'a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
  'a=sendrecv',
  'a=msid:- ce1e5a1a-310a-4fdf-bcdc-0d7498d002bc',
  'a=rtcp-mux',
  'a=rtcp-rsize',
  'a=rtcp-xr:rcvr-rtt=all',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:63 red/48000/2',
  'a=fmtp:63 111/111',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:13 CN/8000',
  'a=rtpmap:110 telephone-event/48000',
  'a=rtpmap:126 telephone-event/8000',
  'a=ssrc:1515907361 cname:z3RzJDSkUgROoJOJ',
  'a=ssrc:1515907361 msid:- ce1e5a1a-310a-4fdf-bcdc-0d7498d002bc',
  '',
].join('\r\n');

const FP = {
  hash: 'sha-256',
  value: Array.from({ length: 32 }, (_, i) => (i * 7).toString(16).padStart(2, '0').toUpperCase()).join(':'),
};
const ICE = {
  ufrag: 'mdhU',
  pwd: 'abcdefghijklmnopqrstuvwx',
  lite: true,
  candidates: ['candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host'],
};
const LOCAL: LocalMedia = { address: '127.0.0.1', port: 40000, srtp: 'dtls', fingerprint: FP, ice: ICE };
const INFO = { sessionId: '7', version: 1 };

describe('WebRTC SDP: answering a Chromium offer', () => {
  const { sdp, media } = answerSdpOffer(CHROMIUM_OFFER, LOCAL, INFO);
  const a = parse(sdp);
  const m = a.media[0]!;

  it('declines Opus, RED, G722 and CN cleanly: PCMU/PCMA and telephone-event/8000 (126) only', () => {
    expect(a.media).toHaveLength(1);
    expect(m.payloads).toBe('0 8 126');
    expect(m.rtp.map((r) => `${r.payload} ${r.codec}/${r.rate}`)).toEqual([
      '0 PCMU/8000',
      '8 PCMA/8000',
      '126 telephone-event/8000',
    ]);
    expect(sdp).not.toMatch(/opus|red\/|G722|CN\//i);
    expect(media).toMatchObject({ codec: 'PCMU', payloadType: 0, telephoneEventPt: 126, clockRate: 8000 });
  });

  it('keeps UDP/TLS/RTP/SAVPF, BUNDLE with the offered mid, rtcp-mux, and is DTLS client (setup:active)', () => {
    expect(m.protocol).toBe('UDP/TLS/RTP/SAVPF');
    expect(sdp).toMatch(/^a=group:BUNDLE 0\r$/m);
    expect(String(m.mid)).toBe('0');
    expect(m.rtcpMux).toBe('rtcp-mux');
    expect(m.setup).toBe('active');
    expect(m.fingerprint).toEqual({ type: 'sha-256', hash: FP.value });
    expect(media).toMatchObject({ srtp: 'dtls', dtlsRole: 'client', rtcpMux: true, mid: '0', held: false });
    expect(media.remoteFingerprint?.value).toMatch(/^F3:94:DC/);
  });

  it('writes ICE-lite, our credentials, our host candidate and end-of-candidates; ignores rtcp-fb/extmap/ssrc', () => {
    expect(a.icelite).toBe('ice-lite');
    expect(m.iceUfrag).toBe('mdhU');
    expect(m.icePwd).toBe(ICE.pwd);
    expect(sdp).toMatch(/^a=candidate:1 1 udp 2130706431 127\.0\.0\.1 40000 typ host\r$/m);
    expect(m.endOfCandidates).toBe('end-of-candidates');
    expect(m.rtcpFb).toBeUndefined();
    expect(m.ext).toBeUndefined();
    expect(m.ssrcs).toBeUndefined();
  });

  it("reads the browser's ICE credentials and candidates", () => {
    expect(media.remoteIce).toMatchObject({ ufrag: 'IplV', pwd: '+IOCi7kV3xFsDVD3kJ8oWuLA', lite: false });
    expect(media.remoteIce!.candidates).toHaveLength(2);
    expect(media.remoteIce!.candidates[0]).toMatch(/^a=candidate:1640978429 1 udp 2113937151 \S+ 40070 typ host$/);
  });

  it('an offer with only Opus is refused with 488 (no common codec)', () => {
    const opusOnly = CHROMIUM_OFFER.replace(
      /^m=audio (\d+) UDP\/TLS\/RTP\/SAVPF .*$/m,
      'm=audio $1 UDP/TLS/RTP/SAVPF 111',
    );
    expect(() => answerSdpOffer(opusOnly, LOCAL, INFO)).toThrow(SdpNegotiationError);
    try {
      answerSdpOffer(opusOnly, LOCAL, INFO);
    } catch (e) {
      expect((e as SdpNegotiationError).status).toBe(488);
      expect((e as Error).message).toMatch(/codec/);
    }
  });

  it('c=0.0.0.0 with ICE (nothing gathered yet, RFC 8839 §4.2.1.2) is not hold', () => {
    const trickle = CHROMIUM_OFFER.replace(/^c=IN IP4 .*$/m, 'c=IN IP4 0.0.0.0');
    expect(answerSdpOffer(trickle, LOCAL, INFO).media.held).toBe(false);
    const plain = 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
    expect(answerSdpOffer(plain, { address: '127.0.0.1', port: 40000, srtp: 'none' }, INFO).media.held).toBe(true);
  });

  it('an offer without ICE gets no ICE lines in the answer (SIP peers without ICE are unchanged)', () => {
    const noIce = CHROMIUM_OFFER.split('\r\n')
      .filter((l) => !/^a=(ice-|candidate)/.test(l))
      .join('\r\n');
    const r = answerSdpOffer(noIce, LOCAL, INFO);
    expect(r.sdp).not.toMatch(/a=ice-|a=candidate/);
    expect(r.media.remoteIce).toBeUndefined();
  });
});

describe('WebRTC SDP: our offer to a browser', () => {
  const local: LocalMedia = { ...LOCAL, webrtc: true };
  const offer = createSdpOffer(local, INFO);
  const o = parse(offer);

  it('is WebRTC-shaped: SAVPF, BUNDLE 0, mid 0, rtcp-mux, actpass, fingerprint, ICE-lite with our candidate', () => {
    const m = o.media[0]!;
    expect(m.protocol).toBe('UDP/TLS/RTP/SAVPF');
    expect(offer).toMatch(/^a=group:BUNDLE 0\r$/m);
    expect(String(m.mid)).toBe('0');
    expect(m.rtcpMux).toBe('rtcp-mux');
    expect(m.setup).toBe('actpass');
    expect(o.icelite).toBe('ice-lite');
    expect(m.iceUfrag).toBe('mdhU');
    expect(m.candidates).toHaveLength(1);
    expect(m.endOfCandidates).toBe('end-of-candidates');
  });

  it("reads a browser's answer: its ICE credentials and DTLS role (active answer: we are the server)", () => {
    const answer = CHROMIUM_OFFER.replace('a=setup:actpass', 'a=setup:active');
    const n = readSdpAnswer(answer, local);
    expect(n).toMatchObject({ codec: 'PCMU', dtlsRole: 'server', srtp: 'dtls', mid: '0' });
    expect(n.remoteIce?.ufrag).toBe('IplV');
  });
});

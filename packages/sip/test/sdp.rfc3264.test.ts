import { describe, expect, it } from 'vitest';
import { answerSdpOffer, createSdpOffer, readSdpAnswer, SdpNegotiationError } from '../src/stack-layer.js';

const info = { sessionId: '42', version: 1 };

const sippOffer = [
  'v=0',
  'o=user1 53655765 2353687637 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 6000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  '',
].join('\r\n');

describe('SDP offer/answer (RFC 3264)', () => {
  it('answers sipp’s plain offer with PCMU and inverts nothing for sendrecv', () => {
    const a = answerSdpOffer(sippOffer, { address: '127.0.0.1', port: 40000, srtp: 'none' }, info);
    expect(a.media).toMatchObject({
      remoteAddress: '127.0.0.1',
      remotePort: 6000,
      remoteRtcpPort: 6001,
      rtcpMux: false,
      codec: 'PCMU',
      payloadType: 0,
      srtp: 'none',
      direction: 'sendrecv',
      held: false,
    });
    expect(a.sdp).toContain('m=audio 40000 RTP/AVP 0\r\n');
    expect(a.sdp).not.toContain('telephone-event');
    expect(a.sdp).toContain('c=IN IP4 127.0.0.1');
  });

  it('offer → answer → read answer round trip with PCMA preferred and telephone-event', () => {
    const offer = createSdpOffer({ address: '127.0.0.1', port: 5004, srtp: 'none', codecs: ['PCMA', 'PCMU'] }, info);
    expect(offer).toMatch(/m=audio 5004 RTP\/AVP 8 0 101/);
    expect(offer).toContain('a=rtcp-mux');
    const ans = answerSdpOffer(offer, { address: '127.0.0.2', port: 6006, srtp: 'none' }, info);
    expect(ans.media.codec).toBe('PCMA');
    expect(ans.media.telephoneEventPt).toBe(101);
    expect(ans.media.rtcpMux).toBe(true);
    const n = readSdpAnswer(ans.sdp, { address: '127.0.0.1', port: 5004, srtp: 'none', codecs: ['PCMA', 'PCMU'] });
    expect(n).toMatchObject({ remoteAddress: '127.0.0.2', remotePort: 6006, codec: 'PCMA', rtcpMux: true });
  });

  it('SDES: picks the offered suite we support and echoes its tag', () => {
    const offer = createSdpOffer(
      {
        address: '127.0.0.1',
        port: 5004,
        srtp: 'sdes',
        crypto: [
          { tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', keyParams: 'inline:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
          { tag: 2, suite: 'AES_CM_128_HMAC_SHA1_32', keyParams: 'inline:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB' },
        ],
      },
      info,
    );
    expect(offer).toContain('m=audio 5004 RTP/SAVP');
    const ans = answerSdpOffer(
      offer,
      {
        address: '127.0.0.1',
        port: 6000,
        srtp: 'sdes',
        crypto: [
          { tag: 9, suite: 'AES_CM_128_HMAC_SHA1_32', keyParams: 'inline:CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC' },
        ],
      },
      info,
    );
    expect(ans.sdp).toContain('a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:CCCC');
    expect(ans.media.remoteCrypto?.keyParams).toContain('BBBB');
    const n = readSdpAnswer(ans.sdp, {
      address: '127.0.0.1',
      port: 5004,
      srtp: 'sdes',
      crypto: [
        { tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', keyParams: 'inline:A' },
        { tag: 2, suite: 'AES_CM_128_HMAC_SHA1_32', keyParams: 'inline:B' },
      ],
    });
    expect(n.localCrypto?.keyParams).toBe('inline:B');
    expect(n.remoteCrypto?.keyParams).toContain('CCCC');
  });

  it('DTLS-SRTP: actpass offer gets an active answer (RFC 5763 §5) and the roles follow', () => {
    const fp = { hash: 'sha-256', value: 'AB:CD' };
    const offer = createSdpOffer({ address: '127.0.0.1', port: 5004, srtp: 'dtls', fingerprint: fp }, info);
    expect(offer).toContain('m=audio 5004 UDP/TLS/RTP/SAVP');
    expect(offer).toContain('a=setup:actpass');
    expect(offer).toContain('a=fingerprint:sha-256 AB:CD');
    const ans = answerSdpOffer(
      offer,
      { address: '127.0.0.1', port: 6000, srtp: 'dtls', fingerprint: { hash: 'sha-256', value: '12:34' } },
      info,
    );
    expect(ans.media.dtlsRole).toBe('client');
    expect(ans.sdp).toContain('a=setup:active');
    expect(ans.media.remoteFingerprint).toEqual(fp);
    const n = readSdpAnswer(ans.sdp, { address: '127.0.0.1', port: 5004, srtp: 'dtls', fingerprint: fp });
    expect(n.dtlsRole).toBe('server');
    expect(n.remoteFingerprint?.value).toBe('12:34');
  });

  it('hold: a sendonly offer is answered recvonly; c=0.0.0.0 is hold too', () => {
    const hold = createSdpOffer({ address: '127.0.0.1', port: 5004, srtp: 'none', direction: 'sendonly' }, info);
    const a = answerSdpOffer(hold, { address: '127.0.0.1', port: 6000, srtp: 'none' }, info);
    expect(a.media.held).toBe(true);
    expect(a.media.direction).toBe('recvonly');
    expect(a.sdp).toContain('a=recvonly');
    const old = sippOffer.replace('c=IN IP4 127.0.0.1', 'c=IN IP4 0.0.0.0');
    expect(answerSdpOffer(old, { address: '127.0.0.1', port: 6000, srtp: 'none' }, info).media.direction).toBe(
      'inactive',
    );
  });

  it('rejects what it cannot do with 488, and rejects extra streams with port 0', () => {
    const video = `${sippOffer}m=video 7000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n`;
    const a = answerSdpOffer(video, { address: '127.0.0.1', port: 6000, srtp: 'none' }, info);
    expect(a.sdp).toContain('m=video 0 RTP/AVP 96');
    expect(() => answerSdpOffer(sippOffer, { address: '127.0.0.1', port: 1, srtp: 'sdes', crypto: [] }, info)).toThrow(
      SdpNegotiationError,
    );
    const g729 = sippOffer.replace('RTP/AVP 0', 'RTP/AVP 18').replace('rtpmap:0 PCMU', 'rtpmap:18 G729');
    try {
      answerSdpOffer(g729, { address: '127.0.0.1', port: 1, srtp: 'none' }, info);
      expect.unreachable();
    } catch (e) {
      expect((e as SdpNegotiationError).status).toBe(488);
    }
  });
});

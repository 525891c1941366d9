import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  answerSdpOffer,
  type LocalMedia,
  makeSdesCrypto,
  readSdpAnswer,
  SdpNegotiationError,
  SipCallError,
  UserAgent,
} from '../src/index.js';
import { world } from './world.js';

// Issue #14 item 6: answerSdpOffer never throws anything but SdpNegotiationError on a malformed offer.

const plain =
  'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n' +
  'm=audio 49170 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n' +
  'a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\na=rtcp:49171\r\na=sendrecv\r\n';
const sdes =
  'v=0\r\no=- 2 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n' +
  'm=audio 49172 RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n' +
  'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4\r\n';
const dtls =
  'v=0\r\no=- 3 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n' +
  'm=audio 49174 UDP/TLS/RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\na=setup:actpass\r\na=rtcp-mux\r\n' +
  'a=fingerprint:sha-256 12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0\r\n';

const locals: LocalMedia[] = [
  { address: '127.0.0.1', port: 7000, srtp: 'none' },
  { address: '127.0.0.1', port: 7002, srtp: 'sdes', crypto: makeSdesCrypto() },
  { address: '127.0.0.1', port: 7004, srtp: 'dtls', fingerprint: { hash: 'sha-256', value: 'AB:CD' } },
];
const info = { sessionId: '1', version: 1 };

/** Either an answer or an SdpNegotiationError; anything else fails the property. */
function answerOrNegotiationError(offer: string, local: LocalMedia): 'answered' | 'rejected' {
  try {
    const a = answerSdpOffer(offer, local, info);
    expect(typeof a.sdp).toBe('string');
    // our answer is well-formed: reading it back as the offerer would must not throw anything else either
    try {
      readSdpAnswer(a.sdp, { ...local, ...(local.srtp === 'sdes' ? { crypto: [a.media.localCrypto!] } : {}) });
    } catch (e) {
      if (!(e instanceof SdpNegotiationError)) throw e;
    }
    return 'answered';
  } catch (e) {
    if (e instanceof SdpNegotiationError) return 'rejected';
    throw e;
  }
}

// tokens of the kinds sdp-transform reads differently: numbers where text is expected, text where numbers are
const tokens = fc.oneof(
  fc.constantFrom('1', '12', '0', '49174', '192.0.2.1', '-1', '99999999999', '1e5', '0x10', '', ' ', ':', '/', 'x'),
  fc.integer({ min: -5, max: 70000 }).map(String),
  fc.stringMatching(/^[ -~]{0,12}$/),
);

/** One mutation of an SDP's lines: replace a token of a line, drop/duplicate a line, or insert a line. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('token' as const), line: fc.nat(), tok: fc.nat(), value: tokens }),
  fc.record({ kind: fc.constant('drop' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('dup' as const), line: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    line: fc.nat(),
    text: fc.oneof(
      fc.constantFrom(
        'm=audio 49174 192.0.2.1',
        'a=fingerprint:sha-256 12',
        'a=setup:1',
        'c=IN IP4 7',
        'a=rtpmap:0 1/2',
        'a=rtpmap:x PCMU/8000',
        'a=crypto:1 2 3',
        'a=crypto:x AES_CM_128_HMAC_SHA1_80 inline:1',
        'a=rtcp:x',
        'a=ptime:abc',
        'a=sendonly',
        'm=audio 0 RTP/AVP',
        'm=audio x RTP/AVP 0',
        'm=video 1 RTP/AVP 96',
        'c=IN IP6',
        'a=fingerprint:12 34',
      ),
      tokens.map((t) => `a=${t}`),
    ),
  }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(sdp: string, ms: Mutation[]): string {
  const lines = sdp.split('\r\n').filter((l) => l !== '');
  for (const m of ms) {
    if (lines.length === 0) break;
    const i = m.line % lines.length;
    if (m.kind === 'drop') lines.splice(i, 1);
    else if (m.kind === 'dup') lines.splice(i, 0, lines[i]!);
    else if (m.kind === 'insert') lines.splice(i, 0, m.text);
    else {
      const l = lines[i]!;
      const eq = l.indexOf('=');
      const parts = l.slice(eq + 1).split(/([ :/])/);
      const idx = (m.tok % Math.ceil(parts.length / 2)) * 2;
      parts[idx] = m.value;
      lines[i] = `${l.slice(0, eq + 1)}${parts.join('')}`;
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}

describe('answerSdpOffer on malformed offers (issue #14 item 6)', () => {
  it('the reported reproductions give SdpNegotiationError, not TypeError', () => {
    const cases = [
      plain.replace('m=audio 49170 RTP/AVP 0 8 101', 'm=audio 49174 192.0.2.1'),
      dtls.replace(/a=fingerprint:.*/, 'a=fingerprint:sha-256 12'),
      dtls.replace('a=setup:actpass', 'a=setup:1'),
      plain.replace('c=IN IP4 192.0.2.1', 'c=IN IP4 7'),
      sdes.replace(/a=crypto:.*/, 'a=crypto:1 2 3'),
      plain.replace('a=rtpmap:0 PCMU/8000', 'a=rtpmap:0 1/2'),
    ];
    for (const offer of cases) {
      for (const local of locals) {
        const r = answerOrNegotiationError(offer, local);
        expect(['answered', 'rejected']).toContain(r);
      }
    }
    // and a number-like fingerprint/setup is text again when it is otherwise usable
    const a = answerSdpOffer(dtls.replace('a=setup:actpass', 'a=setup:1'), locals[2]!, info);
    expect(a.media.dtlsRole).toBe('client');
    expect(() =>
      answerSdpOffer(dtls.replace(/a=fingerprint:.*/, 'a=fingerprint:sha-256 12'), locals[2]!, info),
    ).not.toThrow();
  });

  it('property: every mutation of valid offers is answered or rejected with SdpNegotiationError', () => {
    let answered = 0;
    let rejected = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(plain, sdes, dtls),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.nat(2),
        (base, ms, li) => {
          const r = answerOrNegotiationError(mutate(base, ms), locals[li]!);
          if (r === 'answered') answered++;
          else rejected++;
        },
      ),
      { numRuns: 3000, seed: 14_6 },
    );
    // the corpus exercises both outcomes
    expect(answered).toBeGreaterThan(100);
    expect(rejected).toBeGreaterThan(100);
  });

  it('the user agent answers an INVITE whose offer cannot be negotiated 488', async () => {
    const w = world();
    const uas = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)], user: 'bob' });
    const uac = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.1', 5060)], user: 'alice' });
    uas.on('error', () => {});
    uas.on('invite', (inv) => {
      void inv.answer(answerSdpOffer(inv.remoteSdp ?? '', locals[0]!, info).sdp);
    });
    const out = uac
      .invite('sip:bob@127.0.0.2:5060', {
        sdp: plain.replace('m=audio 49170 RTP/AVP 0 8 101', 'm=audio 49174 192.0.2.1'),
      })
      .result.then(
        () => 200,
        (e) => (e instanceof SipCallError ? e.status : -1),
      );
    await w.run(500);
    expect(await out).toBe(488);
  });
});

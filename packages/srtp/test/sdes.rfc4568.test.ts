import {
  formatSdesCrypto,
  generateSdesCrypto,
  parseSdesCrypto,
  SRTP_PROFILES,
  SrtpConfigError,
  SrtpParseError,
  SrtpSession,
  sdesMkiBytes,
  sdesSessionOptions,
} from '@mdh/srtp';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toh } from './vectors.js';

describe('SDES a=crypto (RFC 4568)', () => {
  it('parses the RFC 4568 §4 example', () => {
    const c = parseSdesCrypto(
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32',
    );
    expect(c.tag).toBe(1);
    expect(c.suite).toBe('AES_CM_128_HMAC_SHA1_80');
    expect(c.profile?.name).toBe('SRTP_AES128_CM_HMAC_SHA1_80');
    const k = c.keyParams[0]!;
    expect(k.key.length).toBe(16);
    expect(k.salt.length).toBe(14);
    expect(k.lifetime).toBe(2 ** 20);
    expect(k.mki).toEqual({ value: 1n, length: 32 });
    expect(formatSdesCrypto(c)).toBe(
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32',
    );
  });

  it('parses several keys, MKI without lifetime, session parameters and unknown suites', () => {
    const c = parseSdesCrypto(
      'crypto:7 AES_256_CM_HMAC_SHA1_32 inline:' +
        'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLQ|5:1;inline:' +
        'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLQ|1000|6:1 UNENCRYPTED_SRTCP WSH=256',
    );
    expect(c.tag).toBe(7);
    expect(c.keyParams.length).toBe(2);
    expect(c.keyParams[0]!.mki).toEqual({ value: 5n, length: 1 });
    expect(c.keyParams[1]!.lifetime).toBe(1000);
    expect(c.sessionParams).toEqual(['UNENCRYPTED_SRTCP', 'WSH=256']);
    const o = sdesSessionOptions(c, 1);
    expect(o.encryptRtcp).toBe(false);
    expect(o.replayWindow).toBe(256);
    expect(o.masterKeys!.map((m) => toh(m.mki))).toEqual(['06', '05']);
    // a receiver holding both keys accepts packets under either MKI
    const rx = new SrtpSession(sdesSessionOptions(c, 0));
    const tx1 = new SrtpSession(o);
    const rtp = Uint8Array.of(0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 1, 2, 3);
    expect(toh(rx.unprotect(tx1.protect(rtp)))).toBe(toh(rtp));
    tx1.useMasterKey(Uint8Array.of(5));
    rtp[3] = 2;
    expect(toh(rx.unprotect(tx1.protect(rtp)))).toBe(toh(rtp));
    const clearRtp = sdesSessionOptions(
      parseSdesCrypto(
        `${formatSdesCrypto(generateSdesCrypto('AES_CM_128_HMAC_SHA1_80'))} UNENCRYPTED_SRTP FEC_ORDER=FEC_SRTP`,
      ),
    );
    expect(clearRtp.encryptRtp).toBe(false);
    const ctx = new SrtpSession(clearRtp);
    const pkt = Uint8Array.of(0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 1, 2, 3);
    const sp = ctx.protect(pkt);
    expect(toh(sp.subarray(0, 15))).toBe(toh(pkt));
    expect(toh(new SrtpSession(clearRtp).unprotect(sp))).toBe(toh(pkt));
    expect(() =>
      sdesSessionOptions(
        parseSdesCrypto(`${formatSdesCrypto(generateSdesCrypto('AEAD_AES_128_GCM'))} UNAUTHENTICATED_SRTP`),
      ),
    ).toThrow(SrtpConfigError);
    expect(
      () => new SrtpSession({ ...sdesSessionOptions(generateSdesCrypto('AEAD_AES_128_GCM')), encryptRtp: false }),
    ).toThrow(/AEAD/);
    const unknown = parseSdesCrypto('a=crypto:2 SOME_FUTURE_SUITE inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd');
    expect(unknown.profile).toBeUndefined();
    expect(() => sdesSessionOptions(unknown)).toThrow(SrtpConfigError);
    expect(() =>
      sdesSessionOptions(parseSdesCrypto(`${formatSdesCrypto(generateSdesCrypto('AEAD_AES_128_GCM'))} KDR=1`)),
    ).not.toThrow();
    expect(
      () =>
        new SrtpSession(
          sdesSessionOptions(parseSdesCrypto(`${formatSdesCrypto(generateSdesCrypto('AEAD_AES_128_GCM'))} KDR=1`)),
        ),
    ).toThrow(/key derivation rate/);
  });

  it('rejects malformed lines with SrtpParseError', () => {
    for (const bad of [
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80',
      'a=crypto:x AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR',
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVm',
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80 uri:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR',
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:0',
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|256:1',
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|abc',
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:P$1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR',
      'a=rtpmap:0 PCMU/8000',
    ]) {
      expect(() => parseSdesCrypto(bad), bad).toThrow(SrtpParseError);
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        try {
          parseSdesCrypto(`a=crypto:${s}`);
        } catch (e) {
          expect(e).toBeInstanceOf(SrtpParseError);
        }
      }),
    );
  });

  it('generates fresh keys from the CSPRNG for every profile; they format, parse back and key a session', () => {
    for (const p of SRTP_PROFILES) {
      const a = generateSdesCrypto(p.sdesName, { tag: 3, lifetime: 2 ** 31, mki: { value: 258, length: 2 } });
      const b = generateSdesCrypto(p.name);
      expect(toh(a.keyParams[0]!.key)).not.toBe(toh(b.keyParams[0]!.key));
      const line = formatSdesCrypto(a);
      expect(line).toMatch(new RegExp(`^a=crypto:3 ${p.sdesName} inline:[A-Za-z0-9+/]+={0,2}\\|2\\^31\\|258:2$`));
      const back = parseSdesCrypto(line);
      expect(toh(back.keyParams[0]!.key)).toBe(toh(a.keyParams[0]!.key));
      expect(toh(back.keyParams[0]!.salt)).toBe(toh(a.keyParams[0]!.salt));
      const opts = sdesSessionOptions(back);
      expect(toh(opts.mki!)).toBe('0102');
      const tx = new SrtpSession(opts);
      const rx = new SrtpSession(sdesSessionOptions(parseSdesCrypto(line)));
      const rtp = Uint8Array.of(0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 1, 2, 3);
      expect(toh(rx.unprotect(tx.protect(rtp)))).toBe(toh(rtp));
    }
    expect(toh(sdesMkiBytes({ value: 0x010203n, length: 4 }))).toBe('00010203');
    const fixed = generateSdesCrypto('AES_CM_128_HMAC_SHA1_32', { random: (n) => new Uint8Array(n).fill(1) });
    expect(formatSdesCrypto(fixed)).toBe(`a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:${'AQEB'.repeat(10)}`);
  });

  it('formats key||salt as padded base64 (RFC 4568 §9.2 key-salt is RFC 3548 §3 base64, "=" included)', () => {
    // 46 octets (AES-256 + 14-octet salt) and 44 octets (AEAD-256 + 12-octet salt) need padding; strict decoders
    // (pjsip, mbedtls-based stacks) reject the unpadded form.
    for (const [suite, n, pad] of [
      ['AES_256_CM_HMAC_SHA1_80', 46, '=='],
      ['AEAD_AES_256_GCM', 44, '='],
      ['AES_CM_128_HMAC_SHA1_80', 30, ''],
    ] as const) {
      const c = generateSdesCrypto(suite, { random: (k) => new Uint8Array(k).fill(7) });
      const b64 = /inline:([A-Za-z0-9+/=]+)/.exec(formatSdesCrypto(c))![1]!;
      expect(b64.length % 4).toBe(0);
      expect(b64.endsWith(pad) && !b64.slice(0, b64.length - pad.length).includes('=')).toBe(true);
      expect(Buffer.from(b64, 'base64').length).toBe(n);
      expect(toh(parseSdesCrypto(formatSdesCrypto(c)).keyParams[0]!.salt)).toBe(toh(c.keyParams[0]!.salt));
    }
  });
});

import {
  deriveSrtpSessionKeys,
  getSrtpProfile,
  jsBackend,
  nobleBackend,
  nodeBackend,
  SrtpSession,
  wasmBackend,
} from '@mdh/srtp';
import { describe, expect, it } from 'vitest';
import { BACKENDS, hex, loadVectors, toh } from './vectors.js';

const V = loadVectors('srtp-rfc6188.json');

describe('RFC 6188 §7.1/§7.3 AES-256/192-CM keystream', () => {
  for (const name of ['aes_256_cm_keystream_7_1', 'aes_192_cm_keystream_7_3']) {
    const v = V[name];
    for (const be of [jsBackend, wasmBackend, nobleBackend, nodeBackend]) {
      it(`${v.section}: first and last 48 octets of the segment (${be.name})`, () => {
        const n = v.keystream_segment_length_octets;
        const ks = new Uint8Array(n);
        be.ctr(hex(v.session_key)).xor(hex(v.iv), ks, 0, ks, 0, n);
        expect(toh(ks.subarray(0, 48))).toBe(v.keystream_first_48_octets);
        expect(toh(ks.subarray(n - 48))).toBe(v.keystream_last_48_octets);
        // IV = salt·2^16 when SSRC, ROC and SEQ are 0
        expect(v.iv).toBe(`${v.session_salt}0000`);
        expect(v.roc + v.sequence_number).toBe(0);
        expect(v.ssrc).toBe('00000000');
      });
    }
  }
});

describe('RFC 6188 §7.2/§7.4 AES-256/192-CM PRF key derivation', () => {
  for (const [name, profile] of [
    ['aes_256_cm_prf_7_2', 'AES_256_CM_HMAC_SHA1_80'],
    ['aes_192_cm_prf_7_4', 'AES_192_CM_HMAC_SHA1_80'],
  ] as const) {
    const v = V[name];
    it(v.section, () => {
      const keys = deriveSrtpSessionKeys(getSrtpProfile(profile), hex(v.master_key), hex(v.master_salt));
      expect(toh(keys.srtp.cipherKey)).toBe(v.cipher_key.value);
      expect(keys.srtp.cipherKey.length).toBe(v.cipher_key.length_octets);
      expect(toh(keys.srtp.salt)).toBe(v.cipher_salt.value);
      expect(keys.srtp.salt.length).toBe(v.cipher_salt.length_octets);
      expect(toh(keys.srtp.authKey)).toBe(v.auth_key.value);
      expect(keys.srtp.authKey.length).toBe(v.auth_key.length_octets);
      expect([v.cipher_key.label, v.auth_key.label, v.cipher_salt.label]).toEqual([0, 1, 2]);
      expect(v.key_derivation_rate).toBe(0);
    });
  }
});

describe('RFC 6188 packet known answers (libsrtp)', () => {
  for (const kat of V.srtp_packet_kats) {
    const profile = kat.name.split(' ')[0];
    for (const backend of BACKENDS) {
      it(`${kat.name} (${backend})`, () => {
        const opts = { profile, key: hex(kat.master_key), salt: hex(kat.master_salt), backend };
        expect(toh(new SrtpSession(opts).protect(hex(kat.rtp_plaintext)))).toBe(kat.srtp_protected);
        expect(toh(new SrtpSession(opts).unprotect(hex(kat.srtp_protected)))).toBe(kat.rtp_plaintext);
        expect(kat.roc).toBe(0);
        expect(kat.ssrc).toBe(kat.rtp_plaintext.slice(16, 24));
        // the _32 variant of the same suite differs only in the tag length
        const p32 = profile.replace('_80', '_32');
        const out32 = new SrtpSession({ ...opts, profile: p32 }).protect(hex(kat.rtp_plaintext));
        expect(toh(out32)).toBe(kat.srtp_protected.slice(0, out32.length * 2));
      });
    }
  }
});

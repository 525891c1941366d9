import {
  deriveSrtpSessionKeys,
  getSrtpProfile,
  jsBackend,
  nobleBackend,
  nodeBackend,
  SrtpSession,
  srtpPrf,
  wasmBackend,
} from '@mdh/srtp';
import { describe, expect, it } from 'vitest';
import { BACKENDS, hex, loadVectors, toh } from './vectors.js';

const V = loadVectors('srtp-rfc3711.json');

describe('RFC 3711 Appendix B.2: AES-CM keystream', () => {
  const b2 = V.aes_cm_keystream_b2;
  for (const be of [jsBackend, wasmBackend, nobleBackend, nodeBackend]) {
    it(`matches every printed keystream block (${be.name})`, () => {
      const ctr = be.ctr(hex(b2.session_key));
      for (const blk of b2.blocks) {
        // the counter block is offset_iv + block_index; encrypting zeros yields the keystream
        const iv = hex(b2.offset_iv);
        const zeros = new Uint8Array(16 * (blk.block_index + 1));
        const ks = new Uint8Array(zeros.length);
        if (blk.block_index < 4) {
          ctr.xor(iv, zeros, 0, ks, 0, zeros.length);
          expect(toh(ks.subarray(16 * blk.block_index))).toBe(blk.keystream);
        } else {
          const counter = hex(blk.counter);
          ctr.xor(counter, zeros, 0, ks, 0, 16);
          expect(toh(ks.subarray(0, 16))).toBe(blk.keystream);
        }
        // raw block encryption of the counter agrees too
        const out = new Uint8Array(16);
        ctr.encryptBlock(hex(blk.counter), 0, out, 0);
        expect(toh(out)).toBe(blk.keystream);
      }
    });
  }

  it('the whole 1044512-octet segment is contiguous (block 0xFF01 reached by counting)', () => {
    const ctr = jsBackend.ctr(hex(b2.session_key));
    const n = b2.keystream_segment_length_octets;
    const ks = new Uint8Array(n);
    ctr.xor(hex(b2.offset_iv), ks, 0, ks, 0, n);
    for (const blk of b2.blocks) {
      expect(toh(ks.subarray(16 * blk.block_index, 16 * blk.block_index + 16))).toBe(blk.keystream);
    }
    expect(n / 16).toBe(b2.keystream_segment_length_blocks);
  });
});

describe('RFC 3711 Appendix B.3: key derivation (AES-CM PRF, kdr = 0)', () => {
  const b3 = V.key_derivation_b3;
  const mk = hex(b3.master_key);
  const ms = hex(b3.master_salt);
  it('derives the cipher key, salt and full 94-octet auth key', () => {
    expect(toh(srtpPrf(mk, ms, b3.cipher_key.label, 16))).toBe(b3.cipher_key.value);
    expect(toh(srtpPrf(mk, ms, b3.cipher_salt.label, 14))).toBe(b3.cipher_salt.value);
    expect(toh(srtpPrf(mk, ms, b3.cipher_salt.label, 16))).toBe(b3.cipher_salt.aes_cm_output_full_block);
    expect(toh(srtpPrf(mk, ms, b3.auth_key.label, b3.auth_key.length_octets))).toBe(b3.auth_key.value);
    const full = srtpPrf(mk, ms, 1, 94);
    b3.auth_key.blocks.forEach((blk: any, j: number) => {
      expect(toh(full.subarray(16 * j, 16 * j + blk.auth_key_segment.length / 2))).toBe(blk.auth_key_segment);
    });
  });
  it('PRF inputs are master_salt XOR label at octet 7, shifted by 16 bits', () => {
    for (const k of [b3.cipher_key, b3.cipher_salt, b3.auth_key]) {
      const x = hex(b3.master_salt);
      x[7] = x[7]! ^ k.label;
      expect(toh(x)).toBe(k.prf_input_x);
      expect(`${k.prf_input_x}0000`).toBe(k.aes_cm_input);
      // the PRF's first output block is AES(master_key, aes_cm_input)
      const out = new Uint8Array(16);
      jsBackend.ctr(mk).encryptBlock(hex(k.aes_cm_input), 0, out, 0);
      expect(toh(out)).toBe(toh(srtpPrf(mk, ms, k.label, 16)));
    }
  });
  it('deriveSrtpSessionKeys gives the 20-octet HMAC key and SRTCP keys', () => {
    const keys = deriveSrtpSessionKeys(getSrtpProfile('AES_CM_128_HMAC_SHA1_80'), mk, ms);
    expect(toh(keys.srtp.cipherKey)).toBe(b3.cipher_key.value);
    expect(toh(keys.srtp.salt)).toBe(b3.cipher_salt.value);
    expect(toh(keys.srtp.authKey)).toBe(b3.auth_key.first_20_octets_for_hmac_sha1);
  });
  it('rejects a non-zero key derivation rate with a clear error', () => {
    expect(() => deriveSrtpSessionKeys(getSrtpProfile('AES_CM_128_HMAC_SHA1_80'), mk, ms, 1 << 16)).toThrow(
      /key derivation rate/,
    );
    expect(
      () => new SrtpSession({ profile: 'AES_CM_128_HMAC_SHA1_80', key: mk, salt: ms, keyDerivationRate: 24 }),
    ).toThrow(/key derivation rate 24/);
  });
});

describe('RFC 3711 Appendix B.1: AES-f8', () => {
  const b1 = V.aes_f8_b1;
  for (const backend of BACKENDS) {
    it(`encrypts the B.1 payload, and IV/IV'/S(j) match (${backend})`, () => {
      const key = hex(b1.key);
      const salt = hex(b1.salt_key);
      // B.1 uses a 4-octet salt; SRTP session salts are 14 octets and m = salt || 0x55..: pad with 0x55 so m is the same.
      const salt14 = new Uint8Array(14).fill(0x55);
      salt14.set(salt);
      const tx = new SrtpSession({
        profile: 'F8_128_HMAC_SHA1_80',
        backend,
        sessionKeys: { srtp: { cipherKey: key, salt: salt14, authKey: new Uint8Array(20) } },
      });
      const ssrc = hex(b1.rtp_packet_header).subarray(8, 12);
      const ssrcNum = ((ssrc[0]! << 24) | (ssrc[1]! << 16) | (ssrc[2]! << 8) | ssrc[3]!) >>> 0;
      tx.setRoc(ssrcNum, Number.parseInt(b1.roc, 16));
      const rtp = hex(b1.rtp_packet_header + b1.rtp_packet_payload);
      const out = tx.protect(rtp);
      const ct = b1.blocks.map((b: any) => b.ciphertext).join('');
      expect(toh(out.subarray(12, rtp.length))).toBe(ct);
      // m and IV' as printed
      const m = new Uint8Array(16).fill(0x55);
      m.set(salt);
      expect(toh(m)).toBe(b1.key_mask_m);
      const km = key.map((x, i) => x ^ m[i]!);
      expect(toh(km)).toBe(b1.key_xor_key_mask);
      const ivp = new Uint8Array(16);
      jsBackend.ctr(km).encryptBlock(hex(b1.iv), 0, ivp, 0);
      expect(toh(ivp)).toBe(b1.iv_prime);
      // S(j) = E(k_e, IV' XOR j XOR S(j-1))
      let prev = new Uint8Array(16);
      b1.blocks.forEach((blk: any) => {
        const inp = ivp.map((x, i) => x ^ prev[i]!);
        inp[15] = inp[15]! ^ blk.j;
        const s = new Uint8Array(16);
        jsBackend.ctr(key).encryptBlock(inp, 0, s, 0);
        expect(toh(s)).toBe(blk.s);
        prev = s;
      });
      // and it decrypts back with a receiver in the same ROC
      const rx = new SrtpSession({
        profile: 'F8_128_HMAC_SHA1_80',
        backend,
        sessionKeys: { srtp: { cipherKey: key, salt: salt14, authKey: new Uint8Array(20) } },
      });
      rx.setRoc(ssrcNum, Number.parseInt(b1.roc, 16));
      expect(toh(rx.unprotect(out))).toBe(toh(rtp));
      for (const b of b1.blocks) expect(b.plaintext.length).toBe(b.ciphertext.length);
    });
  }
});

describe('RFC 3711 packet known answers (libsrtp srtp_validate)', () => {
  for (const kat of V.srtp_packet_kats) {
    const profile = kat.name.startsWith('NULL') ? 'NULL_HMAC_SHA1_80' : 'AES_CM_128_HMAC_SHA1_80';
    for (const backend of BACKENDS) {
      it(`${kat.name} (${backend})`, () => {
        const opts = { profile, key: hex(kat.master_key), salt: hex(kat.master_salt), backend } as const;
        const keys = deriveSrtpSessionKeys(getSrtpProfile(profile), opts.key, opts.salt);
        const d = kat.derived_session_keys;
        expect(toh(keys.srtp.cipherKey)).toBe(d.srtp_encryption_key);
        expect(toh(keys.srtp.authKey)).toBe(d.srtp_authentication_key);
        expect(toh(keys.srtp.salt)).toBe(d.srtp_salting_key);
        expect(toh(keys.srtcp.cipherKey)).toBe(d.srtcp_encryption_key);
        expect(toh(keys.srtcp.authKey)).toBe(d.srtcp_authentication_key);
        expect(toh(keys.srtcp.salt)).toBe(d.srtcp_salting_key);

        const tx = new SrtpSession(opts);
        const rx = new SrtpSession(opts);
        expect(toh(tx.protect(hex(kat.rtp_plaintext)))).toBe(kat.srtp_protected);
        expect(toh(rx.unprotect(hex(kat.srtp_protected)))).toBe(kat.rtp_plaintext);
        // SRTCP: the first index libsrtp sends is 1, as the vector has.
        expect(kat.srtcp_index).toBe(1);
        const srtcp = tx.protectRtcp(hex(kat.rtcp_plaintext));
        expect(toh(srtcp)).toBe(kat.srtcp_protected);
        const word = srtcp.subarray(srtcp.length - 14, srtcp.length - 10);
        expect((word[0]! & 0x80) !== 0).toBe(kat.srtcp_e_flag);
        expect(toh(rx.unprotectRtcp(hex(kat.srtcp_protected)))).toBe(kat.rtcp_plaintext);
        expect(kat.roc).toBe(0);
        expect(kat.ssrc).toBe(kat.rtp_plaintext.slice(16, 24));
        if (kat.libsrtp_test_key_46_octets) {
          expect(kat.libsrtp_test_key_46_octets.startsWith(kat.master_key + kat.master_salt)).toBe(true);
          expect(kat.window_size).toBe(128);
        }
      });
    }
  }
});

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

const V = loadVectors('srtp-rfc7714.json');

function session(v: any, backend: (typeof BACKENDS)[number], extra: object = {}): SrtpSession {
  return new SrtpSession({
    profile: v.profile,
    backend,
    sessionKeys: { srtp: { cipherKey: hex(v.session_key), salt: hex(v.session_salt), authKey: new Uint8Array(0) } },
    ...extra,
  });
}

describe('RFC 7714 §16-17 AES-GCM SRTP/SRTCP vectors', () => {
  for (const v of V.vectors) {
    for (const backend of BACKENDS) {
      it(`${v.id} — ${v.section} (${backend})`, () => {
        const ssrc = Number.parseInt(v.ssrc, 16);
        if (v.id.startsWith('srtp-') && !v.id.includes('tag-only')) {
          // IV = (0 || SSRC || ROC || SEQ) XOR salt (RFC 7714 §8.1); AAD = RTP header (§8.2)
          const tx = session(v, backend);
          const out = tx.protect(hex(v.rtp_packet));
          expect(toh(out)).toBe(v.encrypted_packet);
          expect(toh(out.subarray(0, 12))).toBe(v.aad);
          const rx = session(v, backend);
          expect(toh(rx.unprotect(hex(v.encrypted_packet)))).toBe(v.rtp_packet);
          expect(v.sequence_number).toBe(Number.parseInt(v.sequence_number_hex, 16));
          expect(v.roc).toBe(0);
          expect(toh(hex(v.rtp_packet).subarray(8, 12))).toBe(v.ssrc);
          // a forged tag is rejected
          const bad = hex(v.encrypted_packet);
          bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
          expect(() => session(v, backend).unprotect(bad)).toThrow(/authentication/);
        } else if (v.id.startsWith('srtp-')) {
          // tag-only RTP: the primitive with the whole packet as AAD and an empty plaintext
          const be = { js: jsBackend, wasm: wasmBackend, noble: nobleBackend, node: nodeBackend }[backend];
          const g = be.gcm(hex(v.session_key));
          const pkt = hex(v.rtp_packet);
          const out = new Uint8Array(pkt.length + 16);
          out.set(pkt);
          g.seal(hex(v.iv), pkt, 0, pkt.length, -1, pkt, pkt.length, 0, out, pkt.length);
          expect(toh(out)).toBe(v.encrypted_packet);
          expect(toh(pkt)).toBe(v.aad);
          const back = new Uint8Array(0);
          expect(g.open(hex(v.iv), out, 0, pkt.length, -1, out, pkt.length, 0, back, 0)).toBe(true);
          out[3] = out[3]! ^ 0x10;
          expect(g.open(hex(v.iv), out, 0, pkt.length, -1, out, pkt.length, 0, back, 0)).toBe(false);
        } else {
          // SRTCP (RFC 7714 §9): E|index word after the tag; E=0 is the tag-only form.
          const tx = session(v, backend, { encryptRtcp: v.e_flag });
          tx.setSrtcpIndex(ssrc, v.srtcp_index);
          const out = tx.protectRtcp(hex(v.rtcp_packet));
          expect(toh(out)).toBe(v.encrypted_packet);
          expect(v.srtcp_index).toBe(Number.parseInt(v.srtcp_index_hex, 16));
          const word = toh(out.subarray(out.length - 4));
          expect(Number.parseInt(word, 16) >>> 0).toBe(((v.e_flag ? 0x80000000 : 0) | v.srtcp_index) >>> 0);
          expect(v.aad.endsWith(word)).toBe(true);
          const rx = session(v, backend);
          expect(toh(rx.unprotectRtcp(hex(v.encrypted_packet)))).toBe(v.rtcp_packet);
          const bad = hex(v.encrypted_packet);
          bad[9] = bad[9]! ^ 0x80;
          expect(() => session(v, backend).unprotectRtcp(bad)).toThrow(/authentication/);
        }
        // the IV the vector prints is what the formula gives for this SSRC and index
        const salt = hex(v.session_salt);
        const iv = new Uint8Array(12);
        iv[2] = ssrc >>> 24;
        iv[3] = (ssrc >>> 16) & 0xff;
        iv[4] = (ssrc >>> 8) & 0xff;
        iv[5] = ssrc & 0xff;
        if (v.id.startsWith('srtp-')) {
          iv[10] = v.sequence_number >>> 8;
          iv[11] = v.sequence_number & 0xff;
        } else {
          iv[8] = v.srtcp_index >>> 24;
          iv[9] = (v.srtcp_index >>> 16) & 0xff;
          iv[10] = (v.srtcp_index >>> 8) & 0xff;
          iv[11] = v.srtcp_index & 0xff;
        }
        expect(toh(iv.map((x, i) => x ^ salt[i]!))).toBe(v.iv);
      });
    }
  }
});

describe('RFC 7714 libsrtp AEAD_AES_128_GCM known answer (with key derivation)', () => {
  const k = V.libsrtp_kat;
  it('derives 12-octet session salts from the 12-octet master salt (padded to 14 for the PRF)', () => {
    const keys = deriveSrtpSessionKeys(getSrtpProfile(k.profile.split(' ')[0]), hex(k.master_key), hex(k.master_salt));
    expect(toh(keys.srtp.cipherKey)).toBe(k.derived_session_keys.srtp_encryption_key);
    expect(toh(keys.srtp.salt)).toBe(k.derived_session_keys.srtp_salting_key);
    expect(toh(keys.srtcp.cipherKey)).toBe(k.derived_session_keys.srtcp_encryption_key);
    expect(toh(keys.srtcp.salt)).toBe(k.derived_session_keys.srtcp_salting_key);
  });
  for (const backend of BACKENDS) {
    it(`protects and unprotects RTP and RTCP byte-exact (${backend})`, () => {
      const opts = { profile: 'SRTP_AEAD_AES_128_GCM', key: hex(k.master_key), salt: hex(k.master_salt), backend };
      const tx = new SrtpSession(opts);
      const rx = new SrtpSession(opts);
      expect(toh(tx.protect(hex(k.rtp_plaintext)))).toBe(k.srtp_protected);
      expect(toh(rx.unprotect(hex(k.srtp_protected)))).toBe(k.rtp_plaintext);
      expect(k.srtcp_index).toBe(1);
      expect(k.srtcp_e_flag).toBe(true);
      expect(toh(tx.protectRtcp(hex(k.rtcp_plaintext)))).toBe(k.srtcp_protected);
      expect(toh(rx.unprotectRtcp(hex(k.srtcp_protected)))).toBe(k.rtcp_plaintext);
      expect(k.ssrc).toBe(k.rtp_plaintext.slice(16, 24));
      expect(k.roc).toBe(0);
    });
  }
  it('iv_formation rules are the ones implemented (tag length 16)', () => {
    expect(V.iv_formation.tag_length_octets).toBe(getSrtpProfile('AEAD_AES_128_GCM').srtpTagLength);
    expect(V.iv_formation.tag_length_octets).toBe(getSrtpProfile('AEAD_AES_256_GCM').srtcpTagLength);
  });
});

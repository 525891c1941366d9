import {
  findSrtpProfile,
  getSrtpProfile,
  SRTP_PROFILES,
  SrtpConfigError,
  SrtpError,
  SrtpSession,
  srtpKeysFromKeyingMaterial,
  srtpProfileByDtlsId,
  srtpSessionsFromKeyingMaterial,
} from '@mdh/srtp';
import { describe, expect, it } from 'vitest';
import { loadVectors, toh } from './vectors.js';

const facts = loadVectors('tls-prf.json').dtls_srtp_facts;

describe('DTLS-SRTP protection profiles (RFC 5764 §4.1.2, RFC 7714 §14.2)', () => {
  for (const f of facts.protection_profiles) {
    it(`${f.name} = 0x${f.id}`, () => {
      const p = srtpProfileByDtlsId(Number.parseInt(f.id, 16))!;
      expect(p.name).toBe(f.name);
      expect(getSrtpProfile(f.name)).toBe(p);
      expect(p.masterKeyLength).toBe(f.master_key_len);
      expect(p.masterSaltLength).toBe(f.master_salt_len);
      expect(p.keyingMaterialLength).toBe(f.exported_octets);
      expect(p.srtpTagLength).toBe(f.srtp_tag_len);
      expect(p.srtcpTagLength).toBe(f.srtcp_tag_len);
      if (f.auth_key_len) expect(p.authKeyLength).toBe(f.auth_key_len);
    });
  }

  it('accepts DTLS-SRTP, SDES, OpenSSL and bare names, case-insensitively', () => {
    const cm80 = getSrtpProfile('SRTP_AES128_CM_HMAC_SHA1_80');
    for (const n of [
      'AES_CM_128_HMAC_SHA1_80',
      'srtp_aes128_cm_sha1_80',
      'AES128_CM_SHA1_80',
      'aes128_cm_hmac_sha1_80',
    ]) {
      expect(findSrtpProfile(n)).toBe(cm80);
    }
    expect(findSrtpProfile('AEAD_AES_256_GCM')?.dtlsId).toBe(0x0008);
    expect(findSrtpProfile('AES_256_CM_HMAC_SHA1_32')?.srtpTagLength).toBe(4);
    expect(findSrtpProfile('NULL_HMAC_SHA1_80')?.dtlsId).toBe(0x0005);
    expect(findSrtpProfile('SRTP_AES128_CM_SHA1_32')?.dtlsId).toBe(0x0002);
    expect(findSrtpProfile('nope')).toBeUndefined();
    expect(() => getSrtpProfile('nope')).toThrow(SrtpConfigError);
    expect(() => getSrtpProfile(null as unknown as string)).toThrow(SrtpConfigError);
    expect(() => getSrtpProfile(7 as unknown as string)).toThrow(SrtpConfigError);
    expect(() => getSrtpProfile({ name: 'x' } as unknown as string)).toThrow(SrtpConfigError);
    // pion's 0x0003/0x0004 are not IANA-registered
    expect(srtpProfileByDtlsId(3)).toBeUndefined();
    expect(new Set(SRTP_PROFILES.map((p) => p.sdesName)).size).toBe(SRTP_PROFILES.length);
  });
});

describe('srtpKeysFromKeyingMaterial (RFC 5764 §4.2 layout)', () => {
  const layout = facts.keying_material_layout.map((x: any) => x.field);
  it('layout is client key | server key | client salt | server salt', () => {
    expect(layout).toEqual([
      'client_write_SRTP_master_key',
      'server_write_SRTP_master_key',
      'client_write_SRTP_master_salt',
      'server_write_SRTP_master_salt',
    ]);
  });
  for (const name of ['SRTP_AES128_CM_HMAC_SHA1_80', 'SRTP_AEAD_AES_128_GCM', 'SRTP_AEAD_AES_256_GCM']) {
    it(`${name}: each side protects with its own write key and the peer can read it`, () => {
      const p = getSrtpProfile(name);
      const km = Uint8Array.from({ length: p.keyingMaterialLength }, (_, i) => i);
      const k = p.masterKeyLength;
      const s = p.masterSaltLength;
      const c = srtpKeysFromKeyingMaterial(name, km, 'client');
      const sv = srtpKeysFromKeyingMaterial(p, km, 'server');
      expect(toh(c.local.key)).toBe(toh(km.subarray(0, k)));
      expect(toh(c.remote.key)).toBe(toh(km.subarray(k, 2 * k)));
      expect(toh(c.local.salt)).toBe(toh(km.subarray(2 * k, 2 * k + s)));
      expect(toh(c.remote.salt)).toBe(toh(km.subarray(2 * k + s)));
      expect(toh(sv.local.key)).toBe(toh(c.remote.key));
      expect(toh(sv.remote.salt)).toBe(toh(c.local.salt));
      const tx = new SrtpSession({ profile: name, ...c.local });
      const rx = new SrtpSession({ profile: name, ...sv.remote });
      const rtp = new Uint8Array(40);
      rtp[0] = 0x80;
      expect(toh(rx.unprotect(tx.protect(rtp)))).toBe(toh(rtp));
    });
  }
  it('srtpSessionsFromKeyingMaterial pairs client tx with server rx and vice versa', () => {
    const km = Uint8Array.from({ length: 88 }, (_, i) => 255 - i);
    const c = srtpSessionsFromKeyingMaterial('SRTP_AEAD_AES_256_GCM', km, 'client', { replayWindow: 512 });
    const s = srtpSessionsFromKeyingMaterial('SRTP_AEAD_AES_256_GCM', km, 'server');
    const rtp = Uint8Array.of(0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 42);
    expect(toh(s.rx.unprotect(c.tx.protect(rtp)))).toBe(toh(rtp));
    expect(toh(c.rx.unprotect(s.tx.protect(rtp)))).toBe(toh(rtp));
    expect(c.rx.tryUnprotect(c.tx.protect(rtp))).toBeInstanceOf(SrtpError);
  });

  it('refuses material of the wrong length or a bad role', () => {
    expect(() => srtpKeysFromKeyingMaterial('SRTP_AEAD_AES_128_GCM', new Uint8Array(60), 'client')).toThrow(
      /56 octets/,
    );
    expect(() =>
      srtpKeysFromKeyingMaterial('SRTP_AES128_CM_HMAC_SHA1_80', new Uint8Array(60), 'x' as 'client'),
    ).toThrow(SrtpConfigError);
  });
});

import { SrtpError } from '@mdh/srtp';
import { describe, expect, it } from 'vitest';
import { DtlsEngine, DtlsUsageError, generateCertificate, srtpSessionsFromDtls } from '../src/index.js';
import { runNet } from './net.js';

const cert = generateCertificate();

function rtp(seq: number): Uint8Array {
  const p = new Uint8Array(12 + 20);
  p[0] = 0x80;
  p[1] = 0;
  p[2] = seq >> 8;
  p[3] = seq & 0xff;
  p[8] = 0x12;
  p[9] = 0x34;
  p[10] = 0x56;
  p[11] = 0x78;
  p.fill(0xab, 12);
  return p;
}

describe('DTLS-SRTP: ready SrtpSessions from a connected association (RFC 5764 §4.2)', () => {
  for (const profile of [
    'SRTP_AES128_CM_HMAC_SHA1_80',
    'SRTP_AES128_CM_HMAC_SHA1_32',
    'SRTP_AEAD_AES_128_GCM',
    'SRTP_AEAD_AES_256_GCM',
  ]) {
    it(`${profile}: the client's outbound is the server's inbound and vice versa`, () => {
      const client = new DtlsEngine({ role: 'client', certificate: cert, srtpProfiles: [profile] });
      const server = new DtlsEngine({ role: 'server', certificate: cert, srtpProfiles: [profile] });
      runNet(client, server);
      expect(client.info?.srtpProfile?.name).toBe(profile);
      const c = srtpSessionsFromDtls(client);
      const s = srtpSessionsFromDtls(server);
      expect(c.profile).toBe(profile);
      const p = rtp(1);
      const prot = c.outbound.protect(p);
      expect(Buffer.from(prot).equals(Buffer.from(p))).toBe(false);
      expect(s.inbound.unprotect(prot)).toEqual(p);
      expect(c.inbound.unprotect(s.outbound.protect(rtp(2)))).toEqual(rtp(2));
      // the keys are direction-specific: our own outbound packet does not open with our inbound context
      expect(c.inbound.tryUnprotect(c.outbound.protect(rtp(3)))).toBeInstanceOf(SrtpError);
    });
  }

  it('the server picks by its own preference among the client offer', () => {
    const client = new DtlsEngine({
      role: 'client',
      certificate: cert,
      srtpProfiles: ['SRTP_AES128_CM_HMAC_SHA1_80', 'SRTP_AEAD_AES_128_GCM'],
    });
    const server = new DtlsEngine({
      role: 'server',
      certificate: cert,
      srtpProfiles: ['SRTP_AEAD_AES_128_GCM', 'SRTP_AES128_CM_HMAC_SHA1_80'],
    });
    runNet(client, server);
    expect(client.info?.srtpProfile?.dtlsId).toBe(7);
    expect(client.srtpKeyingMaterial()?.material.length).toBe(56);
  });

  it('throws a usage error when use_srtp was not negotiated', () => {
    const client = new DtlsEngine({ role: 'client', certificate: cert });
    const server = new DtlsEngine({ role: 'server', certificate: cert, srtpProfiles: [1] });
    runNet(client, server);
    expect(client.connected).toBe(true);
    expect(client.info?.srtpProfile).toBeUndefined();
    expect(() => srtpSessionsFromDtls(client)).toThrow(DtlsUsageError);
  });
});

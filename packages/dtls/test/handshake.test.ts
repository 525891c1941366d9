import { describe, expect, it } from 'vitest';
import { type CipherSuiteName, DtlsEngine, fingerprint, generateCertificate } from '../src/index.js';
import { connectedInfo, drain, runNet } from './net.js';

const ecCert = generateCertificate();
const ecCert2 = generateCertificate();
const rsaCert = generateCertificate({ keyType: 'rsa-2048' });

describe('in-process handshake', () => {
  for (const [suite, cert] of [
    ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', ecCert],
    ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', rsaCert],
    ['TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', ecCert],
    ['TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', rsaCert],
    ['TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', ecCert],
    ['TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', rsaCert],
  ] as const) {
    it(`completes with ${suite}, mutual auth and use_srtp`, () => {
      const client = new DtlsEngine({
        role: 'client',
        certificate: ecCert2,
        srtpProfiles: ['SRTP_AES128_CM_HMAC_SHA1_80'],
        expectedFingerprints: [fingerprint(cert.chain[0]!)],
      });
      const server = new DtlsEngine({
        role: 'server',
        certificate: cert,
        cipherSuites: [suite as CipherSuiteName],
        srtpProfiles: ['SRTP_AEAD_AES_128_GCM', 'SRTP_AES128_CM_HMAC_SHA1_80'],
        expectedFingerprints: [fingerprint(ecCert2.chain[0]!)],
      });
      const r = runNet(client, server);
      const ci = connectedInfo(r.clientEvents);
      const si = connectedInfo(r.serverEvents);
      expect(ci.cipherSuite).toBe(suite);
      expect(si.cipherSuite).toBe(suite);
      expect(ci.srtpProfile?.name).toBe('SRTP_AES128_CM_HMAC_SHA1_80');
      expect(ci.peerFingerprint).toBe(fingerprint(cert.chain[0]!));
      expect(si.peerFingerprint).toBe(fingerprint(ecCert2.chain[0]!));
      const a = client.srtpKeyingMaterial()!;
      const b = server.srtpKeyingMaterial()!;
      expect(a.material.length).toBe(60);
      expect(Buffer.from(a.material).equals(Buffer.from(b.material))).toBe(true);
      client.send(new TextEncoder().encode('hello'));
      const out = drain(client).datagrams;
      expect(out.length).toBe(1);
      server.handleInput(out[0]!, r.timeMs);
      const ev = drain(server).events;
      expect(ev).toEqual([{ type: 'applicationData', data: new TextEncoder().encode('hello') }]);
    });
  }
});

import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DtlsUsageError,
  fingerprint,
  generateCertificate,
  loadCertificate,
  matchesFingerprint,
  pemBlocks,
  privateKeyPem,
  toPem,
  verifyChain,
} from '../src/index.js';

describe('self-signed certificates (RFC 5280) and RFC 8122 fingerprints', () => {
  for (const keyType of ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048'] as const) {
    it(`${keyType}: parses with X509Certificate, self-verifies, and is within its validity`, () => {
      const c = generateCertificate({ keyType, commonName: 'alice', days: 10 });
      const x = new X509Certificate(c.chain[0]!);
      expect(x.subject).toBe('CN=alice');
      expect(x.issuer).toBe('CN=alice');
      expect(x.verify(x.publicKey)).toBe(true);
      expect(x.checkPrivateKey(c.privateKey)).toBe(true);
      const now = Date.now();
      expect(Date.parse(x.validFrom)).toBeLessThan(now);
      expect(Date.parse(x.validTo)).toBeGreaterThan(now + 9 * 86_400_000);
      expect(x.publicKey.asymmetricKeyType).toBe(keyType === 'rsa-2048' ? 'rsa' : 'ec');
      expect(verifyChain(c.chain, c.chain, now)).toBe(true);
      expect(verifyChain(c.chain, c.chain, now + 30 * 86_400_000)).toBe(false); // expired then
    });
  }

  it('fingerprint format: "sha-256 " + 32 uppercase hex pairs joined by colons, matching X509Certificate', () => {
    const c = generateCertificate();
    const fp = fingerprint(c.chain[0]!);
    expect(fp).toMatch(/^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(fp.slice(8)).toBe(new X509Certificate(c.chain[0]!).fingerprint256);
    expect(fingerprint(c.chain[0]!, 'sha-1').slice(6)).toBe(new X509Certificate(c.chain[0]!).fingerprint);
    expect(matchesFingerprint(c.chain[0]!, fp.toLowerCase().replace('sha-256', 'SHA-256'))).toBe(true);
    expect(matchesFingerprint(c.chain[0]!, fingerprint(generateCertificate().chain[0]!))).toBe(false);
    expect(matchesFingerprint(c.chain[0]!, 'md5 00:11')).toBe(false);
    expect(matchesFingerprint(c.chain[0]!, 'garbage')).toBe(false);
  });

  it('PEM round trip and loading SEC1, PKCS#1 and PKCS#8 keys', () => {
    const c = generateCertificate();
    const pem = toPem(c.chain[0]!);
    expect(pem.startsWith('-----BEGIN CERTIFICATE-----\n')).toBe(true);
    expect(pemBlocks(pem + pem)).toEqual([c.chain[0], c.chain[0]]);
    const sec1 = c.privateKey.export({ format: 'pem', type: 'sec1' }).toString();
    expect(sec1).toContain('BEGIN EC PRIVATE KEY');
    expect(loadCertificate(pem, sec1).chain).toEqual(c.chain);
    expect(loadCertificate(pem, privateKeyPem(c)).chain).toEqual(c.chain);
    const r = generateCertificate({ keyType: 'rsa-2048' });
    const pkcs1 = r.privateKey.export({ format: 'pem', type: 'pkcs1' }).toString();
    expect(pkcs1).toContain('BEGIN RSA PRIVATE KEY');
    expect(loadCertificate(toPem(r.chain[0]!), pkcs1).privateKey.asymmetricKeyType).toBe('rsa');
  });

  it('loading refuses a key that does not match, a missing certificate and unsupported key types', () => {
    const c = generateCertificate();
    const other = generateCertificate();
    expect(() => loadCertificate(toPem(c.chain[0]!), privateKeyPem(other))).toThrow(DtlsUsageError);
    expect(() => loadCertificate('nothing', privateKeyPem(c))).toThrow(DtlsUsageError);
    const ed = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(createPrivateKey(ed).asymmetricKeyType).toBe('ed25519');
    expect(() => loadCertificate(toPem(c.chain[0]!), ed)).toThrow(DtlsUsageError);
  });
});

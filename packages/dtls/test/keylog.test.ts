import { describe, expect, it } from 'vitest';
import { DtlsEngine, exportKeyingMaterial, fingerprint, generateCertificate } from '../src/index.js';
import { connectedInfo, runNet } from './net.js';

// The read-only `keylog` hook (NSS key log CLIENT_RANDOM material): called once per handshake on each side with
// the same client random and master secret, from which the RFC 5705 exporter re-derives what the engine exports.

const a = generateCertificate();
const b = generateCertificate();

describe('DtlsEngine keylog option', () => {
  for (const suite of ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'] as const) {
    it(`both ends log the same client random and master secret (${suite})`, () => {
      const logs: { side: string; clientRandom: Uint8Array; masterSecret: Uint8Array }[] = [];
      const client = new DtlsEngine({
        role: 'client',
        certificate: a,
        srtpProfiles: ['SRTP_AES128_CM_HMAC_SHA1_80'],
        expectedFingerprints: [fingerprint(b.chain[0]!)],
        keylog: (k) => logs.push({ side: 'client', ...k }),
      });
      const server = new DtlsEngine({
        role: 'server',
        certificate: b,
        cipherSuites: [suite],
        srtpProfiles: ['SRTP_AES128_CM_HMAC_SHA1_80'],
        expectedFingerprints: [fingerprint(a.chain[0]!)],
        cookieExchange: false,
        keylog: (k) => {
          logs.push({ side: 'server', ...k });
          throw new Error('a throwing hook does not break the handshake');
        },
      });
      // the ServerHello random, from the first ServerHello on the wire (record header 13, handshake header 12,
      // server_version 2: RFC 6347 §4.1, §4.2.2; RFC 5246 §7.4.1.3)
      let serverRandom: Uint8Array | undefined;
      const r = runNet(client, server, {
        mitm: (from, d) => {
          if (from === 'server' && !serverRandom && d[0] === 22 && d[13] === 2) serverRandom = d.slice(27, 59);
          return d;
        },
      });
      expect(connectedInfo(r.clientEvents).cipherSuite).toBe(suite);
      expect(logs.map((l) => l.side).sort()).toEqual(['client', 'server']);
      const [x, y] = logs;
      expect(x!.masterSecret.length).toBe(48);
      expect([...x!.clientRandom]).toEqual([...y!.clientRandom]);
      expect([...x!.masterSecret]).toEqual([...y!.masterSecret]);
      expect([...x!.clientRandom]).toEqual([...client.clientHelloRandom]);
      // RFC 5705: the exporter from the logged secret is what the engine exports
      const km = client.srtpKeyingMaterial()!;
      const again = exportKeyingMaterial(
        suite.endsWith('SHA384') ? 'sha384' : 'sha256',
        x!.masterSecret,
        'EXTRACTOR-dtls_srtp',
        x!.clientRandom,
        serverRandom!,
        km.material.length,
      );
      expect([...again]).toEqual([...km.material]);
    });
  }
});

import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '@mdh/cli';
import {
  type CipherSuiteName,
  connect,
  type DtlsCertificate,
  type DtlsError,
  type DtlsServerConnection,
  fingerprint,
  type GroupName,
  generateCertificate,
  listen,
  loadCertificate,
  pemBlocks,
  privateKeyPem,
  toPem,
} from '@mdh/dtls';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  dtlsClientArgs,
  dtlsServerArgs,
  freeUdpPort,
  KM_RE,
  kill,
  killPeers,
  opensslCert,
  type Peer,
  runOpenssl,
  srtpKeymatArgs,
} from './helpers.js';
import { hasPeer } from './peers.js';

const OPENSSL_CIPHER: Record<CipherSuiteName, string> = {
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
};

let dir = '';
const certs: Record<string, { cert: DtlsCertificate; certFile: string; keyFile: string }> = {};

function ourGroup(g: string): GroupName {
  return g === 'X25519' ? 'x25519' : g === 'P-384' ? 'secp384r1' : 'secp256r1';
}

/** `ours` (bytes, or lowercase hex) equals the keying material `peer` prints for `-keymatexport` (RFC 5705). */
async function expectPeerKeymat(peer: Peer, ours: Uint8Array | string, ms = 10_000): Promise<void> {
  const m = await peer.waitFor(KM_RE, ms);
  expect(typeof ours === 'string' ? ours : Buffer.from(ours).toString('hex')).toBe(m[1]!.toLowerCase());
}

/** Connects our client, with the client certificate, to 127.0.0.1:`port`; `opts` add to or override that. */
function connectClient(port: number, opts: Partial<Parameters<typeof connect>[0]>) {
  return connect({ host: '127.0.0.1', port, certificate: certs.client!.cert, handshakeTimeoutMs: 15_000, ...opts });
}

/** A server connection handler and the promise of the first connection it gets. */
function acceptOne(): { accepted: Promise<DtlsServerConnection>; resolveConn: (c: DtlsServerConnection) => void } {
  let resolveConn!: (c: DtlsServerConnection) => void;
  const accepted = new Promise<DtlsServerConnection>((r) => {
    resolveConn = r;
  });
  return { accepted, resolveConn };
}

function pemBlocksOf(pem: string): Uint8Array {
  const der = pemBlocks(pem)[0];
  if (!der) throw new Error('no certificate in PEM');
  return der;
}

describe.skipIf(!hasPeer('openssl'))('DTLS interop with OpenSSL', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mdh-dtls-'));
    for (const [name, type] of [
      ['ec', 'ecdsa-p256'],
      ['rsa', 'rsa-2048'],
      ['client', 'ecdsa-p256'],
    ] as const) {
      const cert = generateCertificate({ keyType: type, commonName: `mdh-${name}` });
      const certFile = join(dir, `${name}.crt`);
      const keyFile = join(dir, `${name}.key`);
      writeFileSync(certFile, toPem(cert.chain[0]!));
      writeFileSync(keyFile, privateKeyPem(cert));
      certs[name] = { cert: loadCertificate(toPem(cert.chain[0]!), privateKeyPem(cert)), certFile, keyFile };
    }
  });
  afterAll(() => {
    killPeers();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const cases: { suite: CipherSuiteName; cert: 'ec' | 'rsa'; mtu?: number; group?: string }[] = [
    { suite: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', cert: 'ec' },
    { suite: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', cert: 'rsa' },
    { suite: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', cert: 'ec', group: 'P-384' },
    { suite: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', cert: 'rsa', group: 'P-256' },
    { suite: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', cert: 'rsa', mtu: 300 },
    { suite: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', cert: 'ec', mtu: 300, group: 'X25519' },
    { suite: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', cert: 'ec' },
    { suite: 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', cert: 'rsa', mtu: 300 },
  ];

  for (const c of cases) {
    it(`our client ↔ openssl s_server: ${c.suite}${c.mtu ? ` mtu ${c.mtu}` : ''}${c.group ? ` ${c.group}` : ''}, mutual auth`, async () => {
      const port = await freeUdpPort();
      const s = certs[c.cert]!;
      const args = [
        ...dtlsServerArgs(port, s.certFile, s.keyFile),
        '-cipher',
        OPENSSL_CIPHER[c.suite],
        ...srtpKeymatArgs('SRTP_AES128_CM_SHA1_80', 60),
        '-Verify',
        '1',
      ];
      if (c.mtu) args.push('-mtu', String(c.mtu));
      // OpenSSL also checks the client's ECDSA key curve (P-256) against its group list, so P-256 stays allowed.
      if (c.group) args.push('-groups', c.group === 'P-256' ? 'P-256' : `${c.group}:P-256`);
      const srv = runOpenssl(args);
      try {
        await srv.waitFor(/ACCEPT/, 10_000);
        const conn = await connectClient(port, {
          srtpProfiles: ['SRTP_AES128_CM_HMAC_SHA1_80'],
          expectedFingerprints: [fingerprint(s.cert.chain[0]!)],
          // supported_groups also names the curves we accept for ECDSA certificates (RFC 8422 §5.1.1): keep P-256.
          ...(c.group ? { groups: [...new Set([ourGroup(c.group), 'secp256r1' as const])] } : {}),
        });
        try {
          expect(conn.info.cipherSuite).toBe(c.suite);
          expect(conn.info.srtpProfile?.name).toBe('SRTP_AES128_CM_HMAC_SHA1_80');
          if (c.group) expect(conn.info.group).toBe(ourGroup(c.group));
          await expectPeerKeymat(srv, conn.session.srtpKeyingMaterial()!.material);
          // application data both ways
          const got = new Promise<string>((res) => conn.session.onData((d) => res(Buffer.from(d).toString())));
          srv.proc.stdin!.write('from-openssl\n');
          expect((await got).trim()).toBe('from-openssl');
          conn.session.send(new TextEncoder().encode('from-mdh\n'));
          await srv.waitFor(/from-mdh/, 5_000);
          // OpenSSL verified our client certificate's presence (mutual auth)
          expect(srv.out()).toMatch(/Client certificate|subject=.*mdh-client/);
        } finally {
          await conn.close();
        }
      } finally {
        kill(srv);
      }
    });
  }

  for (const c of cases) {
    it(`openssl s_client ↔ our server: ${c.suite}${c.mtu ? ` mtu ${c.mtu}` : ''}${c.group ? ` ${c.group}` : ''}, mutual auth`, async () => {
      const s = certs[c.cert]!;
      const { accepted, resolveConn } = acceptOne();
      const errors: Error[] = [];
      const server = await listen(
        {
          host: '127.0.0.1',
          port: 0,
          certificate: s.cert,
          cipherSuites: [c.suite],
          srtpProfiles: ['SRTP_AES128_CM_HMAC_SHA1_80'],
          expectedFingerprints: [fingerprint(certs.client!.cert.chain[0]!)],
          ...(c.mtu ? { mtu: c.mtu } : {}),
          ...(c.group ? { groups: [ourGroup(c.group)] } : {}),
          handshakeTimeoutMs: 15_000,
        },
        resolveConn,
        (e) => errors.push(e),
      );
      const args = [
        ...dtlsClientArgs(server.port, certs.client!.certFile, certs.client!.keyFile),
        ...srtpKeymatArgs('SRTP_AES128_CM_SHA1_80', 60),
      ];
      if (c.mtu) args.push('-mtu', String(c.mtu));
      const cli = runOpenssl(args);
      try {
        const conn = await Promise.race([
          accepted,
          cli.waitFor(/ThisNeverMatches/, 15_000).then(() => {
            throw new Error('unreachable');
          }),
        ]);
        expect(conn.info.cipherSuite).toBe(c.suite);
        expect(conn.info.peerFingerprint).toBe(fingerprint(certs.client!.cert.chain[0]!));
        if (c.group) expect(conn.info.group).toBe(ourGroup(c.group));
        await expectPeerKeymat(cli, conn.session.srtpKeyingMaterial()!.material);
        const got = new Promise<string>((res) => conn.session.onData((d) => res(Buffer.from(d).toString())));
        cli.proc.stdin!.write('hello-from-s_client\n');
        expect((await got).trim()).toBe('hello-from-s_client');
        expect(errors).toEqual([]);
      } finally {
        kill(cli);
        await server.close();
      }
    });
  }

  async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
      out += c.toString();
      return true;
    });
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => {
      err += c.toString();
      return true;
    });
    try {
      const code = await main(['dtls', ...argv]);
      return { code, out, err };
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
  }

  it("mdh dtls connect ↔ openssl s_server prints the negotiated parameters and OpenSSL's keying material", async () => {
    const port = await freeUdpPort();
    const s = certs.ec!;
    const srv = runOpenssl([
      ...dtlsServerArgs(port, s.certFile, s.keyFile),
      ...srtpKeymatArgs('SRTP_AES128_CM_SHA1_80', 60),
    ]);
    try {
      await srv.waitFor(/ACCEPT/, 10_000);
      const r = await cli([
        'connect',
        `127.0.0.1:${port}`,
        '--srtp',
        'SRTP_AES128_CM_HMAC_SHA1_80',
        '--mtu',
        '300',
        '--fingerprint',
        fingerprint(s.cert.chain[0]!),
        '--json',
      ]);
      expect(r.code).toBe(0);
      expect(r.err).not.toMatch(/not authenticated/i); // --fingerprint given
      const j = JSON.parse(r.out.trim());
      expect(j).toEqual({
        version: 'DTLSv1.2',
        cipherSuite: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
        srtpProfile: 'SRTP_AES128_CM_HMAC_SHA1_80',
        keyingMaterial: expect.stringMatching(/^[0-9a-f]{120}$/),
        peerFingerprint: fingerprint(s.cert.chain[0]!),
      });
      await expectPeerKeymat(srv, j.keyingMaterial);
    } finally {
      kill(srv);
    }
  });

  it('mdh dtls connect fails with a non-zero exit and a reason on a wrong fingerprint', async () => {
    const port = await freeUdpPort();
    const s = certs.rsa!;
    const srv = runOpenssl([...dtlsServerArgs(port, s.certFile, s.keyFile)]);
    try {
      await srv.waitFor(/ACCEPT/, 10_000);
      const r = await cli([
        'connect',
        `127.0.0.1:${port}`,
        '--fingerprint',
        fingerprint(certs.ec!.cert.chain[0]!),
        '--json',
      ]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/fingerprint mismatch/);
      expect(r.out).toBe('');
    } finally {
      kill(srv);
    }
  });

  it('mdh dtls connect --srtp to a server without use_srtp: warns the peer is not authenticated and exits 1 (no profile agreed)', async () => {
    const port = await freeUdpPort();
    const s = certs.ec!;
    const srv = runOpenssl([...dtlsServerArgs(port, s.certFile, s.keyFile)]);
    try {
      await srv.waitFor(/ACCEPT/, 10_000);
      const r = await cli(['connect', `127.0.0.1:${port}`, '--srtp', 'SRTP_AES128_CM_HMAC_SHA1_80', '--json']);
      expect(r.err).toMatch(/WARNING: the peer is NOT authenticated/);
      expect(r.err).toMatch(/no SRTP profile was agreed \(offered SRTP_AES128_CM_HMAC_SHA1_80\)/);
      expect(JSON.parse(r.out.trim()).srtpProfile).toBe(null);
      expect(r.code).toBe(1);
    } finally {
      kill(srv);
    }
  });

  it('mdh dtls connect --ca with the CA of the server: no warning, exit 0', async () => {
    const port = await freeUdpPort();
    const s = certs.ec!;
    const srv = runOpenssl([...dtlsServerArgs(port, s.certFile, s.keyFile), '-use_srtp', 'SRTP_AES128_CM_SHA1_80']);
    try {
      await srv.waitFor(/ACCEPT/, 10_000);
      // the server's certificate is self-signed: as its own trust anchor it authenticates the server
      const r = await cli(['connect', `127.0.0.1:${port}`, '--ca', s.certFile, '--json']);
      expect(r.err).not.toMatch(/not authenticated/i);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out.trim()).srtpProfile).toBe('SRTP_AES128_CM_HMAC_SHA1_80');
    } finally {
      kill(srv);
    }
  });

  it('openssl s_client ↔ mdh dtls listen --once with a PEM certificate (RSA)', async () => {
    const port = await freeUdpPort();
    const s = certs.rsa!;
    const pending = cli([
      'listen',
      `127.0.0.1:${port}`,
      '--once',
      '--json',
      '--cert',
      s.certFile,
      '--key',
      s.keyFile,
      '--srtp',
      'SRTP_AEAD_AES_128_GCM,SRTP_AES128_CM_HMAC_SHA1_80',
    ]);
    await new Promise((r) => setTimeout(r, 300));
    const cl = runOpenssl([
      ...dtlsClientArgs(port, certs.client!.certFile, certs.client!.keyFile),
      ...srtpKeymatArgs('SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM', 56),
    ]);
    try {
      const r = await pending;
      expect(r.code).toBe(0);
      // neither --fingerprint nor --ca: the command says the peer is not authenticated
      expect(r.err).toMatch(/WARNING: the peer is NOT authenticated \(no --fingerprint or --ca\)/);
      const j = JSON.parse(r.out.trim());
      expect(j.cipherSuite).toMatch(/^TLS_ECDHE_RSA_WITH_AES_(128_GCM_SHA256|256_GCM_SHA384)$/);
      expect(j.srtpProfile).toBe('SRTP_AEAD_AES_128_GCM'); // the server's preference wins
      expect(j.peerFingerprint).toBe(fingerprint(certs.client!.cert.chain[0]!));
      await expectPeerKeymat(cl, j.keyingMaterial);
    } finally {
      kill(cl);
    }
  });

  function sh(cmd: string[]): void {
    const r = spawnSync('openssl', cmd, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${cmd.join(' ')} failed: ${r.stderr}`);
  }

  it('our client verifies an OpenSSL-made chain (P-384 leaf signed by a P-256 CA) by CA, against s_server', async () => {
    const ca = join(dir, 'ca');
    sh([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      '/CN=mdh-test-ca',
      '-keyout',
      `${ca}.key`,
      '-out',
      `${ca}.crt`,
      '-days',
      '2',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
    ]);
    const leaf = join(dir, 'leaf384');
    sh([
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-384',
      '-nodes',
      '-subj',
      '/CN=leaf',
      '-keyout',
      `${leaf}.key`,
      '-out',
      `${leaf}.csr`,
    ]);
    sh([
      'x509',
      '-req',
      '-in',
      `${leaf}.csr`,
      '-CA',
      `${ca}.crt`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-out',
      `${leaf}.crt`,
      '-days',
      '2',
    ]);
    const port = await freeUdpPort();
    const srv = runOpenssl([
      ...dtlsServerArgs(port, `${leaf}.crt`, `${leaf}.key`),
      '-cert_chain',
      `${ca}.crt`,
      ...srtpKeymatArgs('SRTP_AES128_CM_SHA1_80', 60),
    ]);
    try {
      await srv.waitFor(/ACCEPT/, 10_000);
      const caPem = readFileSync(`${ca}.crt`, 'utf8');
      const conn = await connectClient(port, {
        srtpProfiles: [1],
        ca: [caPem],
      });
      try {
        expect(conn.info.peerCertificates.length).toBe(2);
        expect(conn.info.cipherSuite).toMatch(/ECDSA/);
        await expectPeerKeymat(srv, conn.session.srtpKeyingMaterial()!.material);
      } finally {
        await conn.close();
      }
      // the same server is refused when the client trusts another CA
      const other = generateCertificate();
      await expect(
        connectClient(port, {
          ca: [toPem(other.chain[0]!)],
          handshakeTimeoutMs: 5_000,
        }),
      ).rejects.toThrow(/does not verify/);
    } finally {
      kill(srv);
    }
  });

  it('openssl s_client with -verify_return_error accepts our self-signed certificate as its CAfile; OpenSSL-made RSA key loads', async () => {
    const rsa = join(dir, 'ossl-rsa');
    opensslCert(dir, 'ossl-rsa', ['-newkey', 'rsa:2048']);
    const serverCert = loadCertificate(readFileSync(`${rsa}.crt`, 'utf8'), readFileSync(`${rsa}.key`, 'utf8'));
    const { accepted, resolveConn } = acceptOne();
    const server = await listen(
      { host: '127.0.0.1', port: 0, certificate: serverCert, srtpProfiles: [1] },
      resolveConn,
    );
    const cl = runOpenssl([
      ...dtlsClientArgs(server.port),
      '-CAfile',
      `${rsa}.crt`,
      '-verify_return_error',
      '-verify',
      '2',
      '-cert',
      certs.client!.certFile,
      '-key',
      certs.client!.keyFile,
      ...srtpKeymatArgs('SRTP_AES128_CM_SHA1_80', 60),
    ]);
    try {
      const conn = await accepted;
      await cl.waitFor(/Verify return code: 0 \(ok\)/, 10_000);
      await expectPeerKeymat(cl, conn.session.srtpKeyingMaterial()!.material);
    } finally {
      kill(cl);
      await server.close();
    }
  });

  it('openssl s_client verifies our generated ECDSA certificate (-verify_return_error, CAfile = our cert)', async () => {
    const { accepted, resolveConn } = acceptOne();
    const server = await listen(
      { host: '127.0.0.1', port: 0, certificate: certs.ec!.cert, requestClientCertificate: false },
      resolveConn,
    );
    const cl = runOpenssl([
      ...dtlsClientArgs(server.port),
      '-CAfile',
      certs.ec!.certFile,
      '-verify_return_error',
      '-verify',
      '2',
    ]);
    try {
      await accepted;
      await cl.waitFor(/Verify return code: 0 \(ok\)/, 10_000);
    } finally {
      kill(cl);
      await server.close();
    }
  });

  it('retransmission interoperates: a lossy proxy drops datagrams of both sides (OpenSSL s_server -mtu 300)', async () => {
    const port = await freeUdpPort();
    const s = certs.ec!;
    const srv = runOpenssl([
      ...dtlsServerArgs(port, s.certFile, s.keyFile),
      '-mtu',
      '300',
      '-Verify',
      '1',
      ...srtpKeymatArgs('SRTP_AES128_CM_SHA1_80', 60),
    ]);
    const proxy = createSocket('udp4');
    await new Promise<void>((r) => proxy.bind(0, '127.0.0.1', () => r()));
    let clientAddr: { port: number } | undefined;
    const seen = { up: 0, down: 0 };
    const dropUp = new Set([1, 3]); // the first ClientHello and the first datagram of flight 5
    const dropDown = new Set([2, 4]); // datagrams of the server's flight 4
    proxy.on('message', (msg, rinfo) => {
      if (rinfo.port === port) {
        seen.down++;
        if (!dropDown.has(seen.down) && clientAddr) proxy.send(msg, clientAddr.port, '127.0.0.1');
      } else {
        clientAddr = { port: rinfo.port };
        seen.up++;
        if (!dropUp.has(seen.up)) proxy.send(msg, port, '127.0.0.1');
      }
    });
    try {
      await srv.waitFor(/ACCEPT/, 10_000);
      const conn = await connectClient((proxy.address() as { port: number }).port, {
        srtpProfiles: [1],
        handshakeTimeoutMs: 20_000,
      });
      try {
        expect(conn.session.engine.stats.retransmits).toBeGreaterThan(0);
        await expectPeerKeymat(srv, conn.session.srtpKeyingMaterial()!.material);
      } finally {
        await conn.close();
      }
    } finally {
      kill(srv);
      proxy.close();
    }
  });

  it('retransmission interoperates the other way: openssl s_client -mtu 300 through a lossy proxy to our server', async () => {
    const { accepted, resolveConn } = acceptOne();
    const server = await listen(
      {
        host: '127.0.0.1',
        port: 0,
        certificate: certs.rsa!.cert,
        srtpProfiles: [1],
        mtu: 300,
        handshakeTimeoutMs: 20_000,
      },
      resolveConn,
    );
    const proxy = createSocket('udp4');
    await new Promise<void>((r) => proxy.bind(0, '127.0.0.1', () => r()));
    let clientPort: number | undefined;
    const seen = { up: 0, down: 0 };
    const dropUp = new Set([2, 4]); // the ClientHello with the cookie, then a datagram of flight 5
    const dropDown = new Set([3, 5]); // datagrams of our flight 4
    proxy.on('message', (msg, rinfo) => {
      if (rinfo.port === server.port) {
        seen.down++;
        if (!dropDown.has(seen.down) && clientPort) proxy.send(msg, clientPort, '127.0.0.1');
      } else {
        clientPort = rinfo.port;
        seen.up++;
        if (!dropUp.has(seen.up)) proxy.send(msg, server.port, '127.0.0.1');
      }
    });
    const cl = runOpenssl([
      ...dtlsClientArgs((proxy.address() as { port: number }).port, certs.client!.certFile, certs.client!.keyFile),
      '-mtu',
      '300',
      ...srtpKeymatArgs('SRTP_AES128_CM_SHA1_80', 60),
    ]);
    try {
      const conn = await accepted;
      await expectPeerKeymat(cl, conn.session.srtpKeyingMaterial()!.material, 15_000);
      expect(conn.session.engine.stats.retransmits).toBeGreaterThan(0);
    } finally {
      kill(cl);
      proxy.close();
      await server.close();
    }
  });

  it('extended_master_secret is required by default: an OpenSSL server without EMS is refused', async () => {
    const port = await freeUdpPort();
    const s = certs.ec!;
    // OpenSSL 3.0's s_server has no -no_ems: switch EMS off through the SSL_CONF system default
    const cnf = join(dir, 'no-ems.cnf');
    writeFileSync(
      cnf,
      'openssl_conf = default_conf\n[default_conf]\nssl_conf = ssl_sect\n[ssl_sect]\nsystem_default = sd\n[sd]\nOptions = -ExtendedMasterSecret\n',
    );
    const srv = runOpenssl(dtlsServerArgs(port, s.certFile, s.keyFile), {
      OPENSSL_CONF: cnf,
    });
    try {
      await srv.waitFor(/ACCEPT/, 10_000);
      await expect(connect({ host: '127.0.0.1', port, handshakeTimeoutMs: 10_000 })).rejects.toThrow(
        /extended_master_secret/,
      );
      // and allowed when the application opts out (RFC 7627 §5.3 leaves this to local policy)
      const conn = await connect({
        host: '127.0.0.1',
        port,
        requireExtendedMasterSecret: false,
        handshakeTimeoutMs: 10_000,
      });
      expect(conn.info.extendedMasterSecret).toBe(false);
      await conn.close();
    } finally {
      kill(srv);
    }
  });

  it('openssl s_client without a client certificate ↔ mdh dtls listen --once (certificate requested, not required)', async () => {
    const port = await freeUdpPort();
    const pending = cli(['listen', `127.0.0.1:${port}`, '--once', '--json']);
    await new Promise((r) => setTimeout(r, 300));
    const cl = runOpenssl([...dtlsClientArgs(port), ...srtpKeymatArgs('SRTP_AES128_CM_SHA1_32', 60)]);
    try {
      const r = await pending;
      expect(r.code).toBe(0);
      const j = JSON.parse(r.out.trim());
      expect(j.srtpProfile).toBe('SRTP_AES128_CM_HMAC_SHA1_32');
      expect(j.peerFingerprint).toBeNull();
      await expectPeerKeymat(cl, j.keyingMaterial);
    } finally {
      kill(cl);
    }
  });

  it('our client ↔ s_server -verify 1 -client_sigalgs RSA+SHA256: no fitting scheme for our ECDSA key → empty Certificate, optional auth goes on', async () => {
    const port = await freeUdpPort();
    const s = certs.ec!;
    const srv = runOpenssl([
      ...dtlsServerArgs(port, s.certFile, s.keyFile),
      ...srtpKeymatArgs('SRTP_AES128_CM_SHA1_80', 60),
      '-verify',
      '1',
      '-client_sigalgs',
      'RSA+SHA256',
      '-no_ticket',
    ]);
    try {
      await srv.waitFor(/ACCEPT/, 10_000);
      const conn = await connectClient(port, {
        srtpProfiles: ['SRTP_AES128_CM_HMAC_SHA1_80'],
        expectedFingerprints: [fingerprint(s.cert.chain[0]!).toLowerCase()],
      });
      try {
        await expectPeerKeymat(srv, conn.session.srtpKeyingMaterial()!.material);
      } finally {
        await conn.close();
      }
    } finally {
      kill(srv);
    }
  });

  it('our client ↔ s_server with a SHA-1-signed RSA certificate (as baresip makes), -sigalgs/-curves/-cipher/-no_ticket/-Verify 1, accepted by a lowercase sha-1 fingerprint', async () => {
    const port = await freeUdpPort();
    const old = opensslCert(dir, 'sha1rsa', ['-newkey', 'rsa:2048'], ['-sha1']);
    const der = pemBlocksOf(readFileSync(old.certFile, 'utf8'));
    const srv = runOpenssl([
      ...dtlsServerArgs(port, old.certFile, old.keyFile),
      ...srtpKeymatArgs('SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80', 56),
      '-Verify',
      '1',
      '-no_ticket',
      '-cipher',
      'ECDHE-RSA-AES256-GCM-SHA384',
      '-sigalgs',
      'RSA-PSS+SHA256:RSA+SHA384:ECDSA+SHA256',
      '-curves',
      'P-384:P-256',
    ]);
    try {
      await srv.waitFor(/ACCEPT/, 10_000);
      const conn = await connectClient(port, {
        srtpProfiles: ['SRTP_AEAD_AES_128_GCM', 'SRTP_AES128_CM_HMAC_SHA1_80'],
        groups: ['secp384r1', 'secp256r1'],
        expectedFingerprints: [fingerprint(der, 'sha-1').toLowerCase()],
      });
      try {
        expect(conn.info.cipherSuite).toBe('TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384');
        expect(conn.info.group).toBe('secp384r1');
        expect(conn.info.srtpProfile?.name).toBe('SRTP_AEAD_AES_128_GCM');
        await expectPeerKeymat(srv, conn.session.srtpKeyingMaterial()!.material);
      } finally {
        await conn.close();
      }
    } finally {
      kill(srv);
    }
  });

  it('openssl s_client with a SHA-1-signed RSA certificate, SNI, status_request, ALPN and -sigalgs ↔ our server (fingerprint sha-1)', async () => {
    const old = opensslCert(dir, 'sha1client', ['-newkey', 'rsa:2048'], ['-sha1']);
    const der = pemBlocksOf(readFileSync(old.certFile, 'utf8'));
    const { accepted, resolveConn } = acceptOne();
    const server = await listen(
      {
        host: '127.0.0.1',
        port: 0,
        certificate: certs.ec!.cert,
        srtpProfiles: ['SRTP_AES128_CM_HMAC_SHA1_80'],
        expectedFingerprints: [fingerprint(der, 'sha-1').toLowerCase()],
        handshakeTimeoutMs: 15_000,
      },
      resolveConn,
    );
    const cl = runOpenssl([
      ...dtlsClientArgs(server.port, old.certFile, old.keyFile),
      ...srtpKeymatArgs('SRTP_AES128_CM_SHA1_80', 60),
      '-servername',
      'example.com',
      '-status',
      '-alpn',
      'webrtc,c-webrtc',
      '-sigalgs',
      'ECDSA+SHA384:ECDSA+SHA256:RSA-PSS+SHA256',
      '-curves',
      'X25519:P-256',
    ]);
    try {
      const conn = await Promise.race([
        accepted,
        cl.waitFor(/ThisNeverMatches/, 15_000).then(() => {
          throw new Error('unreachable');
        }),
      ]);
      expect(conn.info.peerFingerprint).toBe(fingerprint(der));
      await expectPeerKeymat(cl, conn.session.srtpKeyingMaterial()!.material);
    } finally {
      kill(cl);
      await server.close();
    }
  });
  it('our client ↔ s_server with an RSA-PSS-signed certificate, then our close_notify ends its connection', async () => {
    const port = await freeUdpPort();
    const pss = opensslCert(dir, 'pss', ['-newkey', 'rsa:2048'], ['-sha256', '-sigopt', 'rsa_padding_mode:pss']);
    const der = pemBlocksOf(readFileSync(pss.certFile, 'utf8'));
    const srv = runOpenssl([...dtlsServerArgs(port, pss.certFile, pss.keyFile), '-use_srtp', 'SRTP_AES128_CM_SHA1_80']);
    try {
      await srv.waitFor(/ACCEPT/, 10_000);
      const conn = await connectClient(port, {
        srtpProfiles: ['SRTP_AES128_CM_HMAC_SHA1_80'],
        expectedFingerprints: [fingerprint(der, 'sha-512')],
      });
      expect(conn.info.peerFingerprint).toBe(fingerprint(der));
      await srv.waitFor(/CIPHER is/, 10_000);
      // s_server prints DONE when SSL_read reports the peer's close_notify (its stdin stays open).
      await conn.close();
      await srv.waitFor(/\nDONE/, 10_000);
    } finally {
      kill(srv);
    }
  });

  it("openssl s_client's close_notify (Q) closes our server's association cleanly (RFC 5246 §7.2.1)", async () => {
    const { accepted, resolveConn } = acceptOne();
    const server = await listen(
      { host: '127.0.0.1', port: 0, certificate: certs.ec!.cert, handshakeTimeoutMs: 15_000 },
      resolveConn,
    );
    const cl = runOpenssl(dtlsClientArgs(server.port));
    try {
      const conn = await Promise.race([
        accepted,
        cl.waitFor(/ThisNeverMatches/, 15_000).then(() => {
          throw new Error('unreachable');
        }),
      ]);
      const closed = new Promise<DtlsError | undefined>((res) => conn.session.onClose(res));
      await cl.waitFor(/Verify return code/, 10_000);
      cl.proc.stdin!.write('Q\n');
      expect(await closed).toBeUndefined();
      expect(conn.session.engine.connected).toBe(false);
      for (let i = 0; i < 50 && server.associations > 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(server.associations).toBe(0);
    } finally {
      kill(cl);
      await server.close();
    }
  });
  it('openssl s_client with a PSS-only (id-RSASSA-PSS) key signs CertificateVerify with rsa_pss_pss_sha256; our server accepts it', async () => {
    const pssKey = opensslCert(dir, 'psskey', ['-newkey', 'rsa-pss', '-pkeyopt', 'rsa_keygen_bits:2048']);
    const der = pemBlocksOf(readFileSync(pssKey.certFile, 'utf8'));
    // (OpenSSL 3.0 cannot serve DTLS 1.2 with a PSS-only key itself: s_server fails with no shared cipher, even
    // towards s_client; so only the client-certificate direction is a real-peer case.)
    // s_client with a PSS-keyed client certificate ↔ our server that requires it by fingerprint
    const { accepted, resolveConn } = acceptOne();
    const server = await listen(
      {
        host: '127.0.0.1',
        port: 0,
        certificate: certs.ec!.cert,
        expectedFingerprints: [fingerprint(der)],
        handshakeTimeoutMs: 15_000,
      },
      resolveConn,
    );
    const cl = runOpenssl([...dtlsClientArgs(server.port, pssKey.certFile, pssKey.keyFile)]);
    try {
      const conn = await Promise.race([
        accepted,
        cl.waitFor(/ThisNeverMatches/, 15_000).then(() => {
          throw new Error('unreachable');
        }),
      ]);
      expect(conn.info.peerFingerprint).toBe(fingerprint(der));
    } finally {
      kill(cl);
      await server.close();
    }
  });
});

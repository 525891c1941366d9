import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTls, listenTls, SocketError, type StreamServer, type TlsConnection } from '../src/index.js';

// Certificates are made fresh with the openssl CLI: a CA, a server cert for sip.test + 127.0.0.1,
// a second server cert for other.test (SNI), a client cert (mutual TLS) and a self-signed cert.
let dir = '';
const pem: Record<string, string> = {};

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

function issue(name: string, cn: string, san: string, ext: string): void {
  openssl([
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${cn}`,
  ]);
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=${ext}\n`);
  openssl([
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
  ]);
  pem[`${name}.key`] = readFileSync(join(dir, `${name}.key`), 'utf8');
  pem[`${name}.crt`] = readFileSync(join(dir, `${name}.crt`), 'utf8');
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mdh-tls-'));
  openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-subj',
    '/CN=mdh test CA',
    '-days',
    '2',
  ]);
  pem['ca.crt'] = readFileSync(join(dir, 'ca.crt'), 'utf8');
  issue('server', 'sip.test', 'DNS:sip.test,IP:127.0.0.1', 'serverAuth');
  issue('other', 'other.test', 'DNS:other.test', 'serverAuth');
  issue('client', 'alice', 'DNS:alice.test', 'clientAuth');
  openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'self.key',
    '-out',
    'self.crt',
    '-subj',
    '/CN=self',
    '-days',
    '2',
  ]);
  pem['self.key'] = readFileSync(join(dir, 'self.key'), 'utf8');
  pem['self.crt'] = readFileSync(join(dir, 'self.crt'), 'utf8');
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

async function echoServer(extra: Partial<Parameters<typeof listenTls>[0]> = {}): Promise<StreamServer<TlsConnection>> {
  return listenTls({ host: '127.0.0.1', cert: pem['server.crt']!, key: pem['server.key']!, ...extra }, (c) =>
    c.onData((d) => void c.write(d)),
  );
}

describe('TLS', () => {
  it('verifies the server against a CA list, with SNI and ALPN, and echoes', async () => {
    const srv = await echoServer({ alpn: ['sip', 'h2'] });
    try {
      const c = await connectTls({
        host: '127.0.0.1',
        port: srv.port,
        ca: pem['ca.crt']!,
        servername: 'sip.test',
        alpn: ['sip'],
      });
      expect(c.authorized).toBe(true);
      expect(c.alpnProtocol).toBe('sip');
      expect(c.tlsVersion).toMatch(/^TLSv1\.[23]$/);
      expect(c.peerCertificate?.[0]).toBe(0x30); // DER SEQUENCE
      await c.write(enc('over tls'));
      expect(dec(await c.read(5000))).toBe('over tls');
      c.close();
    } finally {
      await srv.close();
    }
  });

  it('serves a per-name certificate by SNI', async () => {
    const srv = await echoServer({ sni: { 'other.test': { cert: pem['other.crt']!, key: pem['other.key']! } } });
    try {
      const c = await connectTls({
        host: '127.0.0.1',
        port: srv.port,
        ca: new TextEncoder().encode(pem['ca.crt']!),
        servername: 'other.test',
      });
      expect(c.authorized).toBe(true);
      c.close();
      // A name not in the SNI table gets the default certificate (sip.test's).
      const d = await connectTls({ host: '127.0.0.1', port: srv.port, ca: pem['ca.crt']!, servername: 'sip.test' });
      expect(d.authorized).toBe(true);
      d.close();
    } finally {
      await srv.close();
    }
  });

  it('handshake failures are typed: unknown CA, wrong name; insecure skips verification', async () => {
    const srv = await listenTls({ host: '127.0.0.1', cert: pem['self.crt']!, key: pem['self.key']! }, (c) =>
      c.onData(() => {}),
    );
    try {
      const e = await connectTls({ host: '127.0.0.1', port: srv.port, ca: pem['ca.crt']!, servername: 'self' }).catch(
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(SocketError);
      expect((e as SocketError).op).toBe('handshake');
      expect((e as SocketError).code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
      const c = await connectTls({ host: '127.0.0.1', port: srv.port, insecure: true });
      expect(c.authorized).toBe(false);
      expect(c.authorizationError).toBeDefined();
      c.close();
    } finally {
      await srv.close();
    }
    const good = await echoServer();
    try {
      const e = await connectTls({
        host: '127.0.0.1',
        port: good.port,
        ca: pem['ca.crt']!,
        servername: 'wrong.test',
      }).catch((x: unknown) => x);
      expect(e).toMatchObject({ op: 'handshake', code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    } finally {
      await good.close();
    }
  });

  it('mutual TLS: a client certificate is required and verified', async () => {
    const srv = await echoServer({ ca: pem['ca.crt']!, requestCert: true });
    try {
      const c = await connectTls({
        host: '127.0.0.1',
        port: srv.port,
        ca: pem['ca.crt']!,
        servername: 'sip.test',
        cert: pem['client.crt']!,
        key: pem['client.key']!,
      });
      await c.write(enc('mtls'));
      expect(dec(await c.read(5000))).toBe('mtls');
      c.close();
      // Without a client certificate the server refuses the session.
      const failed = await (async () => {
        try {
          const d = await connectTls({ host: '127.0.0.1', port: srv.port, ca: pem['ca.crt']!, servername: 'sip.test' });
          // TLS 1.3: the client learns of the rejection on its first read.
          const r = await d.read(5000).catch((x: unknown) => x);
          d.close();
          return r instanceof SocketError || (r instanceof Uint8Array && r.length === 0);
        } catch (x) {
          return x instanceof SocketError;
        }
      })();
      expect(failed).toBe(true);
      for (let i = 0; i < 100 && srv.stats.acceptErrors === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(srv.stats.acceptErrors).toBeGreaterThan(0);
      expect(srv.lastAcceptError?.op).toBe('handshake');
    } finally {
      await srv.close();
    }
  });

  it('connection refused on the TCP layer has op connect; missing cert/key throws', async () => {
    const srv = await echoServer();
    const port = srv.port;
    await srv.close();
    await expect(connectTls({ host: '127.0.0.1', port, insecure: true })).rejects.toMatchObject({
      code: 'ECONNREFUSED',
      op: 'connect',
    });
    await expect(listenTls({ cert: '', key: undefined as unknown as string })).rejects.toThrow(TypeError);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killMdh, mdh } from './cli-process.js';
import { killPeers, opensslCert, runOpenssl } from './helpers.js';
import { hasPeer } from './peers.js';

// Issue #17 item 5: `mdh call` over TLS reports a failed handshake as such ("TLS handshake failed: <why>",
// exit 1), not as the bare 503 the transport error becomes (RFC 3261 §8.1.3.1).

const dir = mkdtempSync(join(tmpdir(), 'mdh-tls-'));
afterAll(() => {
  killMdh();
  killPeers();
  rmSync(dir, { recursive: true, force: true });
});

async function freeTcpPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface Report {
  ok: boolean;
  status: number;
  reason: string;
  error?: string;
}

async function call(args: string[]): Promise<{ code: unknown; report: Report; out: string }> {
  const p = mdh(['call', ...args, '--json']);
  const code = await p.exited;
  return { code, report: JSON.parse(p.out()) as Report, out: p.out() };
}

describe.skipIf(!hasPeer('openssl'))('mdh call: TLS errors', () => {
  it('a self-signed certificate (openssl s_server): TLS handshake failed, exit 1; with --insecure no TLS error', async () => {
    const { certFile, keyFile } = opensslCert(dir, 'selfsigned', [
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
    ]);
    const port = await freeTcpPort();
    const server = runOpenssl([
      's_server',
      '-accept',
      `127.0.0.1:${port}`,
      '-cert',
      certFile,
      '-key',
      keyFile,
      '-quiet',
    ]);
    // s_server is up once it accepts a TCP connection
    for (let i = 0; i < 200; i++) {
      const ok = await new Promise<boolean>((r) => {
        const c = net.connect(port, '127.0.0.1', () => {
          c.destroy();
          r(true);
        });
        c.on('error', () => r(false));
      });
      if (ok) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const bad = await call([`sips:x@127.0.0.1:${port}`, '--timeout', '20']);
    expect(bad.code).toBe(1);
    expect(bad.report.error).toBe('tls');
    expect(bad.report.reason).toMatch(/^TLS handshake failed: self[- ]signed certificate/);
    expect(bad.report.status).not.toBe(503);
    // the control: the same server trusted blindly is not a TLS failure (s_server speaks no SIP: the setup times out)
    const ok = await call([`sip:x@127.0.0.1:${port};transport=tls`, '--insecure', '--timeout', '3']);
    expect(ok.code).toBe(1);
    expect(ok.report.error).toBe('timeout');
    expect(server.proc.exitCode).toBe(null);
  }, 60_000);

  it('a port that does not speak TLS: TLS handshake failed (no TLS session), exit 1', async () => {
    const conns: net.Socket[] = [];
    const plain = net.createServer((c) => conns.push(c));
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', () => r()));
    const port = (plain.address() as net.AddressInfo).port;
    try {
      const r = await call([`sips:x@127.0.0.1:${port}`, '--timeout', '30']);
      expect(r.code).toBe(1);
      expect(r.report.error).toBe('tls');
      expect(r.report.reason).toMatch(/^TLS handshake failed: no TLS session within \d+ ms/);
    } finally {
      for (const c of conns) c.destroy();
      plain.close();
    }
  }, 60_000);
});

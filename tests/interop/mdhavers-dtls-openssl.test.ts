import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Interpreter } from '@mdh/mdhavers';
import { afterAll, describe, expect, it } from 'vitest';
import { hasPeer } from './peers.js';

// Interop: `dtls_handshake` from an mdhavers script (client mode) against `openssl s_server -dtls1_2
// -use_srtp`, checking that the RFC 5764 keys the script gets are exactly OpenSSL's exported keying
// material (client_key | server_key | client_salt | server_salt).
const children: ChildProcessWithoutNullStreams[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const p = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

describe.skipIf(!hasPeer('openssl'))('mdhavers dtls_handshake ↔ openssl s_server', () => {
  it('negotiates SRTP_AES128_CM_SHA1_80 and derives the same keying material', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdh-dtls-'));
    const key = join(dir, 'k.pem');
    const cert = join(dir, 'c.pem');
    const gen = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '2',
        '-subj',
        '/CN=localhost',
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(gen.status, gen.stderr).toBe(0);
    const port = await freePort();
    const srv = spawn('openssl', [
      's_server',
      '-dtls1_2',
      '-use_srtp',
      'SRTP_AES128_CM_SHA1_80',
      '-cert',
      cert,
      '-key',
      key,
      '-accept',
      `127.0.0.1:${port}`,
      '-keymatexport',
      'EXTRACTOR-dtls_srtp',
      '-keymatexportlen',
      '60',
    ]);
    children.push(srv);
    let sout = '';
    srv.stdout.on('data', (d: Buffer) => (sout += d.toString()));
    srv.stderr.on('data', (d: Buffer) => (sout += d.toString()));
    const deadline = Date.now() + 10_000;
    while (!sout.includes('ACCEPT') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));

    let out = '';
    const it = new Interpreter({ write: (s) => (out += s) });
    try {
      await it.runSource(`ken s = socket_udp()["value"]
socket_bind(s, "127.0.0.1", 0)
ken cfg = dtls_server_new({"mode": "client", "insecure": aye, "remote_host": "127.0.0.1", "remote_port": ${port}})["value"]
ken r = dtls_handshake(cfg, s)
blether r["ok"]
ken k = r["value"]
blether k["profile"]
blether upper(bytes_to_hex(k["client_key"]) + bytes_to_hex(k["server_key"]) + bytes_to_hex(k["client_salt"]) + bytes_to_hex(k["server_salt"]))
`);
    } finally {
      await it.close();
    }
    const lines = out.trim().split('\n');
    expect(lines[0]).toBe('aye');
    expect(lines[1]).toBe('SRTP_AES128_CM_SHA1_80');
    const until = Date.now() + 5_000;
    while (!/Keying material: [0-9A-F]+/.test(sout) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    const m = sout.match(/Keying material: ([0-9A-F]+)/);
    expect(m?.[1]).toBe(lines[2]);
    expect(sout).toContain('SRTP Extension negotiated, profile=SRTP_AES128_CM_SHA1_80');
    srv.kill('SIGTERM');
  });
});

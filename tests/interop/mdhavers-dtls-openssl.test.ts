import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Interpreter } from '@mdh/mdhavers';
import { afterAll, describe, expect, it } from 'vitest';
import { dtlsServerArgs, freeUdpPort, KM_RE, killPeers, opensslCert, runOpenssl, srtpKeymatArgs } from './helpers.js';
import { hasPeer } from './peers.js';

// Interop: `dtls_handshake` from an mdhavers script (client mode) against `openssl s_server -dtls1_2
// -use_srtp`, checking that the RFC 5764 keys the script gets are exactly OpenSSL's exported keying
// material (client_key | server_key | client_salt | server_salt).
afterAll(killPeers);

describe.skipIf(!hasPeer('openssl'))('mdhavers dtls_handshake ↔ openssl s_server', () => {
  it('negotiates SRTP_AES128_CM_SHA1_80 and derives the same keying material', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdh-dtls-'));
    const { certFile: cert, keyFile: key } = opensslCert(dir, 'localhost', [
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
    ]);
    const port = await freeUdpPort();
    const srv = runOpenssl([...dtlsServerArgs(port, cert, key), ...srtpKeymatArgs('SRTP_AES128_CM_SHA1_80', 60)]);
    await srv.waitFor(/ACCEPT/, 10_000);

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
    const m = await srv.waitFor(KM_RE, 5_000);
    expect(m[1]).toBe(lines[2]);
    expect(srv.out()).toContain('SRTP Extension negotiated, profile=SRTP_AES128_CM_SHA1_80');
    srv.proc.kill('SIGTERM');
  });
});

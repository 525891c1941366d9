import { createServer } from 'node:net';
import { generateCertificate, privateKeyPem, toPem } from '@mdh/dtls';
import { describe, expect, it } from 'vitest';
import { run } from './helpers.js';

async function freeTcpPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const a = s.address();
  const p = typeof a === 'object' && a ? a.port : 0;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

describe('§12.7 TLS over TCP socket handles', () => {
  it('a TLS server script and a TLS client script exchange data (verified and insecure clients)', async () => {
    const cert = generateCertificate({ commonName: 'localhost' });
    const env = { CERT: toPem(cert.chain[0] as Uint8Array), KEY: privateKeyPem(cert) };
    const port = await freeTcpPort();
    const server = `fetch "stdlib/tls"
ken srv = socket_tcp()["value"]
socket_bind(srv, "127.0.0.1", ${port})
socket_listen(srv, 4)
fer round in 0..2 {
    ken conn = socket_accept(srv)["value"]["sock"]
    ken t = tls_server({"cert_pem": env_get("CERT", ""), "key_pem": env_get("KEY", "")})["value"]
    blether tls_connect_o(t, conn)["ok"]
    ken got = tls_recv_o(t, 100)["value"]
    tls_send_string(t, "echo: " + bytes_to_latin1(got))
    blether tls_connect(t, conn)["ok"]
    tls_close_o(t)
    socket_close(conn)
}
`;
    const client = `fetch "stdlib/tls"
dae talk(cfg, text) {
    ken s = socket_tcp()["value"]
    ken tries = 0
    whiles nae socket_connect(s, "127.0.0.1", ${port})["ok"] an tries < 100 {
        snooze(20)
        tries += 1
    }
    ken t = tls_client(cfg)["value"]
    ken c = tls_connect_o(t, s)
    gin nae c["ok"] { gie c["error"] }
    tls_send_string(t, text)
    ken reply = bytes_to_latin1(tls_recv_o(t, 100)["value"])
    tls_close_o(t)
    socket_close(s)
    gie reply
}
blether talk({"ca_pem": env_get("CERT", ""), "server_name": "localhost"}, "verified")
blether talk({"insecure": aye}, "insecure")
`;
    const [rs, rc] = await Promise.all([run(server, { env }), run(client, { env })]);
    expect(rs.error, rs.out).toBeNull();
    expect(rc.error, rc.out).toBeNull();
    expect(rc.out).toBe('echo: verified\necho: insecure\n');
    expect(rs.out).toBe('aye\nnae\naye\nnae\n');
  });

  it('argument errors throw, unknown sessions are result failures', async () => {
    const r =
      await run(`hae_a_bash { tls_client_new({"mode": "server"}) } gin_it_gangs_wrang e { blether contains(e, "cert_pem") }
hae_a_bash { tls_client_new({"cert_pem": "nonsense", "key_pem": "x", "mode": "server"}) } gin_it_gangs_wrang e { blether contains(e, "PEM") }
blether tls_send(42, bytes(1))["ok"]
blether tls_close(42)
hae_a_bash { tls_send(42, "text") } gin_it_gangs_wrang e { blether "non-bytes throws" }
ken t = tls_client_new(naething)["value"]
ken s = socket_tcp()["value"]
blether tls_connect(t, s)["ok"]
`);
    expect(r.error).toBeNull();
    expect(r.out).toBe('aye\naye\nnae\n{"ok": aye, "value": naething}\nnon-bytes throws\nnae\n');
  });
});

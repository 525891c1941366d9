import { generateCertificate, privateKeyPem, toPem } from '@mdh/dtls';
import { describe, expect, it } from 'vitest';
import { freePort, run } from './helpers.js';

describe('§12.8 DTLS handshake and SRTP from scripts', () => {
  it('a client and a server script agree on DTLS-SRTP keys and exchange SRTP', async () => {
    const cert = generateCertificate();
    const certPem = toPem(cert.chain[0] as Uint8Array);
    const keyPem = privateKeyPem(cert);
    const [ps, pc] = [await freePort(), await freePort()];
    const env = { CERT: certPem, KEY: keyPem };
    const server = `fetch "stdlib/srtp"
ken s = socket_udp()["value"]
socket_bind(s, "127.0.0.1", ${ps})
ken cfg = dtls_server_new({"mode": "server", "cert_pem": env_get("CERT", ""), "key_pem": env_get("KEY", ""), "remote_host": "127.0.0.1", "remote_port": ${pc}, "srtp_profiles": ["SRTP_AES128_CM_SHA1_80", "bogus", 7]})["value"]
ken r = dtls_handshake(cfg, s)
blether r["ok"]
ken k = r["value"]
blether keys(k)
blether [k["profile"], k["key_len"], k["salt_len"], len(k["client_key"]), len(k["server_salt"])]
blether bytes_to_hex(k["client_key"]) + bytes_to_hex(k["server_key"])
ken ctx = srtp_from_dtls(k, "server")["value"]
ken got = udp_recv_from(s, 2048)["value"]["buf"]
ken plain = srtp_unprotect(ctx, got)
blether plain["ok"]
blether bytes_to_latin1(bytes_slice(plain["value"], 12, 100))
`;
    const client = `fetch "stdlib/srtp"
fetch "stdlib/rtp"
ken s = socket_udp()["value"]
socket_bind(s, "127.0.0.1", ${pc})
socket_connect(s, "127.0.0.1", ${ps})
ken cfg = dtls_server_new({"mode": "client", "insecure": aye})["value"]
ken r = dtls_handshake(cfg, s)
blether r["ok"]
ken k = r["value"]
blether bytes_to_hex(k["client_key"]) + bytes_to_hex(k["server_key"])
ken ctx = srtp_from_dtls(k)["value"]
ken sent = udp_send_to(s, srtp_protect(ctx, rtp_packet("secret media", 7, 160, 99))["value"], "127.0.0.1", ${ps})
blether sent["ok"]
`;
    const [rs, rc] = await Promise.all([run(server, { env }), run(client, { env })]);
    expect(rs.error, rs.out + rc.out).toBeNull();
    expect(rc.error, rc.out).toBeNull();
    const sl = rs.out.trim().split('\n');
    const cl = rc.out.trim().split('\n');
    expect(sl[0]).toBe('aye');
    expect(sl[1]).toBe('[profile, client_key, client_salt, server_key, server_salt, key_len, salt_len]');
    expect(sl[2]).toBe('[SRTP_AES128_CM_SHA1_80, 16, 14, 16, 14]');
    expect(cl[0]).toBe('aye');
    expect(cl[1]).toBe(sl[3]);
    expect(cl[1]).toMatch(/^[0-9a-f]{64}$/);
    expect(cl[2]).toBe('aye');
    expect(sl[4]).toBe('aye');
    expect(sl[5]).toBe('secret media');
  });

  it('failures are result dicts: unknown handle, no remote, missing server cert', async () => {
    const r = await run(`ken s = socket_udp()["value"]
socket_bind(s, "127.0.0.1", 0)
blether dtls_handshake(99, s)["ok"]
ken c = dtls_server_new(naething)["value"]
blether dtls_handshake(c, s)["error"]
ken c2 = dtls_server_new({"remote_host": "127.0.0.1", "remote_port": 9})["value"]
blether contains(dtls_handshake(c2, s)["error"], "cert")
ken c3 = dtls_server_new({"mode": "client", "remote_host": "not-an-ip", "remote_port": 9})["value"]
blether contains(dtls_handshake(c3, s)["error"], "invalid")
hae_a_bash { dtls_server_new(5) } gin_it_gangs_wrang e { blether "non-dict throws" }
hae_a_bash { dtls_handshake(c, 77) } gin_it_gangs_wrang e { blether "unknown socket throws" }
`);
    expect(r.error).toBeNull();
    const l = r.out.trim().split('\n');
    expect(l[0]).toBe('nae');
    expect(l[1]).toContain('no remote');
    expect(l.slice(2)).toEqual(['aye', 'aye', 'non-dict throws', 'unknown socket throws']);
  });
});

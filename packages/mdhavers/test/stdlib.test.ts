import { describe, expect, it } from 'vitest';
import { out, run } from './helpers.js';

describe('§13.1 stdlib/bytes', () => {
  it('wrappers and the Latin-1 bytes_to_string', async () => {
    expect(
      await out(`fetch "stdlib/bytes"
ken b = make_bytes(4)
write_u16be(b, 0, 258)
write_u32be(b, 0, 16909060)
blether read_u32be(b, 0)
blether read_u16be(b, 2)
bytes_set_o(b, 0, 65)
blether bytes_get_o(b, 0)
blether bytes_len_o(bytes_slice_o(b, 1, 3))
bytes_append_o(b, bytes_from_str("é"))
blether bytes_len_o(b)
blether bytes_to_string(bytes_from_str("é"))
blether bytes_to_string(bytes_from_str("ok"))
blether bytes_to_string(42)
`),
    ).toBe('16909060\n772\n65\n2\n6\nÃ©\nok\n42\n');
  });
});

describe('§13.5 stdlib/sip', () => {
  it('constants and transport defaults', async () => {
    expect(
      await out(`fetch "stdlib/sip"
blether [SIP_VERSION, SIP_PORT, SIPS_PORT, SIP_TRANSPORT_UDP, SIP_TRANSPORT_TCP, SIP_TRANSPORT_TLS]
blether sip_transport_defaults("UDP")
blether sip_transport_defaults("tcp")
blether sip_transport_defaults("sips")
blether sip_transport_defaults("sctp")
blether sip_trim_dot("a.example.com.")
blether sip_trim_dot("a.example.com")
`),
    ).toBe(
      '[SIP/2.0, 5060, 5061, udp, tcp, tls]\n' +
        '{"transport": udp, "service": _sip._udp, "naptr": sip+d2u, "port": 5060}\n' +
        '{"transport": tcp, "service": _sip._tcp, "naptr": sip+d2t, "port": 5060}\n' +
        '{"transport": tls, "service": _sips._tcp, "naptr": sips+d2t, "port": 5061}\n' +
        '{"transport": sctp, "service": _sip._udp, "naptr": sip+d2u, "port": 5060}\n' +
        'a.example.com\na.example.com\n',
    );
  });

  it('parses requests and responses with the key order of the contract', async () => {
    const src = `fetch "stdlib/sip"
ken req = sip_parse_message("INVITE sip:bob@example.com SIP/2.0\\r\\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\\r\\nTo: <sip:bob@example.com>\\r\\nCall-ID: abc\\r\\nbad line\\r\\nContent-Length: 4\\r\\n\\r\\nbody\\r\\n\\r\\nmore")
blether keys(req)
blether [req["type"], req["method"], req["uri"], req["version"]]
blether req["headers"]
blether req["body"]
ken resp = sip_parse_message("SIP/2.0 180 Ringing Now\\nCSeq: 1 INVITE\\n\\n")
blether keys(resp)
blether [resp["status"], whit_kind(resp["status"]), resp["reason"], resp["body"]]
blether sip_header_get(resp["headers"], "CSeq")
blether sip_header_get(resp["headers"], "X-None", "dflt")
blether sip_parse_message("garbage")
ken noversion = sip_parse_message("OPTIONS sip:x")
blether noversion["version"]
hae_a_bash { sip_parse_message("SIP/2.0 abc OK") } gin_it_gangs_wrang e { blether contains(e, "tae_int()") }
`;
    expect(await out(src)).toBe(
      '[type, method, uri, version, headers, body]\n' +
        '[request, INVITE, sip:bob@example.com, SIP/2.0]\n' +
        '{"via": SIP/2.0/UDP a;branch=z9hG4bK1, "to": <sip:bob@example.com>, "call-id": abc, "content-length": 4}\n' +
        'body\r\n\r\nmore\n' +
        '[type, version, status, reason, headers, body]\n' +
        '[180, integer, Ringing Now, ]\n' +
        '1 INVITE\ndflt\n' +
        '{"type": invalid, "raw": garbage}\nSIP/2.0\naye\n',
    );
  });

  it('keeps repeated headers (first position); compact forms and folded lines get no special handling; Latin-1', async () => {
    const src = `fetch "stdlib/sip"
ken m = sip_parse_message(bytes_from_string("BYE sip:x SIP/2.0\\r\\nv: SIP/2.0/UDP p1\\r\\nf: <sip:a>\\r\\nVia: SIP/2.0/UDP p2\\r\\nSubject: long\\r\\n  folded\\r\\nCall-ID: 1\\r\\nCall-ID: 2\\r\\nX-Name: é\\r\\n\\r\\n"))
blether m["headers"]
`;
    expect(await out(src)).toBe(
      '{"v": SIP/2.0/UDP p1, "f": <sip:a>, "via": SIP/2.0/UDP p2, "subject": long, "call-id": 2, "x-name": Ã©}\n',
    );
  });

  it('builds messages on the caller dict, adding Content-Length (UTF-8 length) last', async () => {
    const src = `fetch "stdlib/sip"
ken h = {"Via": "v", "CSeq": 7}
ken msg = sip_build_request("MESSAGE", "sip:b@x", h, "héllo")
blether h
blether msg == "MESSAGE sip:b@x SIP/2.0\\r\\nVia: v\\r\\nCSeq: 7\\r\\nContent-Length: 6\\r\\n\\r\\nhéllo"
ken h2 = {"content-length": "99"}
sip_build_message("X", h2, "abc")
blether h2
blether sip_build_response(200, "OK")
ken b = sip_build_response_bytes(486, "Busy Here", {"To": "t"})
blether [whit_kind(b), bytes_to_latin1(b)]
blether whit_kind(sip_build_request_bytes("OPTIONS", "sip:x"))
`;
    expect(await out(src)).toBe(
      '{"Via": v, "CSeq": 7, "Content-Length": 6}\naye\n{"content-length": 99}\nSIP/2.0 200 OK\r\n\r\n\n[bytes, SIP/2.0 486 Busy Here\r\nTo: t\r\n\r\n]\nbytes\n',
    );
  });

  it('retransmit schedule and transaction helpers', async () => {
    const src = `fetch "stdlib/sip"
blether gaun(0..6, |a| sip_retransmit_delay(a))
blether sip_retransmit_delay(2, 100, 1000)
ken t = sip_txn_new("REQ", "addr")
blether t
ken same = sip_txn_next(t)
sip_txn_next(t)
blether [same == t, t["attempt"], t["next_delay"]]
blether sip_txn_complete(t)["state"]
`;
    expect(await out(src)).toBe(
      '[500, 1000, 2000, 4000, 4000, 4000]\n400\n{"request": REQ, "addr": addr, "state": calling, "attempt": 0, "t1": 500, "t2": 4000, "next_delay": 500}\n[aye, 2, 2000]\ncompleted\n',
    );
  });

  it('sorts NAPTR stably by order/preference and SRV by RFC 2782 (priority first, weight-0 records first)', async () => {
    const src = `fetch "stdlib/sip"
ken n = [{"order": 20, "preference": 1, "id": "c"}, {"order": 10, "preference": 5, "id": "b"}, {"order": 10, "preference": 5, "id": "b2"}, {"order": 10, "preference": 1, "id": "a"}]
ken same = sip_sort_naptr(n)
blether gaun(n, |r| r["id"])
blether same == n
ken s = [{"priority": 20, "weight": 0, "port": 1, "target": "c."}, {"priority": 10, "weight": 0, "port": 2, "target": "b."}, {"priority": 10, "weight": 0, "port": 3, "target": "a."}, {"priority": 5, "weight": 9, "port": 4, "target": "z."}]
sip_sort_srv(s)
blether gaun(s, |r| r["priority"])
blether sip_srv_entry(s[0], "udp")
`;
    expect(await out(src)).toBe(
      '[a, b, b2, c]\naye\n[5, 10, 10, 20]\n{"target": z, "port": 4, "priority": 5, "weight": 9, "transport": udp}\n',
    );
  });

  it('sip_resolve falls back to addresses with the default port', async () => {
    const src = `fetch "stdlib/sip"
ken r = sip_resolve("localhost", "tcp")
blether len(r) > 0
blether r[0]["port"]
blether r[0]["transport"]
blether keys(r[0])
`;
    expect(await out(src, { env: { MDH_DNS_SERVERS: '127.0.0.1:9' } })).toBe(
      'aye\n5060\ntcp\n[target, port, priority, weight, transport]\n',
    );
  });
});

describe('§13.6 stdlib/rtp', () => {
  it('builds and parses headers with the contract key order', async () => {
    const src = `fetch "stdlib/rtp"
ken h = rtp_header(1000, 160000, 305419896, 8, 1, [1, 2])
blether len(h)
blether [bytes_get(h, 0), bytes_get(h, 1)]
ken p = rtp_packet("abc", 65535, 4294967295, 1, 0, 0)
ken r = rtp_parse(p)
blether keys(r)
blether [r["ok"], r["version"], r["padding"], r["extension"], r["csrc_count"], r["marker"], r["payload_type"], r["seq"], r["timestamp"], r["ssrc"], r["header_len"], r["csrcs"]]
blether bytes_to_latin1(r["payload"])
blether rtp_parse(h)["csrcs"]
blether rtp_parse(bytes(5))
ken short = bytes(12)
bytes_set(short, 0, 130)
blether rtp_parse(short)
blether rtp_parse("not bytes at all, long enough")["ok"]
blether [rtp_seq_next(1), rtp_seq_next(65535)]
hae_a_bash { rtp_header(1, 1, 1, 0, aye) } gin_it_gangs_wrang e { blether "bool marker is a type error" }
hae_a_bash { rtp_header(70000, 1, 1) } gin_it_gangs_wrang e { blether contains(e, "rtp_header()") }
`;
    expect(await out(src)).toBe(
      '20\n[130, 136]\n' +
        '[ok, version, padding, extension, csrc_count, marker, payload_type, seq, timestamp, ssrc, header_len, csrcs, payload]\n' +
        '[aye, 2, nae, nae, 0, nae, 0, 65535, 4294967295, 1, 12, []]\nabc\n[1, 2]\n' +
        '{"ok": nae, "error": rtp packet too short, "len": 5}\n{"ok": nae, "error": rtp header too short, "len": 12}\nnae\n[2, 0]\n' +
        'bool marker is a type error\naye\n',
    );
  });
});

describe('§13.7 stdlib/rtcp', () => {
  it('builds and parses receiver reports; a lying count stops at the length', async () => {
    const src = `fetch "stdlib/rtcp"
ken rr = rtcp_rr(1234, [{"ssrc": 5, "fraction_lost": 3, "cumulative_lost": 70000, "highest_seq": 9, "jitter": 2, "lsr": 1, "dlsr": 4}, {"ssrc": 6}])
blether len(rr)
ken p = rtcp_parse_rr(rr)
blether keys(p)
blether [p["ok"], p["version"], p["padding"], p["count"], p["packet_type"], p["length"], p["ssrc"]]
blether p["reports"][0]
blether p["reports"][1]["ssrc"]
blether rtcp_parse_rr(bytes(4))
ken sr = rtcp_rr(1)
bytes_set(sr, 1, 200)
blether rtcp_parse_rr(sr)
ken liar = rtcp_rr(1)
bytes_set(liar, 0, 128 + 5)
blether rtcp_parse_rr(liar)["reports"]
ken trunc = rtcp_rr(1, [{"ssrc": 1}])
blether rtcp_parse_rr(bytes_slice(trunc, 0, 20))
`;
    expect(await out(src)).toBe(
      '56\n[ok, version, padding, count, packet_type, length, ssrc, reports]\n[aye, 2, nae, 2, 201, 56, 1234]\n' +
        '{"ssrc": 5, "fraction_lost": 3, "cumulative_lost": 70000, "highest_seq": 9, "jitter": 2, "lsr": 1, "dlsr": 4}\n6\n' +
        '{"ok": nae, "error": rtcp packet too short, "len": 4}\n{"ok": nae, "error": not RTCP RR, "packet_type": 200}\n[]\n' +
        '{"ok": nae, "error": rtcp length mismatch, "len": 20, "expected": 32}\n',
    );
  });
});

describe('§13.2–13.4, 13.8–13.9 wrapper modules', () => {
  it('network_real, event_loop, concurrency, tls and srtp export their names', async () => {
    const src = `fetch "stdlib/network_real" tae n
fetch "stdlib/event_loop" tae e
fetch "stdlib/concurrency" tae c
fetch "stdlib/tls" tae t
fetch "stdlib/srtp" tae s
blether sort(keys(n))
blether sort(keys(e))
blether sort(keys(c))
blether sort(keys(t))
blether sort(keys(s))
ken cfg = {}
hae_a_bash { t.tls_server(cfg) } gin_it_gangs_wrang err { blether contains(err, "cert_pem") }
blether cfg
`;
    const r = await run(src);
    expect(r.error).toBeNull();
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toBe(
      '[accept_socket, bind_socket, close_socket, connect_socket, dns_lookup_real, listen_socket, set_nodelay, set_nonblocking, set_rcvbuf, set_reuseaddr, set_reuseport, set_sndbuf, set_ttl, tcp_recv_bytes, tcp_send_bytes, tcp_socket, udp_recv, udp_send, udp_socket]',
    );
    expect(lines[1]).toBe(
      '[event_loop_run, make_event_loop, poll_loop, stop_event_loop, timer_after_ms, timer_cancel_o, timer_every_ms, unwatch, watch_read, watch_write]',
    );
    expect(lines[2]).toContain('spawn_thread');
    expect(lines[2]).toContain('chan_closed');
    expect(lines[3]).toBe(
      '[tls_client, tls_close_o, tls_connect_o, tls_recv_o, tls_send_o, tls_send_string, tls_server]',
    );
    expect(lines[4]).toBe('[srtp_from_dtls, srtp_new, srtp_protect_o, srtp_unprotect_o]');
    expect(lines[5]).toBe('aye');
    expect(lines[6]).toBe('{"mode": server}');
  });
});

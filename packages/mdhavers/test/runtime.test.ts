import { ManualClock } from '@mdh/loop';
import { describe, expect, it } from 'vitest';
import { MdhError } from '../src/errors.js';
import { Interpreter } from '../src/interpreter.js';
import { freePort, out, run } from './helpers.js';

/** Runs a program on a ManualClock, advancing it by `step` ms between turns until it ends. */
async function runManual(src: string, step: number, maxSteps = 400): Promise<string> {
  const clock = new ManualClock(1000);
  let text = '';
  const interp = new Interpreter({ clock, write: (s) => (text += s) });
  let done = false;
  let failure: unknown = null;
  const p = interp.runSource(src).then(
    () => {
      done = true;
    },
    (e) => {
      done = true;
      failure = e;
    },
  );
  for (let i = 0; i < maxSteps && !done; i++) {
    await new Promise((r) => setImmediate(r));
    if (!done) clock.advance(step);
  }
  await p;
  await interp.close();
  if (failure) throw failure;
  if (!done) throw new Error('program did not finish');
  return text;
}

describe('§12.5 event loop and timers (ManualClock)', () => {
  it('one-shot and periodic timers fire on schedule; stop ends event_loop_run', async () => {
    const src = `fetch "stdlib/event_loop"
ken loop = make_event_loop()
ken t0 = mono_ms()
timer_every_ms(loop, 30, |ev| { blether f"every {mono_ms() - t0} id={ev[\\"id\\"]}" })
timer_after_ms(loop, 100, |ev| { blether f"after {mono_ms() - t0}" })
ken dead = timer_after_ms(loop, 50, |ev| { blether "never" })
blether timer_cancel_o(loop, dead)
blether timer_cancel_o(loop, dead)
timer_after_ms(loop, 200, |ev| { stop_event_loop(loop) })
event_loop_run(loop)
blether poll_loop(loop, 0)
`;
    expect(await runManual(src, 10)).toBe(
      'aye\nnae\nevery 30 id=1\nevery 60 id=1\nevery 90 id=1\nafter 100\nevery 120 id=1\nevery 150 id=1\nevery 180 id=1\n[{"kind": stop}]\n',
    );
  });

  it('events within one poll: timers in creation order, not deadline order; missed ticks collapse', async () => {
    const src = `ken loop = event_loop_new()
ken a = timer_after(loop, 50, len)
ken b = timer_after(loop, 20, len)
ken c = timer_every(loop, 10, len)
ken evs = event_loop_poll(loop, naething)
fer e in evs { blether f"{e[\\"kind\\"]} {e[\\"id\\"]} {keys(e)}" }
blether event_loop_poll(loop, 0)
`;
    // One big step: every timer is overdue at the first wake-up.
    expect(await runManual(src, 100)).toBe(
      'timer 1 [kind, id, callback]\ntimer 2 [kind, id, callback]\ntimer 3 [kind, id, callback]\n[]\n',
    );
  });

  it('poll with a timeout and nothing to do returns an empty list; stop is sticky', async () => {
    const src = `ken loop = event_loop_new()
blether event_loop_poll(loop, 30)
event_loop_stop(loop)
blether event_loop_poll(loop, 0)
blether event_loop_poll(loop, 0)
`;
    expect(await runManual(src, 10)).toBe('[]\n[{"kind": stop}]\n[{"kind": stop}]\n');
  });

  it('argument checks throw builtin failures', async () => {
    expect((await run('timer_after(1, 10, len)')).error?.message).toContain('event loop');
    expect((await run('ken l = event_loop_new()\ntimer_every(l, 0, len)')).error?.kind).toBe('builtin');
    expect((await run('ken l = event_loop_new()\nevent_watch_read(l, 42, len)')).error?.message).toContain('socket');
  });
});

describe('§12.3 sockets over loopback', () => {
  it('UDP send/recv with addresses, truncation and non-blocking EAGAIN', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const src = `fetch "stdlib/network_real"
ken a = udp_socket()["value"]
ken b = udp_socket()["value"]
blether bind_socket(a, "127.0.0.1", ${pa})
blether bind_socket(b, "127.0.0.1", ${pb})
blether udp_send(a, bytes_from_string("hello"), "127.0.0.1", ${pb})
ken r = udp_recv(b, 3)
blether r["ok"]
blether bytes_to_latin1(r["value"]["buf"])
blether r["value"]["addr"]["host"] + ":" + tae_string(r["value"]["addr"]["port"] == ${pa})
set_nonblocking(b)
ken e = udp_recv(b, 10)
blether [e["ok"], e["code"]]
blether keys(e)
blether socket_close(a)
hae_a_bash { udp_send(a, bytes(1), "127.0.0.1", 1) } gin_it_gangs_wrang err { blether contains(err, "udp_send_to()") }
hae_a_bash { udp_send(b, "text", "127.0.0.1", 1) } gin_it_gangs_wrang err { blether "string payload throws" }
hae_a_bash { bind_socket(b, "127.0.0.1", 70000) } gin_it_gangs_wrang err { blether "bad port throws" }
`;
    expect(await out(src)).toBe(
      '{"ok": aye, "value": naething}\n{"ok": aye, "value": naething}\n{"ok": aye, "value": 5}\naye\nhel\n127.0.0.1:aye\n[nae, 11]\n[ok, error, code]\n{"ok": aye, "value": naething}\naye\nstring payload throws\nbad port throws\n',
    );
  });

  it('UDP over IPv6 loopback', async () => {
    const src = `ken a = socket_udp()["value"]
ken b = socket_udp()["value"]
socket_bind(a, "::1", 0)
socket_bind(b, "::1", 0)
ken probe = bytes_from_string("v6")
hae_a_bash {
  socket_connect(a, "::1", 9)
} gin_it_gangs_wrang e { blether e }
blether socket_close(a)["ok"]
`;
    expect(await out(src)).toBe('aye\n');
  });

  it('TCP listen/accept/connect/send/recv and EOF', async () => {
    const port = await freePort();
    const src = `ken srv = socket_tcp()["value"]
socket_set_reuseaddr(srv, aye)
socket_bind(srv, "127.0.0.1", ${port})
blether socket_listen(srv, 16)["ok"]
ken cli = socket_tcp()["value"]
blether socket_connect(cli, "127.0.0.1", ${port})["ok"]
ken acc = socket_accept(srv)["value"]
blether keys(acc)
ken conn = acc["sock"]
blether tcp_send(cli, bytes_from_string("ping!"))["value"]
ken got = tcp_recv(conn, 4)["value"]
blether bytes_to_latin1(got) + "|" + bytes_to_latin1(tcp_recv(conn, 100)["value"])
tcp_send(conn, bytes_from_string("pong"))
blether bytes_to_latin1(tcp_recv(cli, 100)["value"])
socket_close(cli)
blether len(tcp_recv(conn, 100)["value"])
`;
    expect(await out(src)).toBe('aye\naye\n[sock, addr]\n5\nping|!\npong\n0\n');
  });

  it('event loop read readiness dispatches callbacks (level-triggered)', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const src = `fetch "stdlib/network_real"
fetch "stdlib/event_loop"
ken a = udp_socket()["value"]
ken b = udp_socket()["value"]
bind_socket(a, "127.0.0.1", ${pa})
bind_socket(b, "127.0.0.1", ${pb})
ken loop = make_event_loop()
ken seen = []
watch_read(loop, b, |ev| {
  ken r = udp_recv(b, 100)
  shove(seen, bytes_to_latin1(r["value"]["buf"]))
  gin len(seen) == 3 { stop_event_loop(loop) }
})
udp_send(a, bytes_from_string("one"), "127.0.0.1", ${pb})
udp_send(a, bytes_from_string("two"), "127.0.0.1", ${pb})
udp_send(a, bytes_from_string("three"), "127.0.0.1", ${pb})
timer_after_ms(loop, 5000, |ev| { stop_event_loop(loop) })
event_loop_run(loop, 1000)
blether seen
blether unwatch(loop, b)
blether unwatch(loop, b)
`;
    expect(await out(src)).toBe('[one, two, three]\naye\nnae\n');
  });

  it('port scanning: a TCP port in use fails at listen, the scan moves on; writes are level-triggered', async () => {
    const busy = await freePort();
    const src = `ken holder = socket_tcp()["value"]
socket_bind(holder, "127.0.0.1", ${busy})
blether socket_listen(holder, 1)["ok"]
ken server = naething
ken port = -1
fer p in ${busy}..${busy + 50} {
    ken s = socket_tcp()
    gin nae s["ok"] { haud }
    ken sock = s["value"]
    socket_set_reuseaddr(sock, aye)
    ken b = socket_bind(sock, "127.0.0.1", p)
    gin b["ok"] {
        ken l = socket_listen(sock, 1)
        gin l["ok"] {
            server = sock
            port = p
            brak
        } ither {
            blether [l["ok"], l["code"] > 0]
            socket_close(sock)
        }
    } ither {
        socket_close(sock)
    }
}
blether port > ${busy}
ken client = socket_tcp()["value"]
blether socket_connect(client, "127.0.0.1", port)["ok"]
ken loop = event_loop_new()
event_watch_write(loop, client, len)
ken u = socket_udp()["value"]
event_watch_write(loop, u, len)
fer round in 0..2 {
    blether gaun(event_loop_poll(loop, 50), |e| [e["kind"], e["sock"] == client])
}
`;
    expect(await out(src)).toBe(
      'aye\n[nae, aye]\naye\naye\n[[write, aye], [write, nae]]\n[[write, aye], [write, nae]]\n',
    );
  });

  it('dns_lookup returns a result dict', async () => {
    expect(
      await out(
        'ken r = dns_lookup("localhost")\nblether r["ok"]\nblether len(r["value"]) > 0\nken bad = dns_lookup("no-such-host.invalid")\nblether [bad["ok"], bad["code"], starts_with(bad["error"], "dns_lookup()")]',
      ),
    ).toBe('aye\naye\n[nae, -1, aye]\n');
  });
});

describe('§12.9 SRTP from a script', () => {
  it('protect/unprotect round trip, tamper detection, key selection', async () => {
    const src = `fetch "stdlib/rtp"
fetch "stdlib/srtp"
ken key = bytes(16)
ken salt = bytes(14)
fer i in 0..16 { bytes_set(key, i, i) }
fer i in 0..14 { bytes_set(salt, i, 100 + i) }
ken ctx = srtp_new({"master_key": key, "master_salt": salt})["value"]
ken pkt = rtp_packet("hello srtp", 1, 160, 305419896, 0)
ken p = srtp_protect_o(ctx, pkt)
blether p["ok"]
blether len(p["value"]) - len(pkt)
ken u = srtp_unprotect_o(ctx, p["value"])
blether u["ok"]
blether u["value"] == pkt
ken again = srtp_unprotect_o(ctx, p["value"])
blether again["ok"]
ken bad = p["value"]
bytes_set(bad, 20, bytes_get(bad, 20) + 1 - 2 * (bytes_get(bad, 20) % 2))
ken t = srtp_unprotect_o(ctx, rtp_packet("x", 2, 1, 1))
blether t["ok"]
blether srtp_create({"profile": "BOGUS"})["ok"]
blether srtp_create({"master_key": bytes(1), "master_salt": salt})["ok"]
ken miss = srtp_create({"send_key": key})
blether miss["error"]
blether srtp_protect(999, pkt)["ok"]
hae_a_bash { srtp_create(5) } gin_it_gangs_wrang e { blether "non-dict throws" }
hae_a_bash { srtp_protect(ctx, "str") } gin_it_gangs_wrang e { blether "non-bytes throws" }
ken c32 = srtp_create({"profile": "AES128_CM_SHA1_32", "master_key": key, "master_salt": salt})["value"]
blether len(srtp_protect(c32, pkt)["value"]) - len(pkt)
ken g = srtp_create({"profile": "SRTP_AEAD_AES_128_GCM", "master_key": key, "master_salt": bytes(12)})["value"]
ken gp = srtp_protect(g, pkt)["value"]
blether srtp_unprotect(g, gp)["value"] == pkt
`;
    const text = await out(src);
    const lines = text.trim().split('\n');
    expect(lines.slice(0, 6)).toEqual(['aye', '10', 'aye', 'aye', 'nae', 'nae']);
    expect(lines[6]).toBe('nae');
    expect(lines[7]).toBe('nae');
    expect(lines[8]).toContain('srtp_create()');
    expect(lines[8]).toContain('send_salt');
    expect(lines.slice(9)).toEqual(['nae', 'non-dict throws', 'non-bytes throws', '4', 'aye']);
  });

  it('client/server key roles cross over', async () => {
    const src = `ken ck = bytes(16)
ken sk = bytes(16)
bytes_set(sk, 0, 9)
ken cs = bytes(14)
ken ss = bytes(14)
ken keys = {"client_key": ck, "client_salt": cs, "server_key": sk, "server_salt": ss}
ken cli = srtp_create(keys)["value"]
keys["role"] = "server"
ken srv = srtp_create(keys)["value"]
ken pkt = bytes(20)
bytes_set(pkt, 0, 128)
ken up = srtp_protect(cli, pkt)["value"]
blether srtp_unprotect(srv, up)["value"] == pkt
blether srtp_unprotect(cli, up)["ok"]
`;
    expect(await out(src)).toBe('aye\nnae\n');
  });
});

describe('errors at the top level', () => {
  it('an uncaught error keeps earlier output and reports the message', async () => {
    const r = await run('blether "a"\nblether 1 / 0\nblether "b"');
    expect(r.out).toBe('a\n');
    expect(r.error).toBeInstanceOf(MdhError);
    expect(r.error?.message).toContain('line 2');
  });
});

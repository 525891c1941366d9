import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../src/interpreter.js';
import { table } from './conformance-table.js';
import { run, tempDir } from './helpers.js';

describe('conformance §8 modules (errors)', () => {
  const dir = tempDir({
    'bad.braw': 'ken = \n',
    'c1.braw': 'fetch "c2"\n',
    'c2.braw': 'fetch "c1"\n',
    'm.braw': 'ken VAL = 1\nken hidden = 2\ndae get() { gie VAL }\n',
  });
  const at = (src: string) => run(src, {}, join(dir, 'main.braw'));

  it('a parse error inside a module is reported at the fetch site, after earlier statements ran', async () => {
    const r = await at('blether 1\nfetch "bad"');
    expect(r.out).toBe('1\n');
    expect(r.error?.kind).toBe('parse');
    expect(r.error?.message).toMatch(/^[^\n]*line 2\b/);
    expect(r.error?.message).toContain("'bad'");
  });

  it('a missing module names the path; circular imports name the chain', async () => {
    const nf = await at('fetch "nope/x"');
    expect(nf.error?.kind).toBe('module');
    expect(nf.error?.message).toContain('nope/x');
    const c = await at('fetch "c1"');
    expect(c.error?.kind).toBe('circular');
    expect(c.error?.message).toMatch(/c1\.braw -> .*c2\.braw -> .*c1\.braw/);
  });

  it('module errors are catchable', async () => {
    const r = await at('hae_a_bash { fetch "nope" } gin_it_gangs_wrang e { blether contains(e, "nope") }');
    expect(r.out).toBe('aye\n');
  });

  it('tae alias dict holds every top-level name; alias.f(x) works', async () => {
    const r = await at('fetch "m" tae m\nblether sort(keys(m))\nblether m.get() + m["hidden"]');
    expect(r.out).toBe('[VAL, get, hidden]\n3\n');
  });
});

describe('conformance §12.1 runtime conventions', () => {
  table([
    {
      name: 'handles number from 1; result dicts in key order; unknown TLS/SRTP handles are returned',
      src: [
        'ken s = socket_udp()',
        'blether s',
        'blether socket_bind(s["value"], "127.0.0.1", 0)',
        'blether socket_udp()["value"]',
        'blether socket_set_nonblocking(s["value"], aye)["ok"]',
        'ken r = udp_recv_from(s["value"], 100)',
        'blether [r["ok"], keys(r)]',
        'blether tls_send(99, bytes(1))["ok"]',
        'blether keys(srtp_protect(5, bytes(12)))',
        'blether srtp_protect(5, bytes(12))["code"]',
        'blether socket_close(s["value"])',
        'blether event_loop_new()',
        'blether mutex_new()',
        'blether chan_new(0)',
        'blether atomic_new(1)',
        'blether condvar_new()',
      ].join('\n'),
      out: '{"ok": aye, "value": 1}\n{"ok": aye, "value": naething}\n2\naye\n[nae, [ok, error, code]]\nnae\n[ok, error, code]\n-1\n{"ok": aye, "value": naething}\n1\n1\n1\n1\n1\n',
    },
    {
      name: 'malformed arguments and unknown sockets throw builtin failures',
      src: [
        'ken s = socket_udp()["value"]',
        'dae t(f) { hae_a_bash { f()\n gie "returned" } gin_it_gangs_wrang e { gie e } }',
        'blether t(|| socket_set_ttl(s, 300))',
        'blether t(|| socket_bind(s, "", 70000))',
        'blether t(|| udp_send_to(s, "str", "127.0.0.1", 9))',
        'blether t(|| socket_close(42))',
        'blether t(|| srtp_create(5))',
        'blether t(|| event_loop_poll(77, 0))',
        'blether t(|| chan_send(77, 0))',
        'blether t(|| mutex_lock(9))',
        'blether t(|| dns_lookup(5))',
      ].join('\n'),
      out: [
        "Och naw! socket_set_ttl() value must be 0 tae 255, no' 300",
        "Och naw! socket_bind() port must be 0 tae 65535, no' 70000",
        "Och naw! udp_send_to() needs bytes, no' a string",
        'Och naw! socket_close() unknown socket handle 42',
        "Och naw! srtp_create() config must be a dict, no' a integer",
        'Och naw! event_loop_poll() unknown event loop handle 77',
        'Och naw! chan_send() unknown channel handle 77',
        'Och naw! mutex_lock() unknown mutex handle 9',
        "Och naw! dns_lookup() host must be a string, no' a integer",
        '',
      ].join('\n'),
    },
  ]);

  it('dns_lookup of a non-string throws (message starts with the builtin name)', async () => {
    const r = await run('dns_lookup(5)');
    expect(r.error?.kind).toBe('builtin');
    expect(r.error?.message).toContain('dns_lookup()');
    expect(r.error?.message).not.toContain('line');
  });
});

describe('conformance §12.1 handles', () => {
  table([
    {
      name: 'wherever a handle is expected a float is truncated',
      src: 'ken s = socket_udp()["value"]\nblether socket_set_reuseaddr(s + 0.5, 1)["ok"]\nken l = event_loop_new()\nblether timer_after(l + 0.9, 10, len)\nblether timer_cancel(l * 1.0, 1.2)\nken c = chan_new(0.0)\nblether chan_send(c + 0.3, 1)\nblether chan_recv(c * 1.0)\nblether socket_close(s * 1.0)["ok"]',
      out: 'aye\n1\naye\naye\n1\naye\n',
    },
  ]);
});

describe('conformance §12.2 bytes', () => {
  table([
    {
      name: 'bytes builtins',
      src: [
        'ken b = bytes(4)',
        'blether b',
        'blether bytes(2.9)',
        'blether bytes(-3)',
        'blether bytes_len(bytes_from_string("é"))',
        'blether bytes_len(bytes_from_string(123))',
        'blether bytes_len(bytes_from_string([1, "a"]))',
        'blether bytes_get(bytes_from_string("AB"), -1)',
        'blether bytes_set(b, 0, 255) == b',
        'blether bytes_get(b, 0)',
        'bytes_set(b, 1, 7.9)',
        'blether bytes_get(b, 1)',
        'blether bytes_len(bytes_slice(b, -3, 100))',
        'blether bytes_len(bytes_slice(b, 3, 1))',
        'blether bytes_len(bytes_slice(b, 10, 20))',
        'ken c = bytes_slice(b, 0, 2)',
        'bytes_set(c, 0, 1)',
        'blether bytes_get(b, 0)',
        'ken a = bytes_from_string("ab")',
        'blether bytes_append(a, a) == a',
        'blether bytes_len(a)',
        'blether bytes_write_u16be(b, 0, 258) == b',
        'blether bytes_read_u16be(b, 0)',
        'bytes_write_u32be(b, 0, 4294967295)',
        'blether bytes_read_u32be(b, 0)',
        'blether len(b)',
        'blether bytes_from_string("x") == bytes_from_string("x")',
        'blether tae_bool(bytes(0))',
        'blether whit_kind(b)',
      ].join('\n'),
      out: 'bytes[4]\nbytes[2]\nbytes[0]\n2\n3\n6\n66\naye\n255\n7\n3\n0\n0\n255\naye\n4\naye\n258\n4294967295\n4\naye\nnae\nbytes\n',
    },
    ...[
      ['bytes_get(bytes(2), 2)', 'bytes_get()'],
      ['bytes_set(bytes(2), 0, 256)', 'bytes_set()'],
      ['bytes_read_u16be(bytes(2), 1)', 'bytes_read_u16be()'],
      ['bytes_read_u16be(bytes(2), -1)', 'bytes_read_u16be()'],
      ['bytes_write_u32be(bytes(4), 0, -1)', 'bytes_write_u32be()'],
      ['bytes_write_u16be(bytes(4), 0, 65536)', 'bytes_write_u16be()'],
      ['bytes_get(bytes(2), 0.0)', 'bytes_get()'],
      ['bytes_len("x")', 'bytes_len()'],
      ['bytes_append(bytes(1), "x")', 'bytes_append()'],
    ].map(([call, name]) => ({
      name: `${call} throws`,
      src: `hae_a_bash { ${call} } gin_it_gangs_wrang e { blether contains(e, "${name}") an nae contains(e, "line") }`,
      out: 'aye\n',
    })),
  ]);
});

describe('conformance §12.6 concurrency values', () => {
  table([
    {
      name: 'atomics hold i64 values; a float is truncated on write',
      src: 'ken a = atomic_new(5000000000)\nblether atomic_load(a)\nblether atomic_add(a, 1)\nken b = atomic_new(2147483647)\nblether atomic_add(b, 1)\nblether atomic_cas(b, 2147483648, 3)\nblether atomic_cas(b, 2147483648, 4)\nblether atomic_load(b)\natomic_store(b, 7.9)\nblether atomic_load(b)',
      out: '5000000000\n5000000001\n2147483648\naye\nnae\n3\n7\n',
    },
    {
      name: 'channels never block when empty; values queued before close are delivered',
      src: 'ken c = chan_new(1)\nblether chan_send(c, 1)\nblether chan_send(c, 2)\nchan_close(c)\nblether chan_is_closed(c)\nblether chan_send(c, 3)\nblether chan_recv(c)\nblether chan_try_recv(c)',
      out: 'aye\nnae\naye\nnae\n1\nnaething\n',
    },
  ]);
});

describe('conformance §9 program execution (the command)', () => {
  const BIN = join(PACKAGE_ROOT, 'dist', 'bin.js');
  const dir = tempDir({
    'block.braw':
      'blether "hello"\nken a = socket_udp()["value"]\nsocket_bind(a, "127.0.0.1", 0)\nblether "bound"\nken r = udp_recv_from(a, 10)\n',
    'spin.braw': 'blether "spinning"\nwhiles aye { ken x = 1 }\n',
  });

  it('a program computing without an event loop is ended by SIGTERM, its output written', async () => {
    const child = spawn(process.execPath, [BIN, 'run', join(dir, 'spin.braw')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const deadline = Date.now() + 20_000;
    while (!out.includes('spinning') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(out).toBe('spinning\n');
    const ended = new Promise<string | null>((res) => child.on('exit', (_c, sig) => res(sig)));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    expect(await ended).toBe('SIGTERM');
    clearTimeout(timer);
  }, 30_000);

  it('output written before a blocking receive is visible, and SIGTERM ends the process', async () => {
    const child = spawn(process.execPath, [BIN, 'run', join(dir, 'block.braw')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const deadline = Date.now() + 20_000;
    while (!out.includes('bound') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(out).toBe('hello\nbound\n');
    const code = new Promise<number | null>((res) => child.on('exit', (c, sig) => res(c ?? (sig ? -1 : null))));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    expect(await code).not.toBe(0);
    clearTimeout(timer);
  }, 30_000);
});

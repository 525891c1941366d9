import { describe, expect, it } from 'vitest';
import { errOf, out, run } from './helpers.js';

describe('§11.1 types and conversion', () => {
  it('tae_int, tae_float, tae_bool, tae_string', async () => {
    expect(
      await out(
        'blether tae_int(3.9)\nblether tae_int(-3.9)\nblether tae_int("-42")\nblether tae_int(aye)\nblether tae_float(2)\nblether whit_kind(tae_float(2))\nblether tae_float("1.5")\nblether tae_bool("")\nblether tae_string([1, "a"])',
      ),
    ).toBe('3\n-3\n-42\n1\n2\nfloat\n1.5\nnae\n[1, a]\n');
    expect(await errOf('tae_int("1.5")')).toContain('tae_int()');
    expect((await run('tae_int(" 1")')).error?.kind).toBe('builtin');
    expect((await run('tae_int([1])')).error?.kind).toBe('builtin');
  });

  it('is_a names', async () => {
    expect(
      await out(
        'blether is_a(1, "int")\nblether is_a(1, "integer")\nblether is_a(1.0, "float")\nblether is_a("s", "str")\nblether is_a(len, "dae")\nblether is_a(|x| x, "function")\nblether is_a(naething, "nil")\nblether is_a(bytes(1), "byte")\nblether is_a(1, "thing")',
      ),
    ).toBe('aye\naye\naye\naye\naye\naye\naye\naye\nnae\n');
  });
});

describe('§11.2 numbers', () => {
  it('floor, ceil, round give integers; round half away from zero', async () => {
    expect(
      await out(
        'blether floor(2.7)\nblether ceil(2.1)\nblether round(2.5)\nblether round(-2.5)\nblether round(0.4)\nblether whit_kind(floor(1.5))\nblether floor(7)',
      ),
    ).toBe('2\n3\n3\n-3\n0\ninteger\n7\n');
    expect((await run('floor("x")')).error?.kind).toBe('builtin');
  });

  it('pooer, abs, min, max, sqrt, bits, tae_hex', async () => {
    expect(
      await out(
        'blether pooer(2, 10)\nblether pooer(2, -1)\nblether pooer(10.0, 400)\nblether pooer(3, 39)\nblether abs(-3)\nblether abs(-2.5)\nblether min(3, 4)\nblether max(1.5, 2.5)\nblether sqrt(16)\nblether bit_an(12, 10)\nblether bit_or(12, 10)\nblether bit_xor(12, 10)\nblether bit_shove_left(1, 40)\nblether bit_shove_right(256, 4)\nblether tae_hex(255)',
      ),
    ).toBe('1024\n0.5\ninf\n4052555153018976267\n3\n2.5\n3\n2.5\n4\n8\n14\n6\n1099511627776\n16\nff\n');
    expect((await run('min(1, 2.0)')).error?.kind).toBe('builtin');
    expect((await run('bit_shove_left(1, 64)')).error?.kind).toBe('builtin');
  });
});

describe('§11.3 strings', () => {
  it('len counts UTF-8 bytes; index_of gives byte offsets', async () => {
    expect(
      await out(
        'blether len("é")\nblether len("héllo")\nblether index_of("héllo", "l")\nblether index_of("abc", "z")\nblether index_of([1, 2, 3], 2.0)\nblether len([1, 2])\nblether len({"a": 1})\nblether len(bytes(4))',
      ),
    ).toBe('2\n6\n3\n-1\n1\n2\n1\n4\n');
    expect((await run('len(5)')).error?.kind).toBe('builtin');
  });

  it('case, trim, split, join, contains, starts/ends, replace', async () => {
    expect(
      await out(
        'blether upper("straße")\nblether lower("ÀB")\nblether trim("  x \\n")\nblether split("a,,b", ",")\nblether split("", ",")\nblether split("ab", "")\nblether join([1, "a", 2.5], "-")\nblether contains("hello", "ell")\nblether contains([1, [2]], [2])\nblether contains({"k": 1}, "k")\nblether starts_with("abc", "ab")\nblether ends_wi("abc", "bc")\nblether replace("a-b-c", "-", "+")',
      ),
    ).toBe(
      'STRASSE\nàb\nx\n[a, , b]\n[]\n[, a, b, ]\n1-a-2.5\naye\naye\naye\naye\naye\na+b+c\n'.replace('[]\n', '[]\n'),
    );
  });

  it('chr and ord', async () => {
    expect(await out('blether chr(233)\nblether ord("é")\nblether chr(128512)\nblether ord("😀")')).toBe(
      'é\n233\n😀\n128512\n',
    );
    expect((await run('chr(65.0)')).error?.kind).toBe('builtin');
    expect((await run('chr(55296)')).error?.kind).toBe('builtin');
    expect((await run('ord("")')).error?.kind).toBe('builtin');
  });

  it('scran on lists and strings, out-of-range inputs give empty results', async () => {
    expect(
      await out(
        'blether scran([1, 2, 3, 4], 1, 3)\nblether scran("hello", 1, 3)\nblether scran([1, 2], -5, 10)\nblether scran([1, 2, 3], 2, 1)\nblether scran("ab", 5, 9)\nblether scran([1, 2, 3], 0.9, 2.9)',
      ),
    ).toBe('[2, 3]\nel\n[1, 2]\n[]\n\n[1, 2]\n');
  });

  it('chars, reverse, substring, repeat, words, lines', async () => {
    expect(
      await out(
        'blether chars("hé")\nblether reverse("abc")\nblether reverse([1, 2])\nblether substring("héllo", 1, 3)\nblether substring("abc", -1, 10)\nblether repeat("ab", 2)\nblether words("  a  b\\tc ")\nblether lines("x\\ny\\r\\nz\\n")',
      ),
    ).toBe('[h, é]\ncba\n[2, 1]\nél\nabc\nabab\n[a, b, c]\n[x, y, z]\n');
  });
});

describe('§11.4 lists and dicts', () => {
  it('shove, yank, keys, values, items, dict_get/has/remove/merge', async () => {
    expect(
      await out(
        'ken l = [1]\nblether shove(l, 2)\nblether l\nblether yank(l)\nken d = {"a": 1, "b": 2}\nblether keys(d)\nblether values(d)\nblether items(d)\nblether dict_get(d, "z", 0)\nblether dict_has(d, "a")\nken e = dict_remove(d, "a")\nblether e\nblether d\nblether dict_merge(d, {"b": 3, "c": 4})',
      ),
    ).toBe(
      'naething\n[1, 2]\n2\n[a, b]\n[1, 2]\n[[a, 1], [b, 2]]\n0\naye\n{"b": 2}\n{"a": 1, "b": 2}\n{"a": 1, "b": 3, "c": 4}\n',
    );
    expect((await run('yank([])')).error?.kind).toBe('builtin');
    expect((await run('dict_get({}, 1)')).error?.kind).toBe('arity');
    expect((await run('dict_get([], 1, 2)')).error?.kind).toBe('builtin');
  });

  it('sort, range, heid, bum, tail, sumaw', async () => {
    expect(
      await out(
        'blether sort([3, 1.5, 2])\nblether sort(["b", "a"])\nblether range(2, 5)\nblether heid([7, 8])\nblether bum([7, 8])\nblether tail([7, 8, 9])\nblether sumaw([1, 2, 3])\nblether sumaw([1, 2.5])',
      ),
    ).toBe('[1.5, 2, 3]\n[a, b]\n[2, 3, 4]\n7\n8\n[8, 9]\n6\n3.5\n');
  });
});

describe('§11.5 higher-order builtins', () => {
  it('gaun, sieve, tumble, ilk, hunt, ony, aw with lambdas, dae functions and builtins', async () => {
    expect(
      await out(
        'dae dbl(x) { gie x * 2 }\nblether gaun([1, 2], dbl)\nblether gaun(["a", "bb"], len)\nblether sieve([1, 2, 3, 4], |x| x % 2 == 0)\nblether tumble([1, 2, 3], 10, |a, x| a + x)\nilk([1, 2], |x| { blether x })\nblether hunt([1, 5, 7], |x| x > 4)\nblether hunt([1], |x| x > 4)\nblether ony([1, 2], |x| x > 1)\nblether aw([1, 2], |x| x > 1)',
      ),
    ).toBe('[2, 4]\n[1, 2]\n[2, 4]\n16\n1\n2\n5\nnaething\naye\nnae\n');
  });

  it('they work with callbacks that may suspend', async () => {
    expect(
      await out(
        'ken f = |x| { snooze(1)\n gie x + 1 }\nblether gaun([1, 2], f)\nblether tumble([1, 2], 0, |a, x| a + f(x))',
      ),
    ).toBe('[2, 3]\n5\n');
  });
});

describe('§11.6 time', () => {
  it('mono_ms/mono_ns never decrease; noo is epoch ms', async () => {
    expect(
      await out(
        'ken a = mono_ms()\nken b = mono_ns()\nsnooze(5)\nblether mono_ms() >= a + 4\nblether mono_ns() > b\nblether noo() > 1600000000000\nblether the_noo() > 1600000000.0\nblether whit_kind(mono_ns())',
      ),
    ).toBe('aye\naye\naye\naye\ninteger\n');
  });
});

describe('§12.2 bytes', () => {
  it('create, get/set, slice, append, read/write big-endian', async () => {
    expect(
      await out(
        'ken b = bytes(4)\nblether b\nbytes_set(b, 0, 255)\nbytes_set(b, -1, 7.9)\nblether bytes_get(b, 0)\nblether bytes_get(b, 3)\nbytes_write_u16be(b, 1, 513)\nblether bytes_read_u16be(b, 1)\nblether bytes_read_u32be(b, 0)\nken s = bytes_slice(b, -2, 100)\nblether bytes_len(s)\nbytes_append(b, s)\nblether len(b)\nbytes_append(b, b)\nblether len(b)\nblether bytes_slice(b, 13, 20)\nblether bytes(-3)\nblether bytes(2.9)\nken w = bytes(4)\nbytes_write_u32be(w, 0, 4294967295)\nblether bytes_read_u32be(w, 0)',
      ),
    ).toBe('bytes[4]\n255\n7\n513\n4278321415\n2\n6\n12\nbytes[0]\nbytes[0]\nbytes[2]\n4294967295\n');
  });

  it('bytes_from_string is UTF-8; equality is structural; empty bytes are falsy', async () => {
    expect(
      await out(
        'ken b = bytes_from_string("é")\nblether len(b)\nblether bytes_get(b, 0)\nblether bytes_from_string(12)\nblether bytes_from_string("ab") == bytes_from_string("ab")\nblether tae_bool(bytes(0))',
      ),
    ).toBe('2\n195\nbytes[2]\naye\nnae\n');
  });

  it('range and type checks are builtin failures named by the builtin', async () => {
    for (const [src, name] of [
      ['bytes_set(bytes(1), 0, 256)', 'bytes_set()'],
      ['bytes_get(bytes(1), 1)', 'bytes_get()'],
      ['bytes_read_u16be(bytes(1), 0)', 'bytes_read_u16be()'],
      ['bytes_write_u16be(bytes(2), 0, 65536)', 'bytes_write_u16be()'],
      ['bytes_write_u32be(bytes(4), -1, 1)', 'bytes_write_u32be()'],
      ['bytes_get(bytes(2), 1.0)', 'bytes_get()'],
      ['bytes_len("x")', 'bytes_len()'],
    ]) {
      const r = await run(src as string);
      expect(r.error?.kind, src).toBe('builtin');
      expect(r.error?.message, src).toContain(name);
      expect(r.error?.message, src).not.toMatch(/line \d/);
    }
  });
});

describe('§12.6 concurrency (single-threaded semantics)', () => {
  it('mutex, condvar, atomic and channel behave like the reference shims without other threads', async () => {
    expect(
      await out(
        'ken m = mutex_new()\nblether mutex_try_lock(m)\nblether mutex_try_lock(m)\nmutex_unlock(m)\nmutex_lock(m)\nmutex_unlock(m)\nken cv = condvar_new()\nblether condvar_wait(cv, m)\nblether condvar_timed_wait(cv, m, 10)\ncondvar_signal(cv)\ncondvar_broadcast(cv)\nken a = atomic_new(5.7)\nblether atomic_add(a, 2)\nblether atomic_cas(a, 7, 1)\nblether atomic_cas(a, 7, 2)\natomic_store(a, 9)\nblether atomic_load(a)\nken c = chan_new(0)\nblether chan_recv(c)\nblether chan_send(c, {"x": [1, 2.5]})\nblether chan_send(c, 2)\nblether chan_recv(c)\nchan_close(c)\nblether chan_send(c, 3)\nblether chan_is_closed(c)\nblether chan_try_recv(c)\nblether chan_try_recv(c)',
      ),
    ).toBe('aye\nnae\naye\naye\n7\naye\nnae\n9\nnaething\naye\naye\n{"x": [1, 2.5]}\nnae\naye\n2\nnaething\n');
    expect((await run('ken c = chan_new(1)\nblether chan_send(c, 1)\nblether chan_send(c, 2)')).out).toBe('aye\nnae\n');
    expect((await run('mutex_lock(99)')).error?.kind).toBe('builtin');
    expect((await run('chan_send(chan_new(0), len)')).error?.message).toContain('function');
  });
});

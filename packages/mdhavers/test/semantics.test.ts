import { describe, expect, it } from 'vitest';
import { formatFloat } from '../src/values.js';
import { errOf, out, run } from './helpers.js';

describe('§4 values and display', () => {
  it('whit_kind of every type', async () => {
    expect(
      await out(
        'dae f() { gie 1 }\nfer v in [1, 1.0, "s", aye, naething, [], {}, bytes(2), f, |x| x, len, 0..3] { blether whit_kind(v) }',
      ),
    ).toBe('integer\nfloat\nstring\nbool\nnaething\nlist\ndict\nbytes\nfunction\nfunction\nnative function\nlist\n');
  });

  it('float display follows Rust {} formatting', async () => {
    expect(
      await out(
        'blether 5.0\nblether 2.5\nblether 0.1 + 0.2\nblether 1e21\nblether 1e-7\nblether -0.0\nblether tae_float("NaN")\nblether tae_float("inf")\nblether -tae_float("inf")\nblether 1.5e300 * 1e10',
      ),
    ).toBe('5\n2.5\n0.30000000000000004\n1000000000000000000000\n0.0000001\n-0\nNaN\ninf\n-inf\ninf\n');
    expect(formatFloat(123456789012345680000)).toBe('123456789012345680000');
    expect(formatFloat(1.2345e-10)).toBe('0.00000000012345');
    expect(formatFloat(-2.5e22)).toBe('-25000000000000000000000');
  });

  it('list, dict, bytes, function display', async () => {
    expect(
      await out(
        'dae f() { gie 1 }\nblether [1, "two", 3.5, [aye]]\nblether {"a": "x", 1: 2, 2.5: nae}\nblether {}\nblether bytes(3)\nblether f\nblether |x| x\nblether len',
      ),
    ).toBe(
      '[1, two, 3.5, [aye]]\n{"a": x, "1": 2, "2.5": nae}\n{}\nbytes[3]\n<dae f>\n<dae <lambda>>\n<native dae len>\n',
    );
  });

  it('64-bit integers print exactly and overflow is an error', async () => {
    expect(
      await out(
        'blether 9007199254740993\nblether 9007199254740992 + 1\nblether 9223372036854775807 - 1\nblether -9223372036854775807 - 1',
      ),
    ).toBe('9007199254740993\n9007199254740993\n9223372036854775806\n-9223372036854775808\n');
    expect((await run('blether 9223372036854775807 + 1')).error?.kind).toBe('overflow');
    expect((await run('blether 3037000500 * 3037000500')).error?.kind).toBe('overflow');
    expect((await run('ken m = -9223372036854775807 - 1\nblether -m')).error?.kind).toBe('overflow');
    expect((await run('ken m = -9223372036854775807 - 1\nblether m / -1')).error?.kind).toBe('overflow');
    expect(await out('blether 4611686018427387903 * 2 + 1')).toBe('9223372036854775807\n');
    expect((await run('blether 4611686018427387904 * 2')).error?.kind).toBe('overflow');
  });

  it('truthiness', async () => {
    expect(
      await out(
        'fer v in [nae, naething, 0, 0.0, -0.0, "", [], bytes(0), {}, "0", tae_float("NaN"), len, 1] { gin v { blether "T" } ither { blether "F" } }',
      ),
    ).toBe('F\nF\nF\nF\nF\nF\nF\nF\nT\nT\nT\nT\nT\n');
  });

  it('equality rules', async () => {
    expect(
      await out(
        'blether 1 == 1.0\nblether [1, [2]] == [1.0, [2]]\nblether {"a": 1} == {"a": 1}\nken d = {}\nblether d == d\nblether 1 == "1"\nblether aye == 1\nblether bytes(2) == bytes(2)\nblether naething == naething\nblether len == len',
      ),
    ).toBe('aye\naye\nnae\naye\nnae\nnae\naye\naye\naye\n');
  });

  it('ordering: numbers and strings only', async () => {
    expect(await out('blether 1 < 1.5\nblether "abc" < "abd"\nblether "b" > "a"\nblether 2 >= 2')).toBe(
      'aye\naye\naye\naye\n',
    );
    expect((await run('blether [1] < [2]')).error?.kind).toBe('type');
    expect((await run('blether "a" < 1')).error?.kind).toBe('type');
  });

  it('dict keys: 1 and 1.0 are distinct, position kept on update, d.name == d["name"]', async () => {
    expect(
      await out(
        'ken d = {}\nd[1] = "int"\nd[1.0] = "float"\nd["a"] = 1\nd[1] = "int2"\nblether d\nblether len(d)\nd.b = 5\nblether d["b"]\nblether d.a\nblether keys(d)',
      ),
    ).toBe('{"1": int2, "1": float, "a": 1}\n3\n5\n1\n[1, 1, a, b]\n');
  });

  it('list keys hash by identity', async () => {
    expect(await out('ken k = [1]\nken d = {}\nd[k] = 1\nd[[1]] = 2\nblether len(d)\nblether d[k]')).toBe('2\n1\n');
  });

  it('lists, dicts and bytes have reference semantics', async () => {
    expect(
      await out('ken a = [1]\nken b = a\nshove(b, 2)\nblether a\ndae add(l) { shove(l, 3) }\nadd(a)\nblether b'),
    ).toBe('[1, 2]\n[1, 2, 3]\n');
  });
});

describe('§5 scope and closures', () => {
  it('ken defines in the current scope; blocks shadow', async () => {
    expect(await out('ken x = 1\n{ ken x = 2\n blether x }\nblether x\ngin aye { ken x = 3 }\nblether x')).toBe(
      '2\n1\n1\n',
    );
  });

  it('assignment goes to the nearest scope holding the name; undefined is an error', async () => {
    expect(await out('ken x = 1\ngin aye { x = 5 }\nblether x')).toBe('5\n');
    const e = await errOf('y = 3');
    expect(e).toContain("'y'");
    expect(e).toContain('line 1');
  });

  it('reading an undefined name fails at evaluation, not parse', async () => {
    const r = await run('blether "ok"\ngin nae { blether nope }\nblether nope');
    expect(r.out).toBe('ok\n');
    expect(r.error?.message).toContain('line 3');
  });

  it('top level is the builtin scope: redefining a builtin replaces it for modules too', async () => {
    expect(await out('ken len = 5\nblether len')).toBe('5\n');
    expect(await out('dae chr(n) { gie "X" }\nblether chr(65)')).toBe('X\n');
    expect(await out('dae f() { ken len = 1\n gie len }\nblether f()\nblether len("ab")')).toBe('1\n2\n');
  });

  it('no hoisting; mutual recursion via call-time lookup', async () => {
    expect((await run('f()\ndae f() { gie 1 }')).error?.kind).toBe('undefined');
    expect(
      await out(
        'dae ev(n) { gin n == 0 { gie aye }\n gie od(n - 1) }\ndae od(n) { gin n == 0 { gie nae }\n gie ev(n - 1) }\nblether ev(10)',
      ),
    ).toBe('aye\n');
  });

  it('closures capture the scope (a counter works)', async () => {
    expect(
      await out(
        'dae counter() {\n ken n = 0\n gie || { n = n + 1\n gie n }\n}\nken c = counter()\nc()\nc()\nblether c()\nken c2 = counter()\nblether c2()',
      ),
    ).toBe('3\n1\n');
  });

  it('fer binds its variable in the enclosing scope; closures see the last value', async () => {
    expect(
      await out(
        'ken fs = []\nfer v in [1, 2, 3] { shove(fs, || v) }\nblether v\nblether fs[0]()\nken gs = []\nfer v in [1, 2] { ken j = v\n shove(gs, || j) }\nblether gs[0]()',
      ),
    ).toBe('3\n3\n1\n');
  });

  it('defaults are evaluated per call after earlier params', async () => {
    expect(
      await out(
        'dae f(a, b = a * 2, acc = []) { shove(acc, a)\n gie [b, acc] }\nblether f(1)\nblether f(2)\nblether f(1, 5)',
      ),
    ).toBe('[2, [1]]\n[4, [2]]\n[5, [1]]\n');
  });

  it('each loop iteration gets a fresh body scope', async () => {
    expect(
      await out(
        'ken fs = []\nken i = 0\nwhiles i < 3 { ken j = i\n shove(fs, || j)\n i += 1 }\nblether fs[0]() + fs[2]()',
      ),
    ).toBe('2\n');
  });
});

describe('§6 statements', () => {
  it('whiles, fer over lists and strings (snapshotted)', async () => {
    expect(await out('ken l = [1, 2]\nfer x in l { shove(l, x) }\nblether l\nfer c in "hé" { blether c }')).toBe(
      '[1, 2, 1, 2]\nh\né\n',
    );
    expect((await run('fer x in {"a": 1} { }')).error?.kind).toBe('type');
    expect((await run('fer x in bytes(2) { }')).error?.kind).toBe('type');
  });

  it('brak and haud; at top level they are errors; in a function they end it', async () => {
    expect(await out('fer i in 0..10 { gin i == 2 { haud }\n gin i == 4 { brak }\n blether i }')).toBe('0\n1\n3\n');
    const r = await run('blether 1\nbrak');
    expect(r.error?.kind).toBe('loopctl');
    expect(r.error?.message).toContain('line 2');
    expect(await out('dae f() { blether "a"\n brak\n blether "b" }\nblether f()')).toBe('a\nnaething\n');
  });

  it('haud_yer_wheesht and gang_on are continue', async () => {
    expect(
      await out(
        'fer i in 0..3 { gin i == 1 { gang_on }\n blether i }\nfer i in 0..3 { gin i == 0 { haud_yer_wheesht }\n blether i }',
      ),
    ).toBe('0\n2\n1\n2\n');
  });

  it('gie at top level ends only that statement', async () => {
    expect(await out('blether 1\ngie 5\nblether 2')).toBe('1\n2\n');
  });

  it('implicit results of dae bodies; lambdas with block bodies return naething', async () => {
    expect(
      await out(
        'dae f(x) { x * 2 }\nblether f(4)\ndae g(x) { gin x { "yes" } ither { "no" } }\nblether g(1)\nblether g(0)\ndae h() { ken a = 1 }\nblether h()\ndae k(x) { gin x { 1 } }\nblether k(0)\nken l = |x| { x * 2 }\nblether l(3)\ndae m() { ken a = 1\n a = 9 }\nblether m()\ndae n() { fer i in [1] { i } }\nblether n()',
      ),
    ).toBe('8\nyes\nno\nnaething\nnaething\nnaething\n9\nnaething\n');
  });

  it('hae_a_bash catches runtime and builtin errors; err stays visible; side effects kept', async () => {
    expect(
      await out(
        'ken l = []\nhae_a_bash {\n shove(l, 1)\n ken x = 1 / 0\n shove(l, 2)\n} gin_it_gangs_wrang e {\n blether "caught"\n}\nblether l\nblether contains(e, "line 4")\nhae_a_bash { len(5) } gin_it_gangs_wrang e2 { blether contains(e2, "len()") }\nhae_a_bash { [1][5] } gin_it_gangs_wrang e3 { blether contains(e3, "5") }',
      ),
    ).toBe('caught\n[1]\naye\naye\naye\n');
  });

  it('gie inside a try propagates; errors in the handler propagate', async () => {
    expect(await out('dae f() { hae_a_bash { gie 1 } gin_it_gangs_wrang e { gie 2 }\n gie 3 }\nblether f()')).toBe(
      '1\n',
    );
    expect((await run('hae_a_bash { hurl "a" } gin_it_gangs_wrang e { hurl "b" }')).error?.message).toContain('b');
  });

  it('hurl raises a user error with the rendered value and the line', async () => {
    const r = await run('blether 0\nhurl [1, "x"]');
    expect(r.error?.kind).toBe('user');
    expect(r.error?.message).toContain('[1, x]');
    expect(r.error?.message).toContain('line 2');
    expect(await out('hae_a_bash { hurl "boom" } gin_it_gangs_wrang e { blether contains(e, "boom") }')).toBe('aye\n');
  });

  it('mak_siccar asserts with an optional message', async () => {
    expect(await out('mak_siccar 1 == 1\nblether "ok"')).toBe('ok\n');
    const r = await run('mak_siccar 1 == 2, "sums are wrang"');
    expect(r.error?.kind).toBe('assert');
    expect(r.error?.message).toContain('sums are wrang');
    expect(r.error?.message).toContain('line 1');
  });

  it('keek: literals, negatives, wildcard, binding, int ranges, no match', async () => {
    const prog = `dae kind(v) {
  keek v {
    whan 0 -> gie "zero"
    whan -1 -> gie "minus one"
    whan 1..10 -> gie "small"
    whan "hi" -> { gie "greeting" }
    whan aye -> gie "true"
    whan naething -> gie "nothing"
    whan 2.5 -> gie "two and a half"
    whan other -> gie f"other {other}"
  }
}
fer v in [0, -1, 5, 10, "hi", aye, naething, 2.5, 5.0, "x"] { blether kind(v) }
keek 3 { whan _ -> blether "any" }
`;
    expect(await out(prog)).toBe(
      'zero\nminus one\nsmall\nother 10\ngreeting\ntrue\nnothing\ntwo and a half\nother 5\nother x\nany\n',
    );
    expect((await run('keek 5 { whan 1 -> blether 1 }')).error?.kind).toBe('type');
  });
});

describe('§7 expressions', () => {
  it('arithmetic: int division truncates, % takes the dividend sign, floats', async () => {
    expect(
      await out(
        'blether 7 / 2\nblether -7 / 2\nblether -7 % 3\nblether 7 % -3\nblether 7.0 / 2\nblether floor(-7 / 2)\nblether floor(-7.0 / 2)\nblether 5.5 % 2.0\nblether 1 + 2.5',
      ),
    ).toBe('3\n-3\n-1\n1\n3.5\n-3\n-4\n1.5\n3.5\n');
    expect((await run('blether 1 / 0')).error?.kind).toBe('division');
    expect((await run('blether 1.0 / 0.0')).error?.kind).toBe('division');
    expect((await run('blether 1 % 0')).error?.kind).toBe('division');
    expect(await out('blether 1.0 % 0.0')).toBe('NaN\n');
    expect((await run('blether 5 % 2.0')).error?.kind).toBe('type');
  });

  it('string and list operators', async () => {
    expect(
      await out('blether "n=" + 5\nblether 1 + "a"\nblether "ab" * 3\nblether 2 * "x"\nblether [1] + [2, 3]'),
    ).toBe('n=5\n1a\nababab\nxx\n[1, 2, 3]\n');
    expect((await run('blether [1] * 2')).error?.kind).toBe('type');
    expect((await run('blether "a" * -1')).error?.kind).toBe('type');
    expect((await run('blether -"a"')).error?.kind).toBe('type');
  });

  it('calls: any callee expression, strict arity, not callable', async () => {
    expect(
      await out(
        'dae f(a) { gie |b| a + b }\nblether f(1)(2)\nken fs = [len]\nblether fs[0]("abc")\nken d = {"cb": |e| e * 2}\nblether d["cb"](4)\nblether d.cb(5)',
      ),
    ).toBe('3\n3\n8\n10\n');
    const a = await errOf('dae f(a, b = 1) { gie a }\nf(1, 2, 3)');
    expect(a).toContain("'f'");
    expect(a).toContain('line 2');
    expect((await run('len(1, 2)')).error?.kind).toBe('arity');
    expect((await run('ken x = 5\nx()')).error?.kind).toBe('callable');
  });

  it('spread in calls and list literals', async () => {
    expect(
      await out(
        'dae add(a, b, c) { gie a + b + c }\nken xs = [1, 2, 3]\nblether add(...xs)\nblether [0, ...xs, ..."ab"]',
      ),
    ).toBe('6\n[0, 1, 2, 3, a, b]\n');
  });

  it('ranges', async () => {
    expect(await out('blether 0..3\nblether 0..=3\nblether 3..1\nblether (1.7)..4\nblether whit_kind(0..0)')).toBe(
      '[0, 1, 2]\n[0, 1, 2, 3]\n[]\n[1, 2, 3]\nlist\n',
    );
    expect((await run('blether "a"..3')).error?.kind).toBe('parse');
    expect((await run('ken a = "x"\nblether a..3')).error?.kind).toBe('type');
  });

  it('indexing: negatives, bounds, dict keys, strings by character', async () => {
    expect(
      await out(
        'ken l = [1, 2, 3]\nblether l[-1]\nblether "héllo"[1]\nblether "héllo"[-1]\nken g = [[0, 0], [0, 0]]\ng[1][0] = 5\nblether g\nl[-1] = 9\nblether l',
      ),
    ).toBe('3\né\no\n[[0, 0], [5, 0]]\n[1, 2, 9]\n');
    const e = await errOf('ken l = [1]\nblether l[3]');
    expect(e).toContain('3');
    expect(e).toContain('1');
    expect(e).toContain('line 2');
    expect((await run('ken d = {}\nblether d["nope"]')).error?.kind).toBe('undefined');
    expect((await run('blether bytes(2)[0]')).error?.kind).toBe('type');
    expect((await run('blether [1][0.0]')).error?.kind).toBe('type');
    expect((await run('ken l = [1]\nl[1] = 2')).error?.kind).toBe('index');
  });

  it('slices on lists and strings', async () => {
    expect(
      await out(
        'ken l = [0, 1, 2, 3, 4]\nblether l[1:3]\nblether l[:2]\nblether l[3:]\nblether l[::2]\nblether l[::-1]\nblether l[-2:]\nblether l[1:100]\nblether "héllo"[1:3]\nblether "abc"[::-1]',
      ),
    ).toBe('[1, 2]\n[0, 1]\n[3, 4]\n[0, 2, 4]\n[4, 3, 2, 1, 0]\n[3, 4]\n[1, 2, 3, 4]\nél\ncba\n');
    expect((await run('blether [1][::0]')).error?.kind).toBe('type');
    expect((await run('blether {}[1:2]')).error?.kind).toBe('type');
  });

  it('compound assignment on plain variables', async () => {
    expect(await out('ken a = 1\na += 4\na *= 3\na -= 1\na /= 2\nblether a\nken s = "a"\ns += "b"\nblether s')).toBe(
      '7\nab\n',
    );
  });

  it('destructuring with wildcard and rest (T2)', async () => {
    expect(
      await out(
        'ken [a, _, b] = [1, 2, 3]\nblether a + b\nken [h, ...t] = [1, 2, 3]\nblether t\nken [x, y] = "hi"\nblether y',
      ),
    ).toBe('4\n[2, 3]\ni\n');
  });

  it('deep recursion is a runtime error, not a crash', async () => {
    const r = await run('dae f(n) { gie f(n + 1) }\nf(0)', { maxDepth: 500 });
    expect(r.error?.kind).toBe('recursion');
  });
});

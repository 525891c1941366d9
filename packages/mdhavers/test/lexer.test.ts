import { describe, expect, it } from 'vitest';
import { Interpreter } from '../src/interpreter.js';
import { lex } from '../src/lexer.js';
import { parseProgram } from '../src/parser.js';
import { errOf, out, run } from './helpers.js';

describe('§1 lexical structure', () => {
  it('newline ends statements; ; separates statements on one line', async () => {
    expect(await out('ken a = 1; ken b = 2; blether a + b\nblether b')).toBe('3\n2\n');
  });

  it('# and // comments run to end of line (no floor division)', async () => {
    expect(await out('ken a = 7 // 2\nblether a # comment\n// whole line')).toBe('7\n');
  });

  it('identifiers: longest match, keywords inside names are fine', async () => {
    expect(
      await out(
        'ken kenny = 1\nken nae_x = 2\nken naething2 = 3\nken andy = 4\nblether kenny + nae_x + naething2 + andy',
      ),
    ).toBe('10\n');
  });

  it('lone _ is not an identifier', async () => {
    expect(await errOf('fer _ in [1] { blether 1 }')).toMatch(/line 1/);
  });

  it('reserved words cannot be variable names', async () => {
    expect((await run('ken gin = 1')).error?.kind).toBe('parse');
  });

  it('integer literals are i64; overflow is a lexical error with the lexeme and column', async () => {
    expect(await out('blether 9223372036854775807')).toBe('9223372036854775807\n');
    const r = await run('blether 1\nken x = 9223372036854775808');
    expect(r.error?.kind).toBe('lex');
    expect(r.error?.message).toContain('9223372036854775808');
    expect(r.error?.message).toContain('line 2');
    expect(r.error?.message).toContain('column 9');
    expect(r.out).toBe('');
  });

  it('float literals: 1e3 is a float, 1..5 is a range', async () => {
    expect(await out('blether whit_kind(1e3)\nblether 1e3\nblether 1..5\nblether 2.5e-1\nblether whit_kind(10)')).toBe(
      'float\n1000\n[1, 2, 3, 4]\n0.25\ninteger\n',
    );
  });

  it('.5 and 5. are not numbers', async () => {
    expect((await run('ken x = .5')).error?.kind).toBe('parse');
  });

  it('strings: both quotes, raw newlines, escapes', async () => {
    expect(
      await out(
        'blether "a\\tb"\nblether \'it\\\'s\'\nblether "x\ny"\nblether "\\q"\nblether "\\x41\\x4"\nblether len("\\xe9")',
      ),
    ).toBe("a\tb\nit's\nx\ny\n\\q\nA\\x4\n2\n");
  });

  it('line numbers count newlines inside multi-line strings', async () => {
    const r = await run('ken s = "a\nb\nc"\nblether undefined_thing');
    expect(r.error?.message).toContain('line 4');
  });

  it('no \\u{…} escape', async () => {
    expect(await out('blether "\\u{41}"')).toBe('\\u{41}\n');
  });

  it('unknown characters are lexical errors naming the character and column', async () => {
    const r = await run('ken a = 1 @ 2');
    expect(r.error?.kind).toBe('lex');
    expect(r.error?.message).toContain("'@'");
    expect(r.error?.message).toContain('column 11');
  });

  it('|| is two bars (a zero-parameter lambda)', async () => {
    expect(await out('ken f = || 42\nblether f()')).toBe('42\n');
  });

  it('lexes tokens with lines and columns', () => {
    const t = lex('ken x = 1\n  blether x');
    expect(t.map((x) => x.t)).toEqual(['ken', 'ident', '=', 'int', 'nl', 'blether', 'ident', 'eof']);
    expect(t[5]).toMatchObject({ line: 2, col: 3 });
  });
});

describe('§1.6 f-strings', () => {
  it('interpolates with display rules; {{ and }} are literal braces', async () => {
    expect(await out('ken x = 5\nken l = [1, "a"]\nblether f"x={x} l={l} {{y}} }"\nblether f"{x * 2.5}"')).toBe(
      'x=5 l=[1, a] {y} }\n12.5\n',
    );
  });

  it('both quoting styles inside an interpolation', async () => {
    expect(await out('ken d = {"k": 7}\nblether f"{d[\\"k\\"]} {d[\'k\']}"')).toBe('7 7\n');
  });

  it('format specs are ignored, nested braces counted', async () => {
    expect(await out('ken x = 3.14159\nblether f"{x:.2f}"\nblether f"{ {\\"a\\": 1}[\\"a\\"] }"')).toBe('3.14159\n1\n');
  });

  it("f'…' is not an f-string", async () => {
    expect((await run("ken f = 1\nblether f'{x}'")).error).not.toBeNull();
  });

  it('an empty {} is a parse error of the whole file', async () => {
    const r = await run('blether "before"\nblether f"{}"');
    expect(r.error?.kind).toBe('parse');
    expect(r.out).toBe('');
  });

  it('text parts get escape processing', async () => {
    expect(await out('ken n = 1\nblether f"a\\tb{n}\\n"')).toBe('a\tb1\n\n');
  });

  it('an error inside an interpolation reports the line of the f-string', async () => {
    expect(await errOf('ken a = 1\n\nblether f"{nope}"')).toContain('line 3');
  });
});

describe('§2 grammar', () => {
  it('ither must be on the same line as }', async () => {
    expect((await run('gin aye {\n blether 1\n}\nither {\n blether 2\n}')).error?.kind).toBe('parse');
    expect(await out('gin nae {\n blether 1\n} ither gin aye {\n blether 2\n} ither {\n blether 3\n}')).toBe('2\n');
    expect(await out('gin nae { blether 1 } ither\n{ blether 2 }')).toBe('2\n');
  });

  it('gie } on one line is a parse error; gie alone returns naething', async () => {
    expect((await run('dae f() { gie }')).error?.kind).toBe('parse');
    expect(await out('dae f() {\n gie\n}\nblether f()')).toBe('naething\n');
    expect(await out('dae f() { gie naething }\nblether f()')).toBe('naething\n');
  });

  it('lenient statement ends: ken a = 1 ken b = 2', async () => {
    expect(await out('ken a = 1 ken b = 2\nblether a + b')).toBe('3\n');
  });

  it('a statement starting with { is a block, an expression { is a dict', async () => {
    expect(await out('{ ken a = 1\n blether a }\nken d = {"a": 1}\nblether d')).toBe('1\n{"a": 1}\n');
  });

  it('block expressions run in the current scope and give the gie value', async () => {
    expect(
      await out('ken v = { ken q = 2\n gie q * 21 }\nblether v\nblether q\nken w = { ken z = 1 }\nblether w'),
    ).toBe('42\n2\nnaething\n');
  });

  it('newlines inside list and dict literals, not inside calls', async () => {
    expect(await out('ken l = [\n 1,\n 2,\n]\nken d = {\n "a": 1,\n "b": 2,\n}\nblether l\nblether d')).toBe(
      '[1, 2]\n{"a": 1, "b": 2}\n',
    );
    expect((await run('blether len(\n[1])')).error?.kind).toBe('parse');
  });

  it('trailing commas: allowed in literals, not in calls or parameters', async () => {
    expect((await run('blether len([1],)')).error?.kind).toBe('parse');
    expect((await run('dae f(a,) { gie a }')).error?.kind).toBe('parse');
  });

  it('ranges bind to the preceding primary; the end is a whole term', async () => {
    expect(await out('ken n = 3\nblether 0..n + 1\nblether (1)..=3')).toBe('[0, 1, 2, 3]\n[1, 2, 3]\n');
    expect((await run('blether -2..2')).error?.kind).toBe('type');
    expect((await run('dae f(x) { gie x }\nblether f(1)..3')).error?.kind).toBe('parse');
  });

  it('lambdas: expression and block bodies; {…} body is always a block', async () => {
    expect(
      await out(
        'ken f = |x| x * 2\nken g = |x| { gie x + 1 }\nblether f(4)\nblether g(4)\nken h = |x| ({"a": x})\nblether h(1)',
      ),
    ).toBe('8\n5\n{"a": 1}\n');
    expect((await run('ken h = |x| {"a": x}')).error?.kind).toBe('parse');
  });

  it('default parameters: later ones need defaults too', async () => {
    expect((await run('dae f(a = 1, b) { gie a }')).error?.kind).toBe('parse');
  });

  it('compound assignment to an index is a parse error', async () => {
    expect((await run('ken a = [1]\na[0] += 1')).error?.kind).toBe('parse');
  });

  it('out-of-scope constructs are rejected cleanly (§16)', async () => {
    for (const src of [
      'kin Foo { }',
      'thing P { x }',
      'speir "name?"',
      'log_blether "x"',
      'ken a = 1\nblether a is 1',
      'ken s = creel([1])',
    ]) {
      const r = await run(src);
      expect(r.error, src).not.toBeNull();
    }
    expect((await run('kin Foo { }')).error?.message).toMatch(/oot o' scope|Unexpected/);
  });

  it('check parses without running', () => {
    expect(() => Interpreter.check('blether 1 +')).toThrow(/line 1/);
    expect(parseProgram('blether 1').length).toBe(1);
  });
});

describe('§3 precedence', () => {
  it('arithmetic and comparison levels', async () => {
    expect(
      await out('blether 1 + 2 * 3\nblether (1 + 2) * 3\nblether 10 - 4 - 3\nblether 2 * 3 % 4\nblether 1 + 1 == 2'),
    ).toBe('7\n9\n3\n2\naye\n');
  });

  it('nae a == b means (nae a) == b; nae as a literal when no operand follows', async () => {
    expect(await out('blether nae 1 == 2\nblether [nae, 1]\nken x = nae\nblether x == nae\nblether !aye')).toBe(
      'nae\n[nae, 1]\naye\nnae\n',
    );
  });

  it('a < b < c is a type error', async () => {
    expect((await run('blether 1 < 2 < 3')).error?.kind).toBe('type');
  });

  it('an/or short-circuit and return operands', async () => {
    expect(await out('blether 0 an boom()\nblether 5 an 6\nblether 0 or "x"\nblether 3 or boom()')).toBe(
      '0\n6\nx\n3\n',
    );
  });

  it('ternary is right-associative; pipe is below ternary', async () => {
    expect(
      await out(
        'ken x = 5\nblether gin x > 3 than "big" ither gin x > 1 than "mid" ither "wee"\nblether 4 |> |v| v * 2 |> |v| v + 1',
      ),
    ).toBe('big\n9\n');
  });

  it('assignment is right-associative and an expression', async () => {
    expect(await out('ken a = 0\nken b = 0\na = b = 7\nblether a + b\nblether (a = 3) + 1')).toBe('14\n4\n');
  });
});

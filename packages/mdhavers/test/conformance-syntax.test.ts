import { describe } from 'vitest';
import { table } from './conformance-table.js';

describe('conformance §1 lexing', () => {
  table([
    {
      name: 'newline and ; end statements; ken starts a new one',
      src: 'ken a = 1 ken b = 2 // comment\nblether a + b; blether "two" # c',
      out: '3\ntwo\n',
    },
    {
      name: 'longest-match identifiers and the null aliases',
      src: 'ken kenny = 3\nken nae_x = 4\nken naething2 = 5\nblether kenny + nae_x + naething2\nblether nil == nowt',
      out: '12\naye\n',
    },
    {
      name: 'number forms: 1e3 is a float, 1..5 is a range',
      src: 'blether 1e3\nblether whit_kind(1e3)\nblether 1.5e2\nblether 2E-3\nblether 1..5\nblether 0..=3',
      out: '1000\nfloat\n150\n0.002\n[1, 2, 3, 4]\n[0, 1, 2, 3]\n',
    },
    {
      name: 'i64 literal limit',
      src: 'blether 9223372036854775807',
      out: '9223372036854775807\n',
    },
    {
      name: 'overflowing literal is a lexical error with lexeme and column; nothing runs',
      src: 'blether 1\nblether 9223372036854775808',
      out: '',
      err: { kind: 'lex', has: ['9223372036854775808', 'line 2', 'column 9'] },
    },
    {
      name: 'unknown character is a lexical error',
      src: 'ken a = 1\nblether a @ 2',
      out: '',
      err: { kind: 'lex', has: ["'@'", 'line 2', 'column 11'] },
    },
    { name: '.5 is not a number', src: 'blether .5', out: '', err: { kind: 'parse', has: ['line 1'] } },
    { name: '5. is not a number', src: 'blether 5.', out: '', err: { kind: 'parse', has: ['line 1'] } },
    { name: 'no hex literals', src: 'blether 0x10', out: '', err: { kind: 'parse', has: ['x10'] } },
    {
      name: 'string escapes: \\x is a code point, unknown escapes are kept',
      src: 'blether "a\\qb\\x41\\x4g\\xe9\\u{41}"\nblether len("\\xe9")\nblether "it\\x27s"\nblether \'single \\\' "q"\'\nblether "tab[\\t]"\nblether "x\\\\y"\nblether len("\\0")',
      out: 'a\\qbA\\x4gé\\u{41}\n2\nit\'s\nsingle \' "q"\ntab[\t]\nx\\y\n1\n',
    },
    {
      name: 'multi-line strings count lines',
      src: 'blether "multi\nline"\nblether nope',
      out: 'multi\nline\n',
      err: { kind: 'undefined', has: ["'nope'", 'line 3'] },
    },
    {
      name: 'unterminated string',
      src: 'blether "abc',
      out: '',
      err: { kind: 'lex', has: ['line 1'] },
    },
    {
      name: 'f-strings: both quoting styles, braces, junk after the expression, escapes in text parts',
      src: [
        'ken d = {"k": 5, "n": [1, "a"]}',
        'blether f"{d[\\"k\\"]} and {d[\'k\']}"',
        'blether f"{{lit}} }} a}b"',
        'blether f"x={1 + 2 junk}"',
        'blether f"tab\\there {d.n}"',
        'ken x = 2.0',
        'blether f"{x}{x * 1.5}"',
        'blether f"{d}"',
        'blether f"\\x41{x}\\q"',
        'blether f"{ {\\"a\\": 1}[\\"a\\"] }"',
        'blether f"a\\"b"',
        'blether f"{x:.2f}"',
        'blether f"{\\"a\\\\\\\\b\\"}"',
        'blether f"{len(\\"é\\")}"',
      ].join('\n'),
      out: '5 and 5\n{lit} } a}b\nx=3\ntab\there [1, a]\n23\n{"k": 5, "n": [1, a]}\nA2\\q\n1\na"b\n2\na\\b\n2\n',
    },
    {
      name: "f'…' is not an f-string",
      src: "blether f'x'",
      out: '',
      err: { kind: 'parse', has: ['line 1'] },
    },
    {
      name: 'empty {} in an f-string is a parse error of the whole file',
      src: 'blether 1\nblether f"{}"',
      out: '',
      err: { kind: 'parse', has: ['line 2'] },
    },
  ]);
});

describe('conformance §2 grammar', () => {
  table([
    {
      name: 'newlines inside list and dict literals, trailing commas',
      src: 'ken l = [\n  1,\n  2,\n]\nken d = {\n  "a": 1,\n  "b": [1,\n   2],\n}\nblether l\nblether d',
      out: '[1, 2]\n{"a": 1, "b": [1, 2]}\n',
    },
    {
      name: 'ither may follow } after newlines only after ither',
      src: 'gin 1 {\n  blether "a"\n} ither\n{\n  blether "b"\n}\ngin nae { blether 1 } ither gin aye { blether 2 } ither { blether 3 }',
      out: 'a\n2\n',
    },
    {
      name: '} newline ither is a parse error',
      src: 'gin 0 { blether 1 }\nither { blether 2 }',
      out: '',
      err: { kind: 'parse', has: ['ither', 'line 2'] },
    },
    { name: 'gie } on one line is a parse error', src: 'dae f() { gie }', out: '', err: { kind: 'parse' } },
    {
      name: 'gie before a newline returns naething',
      src: 'dae f() { gie\n}\nblether f()',
      out: 'naething\n',
    },
    { name: 'no trailing comma in calls', src: 'blether len([1],)', out: '', err: { kind: 'parse' } },
    {
      name: 'no newline inside call arguments',
      src: 'blether len(\n[1])',
      out: '',
      err: { kind: 'parse', has: ['line 1'] },
    },
    { name: 'no newline inside parentheses', src: 'ken x = (1\n)', out: '', err: { kind: 'parse' } },
    { name: 'no newline after a binary operator', src: 'blether 1 +\n2', out: '', err: { kind: 'parse' } },
    {
      name: 'a later parameter needs a default once one has it',
      src: 'dae f(a = 1, b) { }',
      out: '',
      err: { kind: 'parse' },
    },
    {
      name: 'fer _ is a parse error; _ is not a name',
      src: 'fer _ in [1] { blether 1 }',
      out: '',
      err: { kind: 'parse', has: ["'_'"] },
    },
    { name: 'keywords are not names', src: 'ken gin = 1', out: '', err: { kind: 'parse', has: ["'gin'"] } },
    { name: 'params cannot be keywords', src: 'dae f(ken) { }', out: '', err: { kind: 'parse' } },
    {
      name: 'lambda with { is a block body, so a dict body is a parse error',
      src: 'ken f = |x| {"a": x}',
      out: '',
      err: { kind: 'parse' },
    },
    {
      name: 'lambda dict body in parentheses',
      src: 'ken f = |x| ({"a": x})\nblether f(1)\nken g = || 7\nblether g()',
      out: '{"a": 1}\n7\n',
    },
    {
      name: 'range end is a whole term; ranges start only after int, ident or (…)',
      src: 'ken n = 3\nblether 0..n + 1\nblether (0 - 2)..2\nblether (1)..3',
      out: '[0, 1, 2, 3]\n[-2, -1, 0, 1]\n[1, 2]\n',
    },
    { name: 'f(x)..y is a parse error', src: 'blether len([1])..3', out: '', err: { kind: 'parse' } },
    { name: 'float literal cannot start a range', src: 'blether 1.5..3', out: '', err: { kind: 'parse' } },
    {
      name: '-2..2 is -(2..2), a type error',
      src: 'blether -2..2',
      out: '',
      err: { kind: 'type', has: ['line 1'] },
    },
    {
      name: 'a statement { is a block; an expression { with : is a dict; else a block expression',
      src: 'ken x = 1\n{ ken x = 2\n  blether x }\nblether x\nken d = { "a": 1 }\nblether d\nken v = { ken t = 4\n gie t * 2 }\nblether v',
      out: '2\n1\n{"a": 1}\n8\n',
    },
    {
      name: 'compound assignment to an index is a parse error',
      src: 'ken a = [1]\na[0] += 1',
      out: '',
      err: { kind: 'parse', has: ['line 2'] },
    },
    {
      name: 'property access needs a name',
      src: 'ken d = {}\nblether d.',
      out: '',
      err: { kind: 'parse', has: ['line 2'] },
    },
  ]);
});

describe('conformance §3 precedence', () => {
  table([
    {
      name: 'arithmetic, logic and nae binding',
      src: [
        'blether 2 + 3 * 4 - 1',
        'blether (2 + 3) * 4',
        'blether -2 * 3',
        'blether 10 - 2 - 3',
        'blether nae 1 == 2',
        'blether nae 0 == aye',
        'blether ! 0',
        'blether 1 an 2',
        'blether 0 an 2',
        'blether 0 or "x"',
        'blether naething or naething',
        'blether 1 < 2 == aye',
        'blether aye or 1 / 0',
      ].join('\n'),
      out: '13\n20\n-6\n5\nnae\naye\naye\n2\n0\nx\nnaething\naye\naye\n',
    },
    {
      name: 'ternary, pipe and assignment as an expression',
      src: 'blether gin 1 than "y" ither "n"\nblether gin 0 than "y" ither gin 0 than "a" ither "b"\nblether 3 |> tae_string |> len\nken x = 0\nblether x = 5\nblether x\nken a = 0\nken b = 0\na = b = 4\nblether a + b',
      out: 'y\nb\n1\n5\n5\n8\n',
    },
    {
      name: 'nae is the literal false when no operand follows',
      src: 'dae f(x) { gie x }\nblether [nae, 1]\nblether f(nae)\nblether 1 == nae',
      out: '[nae, 1]\nnae\nnae\n',
    },
    {
      name: 'a < b < c compares a bool with a number',
      src: 'blether 1 < 2 < 3',
      out: '',
      err: { kind: 'type', has: ['line 1'] },
    },
  ]);
});

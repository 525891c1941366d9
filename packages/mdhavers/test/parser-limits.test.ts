import { describe, expect, it } from 'vitest';
import { MdhError } from '../src/errors.js';
import { lex } from '../src/lexer.js';
import { MAX_NESTING, type ParseStats, parseProgram } from '../src/parser.js';
import { out, run } from './helpers.js';

/** Parses `src` and returns the work done per token (and the error, if the program is rejected). */
function work(src: string): { perToken: number; error: MdhError | null } {
  const stats: ParseStats = { steps: 0 };
  let error: MdhError | null = null;
  try {
    parseProgram(src, stats);
  } catch (e) {
    if (!(e instanceof MdhError)) throw e;
    error = e;
  }
  return { perToken: stats.steps / lex(src).length, error };
}

function parseErr(src: string): MdhError {
  try {
    parseProgram(src);
  } catch (e) {
    expect(e).toBeInstanceOf(MdhError);
    return e as MdhError;
  }
  throw new Error('expected a parse error');
}

describe('issue #14 item 4: the parser is linear and bounds nesting', () => {
  it('"[{" repeated (the exponential dict-or-block reproduction) is rejected after linear work', () => {
    for (const n of [18, 36, 100]) {
      const r = work('[{'.repeat(n));
      expect(r.error?.kind).toBe('parse');
      expect(r.perToken).toBeLessThan(4);
    }
  });

  it('work per token stays constant as adversarial inputs grow (steps counted, not time)', () => {
    const shapes: ((n: number) => string)[] = [
      (n) => '[{'.repeat(n),
      (n) => `ken x = ${'{"k": '.repeat(n)}1${'}'.repeat(n)}`,
      (n) => `ken x = ${'{ ken a = '.repeat(n)}1${'}'.repeat(n)}`,
      (n) => `ken x = ${'[{'.repeat(n)}1`,
      (n) => `${'gin [|x| {'.repeat(n)}`,
      (n) => `${'gin f(|x| {\n'.repeat(n)}`,
      (n) => `ken d = {${'a[0:1] + '.repeat(n)}1: 2}`,
      (n) => `ken d = {\n${'"k": [1, {"j": 2}],\n'.repeat(n)}}`,
    ];
    for (const shape of shapes) {
      const small = work(shape(20));
      const large = work(shape(200));
      expect(large.perToken).toBeLessThan(6);
      // Linear: the work per token does not grow with the input (quadratic would grow ~10x here).
      expect(large.perToken).toBeLessThan(small.perToken * 1.5 + 0.5);
    }
  });

  it('1,000 nested ( or [ give an mdhavers parse error with the line, not a RangeError', () => {
    for (const [open, close] of [
      ['(', ')'],
      ['[', ']'],
      ['{"a": ', '}'],
    ] as const) {
      const e = parseErr(`ken ok = 1\nken x = ${open.repeat(1000)}1${close.repeat(1000)}\n`);
      expect(e.kind).toBe('parse');
      expect(e.line).toBe(2);
      expect(e.message).toContain('line 2');
      expect(e.message).toContain('nested ower deep');
    }
    for (const src of [`blether ${'-'.repeat(5000)}1`, `blether ${'!'.repeat(5000)}aye`, `${'{'.repeat(5000)}`]) {
      expect(parseErr(src).kind).toBe('parse');
    }
    const chain = `ken a = 0\n${'a = '.repeat(3000)}1`;
    expect(parseErr(chain).line).toBe(2);
    const elifs = `gin nae { }${' ither gin nae { }'.repeat(3000)}`;
    expect(parseErr(elifs).kind).toBe('parse');
  });

  it('nesting below the limit still parses and runs', async () => {
    const d = MAX_NESTING - 10;
    expect(await out(`blether ${'('.repeat(d)}1${')'.repeat(d)}`)).toBe('1\n');
    expect(await out(`ken x = ${'['.repeat(d)}2${']'.repeat(d)}\nblether len(x)`)).toBe('1\n');
    expect(await out(`ken x = 0\n${'x = '.repeat(d)}3\nblether x`)).toBe('3\n');
  });

  it('dict versus block expression follows SPEC.md §2.3 (first element followed by ":")', async () => {
    expect(await out('ken d = {gin aye than "k" ither "j": 1}\nblether d')).toBe('{"k": 1}\n');
    expect(await out('ken l = [5, 6]\nken d = {l[0:1][0]: {"n": l[1:]}}\nblether d')).toBe('{"5": {"n": [6]}}\n');
    expect(await out('ken d = {\n  "a": 1,\n  "b": [1,\n 2],\n}\nblether d')).toBe('{"a": 1, "b": [1, 2]}\n');
    expect(await out('ken f = |x| x * 2\nken d = {f(2): 1}\nblether d')).toBe('{"4": 1}\n');
    expect(await out('ken v = {\n  ken q = 2\n  gie q * 3\n}\nblether v')).toBe('6\n');
    expect(await out('ken v = { blether "in" }\nblether v')).toBe('in\nnaething\n');
    expect(await out('ken a = 1\nken v = { a = a + 1; a }\nblether a')).toBe('2\n');
    expect(parseErr('ken d = {"a"\n: 1}').kind).toBe('parse');
  });
});

describe('InterpreterOptions.maxSteps bounds loops and calls', () => {
  it('an endless loop ends with a limit error; a program within the budget runs', async () => {
    for (const src of [
      'whiles aye { }',
      'ken i = 0\nwhiles aye { i += 1 }',
      'fer x in 0..100000 { }',
      'dae f(n) { gie n }\nwhiles aye { f(1) }',
    ]) {
      const r = await run(src, { maxSteps: 1000 });
      expect(r.error?.kind).toBe('limit');
    }
    const r = await run('ken s = 0\nfer x in 0..10 { s += x }\nblether s', { maxSteps: 1000 });
    expect(r.error).toBeNull();
    expect(r.out).toBe('45\n');
  });
});

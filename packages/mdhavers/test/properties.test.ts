import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MdhError } from '../src/errors.js';
import { parseProgram } from '../src/parser.js';
import { formatFloat } from '../src/values.js';
import { run } from './helpers.js';

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

describe('properties', () => {
  it('the lexer and parser only ever fail with an MdhError', () => {
    const alphabet = fc.constantFrom(
      ...'ken gin ither dae gie fer in whiles { } ( ) [ ] , : ; = == + - * / % .. ... | |> " \' f" # \n x y 1 2.5 aye nae naething keek whan -> _ hae_a_bash gin_it_gangs_wrang @'.split(
        ' ',
      ),
    );
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 40 }), (parts) => {
        const src = parts.join(' ');
        try {
          parseProgram(src);
        } catch (e) {
          if (!(e instanceof MdhError)) throw e;
          expect(['lex', 'parse']).toContain(e.kind);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('float display is the shortest round-trip decimal without exponent', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const s = formatFloat(x);
        expect(s).not.toMatch(/e/i);
        expect(Object.is(Number(s), x)).toBe(true);
        if (Number.isInteger(x)) expect(s).not.toContain('.');
      }),
      { numRuns: 500 },
    );
  });

  it('integer + - * agree with BigInt and overflow exactly outside i64', async () => {
    const big = fc.bigInt({ min: I64_MIN, max: I64_MAX });
    const cases = fc.sample(fc.tuple(big, big, fc.constantFrom('+', '-', '*', '/', '%')), 150);
    const lit = (b: bigint) => (b < 0n ? `(0 - ${-b - 1n} - 1)` : `${b}`);
    const lines: string[] = [];
    const expected: string[] = [];
    for (const [a, b, op] of cases) {
      let r: bigint | null;
      if ((op === '/' || op === '%') && b === 0n) r = null;
      else if (op === '+') r = a + b;
      else if (op === '-') r = a - b;
      else if (op === '*') r = a * b;
      else if (op === '/') r = a / b;
      else r = a % b;
      const ok = r !== null && r >= I64_MIN && r <= I64_MAX;
      lines.push(`hae_a_bash { blether ${lit(a)} ${op} ${lit(b)} } gin_it_gangs_wrang e { blether "err" }`);
      expected.push(ok ? String(r) : 'err');
    }
    const res = await run(lines.join('\n'));
    expect(res.error).toBeNull();
    expect(res.out.trim().split('\n')).toEqual(expected);
  });
});

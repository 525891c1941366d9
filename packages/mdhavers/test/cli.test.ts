import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../src/interpreter.js';
import { tempDir } from './helpers.js';

// The command runs from the built package (the root `pnpm test` builds before vitest).
const BIN = join(PACKAGE_ROOT, 'dist', 'bin.js');

function cli(args: string[], input?: string) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000, input: input ?? '' });
}

describe('the mdhavers command', () => {
  const dir = tempDir({
    'ok.braw': 'blether "hullo"\nblether script_args()\n',
    'fail.braw': 'blether "before"\nken x = [1][4]\nblether "after"\n',
    'bad.braw': 'blether (1 +\n',
  });

  it('run FILE and bare FILE exit 0 with the output; arguments reach script_args()', () => {
    const r = cli(['run', join(dir, 'ok.braw'), 'a', '5060']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('hullo\n[a, 5060]\n');
    const r2 = cli([join(dir, 'ok.braw')]);
    expect(r2.status).toBe(0);
    expect(r2.stdout).toBe('hullo\n[]\n');
  });

  it('an uncaught error exits 1 with the message on stderr, after earlier output', () => {
    const r = cli(['run', join(dir, 'fail.braw')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('before\n');
    expect(r.stderr).toContain('line 2');
    expect(r.stderr).toContain('4');
  });

  it('check parses only', () => {
    expect(cli(['check', join(dir, 'ok.braw')]).status).toBe(0);
    const r = cli(['check', join(dir, 'bad.braw')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('line');
    const lexbad = cli(['run', join(dir, 'bad.braw')]);
    expect(lexbad.status).toBe(1);
    expect(lexbad.stdout).toBe('');
  });

  it('the REPL evaluates lines and multi-line blocks, keeping state', () => {
    const r = cli([], 'ken x = 40\ndae add(a) {\n  gie a + x\n}\nadd(2)\nblether "hi"\nnope\n');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('42');
    expect(r.stdout).toContain('hi');
    expect(r.stderr).toContain("'nope'");
  });

  it('usage errors exit 2', () => {
    expect(cli(['check']).status).toBe(2);
  });
});

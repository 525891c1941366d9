import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, tempDir } from './helpers.js';

async function runIn(dir: string, main: string, src: string) {
  return run(src, {}, join(dir, main));
}

describe('§8 modules', () => {
  it('fetch injects exports; tae binds a dict; .braw is appended', async () => {
    const dir = tempDir({
      'lib/maths.braw': 'ken PI = 3\ndae double(x) { gie x * 2 }\n',
    });
    const r = await runIn(
      dir,
      'main.braw',
      'fetch "lib/maths"\nblether double(PI)\nfetch "lib/maths.braw" tae m\nblether m["double"](4)\nblether m.PI',
    );
    expect(r.error).toBeNull();
    expect(r.out).toBe('6\n8\n3\n');
  });

  it('runs a module once; state is shared between importers', async () => {
    const dir = tempDir({
      'counter.braw':
        'blether "loading"\nken state = {"n": 0}\ndae bump() { state["n"] = state["n"] + 1\n gie state["n"] }\n',
      'other.braw': 'fetch "counter"\ndae other_bump() { gie bump() }\n',
    });
    const r = await runIn(dir, 'main.braw', 'fetch "counter"\nfetch "other"\nbump()\nblether other_bump()');
    expect(r.out).toBe('loading\n2\n');
  });

  it('module isolation: importer redefinitions do not change the module binding', async () => {
    const dir = tempDir({ 'm.braw': 'ken SIP_PORT = 5060\ndae port() { gie SIP_PORT }\n' });
    const r = await runIn(dir, 'main.braw', 'fetch "m"\nken SIP_PORT = 5062\nblether SIP_PORT\nblether port()');
    expect(r.out).toBe('5062\n5060\n');
  });

  it('module parent is the global scope, not the importer scope', async () => {
    const dir = tempDir({ 'm.braw': 'dae see() { gie secret }\n' });
    const r = await runIn(dir, 'main.braw', 'dae f() {\n ken secret = 1\n fetch "m"\n gie see()\n}\nf()');
    expect(r.error?.kind).toBe('undefined');
    const r2 = await runIn(dir, 'main2.braw', 'ken secret = 7\nfetch "m"\nblether see()');
    expect(r2.out).toBe('7\n');
  });

  it('resolves stdlib/NAME from an ancestor stdlib directory and from the configured root', async () => {
    const dir = tempDir({ 'stdlib/mine.braw': 'ken MINE = 1\n', 'examples/showcases/x.braw': '' });
    const r = await runIn(
      join(dir, 'examples', 'showcases'),
      'main.braw',
      'fetch "stdlib/mine"\nfetch "stdlib/bytes"\nblether MINE\nblether bytes_len_o(make_bytes(3))',
    );
    expect(r.error).toBeNull();
    expect(r.out).toBe('1\n3\n');
  });

  it('missing module and circular imports are errors naming the path', async () => {
    const dir = tempDir({ 'a.braw': 'fetch "b"\n', 'b.braw': 'fetch "a"\n' });
    const r = await runIn(dir, 'main.braw', 'fetch "nowhere/at_all"');
    expect(r.error?.kind).toBe('module');
    expect(r.error?.message).toContain('nowhere/at_all');
    const c = await runIn(dir, 'main.braw', 'fetch "a"');
    expect(c.error?.kind).toBe('circular');
    expect(c.error?.message).toMatch(/a\.braw.*b\.braw.*a\.braw/);
  });

  it('a parse error inside a module is reported at the fetch', async () => {
    const dir = tempDir({ 'bad.braw': 'ken = 1\n' });
    const r = await runIn(dir, 'main.braw', 'blether "first"\nfetch "bad"');
    expect(r.out).toBe('first\n');
    expect(r.error?.message).toContain('bad');
  });

  it('exports include names the module itself fetched', async () => {
    const dir = tempDir({ 'inner.braw': 'ken DEEP = 42\n', 'outer.braw': 'fetch "inner"\n' });
    const r = await runIn(dir, 'main.braw', 'fetch "outer" tae o\nblether o.DEEP');
    expect(r.out).toBe('42\n');
  });
});

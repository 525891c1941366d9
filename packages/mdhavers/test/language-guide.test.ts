import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Interpreter } from '../src/interpreter.js';
import { run } from './helpers.js';

/** docs/language.md: the user's guide must list every builtin, and its examples must print what it says. */
const GUIDE = readFileSync(new URL('../docs/language.md', import.meta.url), 'utf8');

interface Entry {
  name: string;
  code: string;
  shown: string;
  runnable: boolean;
}

const ENTRY = /^- `([a-z_0-9]+)\([^`]*\)` — .*? Example( \(needs a peer: shown, not run\))?: `(.+)` → `(.*)`$/;
const entries: Entry[] = [];
for (const line of GUIDE.split('\n')) {
  const m = ENTRY.exec(line);
  if (m) entries.push({ name: m[1]!, runnable: m[2] === undefined, code: m[3]!, shown: m[4]! });
}

/** Every name the interpreter registers as a builtin. */
function registered(): string[] {
  const it = new Interpreter({ write: () => {} });
  const names = [...it.registry.natives.keys()];
  void it.close();
  return names;
}

describe('docs/language.md', () => {
  it('documents every registered builtin, with an example, and nothing that does not exist', () => {
    const documented = new Set(entries.map((e) => e.name));
    const names = registered();
    expect(names.length).toBeGreaterThan(100);
    expect(names.filter((n) => !documented.has(n))).toEqual([]);
    expect([...documented].filter((n) => !names.includes(n))).toEqual([]);
  });

  it('every runnable builtin example prints the result the guide shows', async () => {
    const runnable = entries.filter((e) => e.runnable);
    expect(runnable.length).toBeGreaterThan(120);
    const wrong: string[] = [];
    for (const e of runnable) {
      const r = await run(e.code, { args: [] });
      const got = r.error ? `error: ${r.error.message}` : r.out.replace(/\n$/, '').split('\n').join(' ⏎ ');
      if (got !== e.shown) wrong.push(`${e.name}: guide says ${e.shown}, interpreter printed ${got}`);
    }
    expect(wrong, wrong.join('\n')).toEqual([]);
  });

  it('every braw code block runs without an uncaught error', async () => {
    const blocks = [...GUIDE.matchAll(/```braw\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThan(3);
    for (const src of blocks) {
      const r = await run(src, { args: [] });
      expect(r.error?.message ?? null, src).toBeNull();
      expect(r.out.length, src).toBeGreaterThan(0);
    }
  });
});

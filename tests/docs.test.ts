// Docs that run: every fenced ```ts / ```js block in every README (root and packages/*) is type-checked
// against the workspace sources (strict) and, unless its info string says `typecheck`, executed in its own
// Node process against the built packages (`@mdh/*` → packages/*/dist, so run after `pnpm build`). A block
// that fails to type-check, throws, exits non-zero, or does not exit on its own within 60 s fails the test.
//   ```ts            type-checked and run (it must finish on its own: close what it opens)
//   ```ts typecheck  type-checked only (it needs a peer or a network this test does not provide)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const readmes = [
  'README.md',
  ...readdirSync(join(root, 'packages'))
    .sort()
    .map((p) => join('packages', p, 'README.md'))
    .filter((p) => {
      try {
        readFileSync(join(root, p));
        return true;
      } catch {
        return false;
      }
    }),
];

interface Block {
  readme: string;
  line: number;
  lang: string;
  typecheckOnly: boolean;
  code: string;
  file: string;
}

/** Fenced blocks whose info string starts with ts/js/typescript/javascript. */
function extractBlocks(readme: string, text: string): Omit<Block, 'file'>[] {
  const out: Omit<Block, 'file'>[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```+\s*(ts|js|typescript|javascript)\b(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !/^\s*```+\s*$/.test(lines[j]!)) body.push(lines[j++]!);
    if (j >= lines.length) throw new Error(`${readme}:${i + 1}: unterminated code block`);
    const lang = open[2]!.startsWith('t') ? 'ts' : 'js';
    out.push({ readme, line: i + 1, lang, typecheckOnly: /\btypecheck\b/.test(open[3]!), code: body.join('\n') });
    i = j;
  }
  return out;
}

const tmp = join(root, 'tests', '.docs-blocks');
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The built file of a package export (`.` or `./testing`), from the package's exports map. */
function builtEntry(pkg: string, entry: string): string {
  const manifest = JSON.parse(readFileSync(join(root, 'packages', pkg, 'package.json'), 'utf8')) as {
    exports: Record<string, string | { import?: string; default?: string }>;
  };
  const e = manifest.exports[entry];
  const target = typeof e === 'string' ? e : (e?.import ?? e?.default);
  if (!target) throw new Error(`@mdh/${pkg} has no export '${entry}'`);
  return join(root, 'packages', pkg, target);
}

const blocks: Block[] = [];
for (const readme of readmes) {
  for (const b of extractBlocks(readme, readFileSync(join(root, readme), 'utf8'))) {
    const name = `${readme.replace(/[/.]/g, '_')}_L${b.line}.${b.lang === 'ts' ? 'ts' : 'mjs'}`;
    const file = join(tmp, name);
    // Each block is its own module: `export {}` keeps top-level names from colliding across blocks.
    writeFileSync(file, `${b.code}\nexport {};\n`);
    blocks.push({ ...b, file });
  }
}

describe('README code blocks', () => {
  it('finds the blocks', () => {
    expect(blocks.length).toBeGreaterThan(20);
    expect(blocks.some((b) => b.readme === 'README.md' && !b.typecheckOnly)).toBe(true);
  });

  it('extracts ts/js blocks with their info strings and rejects an unterminated one', () => {
    const md = ['# x', '```sh', 'npm i', '```', '```ts', 'a();', '```', '```js typecheck', 'b();', '```'].join('\n');
    const got = extractBlocks('X.md', md);
    expect(got.map((b) => [b.line, b.lang, b.typecheckOnly, b.code])).toEqual([
      [5, 'ts', false, 'a();'],
      [8, 'js', true, 'b();'],
    ]);
    expect(() => extractBlocks('Y.md', '```ts\nno end\n')).toThrow(/Y.md:1: unterminated/);
  });

  it('every block type-checks (strict) against the workspace sources', { timeout: 180_000 }, () => {
    const tsconfig = join(tmp, 'tsconfig.json');
    const base = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8'));
    writeFileSync(
      tsconfig,
      JSON.stringify({
        extends: '../../tsconfig.base.json',
        compilerOptions: {
          noEmit: true,
          allowJs: true,
          checkJs: true,
          noUnusedLocals: false,
          noUnusedParameters: false,
          paths: Object.fromEntries(
            Object.entries(base.compilerOptions.paths as Record<string, string[]>).map(([k, v]) => [
              k,
              v.map((p) => join('..', '..', p)),
            ]),
          ),
        },
        files: blocks.map((b) => relative(tmp, b.file)),
      }),
    );
    let output = '';
    try {
      execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', tsconfig], {
        cwd: root,
        encoding: 'utf8',
      });
    } catch (e) {
      output = `${(e as { stdout?: string }).stdout ?? ''}${(e as { stderr?: string }).stderr ?? ''}`;
    }
    // Name the README line, not the temp file.
    for (const b of blocks) output = output.split(relative(root, b.file)).join(`${b.readme} block at line ${b.line}`);
    expect(output).toBe('');
  });

  for (const b of blocks.filter((x) => !x.typecheckOnly)) {
    it(`${b.readme}:${b.line} runs and exits`, { timeout: 70_000 }, () => {
      const js = ts.transpileModule(readFileSync(b.file, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText;
      // Bare `@mdh/<pkg>` and `@mdh/<pkg>/<subpath>` specifiers → the built file its exports map names (what a
      // user of the published package runs).
      const linked = js.replace(/(['"])@mdh\/([a-z]+)(\/[a-z-]+)?\1/g, (_m, q: string, pkg: string, sub?: string) => {
        return `${q}${pathToFileURL(builtEntry(pkg, sub ? `.${sub}` : '.')).href}${q}`;
      });
      const mjs = b.file.replace(/\.(ts|mjs)$/, '.run.mjs');
      writeFileSync(mjs, linked);
      const r = spawnSync(process.execPath, [mjs], { cwd: tmp, encoding: 'utf8', timeout: 60_000 });
      const why = r.error ? `${r.error.message} (did not exit: something was left open)` : `exit ${r.status}`;
      expect(r.status === 0 && !r.error, `${b.readme}:${b.line}: ${why}\n${r.stderr}`).toBe(true);
    });
  }
});

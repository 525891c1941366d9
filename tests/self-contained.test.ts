import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../scripts/check-self-contained.mjs', import.meta.url));
const run = (root?: string) => spawnSync(process.execPath, root ? [SCRIPT, root] : [SCRIPT], { encoding: 'utf8' });

describe('scripts/check-self-contained.mjs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mdh-selfcheck-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes on this repository', () => {
    const r = run();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('fails on an absolute path under the team directory and on a path into a sibling shared folder', () => {
    mkdirSync(join(dir, 'test'), { recursive: true });
    // The offending paths are assembled here so that this file itself stays clean.
    const work = ['', 'work', 'shared', 'vectors', ''].join('/');
    const up = `${'../'.repeat(4)}${'sha'}red/x.json`;
    writeFileSync(join(dir, 'test', 'a.test.ts'), `const DIR = '${work}';\n`);
    writeFileSync(join(dir, 'test', 'b.ts'), `readFileSync(new URL('${up}', import.meta.url));\n`);
    writeFileSync(join(dir, 'ok.ts'), "const p = new URL('./vectors/x.json', import.meta.url);\n");
    const r = run(dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('a.test.ts:1: absolute');
    expect(r.stderr).toContain('b.ts:1: path into a sibling shared/ directory');
    expect(r.stderr).not.toContain('ok.ts');
  });
});

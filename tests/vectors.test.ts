import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIR = fileURLToPath(new URL('./vectors/', import.meta.url));

/** Every file under tests/vectors except README.md files, as paths relative to the directory. */
function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p));
    else if (e.name !== 'README.md') out.push(relative(DIR, p).split('\\').join('/'));
  }
  return out.sort();
}

/** The `| `file` | `sha256` |` rows of the README's checksum table. */
function table(): Map<string, string> {
  const readme = readFileSync(join(DIR, 'README.md'), 'utf8');
  const rows = new Map<string, string>();
  for (const m of readme.matchAll(/^\| `([^`]+)` \| `([0-9a-f]{64})` \|$/gm)) rows.set(m[1]!, m[2]!);
  return rows;
}

describe('tests/vectors', () => {
  it('the README lists every vector file and nothing else', () => {
    const listed = [...table().keys()].sort();
    expect(listed.length).toBeGreaterThan(70);
    expect(listed).toEqual(files(DIR));
  });

  it('every vector file matches the SHA-256 in the README', () => {
    const bad: string[] = [];
    for (const [file, sum] of table()) {
      const got = createHash('sha256')
        .update(readFileSync(join(DIR, file)))
        .digest('hex');
      if (got !== sum) bad.push(file);
    }
    expect(bad).toEqual([]);
  });
});

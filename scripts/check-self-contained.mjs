#!/usr/bin/env node
// Fails (exit 1) when a source, test, bench, script or doc in the repository names a path outside the
// clone: an absolute /work/ path, or a relative path that climbs into a sibling `shared` directory.
// Usage: node scripts/check-self-contained.mjs [root]   (root defaults to the repository of this script).
// .ci/ is not scanned: it names ../shared on purpose, to hide it while the tests run.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = process.argv[2] ?? fileURLToPath(new URL('..', import.meta.url));
const SKIP_DIRS = new Set(['.ci', 'node_modules', 'dist', '.git', 'coverage', '.vitest-results', 'vectors', 'api']);
const EXT = /\.(ts|mts|cts|js|mjs|cjs|json|md|mdh|sh|yml|yaml)$|^run$/;
const PATTERNS = [
  { re: /['"`(\s]\/work\//, why: 'absolute /work/ path' },
  { re: /file:\/\/\/work\//, why: 'file:///work/ URL' },
  { re: /(\.\.\/)+shared\b/, why: 'path into a sibling shared/ directory' },
];
const self = fileURLToPath(import.meta.url);

function* walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) yield* walk(p);
    } else if (EXT.test(e.name) && p !== self) yield p;
  }
}

const problems = [];
for (const file of walk(root)) {
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, i) => {
    for (const { re, why } of PATTERNS) {
      if (re.test(line)) problems.push(`${relative(root, file)}:${i + 1}: ${why}: ${line.trim().slice(0, 120)}`);
    }
  });
}
if (problems.length > 0) {
  console.error(`${problems.length} reference(s) to paths outside the repository:`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log('self-contained: no source, test or doc names a path outside the repository');
